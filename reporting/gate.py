"""The quality gate: an accuracy floor, a largest allowed drop against the baseline that must also be
significant, and complete training. Each rule passes, fails, warns, is not checked, or is off."""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

from reporting.compare import Comparison
from reporting.markdown import percent, points

# Accuracies are ratios of counts stored as rounded floats; a drop exactly at the limit must pass.
TOLERANCE = 1e-9


class Status(Enum):
    PASSED = "passed"
    WARNING = "warning"  # passes, but says something a reviewer should weigh
    FAILED = "failed"
    NOT_CHECKED = "not checked"  # the rule is on, but this run cannot be checked against it (no baseline)
    OFF = "off"


@dataclass(frozen=True)
class RuleResult:
    rule: str  # the flag that set it, e.g. "--max-drop 0.01"
    status: Status
    message: str

    @property
    def passed(self) -> bool | None:
        """True passed (or a warning), False failed, None neither checked nor on."""
        if self.status in (Status.PASSED, Status.WARNING):
            return True
        return False if self.status is Status.FAILED else None


@dataclass(frozen=True)
class GateResult:
    rules: list[RuleResult]

    @property
    def failures(self) -> list[RuleResult]:
        return [rule for rule in self.rules if rule.status is Status.FAILED]

    @property
    def warnings(self) -> list[RuleResult]:
        return [rule for rule in self.rules if rule.status is Status.WARNING]

    @property
    def checked(self) -> bool:
        """At least one rule was applied (a gate of rules that are all off or unchecked checked nothing)."""
        return any(rule.passed is not None for rule in self.rules)

    @property
    def passed(self) -> bool:
        return not self.failures


def check_min_accuracy(accuracy: float, minimum: float | None) -> RuleResult:
    if not minimum:  # None, or 0: nothing can be below it
        return RuleResult("--min-accuracy", Status.OFF, "minimum accuracy: off")
    rule = f"--min-accuracy {minimum:g}"
    if accuracy + TOLERANCE >= minimum:
        return RuleResult(rule, Status.PASSED, f"accuracy {percent(accuracy)} is at least {percent(minimum)}")
    short = points(minimum - accuracy).lstrip("+")
    return RuleResult(
        rule, Status.FAILED, f"accuracy {percent(accuracy)} is below the minimum {percent(minimum)} by {short}"
    )


def check_max_drop(accuracy: float, comparison: Comparison | None, max_drop: float | None) -> RuleResult:
    """Fail only a fall larger than `max_drop` that is also significant; warn about a significant fall within
    it and about a larger one that is not significant. Without paired predictions (an older baseline) a larger
    fall fails as it always did."""
    if max_drop is None or max_drop >= 1:  # no accuracy can fall by more than 100 points
        return RuleResult("--max-drop", Status.OFF, "largest allowed drop: off")
    rule = f"--max-drop {max_drop:g}"
    allowed = points(max_drop).lstrip("+")
    if comparison is None:
        return RuleResult(rule, Status.NOT_CHECKED, f"largest allowed drop of {allowed} not checked: no baseline")
    name = comparison.name
    if not comparison.comparable:
        return RuleResult(
            rule, Status.NOT_CHECKED, f"largest allowed drop not applied: {name} is not comparable with this run"
        )
    fell = -comparison.accuracy_delta > TOLERANCE
    within = -comparison.accuracy_delta <= max_drop + TOLERANCE
    evidence = paired_evidence(comparison)
    change = f"accuracy {points(comparison.accuracy_delta)} vs {name}"
    if within and not (fell and comparison.significant):
        return RuleResult(rule, Status.PASSED, f"{change}, within the allowed drop of {allowed}{evidence}")
    if within:
        return RuleResult(rule, Status.WARNING, f"{change}, within the allowed {allowed} but significant{evidence}")
    fall = f"accuracy fell {points(-comparison.accuracy_delta).lstrip('+')} vs {name}"
    span = f"({percent(comparison.baseline_accuracy)} → {percent(accuracy)})"
    if comparison.paired is not None and not comparison.significant:
        return RuleResult(
            rule, Status.WARNING, f"{fall} {span}, more than the allowed {allowed} but not significant{evidence}"
        )
    return RuleResult(rule, Status.FAILED, f"{fall} {span}, more than the allowed {allowed}{evidence}")


def paired_evidence(comparison: Comparison) -> str:
    """': 2 fixed, 4 broken, McNemar p = 0.69' when the samples pair up; else why significance is unknown."""
    paired = comparison.paired
    if paired is None:
        return "; no paired predictions to test its significance"
    return f": {paired.fixed} fixed, {paired.broken} broken, McNemar {p_value(paired.p_value)}"


def p_value(p: float) -> str:
    """'p = 0.69', 'p = 0.031', 'p < 0.001': two significant digits, enough to hold against alpha."""
    return "p < 0.001" if p < 0.001 else f"p = {p:.2g}" if p < 0.1 else f"p = {p:.2f}"


def check_complete(run: dict, allow_interrupted: bool) -> RuleResult:
    """An interrupted run's metrics come from fewer epochs than asked for: they fail the gate unless accepted."""
    done, planned = run.get("epochs_completed"), run.get("epochs")
    interrupted = bool(run.get("interrupted")) or (done is not None and planned is not None and done < planned)
    if not interrupted:
        return RuleResult(
            "complete run",
            Status.PASSED,
            f"all {planned} epochs completed" if planned != 1 else "its 1 epoch completed",
        )
    stopped = f"training was interrupted after {done} of {planned} epochs"
    if allow_interrupted:
        return RuleResult("--allow-interrupted", Status.WARNING, f"{stopped}, accepted")
    return RuleResult("complete run", Status.FAILED, f"{stopped}; --allow-interrupted accepts such a run")


def check_gate(
    metrics: dict,
    comparison: Comparison | None,
    *,
    min_accuracy: float | None = None,
    max_drop: float | None = None,
    allow_interrupted: bool = False,
    drift: RuleResult | None = None,
) -> GateResult:
    """Every rule's outcome; a rule left at None (or at a value that can never fail) is off and says so."""
    rules = [
        check_min_accuracy(metrics["accuracy"], min_accuracy),
        check_max_drop(metrics["accuracy"], comparison, max_drop),
        *([drift] if drift is not None else []),  # the drift rule against the history (delivery.history_drift)
    ]
    run = metrics.get("run") or {}
    if "epochs" in run:
        rules.append(check_complete(run, allow_interrupted))
    return GateResult(rules)
