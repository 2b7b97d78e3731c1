"""Datasets as arrays, split stratified into train / validation / test.

The bundled and downloaded datasets are brought to float pixels in [0, 1], shape (N, 1, H, W),
bright ink on a dark background, held in memory so batching costs nothing. Folder datasets are
decoded once into a uint8 cache on disk (training.folder_cache) and each split is a uint8 memmap
(N, C, H, W): memory stays bounded whatever the folder's size. Loading needs no torch (torchvision
only for mnist), so it can run in the sidecar process; training turns the arrays into tensors
without a copy.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from core.messages import first_line
from training.config import DataError, validate_dataset_name
from training.fingerprint import arrays_fingerprint, samples_fingerprint


@dataclass
class Split:
    images: np.ndarray  # float32 (N, 1, H, W) in [0, 1], or a uint8 memmap (N, C, H, W); a tensor after as_tensors()
    targets: np.ndarray  # int64 (N,)
    # One per sample, the same in every run: "digits/<index>", a folder image's path relative to the root (posix),
    # "train/<i>" or "test/<i>" in an mnist-style dataset's official sets.
    ids: list[str] = field(default_factory=list)

    def __len__(self) -> int:
        return len(self.targets)

    def as_tensors(self) -> Split:
        import torch

        return Split(images=torch.from_numpy(self.images), targets=torch.from_numpy(self.targets), ids=self.ids)


@dataclass
class Splits:
    train: Split
    val: Split
    test: Split
    labels: list[str]  # class names, index = target
    dataset_fingerprint: str = ""  # sha256 of the whole dataset's content (training.fingerprint)

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.train.images.shape[-2:])

    @property
    def channels(self) -> int:
        return self.train.images.shape[1]

    def sizes(self) -> dict[str, int]:
        return {"train": len(self.train), "val": len(self.val), "test": len(self.test)}

    def test_fingerprint(self) -> str:
        """sha256 over the test samples' ids and label names: equal for two runs tested on the same samples."""
        names = [self.labels[int(target)] for target in self.test.targets]
        return samples_fingerprint(self.test.ids, names)

    def as_tensors(self) -> Splits:
        return Splits(
            self.train.as_tensors(),
            self.val.as_tensors(),
            self.test.as_tensors(),
            self.labels,
            self.dataset_fingerprint,
        )


def load_splits(
    dataset: str,
    *,
    seed: int,
    val_fraction: float,
    test_fraction: float,
    data_dir: str = "data",
    image_size: int = 28,
) -> Splits:
    """Load `dataset` and split it; `seed` is the split seed: the same one always gives the same split."""
    validate_dataset_name(dataset)
    kind, _, path = dataset.partition(":")
    if kind == "digits":
        pixels, targets, labels = _load_digits()
        ids = np.array([f"digits/{index}" for index in range(len(targets))])
    elif kind == "folder":
        return _folder_splits(
            Path(path), Path(data_dir), image_size, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction
        )
    else:
        return _load_torchvision(kind, Path(data_dir), seed=seed, val_fraction=val_fraction)
    train_idx, val_idx, test_idx = stratified_split(
        targets, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction
    )
    return Splits(
        train=_to_split(pixels[train_idx], targets[train_idx], ids[train_idx]),
        val=_to_split(pixels[val_idx], targets[val_idx], ids[val_idx]),
        test=_to_split(pixels[test_idx], targets[test_idx], ids[test_idx]),
        labels=labels,
        dataset_fingerprint=arrays_fingerprint(pixels, targets),
    )


