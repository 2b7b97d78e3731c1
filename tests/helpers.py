"""Helpers the test modules import (fixtures live in conftest.py)."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

from invoke import Config, MockContext, Result

ROOT = Path(__file__).resolve().parents[1]
# How the tasks' commands start: the interpreter invoke runs under, shell-quoted.
PY = shlex.quote(sys.executable)


def project_context(run: Result | None = None, *, repeat: bool = False, **overrides: dict) -> MockContext:
    """A MockContext with the project's invoke.yaml defaults (plus `overrides`); commands succeed unless `run` says."""
    config = Config(project_location=str(ROOT), overrides=overrides)
    config.load_project()
    return MockContext(config=config, run=Result() if run is None else run, repeat=repeat)  # a failed Result is falsy


_IGNORE = shutil.ignore_patterns("__pycache__", "*.pyc")


def git(repo: Path, *args: str) -> str:
    command = ["git", "-C", str(repo), "-c", "user.name=Test", "-c", "user.email=test@example.com", *args]
    return subprocess.run(command, capture_output=True, text=True, check=True).stdout.strip()


PROJECT = ("core", "training", "commands", "delivery", "tasks.py", "invoke.yaml")  # what `invoke train` needs


def set_epochs(repo: Path, epochs: int) -> None:
    """Set train.epochs in the repository's invoke.yaml, as a pull request might."""
    config = repo / "invoke.yaml"
    config.write_text(re.sub(r"(?m)^  epochs: \S+", f"  epochs: {epochs}", config.read_text(), count=1))


def add_training_commit(repo: Path, epochs: int | None = None) -> str:
    """Commit this project's training code and tasks (optionally with train.epochs set in its invoke.yaml) on
    top; return the new commit id."""
    for name in PROJECT:
        if (ROOT / name).is_dir():
            shutil.copytree(ROOT / name, repo / name, ignore=_IGNORE)
        else:
            shutil.copy(ROOT / name, repo / name)
    if epochs is not None:
        set_epochs(repo, epochs)
    git(repo, "add", *PROJECT)
    git(repo, "commit", "--quiet", "-m", "training code")
    return git(repo, "rev-parse", "HEAD")


def splits_from_child_and_here(options: dict):
    """(the forked sidecar's splits, the in-process sidecar's splits) for the same data options."""
    from training.sidecar import ForkedSidecar, InProcessSidecar

    forked = ForkedSidecar(options)
    try:
        from_child = forked.splits()
    finally:
        forked.close()
    return from_child, InProcessSidecar(options).splits()


def fresh_scenario_command(name: str, scratch: Path) -> list[str]:
    """The command that runs tests/fresh_scenarios.py NAME in a new interpreter (forks from it inherit no
    test's threads)."""
    return [sys.executable, str(ROOT / "tests" / "fresh_scenarios.py"), name, str(scratch)]


def run_fresh_scenario(name: str, scratch: Path) -> subprocess.CompletedProcess:
    """fresh_scenario_command, run to its end."""
    return subprocess.run(fresh_scenario_command(name, scratch), capture_output=True, text=True, timeout=180, cwd=ROOT)
