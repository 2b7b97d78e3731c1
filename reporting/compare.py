"""This run against a baseline run: deltas of the headline metrics and of each class, and who got worse."""

from __future__ import annotations

from dataclasses import dataclass

from reporting.markdown import cell, code

# A class "got worse" when its F1 fell by more than this: float noise and rounding are not regressions.
WORSE_F1_TOLERANCE = 1e-6


@dataclass(frozen=True)
class ClassChange:
    label: str
    f1: float
    baseline_f1: float

    @property
    def delta(self) -> float:
        return self.f1 - self.baseline_f1


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

    @property
    def worse(self) -> list[ClassChange]:
        """Classes whose F1 fell, largest fall first."""
        fallen = [c for c in self.classes.values() if c.delta < -WORSE_F1_TOLERANCE]
        return sorted(fallen, key=lambda c: c.delta)


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


def compare(metrics: dict, baseline: dict) -> Comparison:
    """How `metrics` differs from `baseline`, per headline metric and per class label."""
    labels = [str(label) for label in metrics["labels"]]
    baseline_labels = [str(label) for label in baseline["labels"]]
    shared = [label for label in labels if label in baseline_labels]
    classes = {
        label: ClassChange(
            label=label,
            f1=metrics["per_class"][label]["f1"],
            baseline_f1=baseline["per_class"][label]["f1"],
        )
        for label in shared
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
    )
