"""Commands for the test suite and the linters."""

from __future__ import annotations

import shlex
from pathlib import Path

from commands.workflows import workflow_lint_commands


def test_command(*, quick: bool = False, pytest_args: str = "", python: str = "python") -> str:
    """`python -m pytest`; `quick` leaves out tests marked slow."""
    args = [python, "-m", "pytest"]
    if quick:
        args += ["-m", "not slow"]
    command = shlex.join(args)
    return f"{command} {pytest_args}".strip()


def tool(name: str, python: str = "python") -> str:
    """The console script `name` installed beside `python` (its virtualenv's bin/), else `name` from PATH.

    pip puts a package's scripts next to the interpreter it installs into, so this finds the
    linters of an unactivated virtualenv too.
    """
    beside = Path(python).with_name(name)
    return shlex.quote(str(beside)) if beside.is_file() else name


def lint_commands(python: str = "python") -> list[str]:
    """Every linter `invoke lint` runs, in order."""
    ruff = tool("ruff", python)
    return [
        f"{ruff} check .",
        f"{ruff} format --check .",
        f"{tool('hadolint', python)} Dockerfile.train Dockerfile.infer",
        *workflow_lint_commands(check_jsonschema=tool("check-jsonschema", python), zizmor=tool("zizmor", python)),
    ]
