"""A split's images as model input: float data standardised once, uint8 data one batch at a time.

Per the data contract a split's images are either float32 (N, C, H, W) in [0, 1] held in
memory (the digits: small, so standardising them all up front leaves each batch a plain
index on the device), or uint8 (N, C, H, W) 0..255, possibly a memory-mapped file larger
than memory. Those stay where they are; each batch is read, moved to the device, scaled
and standardised on its own, so memory holds one float batch, not a float copy of the data.
"""

from __future__ import annotations

import numpy as np
import torch

from core.preprocess import POLARITY, Preprocessing
from training.data import Splits

STATS_VALUES = 1 << 21  # pixel values read at a time when measuring uint8 data (16 MB as float64)


def is_raw(images) -> bool:
    """Whether `images` are uint8 pixels still to convert (everything but a float tensor)."""
    return not (isinstance(images, torch.Tensor) and images.is_floating_point())


def channel_stats(images) -> tuple[tuple[float, ...], tuple[float, ...]]:
    """Mean and (sample) standard deviation of each channel, on the [0, 1] scale."""
    channels = images.shape[1]
    if not is_raw(images):
        means = tuple(images[:, c].mean().item() for c in range(channels))
        return means, tuple(images[:, c].std().item() for c in range(channels))
    total, squares = np.zeros(channels), np.zeros(channels)
    chunk_images = max(1, STATS_VALUES // int(np.prod(images.shape[1:])))
    for start in range(0, len(images), chunk_images):
        chunk = np.asarray(images[start : start + chunk_images], dtype=np.float64) / 255.0
        total += chunk.sum(axis=(0, 2, 3))
        squares += np.square(chunk).sum(axis=(0, 2, 3))
    count = images.shape[0] * images.shape[2] * images.shape[3]
    mean = total / count
    variance = (squares - count * np.square(mean)) / max(count - 1, 1)
    return tuple(mean.tolist()), tuple(np.sqrt(np.maximum(variance, 0.0)).tolist())


def standardise_splits(splits: Splits) -> Preprocessing:
    """The training split's per-channel statistics; float splits are standardised with them in place."""
    mean, std = channel_stats(splits.train.images)
    preprocessing = Preprocessing(
        input_size=splits.input_size,
        mean=tuple(round(value, 6) for value in mean),
        std=tuple(round(value, 6) for value in std),
        polarity=POLARITY if len(mean) == 1 else "",
    )
    for split in (splits.train, splits.val, splits.test):
        if not is_raw(split.images):
            split.images = preprocessing.standardise(split.images)
    return preprocessing


def on_device(images, device: torch.device):
    """Standardised float images moved to `device` once; uint8 ones stay in host memory or on disk."""
    return images if is_raw(images) else images.to(device)


def batch_input(images, index: torch.Tensor, preprocessing: Preprocessing, device: torch.device) -> torch.Tensor:
    """`images[index]` as standardised float32 on `device`."""
    if not is_raw(images):
        return images[index.to(images.device)].to(device)
    # A numpy index reads just these rows (from a memmap: from disk) into a fresh array or tensor.
    pixels = torch.as_tensor(images[index.cpu().numpy()])
    return preprocessing.standardise(pixels.to(device).float().div_(255.0))
