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


def test_digits_samples_carry_their_dataset_index_as_id() -> None:
    """Every sample's id is "digits/<index in the dataset>"; the three splits share none."""
    from sklearn.datasets import load_digits

    splits = load_splits("digits", seed=0, val_fraction=0.1, test_fraction=0.2)

    ids = splits.train.ids + splits.val.ids + splits.test.ids
    assert len(set(ids)) == len(ids) == 1797
    index = int(splits.test.ids[5].removeprefix("digits/"))
    assert np.array_equal(splits.test.images[5, 0], load_digits().images[index] / 16.0)


def test_test_fingerprint_follows_the_split_seed_and_dataset_fingerprint_does_not() -> None:
    """The same split seed gives the same test fingerprint; another seed another; the dataset's stays the same."""
    first = load_splits("digits", seed=0, val_fraction=0.1, test_fraction=0.2)
    again = load_splits("digits", seed=0, val_fraction=0.1, test_fraction=0.2)
    other = load_splits("digits", seed=1, val_fraction=0.1, test_fraction=0.2)

    assert first.test_fingerprint() == again.test_fingerprint() != other.test_fingerprint()
    assert first.dataset_fingerprint == other.dataset_fingerprint
    assert len(first.dataset_fingerprint) == len(first.test_fingerprint()) == 64
