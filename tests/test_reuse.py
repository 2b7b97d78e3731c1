"""training.reuse: a run whose training inputs did not change takes the baseline's artifacts; any change trains."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from commands.train import EXIT_RETRAIN as TASKS_EXIT_RETRAIN
from commands.train import reuse_command, train_command
from training.reuse import EXIT_RETRAIN, reused_metrics

FLAGS = ("--epochs", "1", "--device", "cpu", "--model", "examples.my_model:build")


def run_in(checkout: Path, module: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", module, *args], cwd=checkout, capture_output=True, text=True, timeout=240
    )


@pytest.fixture(scope="module")
def checkout(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A copy of the project with a baseline run in baseline/ trained from it (a user model from examples/)."""
    import shutil

    root = tmp_path_factory.mktemp("reuse") / "checkout"
    for name in ("core", "training", "examples", "requirements.lock"):
        source = ROOT / name
        ignore = shutil.ignore_patterns("__pycache__", "*.pyc")
        shutil.copytree(source, root / name, ignore=ignore) if source.is_dir() else shutil.copy(source, root / name)
    done = run_in(root, "training", *FLAGS, "--out", "baseline")
    assert done.returncode == 0, done.stderr[-2000:]
    return root


def test_nothing_changed_takes_the_baseline_run(checkout: Path, tmp_path: Path) -> None:
    """Same files and settings: exit 0, the baseline's model.pt byte for byte, and reused_from in metrics.json."""
    out = tmp_path / "run"

    done = run_in(checkout, "training.reuse", "--from", "baseline", *FLAGS, "--out", str(out))

    assert done.returncode == 0, done.stderr
    assert "not retrained" in done.stderr
    assert (out / "model.pt").read_bytes() == (checkout / "baseline" / "model.pt").read_bytes()
    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["run"]["reused_from"]["commit"] == metrics["run"]["commit"]


@pytest.mark.parametrize(
    ("edit", "expected"),
    [
        (
            lambda root: (root / "training/loop.py").write_text((root / "training/loop.py").read_text() + "\n# x\n"),
            "`training/loop.py` changed",
        ),
        (
            lambda root: (root / "examples/my_model.py").write_text(
                (root / "examples/my_model.py").read_text() + "#\n"
            ),
            "`examples/my_model.py` changed",
        ),
        (lambda root: (root / "training/plots.py").unlink(), "`training/plots.py` deleted"),
    ],
    ids=["training-code", "user-model-file", "deleted-file"],
)
def test_one_changed_file_retrains_and_says_which(checkout: Path, tmp_path: Path, edit, expected: str) -> None:
    """An edited (uncommitted) or deleted file that training read: EXIT_RETRAIN, naming it, nothing written."""
    import shutil

    copy = tmp_path / "checkout"
    shutil.copytree(checkout, copy)
    edit(copy)

    done = run_in(copy, "training.reuse", "--from", "baseline", *FLAGS, "--out", str(tmp_path / "run"))

    assert done.returncode == EXIT_RETRAIN
    assert expected in done.stderr
    assert not (tmp_path / "run" / "metrics.json").exists()


def test_one_config_value_retrains(checkout: Path, tmp_path: Path) -> None:
    """Another seed is another training: EXIT_RETRAIN naming the value."""
    done = run_in(checkout, "training.reuse", "--from", "baseline", *FLAGS, "--seed", "3", "--out", str(tmp_path))

    assert done.returncode == EXIT_RETRAIN
    assert "`seed` 0 → 3" in done.stderr


def test_a_baseline_without_a_model_retrains(tmp_path: Path) -> None:
    """A baseline folder with metrics.json only (an older artifact) cannot stand for a run."""
    (tmp_path / "metrics.json").write_text("{}")

    done = run_in(ROOT, "training.reuse", "--from", str(tmp_path), "--out", str(tmp_path / "run"))

    assert done.returncode == EXIT_RETRAIN
    assert "no complete baseline run" in done.stderr


def test_reused_metrics_say_whose_run_they_are() -> None:
    """reused_from carries the baseline's commit and run; baseline_source does not stay in this run's metrics."""
    baseline = {
        "accuracy": 1.0,
        "run": {"commit": "abc"},
        "baseline_source": {
            "kind": "github",
            "ref": "main",
            "commit": "abc",
            "run_id": 9,
            "run_number": 57,
            "run_url": "https://github.com/o/r/actions/runs/9",
        },
    }

    metrics = reused_metrics(baseline)

    assert "baseline_source" not in metrics
    assert metrics["run"]["reused_from"] == {
        "commit": "abc",
        "ref": "main",
        "kind": "github",
        "run_id": 9,
        "run_number": 57,
        "run_url": "https://github.com/o/r/actions/runs/9",
    }


def test_the_task_builds_the_check_from_the_training_command() -> None:
    """The reuse check runs the same training flags through training.reuse; tasks and training agree on its exit."""
    train = train_command(dataset="digits", seed=0, out="artifacts", epochs=3, python="py")

    assert reuse_command(train, source="baseline", world_size=2) == (
        "py -m training.reuse --from baseline --world-size 2 --dataset digits --seed 0 --out artifacts --epochs 3"
    )
    assert TASKS_EXIT_RETRAIN == EXIT_RETRAIN


def test_auto_device_without_a_gpu_node_is_cpu_without_importing_torch() -> None:
    """On Linux with no /dev/nvidia* or /dev/kfd, `auto` is the CPU, and the reuse check never imports torch."""
    code = (
        "import sys; from unittest import mock; import training.reuse as r\n"
        "with mock.patch.object(r.glob, 'glob', return_value=[]), mock.patch.object(r.sys, 'platform', 'linux'):\n"
        "    print(r.resolved_device('auto'), 'torch' in sys.modules)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)

    assert done.stdout.split() == ["cpu", "False"]


def test_auto_device_with_a_gpu_node_asks_torch(monkeypatch) -> None:
    """Where a GPU device node exists, torch.cuda decides: it says there is a GPU, so `auto` is CUDA."""
    import torch

    from training import reuse

    monkeypatch.setattr(reuse.glob, "glob", lambda pattern: ["/dev/nvidia0"])
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)

    assert reuse.resolved_device("auto") == "cuda"
    assert reuse.resolved_device("cpu") == "cpu"
