"""This run against a baseline run: whether they can be compared at all, deltas of the headline metrics and
of each class, the paired per-sample change, and which classes got worse by more than noise."""

from __future__ import annotations

from dataclasses import dataclass, field

from reporting.changes import what_changed
from reporting.markdown import cell, code
from reporting.stats import mcnemar_p, wilson_interval
from training.inputs import input_differences

# An F1 that fell by less than this is float noise and rounding, not a change at all.
WORSE_F1_TOLERANCE = 1e-6
DEFAULT_ALPHA = 0.05


@dataclass(frozen=True)
class Paired:
    """Outcomes of the same test samples in both runs: right/wrong in the baseline and in this run."""

    fixed: int  # wrong in the baseline, right now
    broken: int  # right in the baseline, wrong now
    unchanged: int

    @property
    def p_value(self) -> float:
        """Exact McNemar: how likely a split of the changed samples at least this lopsided is by chance."""
        return mcnemar_p(self.fixed, self.broken)

    def significant(self, alpha: float) -> bool:
        return self.fixed != self.broken and self.p_value < alpha


@dataclass(frozen=True)
class ClassChange:
    label: str
    f1: float
    baseline_f1: float
    support: int  # this class's test samples
    paired: Paired | None = None  # outcomes of this class's own test samples, when both runs' predictions pair up

    @property
    def delta(self) -> float:
        return self.f1 - self.baseline_f1

    def worse_beyond_noise(self, alpha: float) -> bool:
        """F1 fell, and by more than chance explains: with paired predictions, this class's own samples got
        significantly worse (McNemar); without, the fall is wider than the baseline F1's 95% Wilson half-width
        over the class's samples."""
        if self.delta >= -WORSE_F1_TOLERANCE:
            return False
        if self.paired is not None:
            return self.paired.broken > self.paired.fixed and self.paired.significant(alpha)
        low, high = wilson_interval(round(self.baseline_f1 * self.support), self.support)
        return -self.delta > (high - low) / 2


@dataclass(frozen=True)
class Comparison:
    """Deltas are this run minus the baseline (positive is better)."""

    name: str  # how the report names the baseline, e.g. "main"
    description: str  # where it came from, markdown: "main @ `abc1234` (run #57)" (see baseline_description)
    baseline_commit: str | None
    baseline_accuracy: float
    baseline_macro_f1: float
    accuracy_delta: float
    macro_f1_delta: float
    classes: dict[str, ClassChange]  # labels present in both runs
    new_labels: list[str]  # only in this run
    dropped_labels: list[str]  # only in the baseline
    not_comparable: str = ""  # why the numbers must not be compared (markdown); empty when they may
    note: str = ""  # a caveat on a comparison that is made (markdown), e.g. an old baseline without fingerprints
    paired: Paired | None = None  # when both runs' predictions cover the same test samples
    alpha: float = DEFAULT_ALPHA
    changes: list[tuple[str, str, str]] = field(default_factory=list)  # "What changed": (what, baseline, this run)
    input_changes: list[str] = field(default_factory=list)  # what training read differently (training.inputs)

    @property
    def comparable(self) -> bool:
        return not self.not_comparable

    @property
    def significant(self) -> bool:
        """The accuracy change is more than chance (paired samples, McNemar at alpha)."""
        return self.paired is not None and self.paired.significant(self.alpha)

    @property
    def worse(self) -> list[ClassChange]:
        """Classes whose F1 fell by more than noise, largest fall first."""
        fallen = [c for c in self.classes.values() if c.worse_beyond_noise(self.alpha)]
        return sorted(fallen, key=lambda c: c.delta)

    @property
    def fallen_within_noise(self) -> list[ClassChange]:
        """Classes whose F1 fell, but not by more than noise."""
        worse = self.worse
        return [c for c in self.classes.values() if c.delta < -WORSE_F1_TOLERANCE and c not in worse]


