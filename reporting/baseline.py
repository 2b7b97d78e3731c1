"""The base branch's metrics: train another git ref in a temporary worktree with the same flags.

Training is deterministic (same seed, same thread count), so this reproduces exactly what that
ref's own CI run measured, without storing artifacts anywhere.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from pathlib import Path

from reporting.metrics import MetricsError, load_metrics

# `python -m training` needs this file; a ref without it predates the training code.
TRAINING_ENTRY = "training/__main__.py"


class BaselineError(Exception):
    """A baseline that cannot be made: unknown ref, no git, training failed. One line, no traceback."""


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BaselineError("git is not installed (needed to check out the baseline ref)") from None


def find_commit(repo: str | Path, ref: str) -> tuple[Path, str]:
    """The repository root holding `repo` and the full commit id `ref` names there."""
    top = git(Path(repo), "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaselineError(f"{repo} is not inside a git repository")
    root = Path(top.stdout.strip())
    found = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode != 0:
        raise BaselineError(
            f"ref {ref!r} not found in {root}: fetch it first "
            "(git fetch origin, or actions/checkout with fetch-depth: 0)"
        )
    return root, found.stdout.strip()


def has_training_code(root: Path, commit: str) -> bool:
    return git(root, "cat-file", "-e", f"{commit}:{TRAINING_ENTRY}").returncode == 0


def training_command(*, python: str, dataset: str, seed: int, epochs: int, out: Path) -> list[str]:
    """The same flags `invoke train` passes (commands/train.py); epochs 0 leaves the default to that ref's code."""
    command = [python, "-m", "training", "--dataset", dataset, "--seed", str(seed), "--out", str(out)]
    if epochs:
        command += ["--epochs", str(epochs)]
    return command


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


def train_at(root: Path, commit: str, *, dataset: str, seed: int, epochs: int, python: str = sys.executable) -> dict:
    """Train `commit` in a temporary worktree (its output streams to this terminal) and return its metrics."""
    with tempfile.TemporaryDirectory(prefix="cml-baseline-") as scratch:
        artifacts = Path(scratch) / "artifacts"
        with temporary_worktree(root, commit, Path(scratch) / "src") as source:
            command = training_command(python=python, dataset=dataset, seed=seed, epochs=epochs, out=artifacts)
            # The training run records the commit it trained; in CI GITHUB_SHA would name this PR's commit instead.
            env = {key: value for key, value in os.environ.items() if key != "GITHUB_SHA"}
            done = subprocess.run(command, cwd=source, env=env, check=False)
        if done.returncode != 0:
            raise BaselineError(f"training {commit[:7]} failed (exit code {done.returncode})")
        try:
            return load_metrics(artifacts / "metrics.json")
        except MetricsError as exc:
            raise BaselineError(f"training {commit[:7]} wrote no usable metrics: {exc}") from None
