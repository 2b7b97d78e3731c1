"""Tests for reporting/curves.py: mermaid charts of the training history."""

from __future__ import annotations

import re

import pytest

from reporting.curves import MAX_POINTS, curves_markdown, sample_indices


def history(epochs: int) -> list[dict]:
    return [
        {"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_accuracy": 1 - 0.4 / e, "lr": 0.001}
        for e in range(1, epochs + 1)
    ]


def test_curves_are_mermaid_xycharts_with_every_epoch() -> None:
    """Two xychart-beta blocks: two loss lines and one accuracy line, one point per epoch."""

    text = curves_markdown(history(3))

    blocks = re.findall(r"```mermaid\n(.*?)\n```", text, flags=re.DOTALL)
    assert [block.splitlines()[0] for block in blocks] == ["xychart-beta", "xychart-beta"]
    assert blocks[0].count("line [") == 2 and blocks[1].count("line [") == 1
    assert 'x-axis "epoch" [1, 2, 3]' in blocks[0]
    assert "line [60, 80, 86.67]" in blocks[1]


def test_long_histories_are_sampled_and_say_so() -> None:
    """Hundreds of epochs are thinned to a readable number of points, first and last kept."""

    text = curves_markdown(history(500))

    epochs = re.search(r'x-axis "epoch" \[(.*?)\]', text).group(1).split(", ")
    assert len(epochs) == MAX_POINTS and epochs[0] == "1" and epochs[-1] == "500"
    assert f"{MAX_POINTS} of 500 epochs drawn" in text


@pytest.mark.parametrize(("count", "limit"), [(5, 10), (61, 60), (1000, 7)], ids=["few", "one-over", "many"])
def test_sample_indices_keeps_ends_and_limit(count: int, limit: int) -> None:
    """Never more than the limit, always the first and the last, strictly increasing."""

    picked = sample_indices(count, limit)

    assert len(picked) == min(count, limit)
    assert picked[0] == 0 and picked[-1] == count - 1
    assert picked == sorted(set(picked))


def test_diverged_history_is_not_drawn() -> None:
    """A NaN loss would break the chart: the report says why there is none."""
    rows = history(3)
    rows[1]["train_loss"] = float("nan")

    text = curves_markdown(rows)

    assert "mermaid" not in text and "non-finite" in text


def test_no_history_no_curves() -> None:
    """Nothing to draw gives None, so the report leaves the section out."""

    assert curves_markdown([]) is None
