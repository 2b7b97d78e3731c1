"""Turning raw pixels into model input, identically in training and inference.

Every dataset is first brought to pixels in [0, 1], shape (C, H, W) per image with C = 1
(grayscale) or 3 (RGB), then standardised per channel with the mean and standard deviation
of the training split. Grayscale datasets are bright ink on a dark background (like MNIST
and the digits data). The statistics travel in the checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

POLARITY = "bright ink on a dark background"
# The image files training (folder datasets) and inference (folders of images) read.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")
# PIL modes with one band of light per pixel; every other mode is read as colour.
GRAYSCALE_MODES = ("1", "L", "LA", "I", "I;16", "I;16B", "I;16L", "F")


@dataclass(frozen=True)
class Preprocessing:
    input_size: tuple[int, int]  # (height, width) every image is resized to
    mean: tuple[float, ...]  # per channel, of the training pixels after scaling to [0, 1]
    std: tuple[float, ...]
    polarity: str = POLARITY  # what grayscale inputs must look like; empty for RGB models

    @property
    def channels(self) -> int:
        return len(self.mean)

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Preprocessing:
        """Rebuild from `to_dict()` output; a scalar mean/std (checkpoints before RGB) is one channel."""
        return cls(
            input_size=tuple(data["input_size"]),
            mean=_per_channel(data["mean"]),
            std=_per_channel(data["std"]),
            polarity=str(data.get("polarity", POLARITY)),
        )

    def standardise(self, pixels):
        """(pixels in [0, 1], channels third from last) -> model input; numpy arrays and torch tensors alike."""
        mean, std = self.mean, self.std
        if hasattr(pixels, "new_tensor"):  # torch, without importing it here
            mean, std = pixels.new_tensor(mean), pixels.new_tensor(std)
        else:
            mean, std = np.asarray(mean, dtype=np.float32), np.asarray(std, dtype=np.float32)
        return (pixels - mean.reshape(-1, 1, 1)) / std.reshape(-1, 1, 1)

    def black(self) -> tuple[float, ...]:
        """A black pixel after standardisation, per channel: what shifted-in borders are filled with."""
        return tuple((0.0 - mean) / std for mean, std in zip(self.mean, self.std, strict=True))


def _per_channel(value) -> tuple[float, ...]:
    return tuple(float(v) for v in value) if isinstance(value, list | tuple) else (float(value),)


def has_colour(image) -> bool:
    """Whether a PIL image is stored with colour bands (RGB, palette, CMYK, ...), judged by its mode."""
    return image.mode not in GRAYSCALE_MODES


def image_to_pixels(image, input_size: tuple[int, int], channels: int = 1) -> np.ndarray:
    """A PIL image -> uint8 array (C, H, W): grayscale (C = 1) or RGB (C = 3), resized to `input_size`.

    Shrinking uses box averaging, which is how the 8x8 digits were made from 32x32
    bitmaps, so an upscaled digit comes back to the same pixels.
    """
    from PIL import Image

    converted = image.convert("L" if channels == 1 else "RGB")
    height, width = input_size
    if converted.size != (width, height):
        shrinking = converted.width >= width and converted.height >= height
        resample = Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR
        converted = converted.resize((width, height), resample)
    pixels = np.asarray(converted, dtype=np.uint8)
    return pixels[np.newaxis] if channels == 1 else pixels.transpose(2, 0, 1)


def image_to_unit_array(image, input_size: tuple[int, int], channels: int = 1) -> np.ndarray:
    """A PIL image -> float32 array (C, H, W) in [0, 1]: `image_to_pixels` scaled."""
    return image_to_pixels(image, input_size, channels).astype(np.float32) / 255.0
