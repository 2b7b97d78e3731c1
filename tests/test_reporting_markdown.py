"""Tests for reporting/markdown.py: number formats and text that cannot break a table or a code block."""

from __future__ import annotations

import pytest

from reporting.markdown import cell, code, fenced, percent, points, table


@pytest.mark.parametrize(
    ("delta", "expected"),
    [(0.0056, "+0.56 pp"), (-0.021, "-2.10 pp"), (0.00001, "±0.00 pp"), (-0.00004, "±0.00 pp")],
    ids=["gain", "loss", "tiny-gain", "tiny-loss"],
)
def test_points_signs_changes_and_hides_noise(delta: float, expected: str) -> None:
    """A change shows its sign in percentage points; one too small to show is ±0.00."""

    text = points(delta)

    assert text == expected


def test_percent_formats_a_fraction() -> None:
    """0.98611 reads 98.61%."""

    assert percent(0.98611) == "98.61%"


def test_cell_escapes_html_pipes_and_newlines() -> None:
    """A label with markup, a pipe and a newline stays inside its cell as plain text."""

    text = cell("<b>a|b</b>\nc")

    assert text == "&lt;b&gt;a\\|b&lt;/b&gt; c"


def test_code_keeps_the_table_intact() -> None:
    """A label inside a code span cannot end the span or the cell."""

    text = code("a|b`c")

    assert text == "`a\\|b'c`"


def test_fenced_outgrows_backticks_in_the_text() -> None:
    """Text holding a ``` fence cannot close the block early."""

    block = fenced("before\n```\nafter")

    assert block.startswith("````\n") and block.endswith("\n````")


def test_table_aligns_numbers_right() -> None:
    """The first column is left-aligned and the others right-aligned, as numbers read best."""

    text = table(["class", "F1"], [["`a`", "90.00%"]])

    assert text == "| class | F1 |\n| :--- | ---: |\n| `a` | 90.00% |"
