"""Tests for reporting/baseline.py via `python -m reporting baseline`, on real temporary git repositories."""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path

import pytest

from reporting.cli import EXIT_BAD_INPUT, EXIT_OK, main

ROOT = Path(__file__).resolve().parents[1]
IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.com", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


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


def add_training_commit(repo: Path) -> str:
    """Commit this project's training code (core/ and training/) on top; return the new commit id."""
    for package in ("core", "training"):
        shutil.copytree(ROOT / package, repo / package, ignore=IGNORE)
    git(repo, "add", "core", "training")
    git(repo, "commit", "--quiet", "-m", "training code")
    return git(repo, "rev-parse", "HEAD")


def baseline(repo: Path, ref: str, out: Path, *extra: str) -> int:
    return main(["baseline", f"--ref={ref}", "--out", str(out), "--repo", str(repo), *extra])


def test_ref_without_training_code_writes_nothing(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """A base branch from before the training code is not an error: no file, exit 0, and a message saying so."""
    out = tmp_path / "baseline" / "metrics.json"

    code = baseline(repo, "main", out)

    assert code == EXIT_OK
    assert not out.exists()
    assert "main (" in (err := capsys.readouterr().err) and "has no training code yet: no baseline written" in err


def test_stale_baseline_is_removed_when_none_can_be_made(repo: Path, tmp_path: Path) -> None:
    """An older baseline file would be compared with by mistake, so it goes when the ref has no training code."""
    out = tmp_path / "metrics.json"
    out.write_text("{}")

    baseline(repo, "main", out)

    assert not out.exists()


@pytest.mark.parametrize("ref", ["origin/main", "--help"], ids=["not-fetched", "option-like"])
def test_unknown_ref_is_a_one_line_error(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture, ref: str) -> None:
    """A ref that does not exist (e.g. not fetched in CI) exits 1 naming it and how to fix it."""
    out = tmp_path / "metrics.json"

    code = baseline(repo, ref, out)

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert f"reporting: error: ref {ref!r} not found" in err and "fetch" in err and err.count("\n") == 1
    assert not out.exists()


def test_outside_a_repository_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Run outside any git repository, the command says so instead of failing in git."""
    outside = tmp_path / "plain"
    outside.mkdir()

    code = baseline(outside, "main", tmp_path / "metrics.json")

    assert code == EXIT_BAD_INPUT
    assert "is not inside a git repository" in capsys.readouterr().err


@pytest.mark.slow
def test_baseline_reproduces_the_refs_training_exactly(
    repo: Path, tmp_path: Path, trained_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training the ref in a worktree gives the very metrics of a direct run of the same code and flags,
    records the ref and commit it came from, and leaves no worktree behind."""
    commit = add_training_commit(repo)
    direct = json.loads((trained_checkpoint / "metrics.json").read_text())
    epochs, seed = direct["run"]["epochs"], direct["run"]["seed"]
    out = tmp_path / "baseline" / "metrics.json"
    monkeypatch.setenv("GITHUB_SHA", "0" * 40)  # in CI this names the PR's commit, never the baseline's

    code = baseline(repo, "main", out, "--epochs", str(epochs), "--seed", str(seed))

    made = json.loads(out.read_text())
    assert code == EXIT_OK
    assert made["baseline_source"] == {"ref": "main", "commit": commit}
    assert made["run"]["commit"] == commit
    for key in ("accuracy", "macro_f1", "per_class", "confusion_matrix", "best_epoch"):
        assert made[key] == direct[key], key
    assert [row["val_loss"] for row in made["history"]] == [row["val_loss"] for row in direct["history"]]
    assert git(repo, "worktree", "list").count("\n") == 0
