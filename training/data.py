"""Datasets as in-memory arrays, split stratified into train / validation / test.

Every dataset is brought to float pixels in [0, 1], shape (N, 1, H, W), bright ink on a
dark background. Loading needs no torch (torchvision only for mnist and folders), so it can
run in the sidecar process; training turns the arrays into tensors without a copy, and
small datasets stay in memory so batching costs nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from core.messages import first_line
from core.preprocess import IMAGE_SUFFIXES
from training.config import DataError, validate_dataset_name
from training.fingerprint import arrays_fingerprint, folder_fingerprint, samples_fingerprint


@dataclass
class Split:
    images: np.ndarray  # float32 (N, 1, H, W) in [0, 1]; a torch.Tensor after as_tensors()
    targets: np.ndarray  # int64 (N,)
    ids: list[str]  # one per sample, stable across runs: "digits/<i>", a folder image's relative path, "test/<i>"

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
    dataset_fingerprint: str  # sha256 of the whole dataset's content (training.fingerprint)

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.train.images.shape[-2:])

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
        fingerprint = arrays_fingerprint(pixels, targets)
    elif kind == "folder":
        pixels, targets, labels, ids = _load_folder(Path(path), image_size)
        fingerprint = folder_fingerprint(path)
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
        dataset_fingerprint=fingerprint,
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


def _load_folder(root: Path, image_size: int) -> tuple[np.ndarray, np.ndarray, list[str], np.ndarray]:
    from PIL import Image, UnidentifiedImageError
    from torchvision.datasets import ImageFolder

    from core.preprocess import image_to_unit_array

    def load(path: str) -> np.ndarray:
        try:
            with Image.open(path) as image:
                return image_to_unit_array(image, (image_size, image_size))
        except (OSError, UnidentifiedImageError) as exc:
            raise DataError(f"{path}: cannot read image ({exc})") from None

    try:
        folder = ImageFolder(str(root), loader=load, is_valid_file=lambda p: p.lower().endswith(IMAGE_SUFFIXES))
    except (FileNotFoundError, OSError) as exc:
        raise DataError(f"--dataset folder:{root}: {exc}") from None
    if len(folder.classes) < 2:
        raise DataError(f"--dataset folder:{root}: needs one sub-folder per class, at least two classes")
    pixels = np.stack([folder[i][0] for i in range(len(folder))])
    ids = np.array([Path(path).relative_to(root).as_posix() for path, _ in folder.samples])
    return pixels, np.asarray(folder.targets, dtype=np.int64), list(folder.classes), ids


def _load_torchvision(kind: str, data_dir: Path, *, seed: int, val_fraction: float) -> Splits:
    """MNIST-style datasets keep their official test set; validation comes out of the training set."""
    from torchvision import datasets

    dataset_class = {"mnist": datasets.MNIST, "fashion-mnist": datasets.FashionMNIST}[kind]
    try:
        train = dataset_class(str(data_dir), train=True, download=True)
        test = dataset_class(str(data_dir), train=False, download=True)
    except (RuntimeError, OSError) as exc:
        raise DataError(
            f"--dataset {kind}: not found in {data_dir} and could not be downloaded ({first_line(exc)}); "
            f"download it on a machine with internet access into {data_dir}"
        ) from None
    train_pixels = train.data.numpy().astype(np.float32) / 255.0
    train_targets = train.targets.numpy().astype(np.int64)
    train_ids = np.array([f"train/{index}" for index in range(len(train_targets))])
    train_idx, val_idx, _ = stratified_split(train_targets, seed=seed, val_fraction=val_fraction, test_fraction=0.0)
    test_ids = np.array([f"test/{index}" for index in range(len(test.targets))])
    return Splits(
        train=_to_split(train_pixels[train_idx], train_targets[train_idx], train_ids[train_idx]),
        val=_to_split(train_pixels[val_idx], train_targets[val_idx], train_ids[val_idx]),
        test=_to_split(test.data.numpy().astype(np.float32) / 255.0, test.targets.numpy(), test_ids),
        labels=[str(name) for name in train.classes],
        dataset_fingerprint=arrays_fingerprint(
            train.data.numpy(), train.targets.numpy(), test.data.numpy(), test.targets.numpy()
        ),
    )
