"""Turning raw pixels into model input, identically in training and inference.

Every dataset is first brought to float pixels in [0, 1] with bright ink on a dark
background (like MNIST and the digits data), then standardised with the mean and
standard deviation of the training split. Both numbers travel in the checkpoint.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass

import numpy as np

POLARITY = "bright ink on a dark background"
# The image files training (folder datasets) and inference (folders of images) read.
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".webp", ".pgm", ".ppm")


@dataclass(frozen=True)
class Preprocessing:
    input_size: tuple[int, int]  # (height, width) every image is resized to
    mean: float  # of the training pixels after scaling to [0, 1]
    std: float
    polarity: str = POLARITY

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> Preprocessing:
        return cls(
            input_size=tuple(data["input_size"]),
            mean=float(data["mean"]),
            std=float(data["std"]),
            polarity=str(data.get("polarity", POLARITY)),
        )

    def standardise(self, pixels):
        """(pixels in [0, 1]) -> model input; works on numpy arrays and torch tensors alike."""
        return (pixels - self.mean) / self.std


def image_to_unit_array(image, input_size: tuple[int, int]) -> np.ndarray:
    """A PIL image -> float32 array (H, W) in [0, 1]: grayscale, resized to `input_size`.

    Shrinking uses box averaging, which is how the 8x8 digits were made from 32x32
    bitmaps, so an upscaled digit comes back to the same pixels.
    """
    from PIL import Image

    gray = image.convert("L")
    height, width = input_size
    if gray.size != (width, height):
        shrinking = gray.width >= width and gray.height >= height
        gray = gray.resize((width, height), Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR)
    return np.asarray(gray, dtype=np.float32) / 255.0
