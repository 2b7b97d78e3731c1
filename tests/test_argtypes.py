"""core.argtypes: number validators give one clear line for a bad value."""

from __future__ import annotations

import argparse

import pytest

from core.argtypes import at_least


@pytest.mark.parametrize(
    ("validator", "text", "message"),
    [
        (at_least(1), "0", "must be at least 1, got 0"),
        (at_least(1), "two", "expected a whole number, got 'two'"),
        (at_least(0, float), "-0.5", "must be at least 0, got -0.5"),
        (at_least(0, float), "x", "expected a number, got 'x'"),
    ],
    ids=["int-too-small", "int-not-a-number", "float-too-small", "float-not-a-number"],
)
def test_bad_values_are_refused_with_the_reason(validator, text: str, message: str) -> None:
    """Values below the minimum and non-numbers raise ArgumentTypeError saying why."""
    with pytest.raises(argparse.ArgumentTypeError, match=message):
        validator(text)


def test_good_values_come_back_typed() -> None:
    """A valid value is returned as int or float."""
    assert at_least(1)("3") == 3
    assert at_least(0, float)("0.25") == 0.25
