"""Task flags whose default comes from invoke.yaml."""

from __future__ import annotations


def int_flag(name: str, value: str | int | None, default: int | None) -> int | None:
    """An integer task flag: `default` when the flag was not given, else its value as int.

    Task flags that default to None reach the task as text (invoke types a flag by its default),
    so that "not given" and every number the user may type stay apart.
    """
    if value is None:
        return default
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"--{name} expects a whole number, got {value!r}") from None
