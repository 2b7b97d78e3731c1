"""training.data: the stratified, disjoint, deterministic split and in-memory digits."""

from __future__ import annotations

import numpy as np

from training.data import load_splits, stratified_split, torchvision_arrays


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


def test_cifar_style_photos_stay_uint8_channels_first() -> None:
    """CIFAR-10's (N, H, W, 3) uint8 data becomes contiguous uint8 (N, 3, H, W), each pixel's colour kept."""
    data = np.random.default_rng(0).integers(0, 256, (5, 32, 32, 3), dtype=np.uint8)

    images, targets = torchvision_arrays(data, [3, 1, 4, 1, 5])

    assert images.shape == (5, 3, 32, 32) and images.dtype == np.uint8 and images.flags.c_contiguous
    assert np.array_equal(images[2, :, 7, 9], data[2, 7, 9])
    assert targets.dtype == np.int64 and targets.tolist() == [3, 1, 4, 1, 5]


def test_mnist_style_grayscale_becomes_unit_range_floats_with_a_channel_axis() -> None:
    """MNIST-style (N, H, W) uint8 data becomes float32 (N, 1, H, W) in [0, 1], as before RGB support."""
    data = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)

    images, _ = torchvision_arrays(data, np.array([7]))

    assert images.shape == (1, 1, 2, 2) and images.dtype == np.float32
    np.testing.assert_allclose(images[0, 0], [[0.0, 1.0], [0.2, 0.4]], rtol=1e-6)
