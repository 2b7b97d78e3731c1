"""Task flags whose default comes from invoke.yaml."""

from __future__ import annotations


def int_flag(name: str, value: str | int | None, default: int | None) -> int | None:
    """An integer task flag: `default` when the flag was not given, else its value as int.

    Task flags that default to None reach the task as text (invoke types a flag by its default),
    so that "not given" and every number the user may type stay apart; the program the task
    runs checks the range.
    """
    return _number_flag(name, value, default, int, "a whole number")


def float_flag(name: str, value: str | float | None, default: float | None) -> float | None:
    """As int_flag, for a decimal number."""
    return _number_flag(name, value, default, float, "a number")


def _number_flag(name: str, value, default, kind: type, noun: str):
    if value is None:
        return default
    try:
        return kind(value)
    except ValueError:
        raise ValueError(f"--{name} expects {noun}, got {value!r}") from None
