"""The template's .gitignore: `dvc add data/NAME` works and its data reaches the remote; downloads stay out of git."""

from __future__ import annotations

import subprocess
from pathlib import Path

import pytest
from dvc_repo import needs_dvc, run, stripes_folder, template_repo
from torchvision import datasets


def test_downloaded_datasets_are_ignored(tmp_path: Path) -> None:
    """What torchvision downloads into data/ (MNIST, FashionMNIST, CIFAR-10) and the decoded cache are git-ignored."""
    repo = template_repo(tmp_path)
    downloads = [
        f"data/{datasets.MNIST.__name__}/raw/train-images-idx3-ubyte",
        f"data/{datasets.FashionMNIST.__name__}/raw/train-images-idx3-ubyte",
        f"data/{datasets.CIFAR10.base_folder}/data_batch_1",
        f"data/{datasets.CIFAR10.filename}",
        "data/.cache/folders/0123/images.u8",
    ]

    done = subprocess.run(["git", "check-ignore", "--no-index", *downloads], cwd=repo, capture_output=True, text=True)

    assert done.stdout.split() == downloads


def test_a_dataset_folder_is_not_ignored_before_dvc_add(tmp_path: Path) -> None:
    """A new folder under data/ shows up in `git status`: the choice to `dvc add` (or commit) it is the user's."""
    repo = template_repo(tmp_path)
    stripes_folder(repo / "data" / "stripes", per_class=1)

    status = run(repo, "git", "status", "--porcelain", "--untracked-files=all").stdout

    assert "data/stripes/horizontal/000.png" in status


@pytest.mark.slow
@needs_dvc
def test_dvc_add_in_data_tracks_the_folder_and_pushes_it(tmp_path: Path) -> None:
    """`dvc add data/stripes` succeeds, git keeps the .dvc file but not the images, and `dvc push` uploads them all."""
    repo = template_repo(tmp_path / "repo")
    stripes_folder(repo / "data" / "stripes", per_class=3)
    run(repo, "dvc", "init", "--quiet")
    run(repo, "dvc", "remote", "add", "--default", "storage", str(tmp_path / "remote"))

    run(repo, "dvc", "add", "data/stripes")
    run(repo, "git", "add", "--all")
    status = run(repo, "git", "status", "--porcelain").stdout
    pushed = run(repo, "dvc", "push").stdout

    assert "data/stripes.dvc" in status
    assert "data/stripes/" not in status
    assert "7 files pushed" in pushed  # six images and the folder's listing
