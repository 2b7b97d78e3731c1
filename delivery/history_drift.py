"""The drift rule: is this run worse than main's recent releases, by more than allowed and by more than noise?

Every PR is compared with one baseline, the base branch's head, so ten merges that each lose a little pass
their gates while main slides down. Here the run is compared with each of the history's last `window`
releases that were tested on the same samples (the same dataset fingerprint, labels and test split: the
comparability `reporting.compare` decides for the gate), with the gate's own paired test (exact McNemar on the
test samples fixed and broken, `reporting.compare`). Testing up to `window` releases at once would raise false
alarms at `window` times the rate of one test, so the p-values are Holm-corrected: the chance that seed noise
alone fails the rule stays below `alpha` however many releases are compared. The rule fails when the run fell
against some release by more than `max_drift` *and* that fall is significant after the correction.

An old release that was better keeps counting until it leaves the window, so many small drops add up: the
run is compared with the releases before them, not only with its parent. A release on other data (another
dataset fingerprint or test split) is never compared with.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from delivery.history import Entry, History
from reporting.compare import DEFAULT_ALPHA, Comparison, compare
from reporting.gate import TOLERANCE, RuleResult, Status, p_value, paired_evidence
from reporting.markdown import code, percent, points

DEFAULT_WINDOW = 10
DEFAULT_MAX_DRIFT = 0.01


@dataclass(frozen=True)
class Tested:
    """One release the run was compared with, and its p-value after the Holm correction."""

    entry: Entry
    comparison: Comparison  # always paired: only comparable releases are tested
    adjusted_p: float

    @property
    def fell(self) -> bool:
        paired = self.comparison.paired
        return paired is not None and paired.broken > paired.fixed

    def significant(self, alpha: float) -> bool:
        paired = self.comparison.paired
        return paired is not None and paired.fixed != paired.broken and self.adjusted_p < alpha

    def worse_than(self, max_drift: float) -> bool:
        return -self.comparison.accuracy_delta > max_drift + TOLERANCE


@dataclass(frozen=True)
class Drift:
    """The run against the history's last comparable releases."""

    tested: list[Tested]  # oldest first
    window: int
    alpha: float
    skipped: list[tuple[Entry, str]] = field(default_factory=list)  # releases not comparable, and why
    history_size: int = 0

    def failures(self, max_drift: float) -> list[Tested]:
        """Releases the run is worse than by more than `max_drift`, significantly after the correction."""
        return [t for t in self.tested if t.fell and t.worse_than(max_drift) and t.significant(self.alpha)]

    def reference(self, max_drift: float) -> Tested | None:
        """The release the report names: the most significant failure; else the most significant fall (the
        one closest to failing); else, when the run is at least as good as all of them, the best release."""
        if not self.tested:
            return None

        def strongest(candidates: list[Tested]) -> Tested:
            return min(candidates, key=lambda t: (t.adjusted_p, t.comparison.accuracy_delta))

        failed = self.failures(max_drift)
        if failed:
            return strongest(failed)
        fell = [t for t in self.tested if t.fell]
        if fell:
            return strongest(fell)
        return max(self.tested, key=lambda t: (t.comparison.baseline_accuracy, t.entry.facts.get("created_at") or ""))


def holm(p_values: list[float]) -> list[float]:
    """Holm-Bonferroni adjusted p-values, in the order given: the smallest times m, the next times m-1, ...,
    never below an earlier one (so an adjusted p below alpha is a rejection at family-wise level alpha)."""
    m = len(p_values)
    order = sorted(range(m), key=lambda i: p_values[i])
    adjusted = [1.0] * m
    running = 0.0
    for rank, index in enumerate(order):
        running = max(running, min(1.0, (m - rank) * p_values[index]))
        adjusted[index] = running
    return adjusted


