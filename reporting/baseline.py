"""The base branch's metrics: train another git ref in a temporary worktree with the same flags.

Training is deterministic (same seed, same thread count), so this reproduces exactly what that
ref's own CI run measured, without storing artifacts anywhere.
"""

from __future__ import annotations

import contextlib
import shlex
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from commands.train import train_command
from core.atomic import write_text
from reporting.metrics import MetricsError, load_metrics
from reporting.predictions import predictions_beside

# `python -m training` needs this file; a ref without it predates the training code.
TRAINING_ENTRY = "training/__main__.py"


class BaselineError(Exception):
    """A baseline that could not be made (no git, training failed): one line, no traceback."""


class BaselineInputError(BaselineError):
    """The repository or ref named does not exist: bad input rather than a failure."""


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BaselineError("git is not installed (needed to check out the baseline ref)") from None


def find_commit(repo: str | Path, ref: str) -> tuple[Path, str]:
    """The repository root holding `repo` and the full commit id `ref` names there."""
    top = git(Path(repo), "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaselineInputError(f"{repo} is not inside a git repository")
    root = Path(top.stdout.strip())
    found = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise BaselineInputError(
            f"ref {ref!r} not found in {root}: fetch it first "
            "(git fetch origin, or actions/checkout with fetch-depth: 0)"
        )
    return root, found.stdout.strip()


def has_training_code(root: Path, commit: str) -> bool:
    return git(root, "cat-file", "-e", f"{commit}:{TRAINING_ENTRY}").returncode == 0


def knows_split_seed(root: Path, commit: str) -> bool:
    """Whether the training code at `commit` has --split-seed (before it, --seed also chose the split)."""
    return (
        git(root, "grep", "--quiet", "--fixed-strings", "-e", "--split-seed", commit, "--", "training").returncode == 0
    )


def training_command(
    *, dataset: str, seed: int, epochs: int | None, out: Path, split_seed: int | None = None
) -> list[str]:
    """`invoke train`'s own command (commands/train.py), so the baseline cannot drift from it, run by this
    interpreter; epochs (split_seed) None leaves the default to that ref's code."""
    command = train_command(dataset=dataset, seed=seed, out=str(out), epochs=epochs, split_seed=split_seed)
    _python, *arguments = shlex.split(command)
    return [sys.executable, *arguments]


def no_baseline_note(metrics_path: Path) -> Path:
    """Where `python -m reporting baseline` says why it wrote no metrics: `metrics.none.txt` beside them."""
    return metrics_path.with_name(f"{metrics_path.stem}.none.txt")


def leave_no_baseline(metrics_path: Path, reason: str) -> bool:
    """Remove an older baseline (a report must never compare with the wrong ref) and note `reason` beside it.

    True when an older baseline was removed.
    """
    existed = metrics_path.exists()
    metrics_path.unlink(missing_ok=True)
    predictions_beside(metrics_path).unlink(missing_ok=True)
    write_text(no_baseline_note(metrics_path), reason + "\n")
    return existed


def no_baseline_reason(metrics_path: Path) -> str | None:
    """The reason noted by `leave_no_baseline`, or None when there is no readable note."""
    try:
        return no_baseline_note(metrics_path).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


@contextlib.contextmanager
def temporary_worktree(root: Path, commit: str, path: Path) -> Iterator[Path]:
    """A detached checkout of `commit` at `path`, removed (and unregistered from git) afterwards."""
    added = git(root, "worktree", "add", "--detach", "--quiet", str(path), commit)
    if added.returncode != 0:
        raise BaselineError(f"git worktree add failed: {added.stderr.strip() or added.stdout.strip()}")
    try:
        yield path
    finally:
        if git(root, "worktree", "remove", "--force", str(path)).returncode != 0:
            shutil.rmtree(path, ignore_errors=True)
            git(root, "worktree", "prune")


def train_at(
    root: Path,
    commit: str,
    *,
    dataset: str,
    seed: int,
    epochs: int | None,
    env: Mapping[str, str],
    split_seed: int | None = None,
) -> tuple[dict, str | None]:
    """Train `commit` in a temporary worktree (its output streams to this terminal); return its metrics and
    its predictions.csv text (None from code that wrote none)."""
    if not knows_split_seed(root, commit):
        split_seed = None
    with tempfile.TemporaryDirectory(prefix="cml-baseline-") as scratch:
        artifacts = Path(scratch) / "artifacts"
        with temporary_worktree(root, commit, Path(scratch) / "src") as source:
            command = training_command(dataset=dataset, seed=seed, epochs=epochs, out=artifacts, split_seed=split_seed)
            # The training run records the commit it trained; in CI GITHUB_SHA would name this PR's commit instead.
            run_env = {key: value for key, value in env.items() if key != "GITHUB_SHA"}
            done = subprocess.run(command, cwd=source, env=run_env, check=False)
        if done.returncode != 0:
            raise BaselineError(f"training {commit[:7]} failed (exit code {done.returncode})")
        try:
            metrics = load_metrics(artifacts / "metrics.json")
        except MetricsError as exc:
            raise BaselineError(f"training {commit[:7]} wrote no usable metrics: {exc}") from None
        predictions = predictions_beside(artifacts / "metrics.json")
        return metrics, predictions.read_text(encoding="utf-8") if predictions.is_file() else None