def baseline_name(baseline: dict) -> str:
    """'main' for a baseline that `invoke baseline` made from origin/main; 'baseline' when its ref is unknown."""
    ref = str((baseline.get("baseline_source") or {}).get("ref") or "")
    for prefix in ("refs/remotes/origin/", "refs/heads/", "origin/"):
        ref = ref.removeprefix(prefix)
    if ref:
        return ref
    return "baseline"


def baseline_description(baseline: dict) -> str:
    """Where the baseline came from, as markdown: "main @ `abc1234` ([run #57](…))", "…, 2 commits behind main's
    head", "main @ `abc1234` (retrained: no CML run artifact for abc1234, expired)"."""
    source = baseline.get("baseline_source") or {}
    name = cell(baseline_name(baseline))
    commit = str(source.get("commit") or (baseline.get("run") or {}).get("commit") or "")
    where = f"{name} @ {code(commit[:7])}" if commit else name
    if source.get("kind") == "github":
        run = f"run #{source.get('run_number', '?')}"
        url = str(source.get("run_url") or "")
        where += f" ([{run}]({url}))" if url.startswith(("https://", "http://")) else f" ({run})"
        behind = source.get("commits_behind") or 0
        if behind:
            where += f", {behind} commit{'s' if behind != 1 else ''} behind {name}'s head"
        return where
    if source.get("kind") == "train":
        overrides = source.get("overrides") or {}
        how = "retrained"
        if overrides:
            how += " with " + ", ".join(f"{cell(key)} {cell(value)}" for key, value in overrides.items())
        reason = source.get("retrain_reason")
        return f"{where} ({how}: {cell(reason)})" if reason else f"{where} ({how})"
    return where


def compare(
    metrics: dict,
    baseline: dict,
    *,
    predictions: dict[str, tuple[str, str]] | None = None,
    baseline_predictions: dict[str, tuple[str, str]] | None = None,
    alpha: float = DEFAULT_ALPHA,
) -> Comparison:
    """How `metrics` differs from `baseline`, per headline metric, per class label and (given both runs'
    predictions.csv rows, {id: (label, prediction)}) per test sample."""
    labels = [str(label) for label in metrics["labels"]]
    baseline_labels = [str(label) for label in baseline["labels"]]
    not_comparable = not_comparable_reason(metrics, baseline)
    comparable_samples = not not_comparable and same_test_set(metrics, baseline)
    paired_rows = pair(predictions, baseline_predictions) if comparable_samples else None
    classes = {
        label: ClassChange(
            label=label,
            f1=metrics["per_class"][label]["f1"],
            baseline_f1=baseline["per_class"][label]["f1"],
            support=int(metrics["per_class"][label].get("support") or 0),
            paired=paired_outcomes(paired_rows, label) if paired_rows is not None else None,
        )
        for label in labels
        if label in baseline_labels
    }
    return Comparison(
        name=baseline_name(baseline),
        description=baseline_description(baseline),
        baseline_commit=(baseline.get("run") or {}).get("commit"),
        baseline_accuracy=baseline["accuracy"],
        baseline_macro_f1=baseline["macro_f1"],
        accuracy_delta=metrics["accuracy"] - baseline["accuracy"],
        macro_f1_delta=metrics["macro_f1"] - baseline["macro_f1"],
        classes=classes,
        new_labels=[label for label in labels if label not in baseline_labels],
        dropped_labels=[label for label in baseline_labels if label not in labels],
        not_comparable=not_comparable,
        note="" if not_comparable else old_baseline_note(metrics, baseline),
        paired=paired_outcomes(paired_rows) if paired_rows is not None else None,
        alpha=alpha,
        changes=what_changed(metrics, baseline),
        input_changes=recorded_input_changes(metrics, baseline),
    )


def recorded_input_changes(metrics: dict, baseline: dict) -> list[str]:
    """What the two runs' training read differently, when both recorded it (run.inputs); [] otherwise."""
    now, before = (metrics.get("run") or {}).get("inputs"), (baseline.get("run") or {}).get("inputs")
    if not now or not before:
        return []
    return input_differences(before, now)


