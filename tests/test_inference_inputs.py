"""inference.inputs: what --input names, read the way training prepared its images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from inference.inputs import ImageArray, ImageFiles, InputError, load_array, read_image, resolve_input


def write_png(path: Path, pixels: np.ndarray) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(pixels.astype(np.uint8)).save(path)
    return path


def test_folder_lists_images_sorted_and_ignores_other_files(tmp_path):
    """A folder gives its image files in sorted order; other files and sub-folders are left out."""
    for name in ("b.png", "a.JPG", "c.bmp"):
        Image.new("L", (8, 8)).save(tmp_path / name)
    (tmp_path / "notes.txt").write_text("not an image")
    write_png(tmp_path / "sub" / "d.png", np.zeros((8, 8)))

    source = resolve_input(tmp_path)

    assert isinstance(source, ImageFiles)
    assert [p.name for p in source.paths] == ["a.JPG", "b.png", "c.bmp"]


def test_recursive_folder_includes_sub_folders(tmp_path):
    """--recursive also lists images in sub-folders, sorted by path."""
    write_png(tmp_path / "b.png", np.zeros((8, 8)))
    write_png(tmp_path / "a" / "z.png", np.zeros((8, 8)))

    source = resolve_input(tmp_path, recursive=True)

    assert [p.relative_to(tmp_path).as_posix() for p in source.paths] == ["a/z.png", "b.png"]


def test_recursive_listing_does_not_follow_a_link_cycle(tmp_path):
    """A sub-folder link pointing back up is not walked into: listing ends, each image once."""
    write_png(tmp_path / "a" / "x.png", np.zeros((8, 8)))
    (tmp_path / "a" / "up").symlink_to(tmp_path, target_is_directory=True)

    source = resolve_input(tmp_path, recursive=True)

    assert source.paths == [tmp_path / "a" / "x.png"]


def missing_file(root: Path) -> Path:
    return root / "missing.png"


def empty_folder(root: Path) -> Path:
    return root


def text_file(root: Path) -> Path:
    path = root / "scores.txt"
    path.write_text("1")
    return path


def corrupt_png(root: Path) -> Path:
    path = root / "broken.png"
    path.write_bytes(b"\x89PNG junk")
    return path


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (missing_file, "no such file or folder"),
        (empty_folder, "no images in this folder"),
        (text_file, "unsupported file type '.txt'"),
        (corrupt_png, "cannot read image"),
    ],
    ids=["missing-path", "empty-folder", "unsupported-type", "corrupt-single-image"],
)
def test_unusable_input_is_a_one_line_error_naming_the_path(tmp_path, make, message):
    """A missing path, an empty folder, a wrong file type or a corrupt lone image: InputError naming it."""
    path = make(tmp_path)

    with pytest.raises(InputError) as caught:
        resolve_input(path)

    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)


def test_corrupt_image_becomes_a_sample_with_a_problem(tmp_path):
    """An unreadable file is reported in the Sample (to be skipped), not raised."""
    path = tmp_path / "truncated.png"
    write_png(path, np.full((32, 32), 200))
    path.write_bytes(path.read_bytes()[:40])

    sample = read_image(path, (8, 8))

    assert sample.pixels is None
    assert sample.name == str(path)
    assert "cannot read image" in sample.problem


def test_upscaled_digit_png_comes_back_to_the_digit_pixels(tmp_path):
    """A digit upscaled 4x (nearest neighbour) and saved as PNG reads back as the 8x8 digit, in [0, 1]."""
    digit = np.random.default_rng(0).integers(0, 17, size=(8, 8))
    path = write_png(tmp_path / "digit.png", np.rint(digit * 255 / 16).repeat(4, 0).repeat(4, 1))

    sample = read_image(path, (8, 8))

    assert sample.pixels.dtype == np.float32
    np.testing.assert_allclose(sample.pixels, (digit / 16)[None], atol=1 / 255)


def test_colour_image_is_read_as_grayscale_and_says_so(tmp_path):
    """An RGB image for a grayscale model becomes one (1, H, W) channel at the model's size, with a note."""
    path = tmp_path / "colour.png"
    Image.new("RGB", (16, 16), (255, 255, 255)).save(path)

    sample = read_image(path, (8, 8))

    assert sample.pixels.shape == (1, 8, 8)
    np.testing.assert_allclose(sample.pixels, 1.0)
    assert "converted to grayscale" in sample.conversion


def test_grayscale_image_is_read_as_rgb_for_an_rgb_model_and_says_so(tmp_path):
    """A grayscale PNG for an RGB model gives three equal channels and a note; an RGB PNG keeps its colours."""
    gray_path, colour_path = tmp_path / "gray.png", tmp_path / "colour.png"
    Image.new("L", (8, 8), 128).save(gray_path)
    Image.new("RGB", (8, 8), (255, 0, 51)).save(colour_path)

    gray = read_image(gray_path, (8, 8), channels=3)
    colour = read_image(colour_path, (8, 8), channels=3)

    np.testing.assert_allclose(gray.pixels, 128 / 255, rtol=1e-6)
    assert gray.pixels.shape == (3, 8, 8) and "converted to RGB" in gray.conversion
    np.testing.assert_allclose(colour.pixels[:, 0, 0], [1.0, 0.0, 0.2], rtol=1e-6)
    assert colour.conversion == ""


