"""commands.flags: task flags whose default comes from invoke.yaml."""

from __future__ import annotations

import pytest

from commands.flags import int_flag


def test_int_flag_keeps_not_given_apart_from_every_number() -> None:
    """None means "use the default"; any text is parsed, 0 and negatives included."""
    assert int_flag("epochs", None, 30) == 30
    assert int_flag("epochs", "0", 30) == 0
    assert int_flag("seed", 5, 0) == 5


def test_int_flag_names_the_flag_for_text_that_is_no_number() -> None:
    """Text that is not a whole number is a ValueError naming the flag."""
    with pytest.raises(ValueError, match="--top-k expects a whole number, got 'many'"):
        int_flag("top-k", "many", 1)
