"""commands.flags: task flags whose default comes from invoke.yaml (or an INVOKE_* variable)."""

from __future__ import annotations

import pytest

from commands.flags import env_var, float_flag, int_flag, setting

CONFIG = {"train": {"epochs": None, "seed": 0, "lr": "0.01"}, "report": {"max_drop": 0.01}}


def test_int_flag_keeps_not_given_apart_from_every_number() -> None:
    """None means "use the setting"; any text is parsed, 0 and negatives included."""
    assert int_flag("seed", None, CONFIG, "train.seed") == 0
    assert int_flag("epochs", "0", CONFIG, "train.epochs") == 0
    assert int_flag("seed", 5, CONFIG, "train.seed") == 5
    assert int_flag("epochs", None, CONFIG, "train.epochs") is None


def test_int_flag_names_the_flag_for_text_that_is_no_number() -> None:
    """Text that is not a whole number is a ValueError naming the flag."""
    with pytest.raises(ValueError, match="--seed expects a whole number, got 'many'"):
        int_flag("seed", "many", CONFIG, "train.seed")


def test_float_flag_parses_text_and_keeps_not_given_apart() -> None:
    """A decimal flag: None means the setting, text becomes a float, bad text names the flag."""
    assert float_flag("max-drop", None, CONFIG, "report.max_drop") == 0.01
    assert float_flag("max-drop", "0", CONFIG, "report.max_drop") == 0.0
    with pytest.raises(ValueError, match="--max-drop expects a number, got 'lots'"):
        float_flag("max-drop", "lots", CONFIG, "report.max_drop")


@pytest.mark.parametrize(
    ("value", "expected"), [("5", 5), ("", None), (7, 7), (None, None)], ids=["text", "empty", "number", "null"]
)
def test_a_setting_given_as_text_gets_its_type(value: object, expected: int | None) -> None:
    """An INVOKE_* variable for a null default arrives as text: it is parsed; an empty one means null."""
    config = {"train": {"epochs": value}}

    assert int_flag("epochs", None, config, "train.epochs") == expected


@pytest.mark.parametrize("value", ["five", 2.5, True], ids=["text", "fraction", "switch"])
def test_a_bad_setting_names_the_key_and_its_variable(value: object) -> None:
    """A setting that is no whole number is one line naming the invoke.yaml key and its INVOKE_* variable."""
    config = {"train": {"node_rank": value}}

    with pytest.raises(ValueError) as error:
        int_flag("node-rank", None, config, "train.node_rank")

    expected = f"train.node_rank (invoke.yaml, or INVOKE_TRAIN_NODE_RANK) expects a whole number, got {value!r}"
    assert str(error.value) == expected


def test_float_setting_from_the_environment_is_parsed() -> None:
    """INVOKE_TRAIN_LR=0.01 (text, as the default is null) becomes 0.01."""
    assert float_flag("lr", None, CONFIG, "train.lr") == 0.01


def test_setting_and_env_var_follow_invokes_naming() -> None:
    """Dotted keys read nested sections; their variable is INVOKE_ plus the path joined by _, upper-cased."""
    assert setting(CONFIG, "report.max_drop") == 0.01
    assert env_var("train.node_rank") == "INVOKE_TRAIN_NODE_RANK"
