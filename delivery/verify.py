"""Does serving predict what training reported? The run's test split as the files inference reads, and the
comparison of inference's answers with the run's predictions.csv (no torch: training.data loads arrays only).

The test samples are reproduced from metrics.json's run facts with training's own data code, so they are the
very samples training predicted. Each exported input maps back to exactly one sample id: a .npy row index, or a
folder image's path relative to the export (which is the id training gave it).
"""

from __future__ import annotations

import csv
import json
import shutil
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

import numpy as np

CONFIDENCE_TOLERANCE = 1e-4
ARRAY_NAME = "test.npy"


class VerifyError(Exception):
    """An artifact dir, dataset or inference output that cannot be verified; the message names the file."""


@dataclass(frozen=True)
class Export:
    """The test samples as inference's input: `name` inside the export folder, and how rows map to ids."""

    name: str  # a .npy file, or "." for the folder itself (images in sub-folders: predict with --recursive)
    ids: list[str]  # for a .npy: the sample id of each row, in order

    @property
    def is_array(self) -> bool:
        return self.name.endswith(".npy")


@dataclass(frozen=True)
class Outcome:
    total: int
    differing: list[str]  # one "sample ID: trained X, served Y" per differing sample, in predictions.csv order

    def message(self) -> str:
        if not self.differing:
            return f"serving matches training on {self.total} of {self.total} test samples"
        return (
            f"serving differs from training on {len(self.differing)} of {self.total} test samples "
            f"(first: {self.differing[0]})"
        )


def run_data_options(artifacts: Path) -> dict:
    """load_splits' keyword arguments for the run in `artifacts`, from its metrics.json run facts."""
    path = artifacts / "metrics.json"
    try:
        config = json.loads(path.read_text())["run"]["config"]
        return {
            "dataset": config["dataset"],
            "seed": config["split_seed"],
            "val_fraction": config["val_fraction"],
            "test_fraction": config["test_fraction"],
            "data_dir": config["data_dir"],
            "image_size": config["image_size"],
        }
    except OSError as exc:
        raise VerifyError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, KeyError, TypeError) as exc:
        raise VerifyError(f"{path}: no run facts to reproduce the test split from ({exc!r})") from None


def export_test_samples(options: dict, folder: Path) -> Export:
    """Write the run's test samples into `folder` as inference reads them in production."""
    from training.config import DataError
    from training.data import load_splits

    try:
        splits = load_splits(**options)
    except DataError as exc:
        raise VerifyError(f"metrics.json dataset {options['dataset']}: {exc}") from None
    test = splits.test
    kind, _, root = options["dataset"].partition(":")
    if kind == "folder":
        # The dataset's own files, byte for byte, at their id (their path relative to the dataset's root).
        for sample_id in test.ids:
            target = folder / sample_id
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(Path(root) / sample_id, target)
        return Export(name=".", ids=list(test.ids))
    # Training's own arrays: float32 in [0, 1] (digits, mnist) or uint8 (cifar10), both of which inference
    # scales exactly as training did, so the pixels stay exact.
    np.save(folder / ARRAY_NAME, np.asarray(test.images))
    return Export(name=ARRAY_NAME, ids=list(test.ids))


def read_trained(path: Path) -> dict[str, tuple[str, float]]:
    """predictions.csv as {sample id: (predicted label, confidence)}, in file order."""
    return {row["id"]: (row["prediction"], float(row["confidence"])) for row in _rows(path, ("id", "prediction"))}


def read_served(path: Path, export: Export, input_prefix: str) -> dict[str, tuple[str, float]]:
    """Inference's output CSV as {sample id: (prediction, confidence)}; `input_prefix` is the export folder as
    inference saw it (a host path, or the mount point in the image)."""
    served = {}
    for row in _rows(path, ("input", "prediction")):
        served[_sample_id(row["input"], export, input_prefix)] = (row["prediction"], float(row["confidence"]))
    return served


def compare(trained: dict[str, tuple[str, float]], served: dict[str, tuple[str, float]]) -> Outcome:
    """Every trained sample must be served with the same label and a confidence within CONFIDENCE_TOLERANCE."""
    differing = []
    for sample_id, (label, confidence) in trained.items():
        if sample_id not in served:
            differing.append(f"sample {_short(sample_id)}: trained {label}, not served")
            continue
        served_label, served_confidence = served[sample_id]
        if served_label != label:
            differing.append(f"sample {_short(sample_id)}: trained {label}, served {served_label}")
        elif abs(served_confidence - confidence) > CONFIDENCE_TOLERANCE:
            differing.append(
                f"sample {_short(sample_id)}: trained {label} at {confidence:.6f}, served at {served_confidence:.6f}"
            )
    return Outcome(total=len(trained), differing=differing)


def _sample_id(served_input: str, export: Export, input_prefix: str) -> str:
    if export.is_array:
        return export.ids[int(served_input)]
    return PurePosixPath(Path(served_input).as_posix()).relative_to(PurePosixPath(input_prefix)).as_posix()


def _short(sample_id: str) -> str:
    # "digits/17" reads as "sample 17"; a folder image keeps its path.
    prefix, _, index = sample_id.rpartition("/")
    return index if prefix in ("digits", "test") and index.isdigit() else sample_id


def _rows(path: Path, needed: tuple[str, ...]) -> list[dict]:
    try:
        with path.open(newline="") as file:
            reader = csv.DictReader(file)
            missing = [name for name in (*needed, "confidence") if name not in (reader.fieldnames or [])]
            if missing:
                raise VerifyError(f"{path}: no {', '.join(missing)} column")
            rows = list(reader)
        for row in rows:
            float(row["confidence"])
    except OSError as exc:
        raise VerifyError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (ValueError, TypeError) as exc:
        raise VerifyError(f"{path}: not a predictions CSV ({exc})") from None
    return rows
