"""commands.flags: task flags whose default comes from invoke.yaml."""

from __future__ import annotations

import pytest

from commands.flags import float_flag, int_flag


def test_int_flag_keeps_not_given_apart_from_every_number() -> None:
    """None means "use the default"; any text is parsed, 0 and negatives included."""
    assert int_flag("epochs", None, 30) == 30
    assert int_flag("epochs", "0", 30) == 0
    assert int_flag("seed", 5, 0) == 5


def test_int_flag_names_the_flag_for_text_that_is_no_number() -> None:
    """Text that is not a whole number is a ValueError naming the flag."""
    with pytest.raises(ValueError, match="--top-k expects a whole number, got 'many'"):
        int_flag("top-k", "many", 1)


def test_float_flag_parses_text_and_keeps_not_given_apart() -> None:
    """A decimal flag: None means the default, text becomes a float, bad text names the flag."""
    assert float_flag("max-drop", None, 0.01) == 0.01
    assert float_flag("max-drop", "0", 0.01) == 0.0
    with pytest.raises(ValueError, match="--max-drop expects a number, got 'lots'"):
        float_flag("max-drop", "lots", 0.01)
