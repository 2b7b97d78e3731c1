"""Helpers the test modules import (fixtures live in conftest.py)."""

from __future__ import annotations

import shlex
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
