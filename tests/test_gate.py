"""Tests for reporting/gate.py: the accuracy floor and the largest allowed drop against the baseline."""

from __future__ import annotations

import pytest
from fake_metrics import make_metrics

from reporting.compare import compare
from reporting.gate import check_gate


def run_with_accuracy(correct: int, total: int = 100) -> dict:
    """A two-class run with exactly correct/total accuracy."""
    wrong = total - correct
    return make_metrics([[total // 2, 0], [wrong, total // 2 - wrong]])


@pytest.mark.parametrize(
    ("correct", "minimum", "passed"),
    [(95, 0.9, True), (90, 0.9, True), (89, 0.9, False)],
    ids=["above", "exactly-at", "below"],
)
def test_min_accuracy_is_an_inclusive_floor(correct: int, minimum: float, passed: bool) -> None:
    """Accuracy at the floor passes; below it fails."""
    metrics = run_with_accuracy(correct)

    gate = check_gate(metrics, None, min_accuracy=minimum)

    assert gate.passed is passed


def test_min_accuracy_failure_says_by_how_much() -> None:
    """The failure message gives the accuracy, the floor and the shortfall."""
    metrics = run_with_accuracy(85)

    gate = check_gate(metrics, None, min_accuracy=0.9)

    assert gate.failures[0].message == "accuracy 85.00% is below the minimum 90.00% by 5.00 pp"
    assert gate.failures[0].rule == "--min-accuracy 0.9"


@pytest.mark.parametrize(
    ("baseline_correct", "current_correct", "passed"),
    [(96, 97, True), (96, 95, True), (96, 94, False)],
    ids=["better", "drop-exactly-at-limit", "drop-over-limit"],
)
def test_max_drop_limits_the_fall_against_the_baseline(
    baseline_correct: int, current_correct: int, passed: bool
) -> None:
    """A fall up to max-drop passes (despite float rounding), a larger one fails."""
    baseline = run_with_accuracy(baseline_correct)
    current = run_with_accuracy(current_correct)

    gate = check_gate(current, compare(current, baseline), max_drop=0.01)

    assert gate.passed is passed


def test_max_drop_failure_names_both_accuracies() -> None:
    """The failure message says how far accuracy fell, from what to what, and the limit."""
    baseline = {**run_with_accuracy(93), "baseline_source": {"ref": "origin/main"}}
    current = run_with_accuracy(90)

    gate = check_gate(current, compare(current, baseline), max_drop=0.01)

    assert gate.failures[0].message == "accuracy fell 3.00 pp vs main (93.00% → 90.00%), more than the allowed 1.00 pp"


def test_max_drop_without_baseline_is_not_checked() -> None:
    """With no baseline the drop rule is reported as not checked, and the gate does not fail on it."""
    metrics = run_with_accuracy(50)

    gate = check_gate(metrics, None, max_drop=0.01)

    assert gate.passed
    assert gate.rules[0].passed is None
    assert "no baseline" in gate.rules[0].message


def test_gate_without_rules_passes() -> None:
    """No rule configured: nothing to fail."""
    metrics = run_with_accuracy(10)

    gate = check_gate(metrics, None)

    assert gate.passed and gate.rules == []
