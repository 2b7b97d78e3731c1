"""argparse `type=` validators shared by the command-line tools: one clear line per bad value."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def number(kind: type, accept: Callable[[float], bool], requirement: str) -> Callable[[str], float]:
    """A validator parsing `kind` (int or float) and refusing values `accept` rejects, saying `requirement`."""
    noun = "a whole number" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if not accept(value):
            raise argparse.ArgumentTypeError(f"must be {requirement}, got {value}")
        return value

    parse.__name__ = f"{kind.__name__} {requirement}"  # argparse names the type in some messages
    return parse


def at_least(minimum: float, kind: type = int) -> Callable[[str], float]:
    """A whole (kind=int) or decimal (kind=float) number >= `minimum`."""
    return number(kind, lambda value: value >= minimum, f"at least {minimum}")


def above(minimum: float, kind: type = float) -> Callable[[str], float]:
    """A number strictly greater than `minimum` (a learning rate, say)."""
    return number(kind, lambda value: value > minimum, f"greater than {minimum}")


def between(low: float, high: float, kind: type = float) -> Callable[[str], float]:
    """A number from `low` to `high`, both included (a fraction from 0 to 1, say)."""
    return number(kind, lambda value: low <= value <= high, f"from {low:g} to {high:g}")
