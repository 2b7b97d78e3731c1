"""Tests for reporting/baseline.py via `python -m reporting baseline`, on real temporary git repositories."""

from __future__ import annotations

import json
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT, project_context

import tasks
from reporting.baseline import knows_split_seed, no_baseline_note, training_command
from reporting.cli import main
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK

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


def test_ref_without_training_code_writes_no_metrics_but_notes_why(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A base branch from before the training code is not an error: no metrics, exit 0, a message saying so,
    and the reason noted beside OUT for the report."""
    out = tmp_path / "baseline" / "metrics.json"
    commit = git(repo, "rev-parse", "HEAD")

    code = baseline(repo, "main", out)

    assert code == EXIT_OK
    assert not out.exists()
    assert no_baseline_note(out) == tmp_path / "baseline" / "metrics.none.txt"
    assert no_baseline_note(out).read_text() == f"main at {commit[:7]} has no training code yet\n"
    assert "has no training code yet: no baseline written" in capsys.readouterr().err


def test_stale_baseline_is_removed_when_none_can_be_made(repo: Path, tmp_path: Path) -> None:
    """An older baseline file would be compared with by mistake, so it goes when the ref has no training code."""
    out = tmp_path / "metrics.json"
    out.write_text("{}")

    baseline(repo, "main", out)

    assert not out.exists()


@pytest.mark.parametrize("ref", ["origin/main", "--help"], ids=["not-fetched", "option-like"])
def test_unknown_ref_is_a_one_line_error(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture, ref: str) -> None:
    """A ref that does not exist (e.g. not fetched in CI) is bad input: exit 2 naming it and how to fix it,
    and the note for the report says no baseline could be made."""
    out = tmp_path / "metrics.json"

    code = baseline(repo, ref, out)

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT == 2
    assert err.startswith(f"python -m reporting baseline: error: ref {ref!r} not found")
    assert "fetch" in err and err.count("\n") == 1
    assert not out.exists()
    assert no_baseline_note(out).read_text().startswith(f"no baseline could be made: ref {ref!r} not found")


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--epochs", "0"], "argument --epochs: must be at least 1, got 0"), (["--seed", "-1"], "argument --seed")],
    ids=["zero-epochs", "negative-seed"],
)
def test_training_flags_are_checked_as_python_m_training_does(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture, flags: list[str], message: str
) -> None:
    """--epochs below 1 or a negative --seed is a usage error (exit 2, one line) before anything is checked out."""

    with pytest.raises(SystemExit) as caught:
        baseline(repo, "main", tmp_path / "metrics.json", *flags)

    err = capsys.readouterr().err
    assert caught.value.code == EXIT_BAD_INPUT
    assert err.startswith("python -m reporting baseline: error: ") and message in err and err.count("\n") == 1


@pytest.mark.parametrize(("epochs", "seed"), [(None, 0), (4, 7)], ids=["default-epochs", "explicit"])
def test_training_command_is_the_one_invoke_train_runs(epochs: int | None, seed: int) -> None:
    """The baseline trains with `invoke train`'s very command (same flags), run by this interpreter."""
    c = project_context()
    tasks.train(c, seed=str(seed), artifacts="scratch", **({"epochs": str(epochs)} if epochs else {}))
    invoke_train = shlex.split(c.run.call_args.args[0])

    command = training_command(dataset="digits", seed=seed, epochs=epochs, out=Path("scratch"), split_seed=0)

    assert command == invoke_train
    assert command[0] == sys.executable


def test_training_that_fails_at_the_ref_is_exit_1_and_noted(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Training code that fails at the ref is a runtime failure (exit 1), not bad input; an older baseline (and its
    predictions) goes and the note for the report says why there is none."""
    (repo / "training").mkdir()
    (repo / "training" / "__main__.py").write_text("raise SystemExit(5)\n")
    git(repo, "add", "training")
    git(repo, "commit", "--quiet", "-m", "broken training")
    out = tmp_path / "metrics.json"
    out.write_text("{}")
    (tmp_path / "predictions.csv").write_text("id,label,prediction,confidence\n")

    code = baseline(repo, "main", out)

    assert code == EXIT_FAILED
    assert "python -m reporting baseline: error: training " in capsys.readouterr().err
    assert not out.exists() and not (tmp_path / "predictions.csv").exists()
    assert "failed (exit code 5)" in no_baseline_note(out).read_text()


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
    """Training the ref in a worktree gives the very metrics and predictions of a direct run of the same code and
    flags, records the ref and commit it came from, and leaves no worktree behind."""
    commit = add_training_commit(repo)
    direct = json.loads((trained_checkpoint / "metrics.json").read_text())
    epochs, seed = direct["run"]["epochs"], direct["run"]["seed"]
    out = tmp_path / "baseline" / "metrics.json"
    no_baseline_note(out).parent.mkdir()
    no_baseline_note(out).write_text("from an earlier run\n")
    monkeypatch.setenv("GITHUB_SHA", "0" * 40)  # in CI this names the PR's commit, never the baseline's

    code = baseline(repo, "main", out, "--epochs", str(epochs), "--seed", str(seed), "--split-seed", "0")

    made = json.loads(out.read_text())
    assert code == EXIT_OK
    assert made["baseline_source"] == {"ref": "main", "commit": commit}
    assert not no_baseline_note(out).exists()
    assert made["run"]["commit"] == commit
    for key in ("accuracy", "macro_f1", "per_class", "confusion_matrix", "best_epoch"):
        assert made[key] == direct[key], key
    assert [row["val_loss"] for row in made["history"]] == [row["val_loss"] for row in direct["history"]]
    assert git(repo, "worktree", "list").count("\n") == 0
    assert (out.parent / "predictions.csv").read_text() == (trained_checkpoint / "predictions.csv").read_text()


def test_split_seed_is_passed_only_to_training_code_that_knows_it(repo: Path) -> None:
    """A ref from before --split-seed (which split with --seed) is trained without the flag it would refuse."""
    (repo / "training").mkdir()
    (repo / "training" / "cli.py").write_text('parser.add_argument("--seed")\n')
    git(repo, "add", "training")
    git(repo, "commit", "--quiet", "-m", "old training")
    old = git(repo, "rev-parse", "HEAD")
    (repo / "training" / "cli.py").write_text('parser.add_argument("--seed")\nparser.add_argument("--split-seed")\n')
    git(repo, "commit", "--quiet", "-am", "split seed")

    assert (knows_split_seed(repo, old), knows_split_seed(repo, git(repo, "rev-parse", "HEAD"))) == (False, True)
