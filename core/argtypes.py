"""argparse `type=` validators shared by the command-line tools: one clear line per bad value."""

from __future__ import annotations

import argparse
from collections.abc import Callable


def at_least(minimum: float, kind: type = int) -> Callable[[str], float]:
    """A validator for a whole (kind=int) or decimal (kind=float) number >= `minimum`."""
    noun = "a whole number" if kind is int else "a number"

    def parse(text: str):
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {noun}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be at least {minimum}, got {value}")
        return value

    parse.__name__ = f"{kind.__name__}>={minimum}"  # argparse names the type in some messages
    return parse
