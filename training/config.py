"""The one training config: typed defaults, overridable from the command line, saved with every run."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

DATASETS = ("digits", "mnist", "fashion-mnist", "cifar10", "folder:PATH")
DEFAULT_EPOCHS = {"digits": 30, "mnist": 5, "fashion-mnist": 10, "cifar10": 30, "folder": 20}
DOWNLOADED = ("mnist", "fashion-mnist", "cifar10")  # torchvision fetches these into data_dir


@dataclass
class TrainConfig:
    dataset: str = "digits"  # digits | mnist | fashion-mnist | cifar10 | folder:PATH
    model: str = "cnn"  # a built-in (core.models.BUILTIN_MODELS) or module:function, your own factory
    epochs: int = 0  # 0: DEFAULT_EPOCHS for the dataset
    seed: int = 0  # same seed + same thread count -> bit-identical weights
    split_seed: int = 0  # which samples go to train/val/test; fixed, so runs are tested on the same samples
    batch_size: int = 64
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule
    weight_decay: float = 1e-4
    val_fraction: float = 0.1  # of the whole dataset (held out from training, picks the best epoch)
    test_fraction: float = 0.2  # of the whole dataset (held out entirely, only for the final metrics)
    shift: int = 1  # random translation augmentation, in pixels (0 turns it off)
    image_size: int = 28  # side images are resized to (only for folder:PATH datasets)
    data_dir: str = "data"  # where downloadable datasets are cached
    threads: int = 0  # torch intra-op threads; 0: auto (see training.run.pick_threads)
    out: str = "artifacts"  # artifact directory

    @property
    def dataset_kind(self) -> str:
        return self.dataset.split(":", 1)[0]

    def resolved_epochs(self) -> int:
        return self.epochs or DEFAULT_EPOCHS[self.dataset_kind]

    def data_options(self) -> dict:
        """The keyword arguments of training.data.load_splits."""
        return {
            "dataset": self.dataset,
            "seed": self.split_seed,
            "val_fraction": self.val_fraction,
            "test_fraction": self.test_fraction,
            "data_dir": self.data_dir,
            "image_size": self.image_size,
        }


class DataError(Exception):
    """A dataset that cannot be found, fetched or read; the message names it."""


class UsageError(Exception):
    """Flags that cannot work together or on this machine; the message names the flag."""


def validate_dataset_name(dataset: str) -> None:
    """Raise DataError for a name that is none of DATASETS, or a folder that does not exist."""
    kind, _, path = dataset.partition(":")
    if kind == "folder":
        if not path:
            raise DataError("--dataset folder:PATH needs a path, e.g. folder:data/my-images")
        if not Path(path).is_dir():
            raise DataError(f"--dataset {dataset}: folder {path} does not exist{dvc_pull_hint(path)}")
    elif kind not in ("digits", *DOWNLOADED) or path:
        raise DataError(f"--dataset {dataset}: unknown dataset (choose from {', '.join(DATASETS)})")


def dvc_pull_hint(path: str) -> str:
    """For a missing folder that DVC tracks (PATH.dvc beside it): the hint to pull it first."""
    dvc_file = Path(f"{path.rstrip('/')}.dvc")
    return f"; {dvc_file} tracks it with DVC: run `invoke data` (dvc pull) first" if dvc_file.is_file() else ""
