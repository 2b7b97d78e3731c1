"""core.preprocess: per-channel standardisation, old scalar statistics, and images to pixels."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image

from core.preprocess import Preprocessing, has_colour, image_to_pixels


def test_standardise_uses_each_channels_own_statistics_on_numpy_and_torch() -> None:
    """Channel c becomes (pixels - mean[c]) / std[c], the same for numpy arrays and torch tensors."""
    preprocessing = Preprocessing((2, 2), mean=(0.1, 0.5, 0.9), std=(0.5, 0.25, 0.1))
    pixels = np.full((4, 3, 2, 2), 0.6, dtype=np.float32)

    from_numpy = preprocessing.standardise(pixels)
    from_torch = preprocessing.standardise(torch.from_numpy(pixels))

    np.testing.assert_allclose(from_numpy[0, :, 0, 0], [1.0, 0.4, -3.0], rtol=1e-6)
    np.testing.assert_allclose(from_torch.numpy(), from_numpy, rtol=1e-6)


def test_a_scalar_mean_and_std_from_an_old_checkpoint_is_one_channel() -> None:
    """Checkpoints written before RGB support stored one number each: they load as a grayscale model's."""
    old = {"input_size": [8, 8], "mean": 0.3, "std": 0.37}

    preprocessing = Preprocessing.from_dict(old)

    assert preprocessing.mean == (0.3,) and preprocessing.std == (0.37,) and preprocessing.channels == 1
    assert Preprocessing.from_dict(preprocessing.to_dict()) == preprocessing


def test_black_is_the_standardised_zero_of_each_channel() -> None:
    """black() is what a 0 pixel becomes in each channel: the fill for shifted-in borders."""
    preprocessing = Preprocessing((2, 2), mean=(0.2, 0.4), std=(0.1, 0.2))

    assert preprocessing.black() == pytest.approx((-2.0, -2.0))


@pytest.mark.parametrize(("mode", "channels"), [("RGB", 3), ("L", 1), ("RGBA", 3), ("P", 3)])
def test_images_become_uint8_arrays_with_the_asked_channels(mode: str, channels: int) -> None:
    """Any PIL mode converts to (C, H, W) uint8 at the asked size, C = 1 or 3; colour is judged by mode."""
    image = Image.new(mode, (12, 10))

    for wanted in (1, 3):
        pixels = image_to_pixels(image, (5, 6), wanted)
        assert pixels.shape == (wanted, 5, 6) and pixels.dtype == np.uint8
    assert has_colour(image) == (channels == 3)


def test_rgb_image_keeps_its_colours_per_channel() -> None:
    """A red-green split image keeps red in channel 0 and green in channel 1 after resizing."""
    image = Image.new("RGB", (8, 4), (255, 0, 0))
    image.paste((0, 255, 0), (4, 0, 8, 4))

    pixels = image_to_pixels(image, (2, 4), 3)

    assert pixels[0, :, :2].min() == 255 and pixels[1, :, :2].max() == 0
    assert pixels[1, :, 2:].min() == 255 and pixels[0, :, 2:].max() == 0