def measure_drift(
    metrics: dict,
    predictions: dict[str, tuple[str, str]] | None,
    history: History,
    *,
    window: int = DEFAULT_WINDOW,
    alpha: float = DEFAULT_ALPHA,
) -> Drift:
    """The run compared with each of the last `window` releases of `history` it can be paired with."""
    paired: list[tuple[Entry, Comparison]] = []
    skipped: list[tuple[Entry, str]] = []
    for entry in history.entries:
        comparison = compare(
            metrics,
            entry.metrics(),
            predictions=predictions,
            baseline_predictions=entry.predictions(),
            alpha=alpha,
        )
        if comparison.paired is None:
            why = comparison.not_comparable or "its test samples do not pair up with this run's"
            skipped.append((entry, why))
        else:
            paired.append((entry, comparison))
    paired = paired[-window:] if window > 0 else []
    adjusted = holm([comparison.paired.p_value for _, comparison in paired])
    tested = [Tested(entry, comparison, p) for (entry, comparison), p in zip(paired, adjusted, strict=True)]
    return Drift(tested=tested, window=window, alpha=alpha, skipped=skipped, history_size=len(history.entries))


def where(entry: Entry) -> str:
    """'model-v3 (main @ `abc1234`)' for a release; 'seed3 (`abc1234`)' for a run of a local history."""
    short = code(entry.commit[:7]) if entry.commit else ""
    if not short:
        return entry.label
    return f"{entry.label} (main @ {short})" if entry.facts.get("tag") else f"{entry.label} ({short})"


def role(drift: Drift, tested: Tested, failing: bool) -> str:
    count = len(drift.tested)
    if count == 1:
        return "the one comparable release"
    if tested.fell or failing:
        return f"the most significant fall of the last {count}"
    return f"the best of the last {count}"


def evidence(drift: Drift, tested: Tested) -> str:
    """': 0 fixed, 5 broken, McNemar p = 0.06, Holm-adjusted p = 0.6': the gate's paired evidence, corrected."""
    text = paired_evidence(tested.comparison)
    if len(drift.tested) > 1:
        text += f", Holm-adjusted {p_value(tested.adjusted_p)}"
    return text


def check_max_drift(drift: Drift | None, max_drift: float | None, *, has_predictions: bool = True) -> RuleResult:
    """Fail when the run fell by more than `max_drift` against one of the history's releases and significantly
    so; a significant fall within it is a warning; a larger fall that is not significant is noise and passes.
    Not checked without a history, without a comparable release, or without this run's predictions."""
    if max_drift is None or max_drift >= 1:
        return RuleResult("--max-drift", Status.OFF, "largest allowed drift: off")
    rule = f"--max-drift {max_drift:g}"
    allowed = points(max_drift).lstrip("+")
    if drift is None:
        return RuleResult(rule, Status.NOT_CHECKED, "drift not checked: no history (`invoke history` makes one)")
    if not has_predictions:
        return RuleResult(rule, Status.NOT_CHECKED, "drift not checked: this run has no predictions.csv to pair")
    if not drift.tested:
        if not drift.history_size:
            return RuleResult(rule, Status.NOT_CHECKED, "drift not checked: the history is empty")
        return RuleResult(
            rule,
            Status.NOT_CHECKED,
            f"drift not checked: none of the {drift.history_size} releases in the history was tested on this run's "
            f"data and test split ({drift.skipped[-1][1]})",
        )
    failing = bool(drift.failures(max_drift))
    tested = drift.reference(max_drift)
    comparison = tested.comparison
    line = (
        f"{points(comparison.accuracy_delta)} against {where(tested.entry)}, {role(drift, tested, failing)}"
        f"{evidence(drift, tested)}"
    )
    now = comparison.baseline_accuracy + comparison.accuracy_delta
    span = f"{percent(comparison.baseline_accuracy)} → {percent(now)}"
    if failing:
        return RuleResult(rule, Status.FAILED, f"{line}: drifted more than the allowed {allowed} ({span})")
    if tested.fell and tested.significant(drift.alpha):
        return RuleResult(rule, Status.WARNING, f"{line}: significant, but within the allowed {allowed}")
    if tested.fell and tested.worse_than(max_drift):
        return RuleResult(rule, Status.PASSED, f"{line}: within noise")
    return RuleResult(rule, Status.PASSED, f"{line}: within the allowed drift of {allowed}")
