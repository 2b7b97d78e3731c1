"""training.batches: per-channel statistics and model input from float or uint8 (memmap) images."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from core.preprocess import Preprocessing
from training.batches import batch_input, channel_stats, standardise_splits
from training.data import Split, Splits


def _rgb(count: int, seed: int = 0) -> np.ndarray:
    return np.random.default_rng(seed).integers(0, 256, (count, 3, 6, 5), dtype=np.uint8)


def test_uint8_statistics_match_the_float_ones_per_channel() -> None:
    """Chunked uint8 statistics equal torch's mean/std of the same pixels scaled to [0, 1], channel by channel."""
    raw = _rgb(50)
    floats = torch.from_numpy(raw).double() / 255.0

    mean, std = channel_stats(raw)

    expected_mean = [floats[:, c].mean().item() for c in range(3)]
    expected_std = [floats[:, c].std().item() for c in range(3)]
    assert np.allclose(mean, expected_mean, atol=1e-9) and np.allclose(std, expected_std, atol=1e-9)
    assert len(set(mean)) == 3  # each channel measured on its own


def test_float_splits_are_standardised_up_front_and_uint8_ones_left_alone() -> None:
    """Float images become standardised in place; uint8 images stay raw, the statistics say how to convert."""
    gray = Splits(*(Split(torch.rand(20, 1, 6, 5), torch.zeros(20)) for _ in range(3)), labels=["a"])
    raw = _rgb(20)
    rgb = Splits(*(Split(raw, torch.zeros(20)) for _ in range(3)), labels=["a"])

    gray_prep = standardise_splits(gray)
    rgb_prep = standardise_splits(rgb)

    assert abs(gray.train.images.mean().item()) < 1e-5 and gray_prep.channels == 1 and gray_prep.polarity
    assert rgb.train.images is raw and rgb_prep.channels == 3 and rgb_prep.polarity == ""


@pytest.mark.parametrize("holder", ["memmap", "uint8-tensor"])
def test_a_uint8_batch_reads_only_its_rows_and_standardises_them(tmp_path: Path, holder: str) -> None:
    """batch_input on a read-only uint8 memmap (or a uint8 tensor) gives the standardised float rows, in index order."""
    raw = _rgb(30)
    path = tmp_path / "images.npy"
    np.save(path, raw)
    images = np.load(path, mmap_mode="r") if holder == "memmap" else torch.from_numpy(raw)
    preprocessing = Preprocessing((6, 5), mean=(0.5, 0.4, 0.3), std=(0.2, 0.2, 0.2))
    index = torch.tensor([7, 2, 29])

    batch = batch_input(images, index, preprocessing, torch.device("cpu"))

    expected = preprocessing.standardise(torch.from_numpy(raw[[7, 2, 29]]).float() / 255.0)
    assert batch.dtype == torch.float32 and torch.allclose(batch, expected)


@pytest.mark.parametrize("images", [torch.rand(5, 3, 4, 4), torch.rand(5, 1, 4, 4)], ids=["rgb", "gray"])
def test_float_batches_are_plain_indexing(images: torch.Tensor) -> None:
    """Float images are already standardised: a batch is just the indexed rows."""
    preprocessing = Preprocessing((4, 4), mean=(9.0,) * images.shape[1], std=(9.0,) * images.shape[1])

    batch = batch_input(images, torch.tensor([3, 1]), preprocessing, torch.device("cpu"))

    assert torch.equal(batch, images[[3, 1]])
