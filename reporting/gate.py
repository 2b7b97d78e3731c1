"""The quality gate: an absolute accuracy floor and a largest allowed drop against the baseline."""

from __future__ import annotations

from dataclasses import dataclass

from reporting.compare import Comparison
from reporting.markdown import percent, points

# Accuracies are ratios of counts stored as rounded floats; a drop exactly at the limit must pass.
TOLERANCE = 1e-9


@dataclass(frozen=True)
class RuleResult:
    rule: str  # the flag that set it, e.g. "--max-drop 0.01"
    passed: bool | None  # None: the rule could not be checked (no baseline)
    message: str


@dataclass(frozen=True)
class GateResult:
    rules: list[RuleResult]

    @property
    def failures(self) -> list[RuleResult]:
        return [rule for rule in self.rules if rule.passed is False]

    @property
    def passed(self) -> bool:
        return not self.failures


def check_min_accuracy(accuracy: float, minimum: float) -> RuleResult:
    rule = f"--min-accuracy {minimum:g}"
    if accuracy + TOLERANCE >= minimum:
        return RuleResult(rule, True, f"accuracy {percent(accuracy)} is at least {percent(minimum)}")
    short = points(minimum - accuracy).lstrip("+")
    return RuleResult(rule, False, f"accuracy {percent(accuracy)} is below the minimum {percent(minimum)} by {short}")


def check_max_drop(accuracy: float, comparison: Comparison | None, max_drop: float) -> RuleResult:
    rule = f"--max-drop {max_drop:g}"
    allowed = points(max_drop).lstrip("+")
    if comparison is None:
        return RuleResult(rule, None, f"largest allowed drop of {allowed} not checked: no baseline")
    name = comparison.name
    drop = -comparison.accuracy_delta
    if drop <= max_drop + TOLERANCE:
        return RuleResult(
            rule, True, f"accuracy {points(comparison.accuracy_delta)} vs {name}, within the allowed drop of {allowed}"
        )
    return RuleResult(
        rule,
        False,
        f"accuracy fell {points(drop).lstrip('+')} vs {name} ({percent(comparison.baseline_accuracy)} → "
        f"{percent(accuracy)}), more than the allowed {allowed}",
    )


def check_gate(
    metrics: dict,
    comparison: Comparison | None,
    *,
    min_accuracy: float | None = None,
    max_drop: float | None = None,
) -> GateResult:
    """Every configured rule's outcome; a rule left at None is not part of the gate."""
    rules = []
    if min_accuracy is not None:
        rules.append(check_min_accuracy(metrics["accuracy"], min_accuracy))
    if max_drop is not None:
        rules.append(check_max_drop(metrics["accuracy"], comparison, max_drop))
    return GateResult(rules)
