"""Fixtures shared by the test modules."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ROOT, git


def train(out: Path, *args: str) -> Path:
    """`python -m training ARGS --out OUT` for real; the test fails with training's own error if it does."""
    done = subprocess.run(
        [sys.executable, "-m", "training", *args, "--out", str(out)], cwd=ROOT, capture_output=True, text=True
    )
    if done.returncode != 0:
        pytest.fail(f"training {' '.join(args)} for a fixture failed:\n{done.stderr[-2000:]}")
    return out


@pytest.fixture(scope="session")
def trained_checkpoint(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An artifact dir from a real 10-epoch training run on the digits (about 0.98 accuracy), built once per session."""
    return train(tmp_path_factory.mktemp("trained"), "--epochs", "10")


@pytest.fixture(scope="session")
def digits_runs(tmp_path_factory: pytest.TempPathFactory) -> Callable[..., Path]:
    """Real digits runs by their training flags, each trained once per session: digits_runs("--epochs", "30")."""
    made: dict[tuple[str, ...], Path] = {}

    def run(*args: str) -> Path:
        if args not in made:
            made[args] = train(tmp_path_factory.mktemp("digits-run"), *args)
        return made[args]

    return run


@pytest.fixture(scope="session")
def folder_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """(image folder, artifact dir): digits 0-2 of the first 150 saved as 16x16 PNGs in class_0..class_2 sub-folders,
    trained for 2 epochs at 8x8, once per session."""
    from PIL import Image
    from sklearn.datasets import load_digits

    root = tmp_path_factory.mktemp("folder-run")
    digits = load_digits()
    for index in range(150):
        label = digits.target[index]
        if label <= 2:
            folder = root / "images" / f"class_{label}"
            folder.mkdir(parents=True, exist_ok=True)
            pixels = (digits.images[index] * 255 / 16).astype("uint8")
            Image.fromarray(pixels).resize((16, 16), Image.Resampling.NEAREST).save(folder / f"{index}.png")
    out = train(root / "out", "--dataset", f"folder:{root / 'images'}", "--image-size", "8", "--epochs", "2")
    return root / "images", out


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
