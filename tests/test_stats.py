"""Tests for reporting/stats.py: the Wilson interval and the exact McNemar test against known values."""

from __future__ import annotations

import pytest

from reporting.stats import mcnemar_p, wilson_interval


@pytest.mark.parametrize(
    ("successes", "total", "expected"),
    [(8, 10, (0.4902, 0.9433)), (355, 360, (0.9679, 0.9941)), (0, 20, (0.0, 0.1611)), (20, 20, (0.8389, 1.0))],
    ids=["8-of-10", "digits-test-set", "none", "all"],
)
def test_wilson_interval_matches_known_values(successes: int, total: int, expected: tuple[float, float]) -> None:
    """The 95% Wilson interval of worked cases (0 of 20 is in Newcombe 1998), also at 0% and 100%."""
    low, high = wilson_interval(successes, total)

    assert (low, high) == pytest.approx(expected, abs=5e-5)


def test_wilson_interval_of_nothing_is_everything() -> None:
    """No samples: the interval says nothing is known."""
    assert wilson_interval(0, 0) == (0.0, 1.0)


@pytest.mark.parametrize(
    ("fixed", "broken", "expected"),
    [(2, 4, 44 / 64), (4, 2, 44 / 64), (0, 6, 2 / 64), (0, 0, 1.0), (10, 10, 1.0)],
    ids=["2-fixed-4-broken", "symmetric", "all-broken", "no-change", "balanced"],
)
def test_mcnemar_is_the_exact_binomial_test_on_discordant_pairs(fixed: int, broken: int, expected: float) -> None:
    """p = 2 * P(X <= min(fixed, broken)) for X ~ Binomial(fixed + broken, 1/2), capped at 1."""
    assert mcnemar_p(fixed, broken) == pytest.approx(expected)
