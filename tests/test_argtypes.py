"""core.argtypes: number validators give one clear line for a bad value."""

from __future__ import annotations

import argparse

import pytest

from core.argtypes import above, at_least, between


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


def test_above_refuses_the_bound_itself() -> None:
    """above(0) accepts any positive number and refuses 0 with the reason."""
    assert above(0)("0.001") == 0.001
    with pytest.raises(argparse.ArgumentTypeError, match=r"must be greater than 0, got 0\.0"):
        above(0)("0")


@pytest.mark.parametrize("text", ["0", "0.95", "1"], ids=["low", "inside", "high"])
def test_between_accepts_both_bounds(text: str) -> None:
    """between(0, 1) accepts 0, 1 and what lies between, as a float."""

    value = between(0, 1)(text)

    assert value == float(text)


@pytest.mark.parametrize("text", ["95", "-0.1", "nan"], ids=["percent", "negative", "nan"])
def test_between_refuses_values_outside_with_the_range(text: str) -> None:
    """A value outside the range (95 meant as 95%, say) is refused naming the range."""

    with pytest.raises(argparse.ArgumentTypeError, match=r"must be from 0 to 1, got"):
        between(0, 1)(text)