def not_comparable_reason(metrics: dict, baseline: dict) -> str:
    """Why the two runs' numbers mean different things (markdown), or "" when they may be compared:
    another dataset, another label set, or another test split. A fingerprint only one run has is no reason."""
    run, base = metrics.get("run") or {}, baseline.get("run") or {}
    dataset, base_dataset = run.get("dataset"), base.get("dataset")
    fingerprint, base_fingerprint = run.get("dataset_fingerprint"), base.get("dataset_fingerprint")
    if fingerprint and base_fingerprint:
        if fingerprint != base_fingerprint and dataset == base_dataset:
            return f"the dataset {code(dataset)} changed (fingerprint {short(base_fingerprint)} → {short(fingerprint)})"
        if fingerprint != base_fingerprint:
            return f"another dataset ({code(base_dataset)} → {code(dataset)})"
    elif dataset and base_dataset and dataset != base_dataset:
        return f"another dataset ({code(base_dataset)} → {code(dataset)})"
    labels, base_labels = [str(x) for x in metrics["labels"]], [str(x) for x in baseline["labels"]]
    if set(labels) != set(base_labels):
        return f"other classes ({len(base_labels)} → {len(labels)}: {label_list(base_labels)} → {label_list(labels)})"
    test, base_test = run.get("test_fingerprint"), base.get("test_fingerprint")
    if test and base_test and test != base_test:
        seeds = (base.get("split_seed"), run.get("split_seed"))
        why = f"split seed {seeds[0]} → {seeds[1]}" if seeds[0] != seeds[1] else "another test split"
        return f"tested on other samples ({why})"
    return ""


def same_test_set(metrics: dict, baseline: dict) -> bool:
    """Both runs record the same test-split fingerprint; False when either does not record one."""
    test = (metrics.get("run") or {}).get("test_fingerprint")
    return bool(test) and test == (baseline.get("run") or {}).get("test_fingerprint")


def old_baseline_note(metrics: dict, baseline: dict) -> str:
    missing = [
        name
        for name, data in ((cell(baseline_name(baseline)), baseline), ("this run", metrics))
        if not (data.get("run") or {}).get("test_fingerprint")
    ]
    if not missing:
        return ""
    verb = "records" if len(missing) == 1 else "record"
    return (
        f"{' and '.join(missing)} {verb} no test-split fingerprint (made before runs recorded one): the two may "
        "have been tested on other samples; the numbers are compared as they are."
    )


def pair(
    predictions: dict[str, tuple[str, str]] | None, baseline_predictions: dict[str, tuple[str, str]] | None
) -> dict[str, tuple[str, bool, bool]] | None:
    """{id: (label, right in the baseline, right now)} when both files hold the same samples with the same labels."""
    if not predictions or not baseline_predictions or predictions.keys() != baseline_predictions.keys():
        return None
    paired = {}
    for sample_id, (label, predicted) in predictions.items():
        base_label, base_predicted = baseline_predictions[sample_id]
        if base_label != label:
            return None
        paired[sample_id] = (label, base_predicted == label, predicted == label)
    return paired


def paired_outcomes(rows: dict[str, tuple[str, bool, bool]], label: str | None = None) -> Paired:
    """Fixed / broken / unchanged counts over every paired sample, or over one true label's."""
    outcomes = [(before, now) for true, before, now in rows.values() if label is None or true == label]
    fixed = sum(1 for before, now in outcomes if now and not before)
    broken = sum(1 for before, now in outcomes if before and not now)
    return Paired(fixed=fixed, broken=broken, unchanged=len(outcomes) - fixed - broken)


def short(fingerprint: str) -> str:
    return code(str(fingerprint)[:12])


def label_list(labels: list[str], limit: int = 4) -> str:
    shown = ", ".join(code(label) for label in labels[:limit])
    return shown + (", …" if len(labels) > limit else "")