@pytest.mark.parametrize("shape", [(3, 8, 8), (3, 1, 8, 8), (3, 8, 8, 1)], ids=["N-H-W", "N-1-H-W", "N-H-W-1"])
def test_array_of_images_in_any_grayscale_layout(tmp_path, shape):
    """A .npy of shape (N, H, W), (N, 1, H, W) or (N, H, W, 1) gives N (1, H, W) samples named by index."""
    path = tmp_path / "images.npy"
    np.save(path, np.full(shape, 0.5, dtype=np.float32))

    source = resolve_input(path)
    samples = list(source.samples((8, 8)))

    assert isinstance(source, ImageArray)
    assert [s.name for s in samples] == [0, 1, 2]
    assert samples[0].pixels.shape == (1, 8, 8) and samples[0].conversion == ""
    np.testing.assert_allclose(samples[0].pixels, 0.5)


@pytest.mark.parametrize("channels_last", [False, True], ids=["N-3-H-W", "N-H-W-3"])
def test_rgb_array_in_either_layout_keeps_its_channels(tmp_path, channels_last):
    """An RGB .npy, channels first or last, reaches an RGB model as (3, H, W) with the same colours."""
    rgb = np.random.default_rng(2).integers(0, 256, (2, 3, 8, 8), dtype=np.uint8)
    path = tmp_path / "images.npy"
    np.save(path, rgb.transpose(0, 2, 3, 1) if channels_last else rgb)

    samples = list(resolve_input(path).samples((8, 8), channels=3))

    np.testing.assert_allclose(samples[1].pixels, rgb[1] / 255.0, rtol=1e-6)


def test_rgb_array_for_a_grayscale_model_converts_like_an_rgb_png(tmp_path):
    """An RGB array for a grayscale model gives the pixels the same image saved as PNG would, with a note."""
    rgb = np.random.default_rng(3).integers(0, 256, (1, 8, 8, 3), dtype=np.uint8)
    array_path, png_path = tmp_path / "images.npy", tmp_path / "image.png"
    np.save(array_path, rgb)
    Image.fromarray(rgb[0]).save(png_path)

    (from_array,) = resolve_input(array_path).samples((8, 8), channels=1)

    np.testing.assert_array_equal(from_array.pixels, read_image(png_path, (8, 8)).pixels)
    assert "converted to grayscale" in from_array.conversion


def test_uint8_array_is_scaled_to_unit_range(tmp_path):
    """uint8 arrays are read as 0..255, like an image file."""
    path = tmp_path / "images.npy"
    np.save(path, np.full((1, 8, 8), 255, dtype=np.uint8))

    (sample,) = resolve_input(path).samples((8, 8))

    np.testing.assert_allclose(sample.pixels, 1.0)


def test_array_of_another_size_is_resized_like_an_image(tmp_path):
    """A (N, 32, 32) array for an 8x8 model is shrunk the way a 32x32 PNG would be."""
    digit = np.random.default_rng(1).integers(0, 17, size=(8, 8))
    upscaled = np.rint(digit * 255 / 16).repeat(4, 0).repeat(4, 1).astype(np.uint8)
    path = tmp_path / "images.npy"
    np.save(path, upscaled[None])

    (sample,) = resolve_input(path).samples((8, 8))

    np.testing.assert_allclose(sample.pixels, (digit / 16)[None], atol=1 / 255)


@pytest.mark.parametrize(
    ("array", "message"),
    [
        (np.zeros((8, 8), dtype=np.float32), "expected (N, H, W), or (N, C, H, W)"),
        (np.zeros((2, 2, 8, 8), dtype=np.float32), "with C = 1 (grayscale) or 3 (RGB)"),
        (np.zeros((0, 8, 8), dtype=np.float32), "holds no images"),
        (np.zeros((2, 8, 8), dtype=bool), "expected uint8"),
        (np.full((2, 8, 8), 3.0, dtype=np.float32), "must lie in [0, 1]"),
        (np.full((2, 8, 8), np.nan, dtype=np.float32), "must lie in [0, 1]"),
        (np.full((2, 8, 8), 300, dtype=np.int32), "must lie in 0..255"),
    ],
    ids=["2d", "2-channels", "empty", "bool", "floats-above-1", "nan", "ints-above-255"],
)
def test_unusable_array_is_a_one_line_error(tmp_path, array, message):
    """A wrong-shaped, empty or out-of-range array is refused with a message naming the file."""
    path = tmp_path / "images.npy"
    np.save(path, array)

    with pytest.raises(InputError) as caught:
        load_array(path)

    assert str(caught.value).startswith(str(path))
    assert message in str(caught.value)


def test_pickled_object_array_is_refused_without_unpickling(tmp_path):
    """A .npy holding Python objects needs pickle; it is refused (allow_pickle=False)."""
    path = tmp_path / "objects.npy"
    np.save(path, np.array([{"a": 1}], dtype=object), allow_pickle=True)

    with pytest.raises(InputError, match=r"not a readable \.npy array"):
        load_array(path)
