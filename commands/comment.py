"""Command for publishing the report as a sticky GitHub comment."""

from __future__ import annotations

import shlex


def comment_command(
    *,
    report: str,
    title: str,
    target: str = "",
    strict: bool = False,
    python: str = "python",
) -> str:
    """`python -m reporting comment ...`; an empty `target` lets the Actions event decide."""
    args = [python, "-m", "reporting", "comment", "--report", report, "--title", title]
    if target:
        args += ["--target", target]
    if strict:
        args.append("--strict")
    return shlex.join(args)
