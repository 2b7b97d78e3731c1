"""Tests for reporting/gate.py: the accuracy floor and the largest allowed drop against the baseline."""

from __future__ import annotations

import pytest
from fake_metrics import make_metrics, paired_runs

from reporting.compare import compare
from reporting.gate import Status, check_gate


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
    """The failure message says how far accuracy fell, from what to what, the limit, and (for a baseline without
    predictions) that significance could not be tested: such a fall fails as it always did."""
    baseline = {**run_with_accuracy(93), "baseline_source": {"ref": "origin/main"}}
    current = run_with_accuracy(90)

    gate = check_gate(current, compare(current, baseline), max_drop=0.01)

    assert gate.failures[0].message == (
        "accuracy fell 3.00 pp vs main (93.00% → 90.00%), more than the allowed 1.00 pp; "
        "no paired predictions to test its significance"
    )


def test_max_drop_without_baseline_is_not_checked() -> None:
    """With no baseline the drop rule is reported as not checked, and the gate does not fail on it."""
    metrics = run_with_accuracy(50)

    gate = check_gate(metrics, None, max_drop=0.01)

    assert gate.passed
    assert gate.rules[1].status is Status.NOT_CHECKED
    assert "no baseline" in gate.rules[1].message


@pytest.mark.parametrize(
    ("min_accuracy", "max_drop"), [(None, None), (0, 1)], ids=["not-given", "values-that-cannot-fail"]
)
def test_rules_that_are_off_say_off_and_check_nothing(min_accuracy: float | None, max_drop: float | None) -> None:
    """A rule left out, or set where it can never fail (floor 0, drop 1), shows as off, not as passed."""
    metrics = run_with_accuracy(10)

    gate = check_gate(metrics, None, min_accuracy=min_accuracy, max_drop=max_drop)

    assert [rule.status for rule in gate.rules[:2]] == [Status.OFF, Status.OFF]
    assert [rule.message for rule in gate.rules[:2]] == ["minimum accuracy: off", "largest allowed drop: off"]
    assert gate.passed


@pytest.mark.parametrize(
    ("fixed", "broken", "status", "says"),
    [
        (
            2,
            6,
            Status.WARNING,
            "more than the allowed 1.00 pp but not significant: 2 fixed, 6 broken, McNemar p = 0.29",
        ),
        (0, 8, Status.FAILED, "more than the allowed 1.00 pp: 0 fixed, 8 broken, McNemar p = 0.0078"),
        (1, 3, Status.PASSED, "accuracy -1.00 pp vs main, within the allowed drop of 1.00 pp: 1 fixed, 3 broken"),
    ],
    ids=["larger-but-not-significant", "larger-and-significant", "within-and-not-significant"],
)
def test_max_drop_fails_only_a_larger_fall_that_is_significant(
    fixed: int, broken: int, status: Status, says: str
) -> None:
    """With paired predictions a fall beyond max-drop fails only when McNemar says it is more than chance;
    otherwise it is a warning that says so, with the counts and the p-value."""
    metrics, baseline, predictions, baseline_predictions = paired_runs(fixed, broken, right=200 - fixed - broken)
    baseline["baseline_source"] = {"ref": "origin/main"}
    comparison = compare(metrics, baseline, predictions=predictions, baseline_predictions=baseline_predictions)

    rule = check_gate(metrics, comparison, max_drop=0.01).rules[1]

    assert rule.status is status
    assert says in rule.message


def test_a_significant_fall_within_max_drop_is_a_warning() -> None:
    """A small fall that is nonetheless significant (a large test set) passes with a warning."""
    metrics, baseline, predictions, baseline_predictions = paired_runs(0, 9, right=991)
    comparison = compare(metrics, baseline, predictions=predictions, baseline_predictions=baseline_predictions)

    gate = check_gate(metrics, comparison, max_drop=0.01)

    assert gate.passed and gate.rules[1].status is Status.WARNING
    assert "within the allowed 1.00 pp but significant: 0 fixed, 9 broken, McNemar p = 0.0039" in gate.rules[1].message


def test_not_comparable_baseline_skips_max_drop_but_keeps_min_accuracy() -> None:
    """Against another dataset the drop rule is not applied (and says why); the accuracy floor still is."""
    baseline = run_with_accuracy(99)
    current = run_with_accuracy(80)
    current["run"]["dataset"] = "folder:pets"

    gate = check_gate(current, compare(current, baseline), min_accuracy=0.9, max_drop=0.01)

    assert [rule.status for rule in gate.rules[:2]] == [Status.FAILED, Status.NOT_CHECKED]
    assert gate.rules[1].message == "largest allowed drop not applied: baseline is not comparable with this run"


@pytest.mark.parametrize(
    ("allow", "status"), [(False, Status.FAILED), (True, Status.WARNING)], ids=["refused", "allowed"]
)
def test_an_interrupted_run_fails_unless_allowed(allow: bool, status: Status) -> None:
    """A run that stopped before its epochs were done fails its own rule; --allow-interrupted makes it a warning."""
    metrics = make_metrics([[5, 0], [0, 5]], epochs=3, interrupted=True)
    metrics["run"] |= {"epochs": 30, "epochs_completed": 3}

    rule = check_gate(metrics, None, allow_interrupted=allow).rules[2]

    assert rule.status is status
    assert "interrupted after 3 of 30 epochs" in rule.message