def stratified_split(
    targets: np.ndarray, *, seed: int, val_fraction: float, test_fraction: float
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Disjoint index arrays (train, val, test) with every class in the same proportion in each."""
    from sklearn.model_selection import train_test_split

    indices = np.arange(len(targets))
    try:
        if test_fraction > 0:
            rest, test = train_test_split(indices, test_size=test_fraction, stratify=targets, random_state=seed)
        else:
            rest, test = indices, indices[:0]
        train, val = train_test_split(
            rest, test_size=val_fraction / (1 - test_fraction), stratify=targets[rest], random_state=seed
        )
    except ValueError as exc:
        raise DataError(f"cannot split the dataset into train/validation/test: {exc}") from None
    return np.sort(train), np.sort(val), np.sort(test)


def _to_split(pixels: np.ndarray, targets: np.ndarray, ids: np.ndarray) -> Split:
    images = np.ascontiguousarray(pixels, dtype=np.float32)[:, np.newaxis]
    return Split(images=images, targets=np.ascontiguousarray(targets, dtype=np.int64), ids=ids.tolist())


def _load_digits() -> tuple[np.ndarray, np.ndarray, list[str]]:
    from sklearn.datasets import load_digits

    digits = load_digits()
    # The 8x8 images count ink pixels per 4x4 block of a 32x32 bitmap: 0..16.
    pixels = digits.images.astype(np.float32) / 16.0
    return pixels, digits.target.astype(np.int64), [str(name) for name in digits.target_names]


def folder_cache_root(data_dir: str | Path) -> Path:
    """Where decoded folder datasets are cached."""
    return Path(data_dir) / ".cache" / "folders"


def _folder_splits(
    root: Path, data_dir: Path, image_size: int, *, seed: int, val_fraction: float, test_fraction: float
) -> Splits:
    from training.folder_cache import load_folder, split_images

    folder = load_folder(root, image_size, folder_cache_root(data_dir))
    parts = dict(
        zip(
            ("train", "val", "test"),
            stratified_split(folder.targets, seed=seed, val_fraction=val_fraction, test_fraction=test_fraction),
            strict=True,
        )
    )
    images = split_images(folder, parts)
    splits = {
        name: Split(images=images[name], targets=folder.targets[rows], ids=[folder.ids[i] for i in rows])
        for name, rows in parts.items()
    }
    return Splits(**splits, labels=folder.labels, dataset_fingerprint=folder.fingerprint)


def _load_torchvision(kind: str, data_dir: Path, *, seed: int, val_fraction: float) -> Splits:
    """Downloaded datasets keep their official test set; validation comes out of the training set."""
    from torchvision import datasets

    dataset_class = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST, "cifar10": datasets.CIFAR10}[kind]
    try:
        train = dataset_class(str(data_dir), train=True, download=True)
        test = dataset_class(str(data_dir), train=False, download=True)
    except (RuntimeError, OSError) as exc:
        raise DataError(
            f"--dataset {kind}: not found in {data_dir} and could not be downloaded ({first_line(exc)}); "
            f"download it on a machine with internet access into {data_dir}"
        ) from None
    train_pixels, train_targets = torchvision_arrays(train.data, train.targets)
    test_pixels, test_targets = torchvision_arrays(test.data, test.targets)
    train_ids = [f"train/{index}" for index in range(len(train_targets))]
    train_idx, val_idx, _ = stratified_split(train_targets, seed=seed, val_fraction=val_fraction, test_fraction=0.0)
    return Splits(
        train=Split(
            images=train_pixels[train_idx], targets=train_targets[train_idx], ids=[train_ids[i] for i in train_idx]
        ),
        val=Split(images=train_pixels[val_idx], targets=train_targets[val_idx], ids=[train_ids[i] for i in val_idx]),
        test=Split(
            images=test_pixels, targets=test_targets, ids=[f"test/{index}" for index in range(len(test_targets))]
        ),
        labels=[str(name) for name in train.classes],
        dataset_fingerprint=arrays_fingerprint(train_pixels, train_targets, test_pixels, test_targets),
    )


def torchvision_arrays(data, targets) -> tuple[np.ndarray, np.ndarray]:
    """A torchvision dataset's `data` and `targets` as (images (N, C, H, W), int64 targets).

    Grayscale MNIST-style data ((N, H, W) uint8 tensors) becomes float32 in [0, 1], small enough to
    hold that way; RGB photos (CIFAR-10: (N, H, W, 3) uint8 arrays) stay uint8, a quarter of the
    memory, and are converted per batch in training.
    """
    pixels = np.asarray(data)
    labels = np.asarray(targets, dtype=np.int64)
    if pixels.ndim == 3:
        return pixels.astype(np.float32)[:, np.newaxis] / np.float32(255.0), labels
    return np.ascontiguousarray(pixels.transpose(0, 3, 1, 2), dtype=np.uint8), labels
