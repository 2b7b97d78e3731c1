"""Fixtures shared by the test modules."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, git


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifact dir from a real 10-epoch training run on the digits (about 0.98 accuracy), built once per session."""
    out = tmp_path_factory.mktemp("trained")
    done = subprocess.run(
        [sys.executable, "-m", "training", "--epochs", "10", "--out", str(out)],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    if done.returncode != 0:
        pytest.fail(f"training for the trained_checkpoint fixture failed:\n{done.stderr[-2000:]}")
    return out


@pytest.fixture
def untrained_checkpoint(tmp_path: Path) -> Path:
    """A model.pt of an untrained ConvNet for 8x8 digits (labels "0".."9"): fast, for format and error tests."""
    import torch

    from core.checkpoint import Checkpoint, save_checkpoint
    from core.network import ConvNet, ModelConfig
    from core.preprocess import Preprocessing

    torch.manual_seed(0)
    config = ModelConfig()
    path = tmp_path / "untrained" / "model.pt"
    save_checkpoint(
        path,
        Checkpoint(
            model_config=config,
            model_state=ConvNet(config).state_dict(),
            labels=[str(digit) for digit in range(config.num_classes)],
            preprocessing=Preprocessing(input_size=config.input_size, mean=(0.3,), std=(0.37,)),
            train_config={},
            versions={"torch": torch.__version__},
        ),
    )
    return path


@pytest.fixture
def repo(tmp_path: Path) -> Path:
    """A git repository on branch main whose only commit has no training code yet."""
    repo = tmp_path / "repo"
    repo.mkdir()
    git(repo, "init", "--quiet", "--initial-branch", "main")
    (repo / "README.md").write_text("first commit: no training code\n")
    git(repo, "add", "README.md")
    git(repo, "commit", "--quiet", "-m", "README only")
    return repo
