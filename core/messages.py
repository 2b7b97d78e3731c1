"""Turning exceptions into the one-line messages the command-line tools print."""

from __future__ import annotations


def first_line(exc: BaseException) -> str:
    """The first line of the exception's message, or its type's name when it has none."""
    lines = str(exc).strip().splitlines()
    return lines[0] if lines else type(exc).__name__
