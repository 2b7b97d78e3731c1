"""training.data: the stratified, disjoint, deterministic split and in-memory digits."""

from __future__ import annotations

import numpy as np

from training.data import load_splits, stratified_split


def test_split_is_disjoint_complete_and_stratified() -> None:
    """Train, validation and test never share an index, cover all, and keep class proportions."""
    targets = np.repeat(np.arange(10), 100)

    train, val, test = stratified_split(targets, seed=0, val_fraction=0.1, test_fraction=0.2)

    assert len(set(train) | set(val) | set(test)) == len(train) + len(val) + len(test) == 1000
    assert np.bincount(targets[test]).tolist() == [20] * 10
    assert np.bincount(targets[val]).tolist() == [10] * 10


def test_split_is_deterministic_for_a_seed_and_changes_with_it() -> None:
    """The same seed gives the same split; another seed gives another."""
    targets = np.repeat(np.arange(5), 40)

    first = stratified_split(targets, seed=3, val_fraction=0.1, test_fraction=0.2)
    again = stratified_split(targets, seed=3, val_fraction=0.1, test_fraction=0.2)
    other = stratified_split(targets, seed=4, val_fraction=0.1, test_fraction=0.2)

    assert all(np.array_equal(a, b) for a, b in zip(first, again, strict=True))
    assert not np.array_equal(first[2], other[2])


def test_digits_load_as_unit_range_tensors() -> None:
    """The bundled digits come as (N, 1, 8, 8) floats in [0, 1] with labels "0".."9", split 70/10/20."""
    splits = load_splits("digits", seed=0, val_fraction=0.1, test_fraction=0.2)

    assert splits.sizes() == {"train": 1257, "val": 180, "test": 360}
    assert tuple(splits.train.images.shape[1:]) == (1, 8, 8)
    assert splits.train.images.min().item() == 0.0
    assert splits.train.images.max().item() == 1.0
    assert splits.labels == [str(d) for d in range(10)]
