"""What `--input` names, turned into pixels the way training prepared its images.

An input is one image file, a folder of images, or a `.npy` array. Every image is
brought to the model's channels (grayscale or RGB; a conversion is noted on the sample)
and resized to its input size by `core.preprocess`, so inference sees exactly what
training saw. Grayscale models expect bright ink on a dark background (like MNIST and
the digits data). No torch here: bad input fails fast.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.messages import first_line
from core.preprocess import IMAGE_SUFFIXES, has_colour, image_to_unit_array

ARRAY_SUFFIX = ".npy"
CHANNEL_COUNTS = (1, 3)  # grayscale, RGB


class InputError(Exception):
    """Input that cannot be predicted at all; the one-line message names the path."""


@dataclass(frozen=True, slots=True)
class Sample:
    name: str | int  # the file path, or the array index for a .npy input
    pixels: np.ndarray | None  # float32 (C, H, W) in [0, 1]; None when it could not be read
    problem: str = ""  # why it could not be read
    conversion: str = ""  # e.g. "colour inputs converted to grayscale", when the input had other channels


@dataclass(frozen=True)
class ImageFiles:
    paths: list[Path]

    def __len__(self) -> int:
        return len(self.paths)

    def samples(self, input_size: tuple[int, int], channels: int = 1) -> Iterator[Sample]:
        for path in self.paths:
            yield read_image(path, input_size, channels)


@dataclass(frozen=True)
class ImageArray:
    path: Path
    images: np.ndarray  # (N, C, H, W) numeric, validated by `load_array`

    def __len__(self) -> int:
        return len(self.images)

    def samples(self, input_size: tuple[int, int], channels: int = 1) -> Iterator[Sample]:
        conversion = conversion_note(self.images.shape[1] == 3, channels)
        for index, image in enumerate(self.images):
            yield Sample(name=index, pixels=array_to_unit_array(image, input_size, channels), conversion=conversion)


def resolve_input(path: str | Path, *, recursive: bool = False) -> ImageFiles | ImageArray:
    """The images `path` names; raises InputError for a missing path, empty folder or wrong file type."""
    source = Path(path)
    if source.is_dir():
        return ImageFiles(find_images(source, recursive=recursive))
    if not source.exists():
        raise InputError(f"{source}: no such file or folder")
    suffix = source.suffix.lower()
    if suffix == ARRAY_SUFFIX:
        return ImageArray(source, load_array(source))
    if suffix in IMAGE_SUFFIXES:
        sample = read_image(source, (1, 1))  # read it once now so a bad single file fails before torch loads
        if sample.problem:
            raise InputError(f"{source}: {sample.problem}")
        return ImageFiles([source])
    raise InputError(
        f"{source}: unsupported file type {suffix or '(no suffix)'!r} "
        f"(expected an image: {', '.join(IMAGE_SUFFIXES)}, or a {ARRAY_SUFFIX} array)"
    )


def find_images(folder: Path, *, recursive: bool = False) -> list[Path]:
    """Image files in `folder` (and its sub-folders if `recursive`), sorted; other files are ignored."""
    try:
        paths = sorted(_image_files(folder, recursive=recursive), key=lambda path: path.parts)
    except OSError as exc:
        raise InputError(f"{exc.filename or folder}: cannot list folder ({exc.strerror or exc})") from None
    if not paths:
        where = "or its sub-folders " if recursive else ""
        raise InputError(f"{folder}: no images in this folder {where}(looked for {', '.join(IMAGE_SUFFIXES)})")
    return paths


def _image_files(folder: Path, *, recursive: bool) -> Iterator[Path]:
    # scandir knows each entry's type without a stat call: listing thousands of files stays cheap.
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_file() and os.path.splitext(entry.name)[1].lower() in IMAGE_SUFFIXES:
                yield folder / entry.name
            elif recursive and entry.is_dir(follow_symlinks=False):  # no endless loop through a link cycle
                yield from _image_files(folder / entry.name, recursive=True)


def read_image(path: Path, input_size: tuple[int, int], channels: int = 1) -> Sample:
    """One image file as a Sample; an unreadable or corrupt file gives a Sample with `problem` set."""
    from PIL import Image

    try:
        with Image.open(path) as image:
            pixels = image_to_unit_array(image, input_size, channels)
            conversion = conversion_note(has_colour(image), channels)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as exc:
        # PIL raises SyntaxError for some malformed headers; all of these mean "not a readable image".
        return Sample(name=str(path), pixels=None, problem=f"cannot read image ({first_line(exc)})")
    return Sample(name=str(path), pixels=pixels, conversion=conversion)


def conversion_note(colour: bool, channels: int) -> str:
    """What happens to an input with (or without) colour for a model with `channels`; empty when nothing."""
    if colour and channels == 1:
        return "colour inputs converted to grayscale: this model was trained on grayscale images"
    if not colour and channels == 3:
        return "grayscale inputs converted to RGB (gray in all three channels): this model was trained on RGB images"
    return ""


def load_array(path: Path) -> np.ndarray:
    """A .npy file of images as (N, C, H, W): uint8 0..255, or floats in [0, 1]; anything else is an InputError.

    Accepted layouts: (N, H, W), (N, C, H, W) and (N, H, W, C) with C = 1 (grayscale) or 3 (RGB).
    """
    try:
        array = np.load(path, allow_pickle=False)
    except (OSError, ValueError, EOFError) as exc:
        raise InputError(f"{path}: not a readable .npy array ({first_line(exc)})") from None
    if array.ndim == 3:
        array = array[:, np.newaxis]
    elif array.ndim == 4 and array.shape[1] not in CHANNEL_COUNTS and array.shape[3] in CHANNEL_COUNTS:
        array = array.transpose(0, 3, 1, 2)
    if array.ndim != 4 or array.shape[1] not in CHANNEL_COUNTS:
        raise InputError(
            f"{path}: array of shape {array.shape}; expected (N, H, W), or (N, C, H, W) or (N, H, W, C) "
            "with C = 1 (grayscale) or 3 (RGB)"
        )
    if 0 in array.shape:
        raise InputError(f"{path}: array of shape {array.shape} holds no images")
    if array.dtype.kind not in "uif":
        raise InputError(f"{path}: array of {array.dtype} values; expected uint8 (0..255) or floats (0..1)")
    if array.dtype.kind == "f":
        if not np.isfinite(array).all() or array.min() < 0 or array.max() > 1:
            raise InputError(f"{path}: float pixel values must lie in [0, 1] (or store uint8 0..255)")
    elif array.min() < 0 or array.max() > 255:
        raise InputError(f"{path}: integer pixel values must lie in 0..255")
    return array


def array_to_unit_array(image: np.ndarray, input_size: tuple[int, int], channels: int = 1) -> np.ndarray:
    """One (C, H, W) array image -> float32 (channels, H, W) in [0, 1] at `input_size`, converted and
    resized like an image file would be."""
    unit = image.astype(np.float32) / (255.0 if image.dtype.kind in "ui" else 1.0)
    if unit.shape == (channels, *input_size):
        return unit
    from PIL import Image

    as_bytes = np.rint(unit * 255.0).astype(np.uint8).transpose(1, 2, 0)  # (H, W, C): PIL's layout
    as_image = Image.fromarray(as_bytes[:, :, 0] if as_bytes.shape[2] == 1 else as_bytes)  # mode "L" or "RGB"
    return image_to_unit_array(as_image, input_size, channels)
