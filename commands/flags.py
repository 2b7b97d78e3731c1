"""Task flags whose default comes from invoke.yaml, and the settings behind them.

A setting may reach the tasks as text: an `INVOKE_*` variable for a key whose invoke.yaml
default is null stays a string (invoke types what it reads from the environment by the
default it replaces). These functions give every value its type, or one line naming the
flag or setting that is wrong.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

# invoke reads `INVOKE_` + the key path, joined by `_`, upper-cased (train.node_rank: INVOKE_TRAIN_NODE_RANK).
ENV_PREFIX = "INVOKE_"

NOUNS = {int: "a whole number", float: "a number"}


def env_var(key: str) -> str:
    """The environment variable that overrides the invoke.yaml setting `key` (dotted, e.g. train.epochs)."""
    return ENV_PREFIX + key.replace(".", "_").upper()


def setting_problem(key: str, value: object, kind: type) -> str:
    """The one-line error for a setting that is not of `kind`."""
    noun = NOUNS.get(kind, f"a {kind.__name__}")
    return f"{key} (invoke.yaml, or {env_var(key)}) expects {noun}, got {value!r}"


def setting(config: Mapping, key: str) -> Any:
    """The value of the dotted `key` in the task config (invoke.yaml, INVOKE_* variables, -f files)."""
    value: Any = config
    for part in key.split("."):
        value = value[part]
    return value


def int_flag(name: str, value: str | int | None, config: Mapping, key: str) -> int | None:
    """An integer task flag: the setting at `key` when the flag was not given, else the flag's value.

    None ("not given") stays apart from every number the user may type (0 included); the
    program the task runs checks the range. An empty setting is null: the program's default.
    """
    return _number(name, value, config, key, int)


def float_flag(name: str, value: str | float | None, config: Mapping, key: str) -> float | None:
    """As int_flag, for a decimal number."""
    return _number(name, value, config, key, float)


def _number(name: str, value, config: Mapping, key: str, kind: type):
    if value is not None:
        try:
            return kind(value)
        except ValueError:
            raise ValueError(f"--{name} expects {NOUNS[kind]}, got {value!r}") from None
    default = setting(config, key)
    if default is None or default == "":
        return None
    if isinstance(default, bool) or (kind is int and isinstance(default, float)):
        raise ValueError(setting_problem(key, default, kind))
    try:
        return kind(default)
    except ValueError:
        raise ValueError(setting_problem(key, default, kind)) from None
