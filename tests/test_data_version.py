"""training.data_version: which data a run trained on, from DVC's .dvc file, the folder's content, or the library."""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

import pytest
from dvc_repo import stripes_folder

from training.config import DataError
from training.data_version import data_version
from training.fingerprint import folder_fingerprint

# What `dvc add data/stripes` writes (DVC 3), with the hash it recorded.
DVC_FILE = """outs:
- md5: 5b8a1c2e9d0f47a6b3c1d2e3f4a5b6c7.dir
  size: 1234
  nfiles: 6
  hash: md5
  path: stripes
"""


def dvc_repo_with_stripes(root: Path) -> Path:
    (root / ".dvc").mkdir(parents=True)
    stripes_folder(root / "data" / "stripes", per_class=2)
    (root / "data" / "stripes.dvc").write_text(DVC_FILE)
    return root


@pytest.mark.parametrize(
    ("dataset", "expected"),
    [
        ("digits", {"source": "scikit-learn", "name": "digits", "version": version("scikit-learn")}),
        ("mnist", {"source": "torchvision", "name": "mnist", "version": version("torchvision")}),
    ],
    ids=["digits", "mnist"],
)
def test_builtin_datasets_are_named_by_their_library(dataset: str, expected: dict) -> None:
    """A built-in dataset's version is the library that ships it (nothing is downloaded to tell)."""
    assert data_version(dataset) == expected


def test_a_dvc_tracked_folder_is_named_by_the_hash_in_its_dvc_file(tmp_path: Path) -> None:
    """data/stripes tracked by data/stripes.dvc: its md5, with paths relative to the DVC repository."""
    repo = dvc_repo_with_stripes(tmp_path)

    found = data_version(f"folder:{repo / 'data' / 'stripes'}")

    assert found == {
        "source": "dvc",
        "md5": "5b8a1c2e9d0f47a6b3c1d2e3f4a5b6c7.dir",
        "path": "data/stripes",
        "dvc_file": "data/stripes.dvc",
    }


def test_a_folder_inside_a_tracked_folder_has_the_tracked_folders_version(tmp_path: Path) -> None:
    """Training on a folder inside data/stripes: its version is the tracked folder's."""
    repo = dvc_repo_with_stripes(tmp_path)
    (repo / "data" / "stripes" / "horizontal" / "more").mkdir()

    found = data_version(f"folder:{repo / 'data' / 'stripes' / 'horizontal' / 'more'}")

    assert (found["source"], found["path"]) == ("dvc", "data/stripes")


@pytest.mark.parametrize("with_dvc_folder", [False, True], ids=["no-dvc-repository", "dvc-repository-untracked"])
def test_an_untracked_folder_is_named_by_its_content_fingerprint(tmp_path: Path, with_dvc_folder: bool) -> None:
    """A folder DVC does not track (in a DVC repository or not) gets training.fingerprint's sha256."""
    if with_dvc_folder:
        (tmp_path / ".dvc").mkdir()
    folder = stripes_folder(tmp_path / "data" / "stripes", per_class=2)

    found = data_version(f"folder:{folder}")

    assert found == {"source": "fingerprint", "sha256": folder_fingerprint(folder), "path": str(folder)}


def test_a_known_fingerprint_is_not_computed_again(tmp_path: Path) -> None:
    """A caller that hashed the folder already (the data loader) passes its fingerprint in."""
    folder = stripes_folder(tmp_path / "stripes", per_class=1)

    assert data_version(f"folder:{folder}", fingerprint="f" * 64)["sha256"] == "f" * 64


def test_a_dvc_file_that_is_not_yaml_is_a_data_error_naming_it(tmp_path: Path) -> None:
    """A broken .dvc file beside the folder stops the run with a message that names the file."""
    repo = dvc_repo_with_stripes(tmp_path)
    (repo / "data" / "stripes.dvc").write_text("outs: [unclosed\n")

    with pytest.raises(DataError, match=r"stripes\.dvc: not a DVC file"):
        data_version(f"folder:{repo / 'data' / 'stripes'}")
