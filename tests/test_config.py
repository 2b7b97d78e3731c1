"""training.config: dataset-name checks and per-dataset epoch defaults."""

from __future__ import annotations

import pytest

from training.config import DataError, TrainConfig, validate_dataset_name


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("cifar", "unknown dataset"),
        ("digits:x", "unknown dataset"),
        ("folder:", "needs a path"),
        ("folder:/nope", "does not exist"),
    ],
    ids=["unknown", "digits-with-path", "folder-without-path", "missing-folder"],
)
def test_bad_dataset_names_are_refused_with_a_message(name: str, message: str) -> None:
    """Unknown names and missing folders raise DataError that says what is wrong."""
    with pytest.raises(DataError, match=message):
        validate_dataset_name(name)


def test_a_missing_folder_that_dvc_tracks_says_to_pull_it(tmp_path, monkeypatch) -> None:
    """data/shapes absent but data/shapes.dvc there (a fresh clone): the message says to run `invoke data`."""
    monkeypatch.chdir(tmp_path)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "shapes.dvc").write_text("outs: []\n")

    with pytest.raises(DataError, match=r"data/shapes\.dvc tracks it with DVC: run `invoke data` \(dvc pull\) first"):
        validate_dataset_name("folder:data/shapes/")


def test_epochs_default_per_dataset_unless_given() -> None:
    """epochs 0 means the dataset's default; an explicit value wins."""
    assert TrainConfig(dataset="digits").resolved_epochs() == 30
    assert TrainConfig(dataset="folder:x").resolved_epochs() == 20
    assert TrainConfig(dataset="mnist", epochs=2).resolved_epochs() == 2
    assert TrainConfig(dataset="cifar10").resolved_epochs() == 30


def test_cifar10_is_a_known_dataset() -> None:
    """cifar10 (torchvision, downloaded into data_dir) passes the name check; no download happens here."""
    validate_dataset_name("cifar10")
