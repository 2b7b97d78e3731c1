"""Commands for the test suite and the linters."""

from __future__ import annotations

import shlex

from commands.workflows import workflow_lint_commands


def test_command(*, quick: bool = False, pytest_args: str = "") -> str:
    """`python -m pytest`; `quick` leaves out tests marked slow."""
    args = ["python", "-m", "pytest"]
    if quick:
        args += ["-m", "not slow"]
    command = shlex.join(args)
    return f"{command} {pytest_args}".strip()


def lint_commands() -> list[str]:
    """Every linter `invoke lint` runs, in order."""
    return [
        "ruff check .",
        "ruff format --check .",
        "hadolint Dockerfile.train Dockerfile.infer",
        *workflow_lint_commands(),
    ]
