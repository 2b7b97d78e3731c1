"""`report.md` from the metrics (and a comparison and gate outcome): pure functions from data to markdown."""

from __future__ import annotations

import posixpath
from dataclasses import dataclass

from reporting.changes import data_version_label
from reporting.compare import Comparison
from reporting.confusion import largest_confusions, most_confused_classes
from reporting.curves import curves_markdown
from reporting.gate import GateResult, Status, p_value
from reporting.markdown import cell, code, details, fenced, percent, points, table
from reporting.stats import CONFIDENCE, wilson_interval
from training.inputs import summary

# GitHub rejects comments over 65,536 characters; the rest is room for the comment's marker and footer.
MAX_REPORT_CHARS = 60_000
MAX_CLASS_ROWS = 40  # per-class table rows before it shows only the classes that need attention
MAX_MATRIX_CLASSES = 20  # confusion-matrix side before it shows only the most confused classes
MAX_LISTED = 10  # names listed inline (worse classes, confusions) before "and N more"
MAX_TEXT_REPORT_CHARS = 15_000
IMAGES = (("confusion_matrix.png", "confusion matrix"), ("training_curves.png", "training curves"))


@dataclass(frozen=True)
class Section:
    text: str
    # What stands in for this section when the report must shrink to fit; None: always kept.
    dropped_note: str | None = None


def render_report(
    metrics: dict,
    *,
    title: str,
    comparison: Comparison | None = None,
    no_baseline_reason: str = "none given",
    gate: GateResult | None = None,
    classification_report: str | None = None,
    images: tuple[str, ...] = (),
    limit: int = MAX_REPORT_CHARS,
    production: str = "",
    history: str = "",
) -> str:
    """The whole report; `images` names the PNGs that sit beside it, linked by relative path only."""
    labels = [str(label) for label in metrics["labels"]]
    compared = comparison if comparison and comparison.comparable else None
    sections = [
        Section(f"## {title}"),
        *([Section(gate_banner(gate))] if gate and gate.rules else []),
        *([Section(interrupted_warning(metrics["run"]))] if metrics.get("run", {}).get("interrupted") else []),
        Section(headline(metrics, comparison, no_baseline_reason)),
        *([Section(production)] if production else []),
        *(
            [Section(what_changed_section(comparison), "What changed table")]
            if comparison and comparison.changes
            else []
        ),
        Section("### Per-class results\n\n" + per_class_section(metrics, labels, compared), "per-class table"),
        Section("### Confusion matrix\n\n" + confusion_section(metrics["confusion_matrix"], labels), "confusion table"),
    ]
    if history:  # main's releases and this run (delivery.history_section): context, dropped before the curves
        sections.append(Section(history, "history chart and table"))
    curves = curves_markdown(metrics.get("history", []))
    if curves:
        sections.append(Section("### Training curves\n\n" + curves + epoch_table(metrics), "training curves"))
    if images:
        sections.append(Section(images_block(images), "plot links"))
    if classification_report:
        sections.append(Section(text_report_block(classification_report), "classification_report.txt"))
    sections.append(Section(footer(metrics.get("run", {}))))
    return fit(sections, limit)


def fit(sections: list[Section], limit: int) -> str:
    """Join the sections; drop the least needed ones, from the end, until the report fits in `limit`."""
    texts = [section.text for section in sections]
    report = "\n\n".join(texts) + "\n"
    for index in reversed(range(len(sections))):
        if len(report) <= limit:
            return report
        note = sections[index].dropped_note
        if note:
            texts[index] = f"_The {note} was left out to keep this report under GitHub's comment size limit._"
            report = "\n\n".join(texts) + "\n"
    if len(report) <= limit:
        return report
    cut_note = "\n\n_Report cut here to stay under GitHub's comment size limit._\n"
    return report[: limit - len(cut_note)] + cut_note


GATE_MARKS = {
    Status.PASSED: "✅",
    Status.FAILED: "❌",
    Status.WARNING: "⚠️",
    Status.NOT_CHECKED: "⚪",
    Status.OFF: "⚪",
}


def gate_banner(gate: GateResult) -> str:
    lines = [f"{GATE_MARKS[rule.status]} {cell(rule.message)} (`{rule.rule}`)" for rule in gate.rules]
    if not gate.checked:
        return "**Quality gate: nothing checked.** " + "; ".join(lines)
    if gate.passed and gate.warnings:
        count = len(gate.warnings)
        return f"**Quality gate passed, with {count} warning{'s' if count > 1 else ''}.** " + "; ".join(lines)
    if gate.passed:
        return "**Quality gate passed.** " + "; ".join(lines)
    failed, applied = len(gate.failures), sum(1 for rule in gate.rules if rule.passed is not None)
    head = f"> **Quality gate failed**: {failed} of {applied} rule{'s' if applied > 1 else ''} broken."
    return "\n".join(["> [!CAUTION]", head, *(f"> - {line}" for line in lines)])


def interrupted_warning(run: dict) -> str:
    done, planned = run.get("epochs_completed", "?"), run.get("epochs", "?")
    return (
        "> [!WARNING]\n"
        f"> Training was interrupted after {done} of {planned} epochs; these metrics come from the best epoch reached."
    )


def headline(metrics: dict, comparison: Comparison | None, no_baseline_reason: str) -> str:
    interval = accuracy_interval(metrics["confusion_matrix"])
    accuracy = f"**Accuracy {percent(metrics['accuracy'])}**"
    macro_f1 = f"**macro F1 {percent(metrics['macro_f1'])}**"
    if comparison is None:
        lines = [f"{accuracy} ({interval}) · {macro_f1} · no baseline ({no_baseline_reason})"]
    elif not comparison.comparable:
        lines = [
            f"{accuracy} ({interval}) · {macro_f1}",
            "",
            f"**Not comparable with {comparison.description}**: {comparison.not_comparable}. No change is shown "
            "and the largest-allowed-drop rule is not applied.",
        ]
    elif (metrics.get("run") or {}).get("reused_from"):
        lines = [
            f"{accuracy} ({interval}) · {macro_f1}",
            "",
            f"**Not retrained**: nothing that training reads changed since {comparison.description}. "
            "This run's artifacts are that run's: the comparison is identical, sample for sample.",
        ]
    else:
        name = cell(comparison.name)
        lines = [
            f"{accuracy} ({points(comparison.accuracy_delta)} vs {name}; {interval}) · "
            f"{macro_f1} ({points(comparison.macro_f1_delta)} vs {name})",
            "",
            f"Compared with {comparison.description}: accuracy {percent(comparison.baseline_accuracy)}, "
            f"macro F1 {percent(comparison.baseline_macro_f1)}. {comparison.note or paired_line(comparison)}",
            *retrained_line(comparison),
        ]
    facts = run_facts(metrics)
    return "\n".join([*lines, "", facts]) if facts else "\n".join(lines)


def retrained_line(comparison: Comparison) -> list[str]:
    """Why this run trained although its baseline was there: what differs in what training read."""
    if not comparison.input_changes:
        return []
    return ["", f"Retrained: {cell(summary(comparison.input_changes))}."]


def accuracy_interval(matrix: list[list[int]]) -> str:
    """'95% CI 96.8-99.4%, 355 of 360': the Wilson interval for the accuracy on this many test samples."""
    right, total = sum(matrix[i][i] for i in range(len(matrix))), sum(map(sum, matrix))
    low, high = wilson_interval(right, total)
    return f"{CONFIDENCE:.0%} CI {low * 100:.1f}-{high * 100:.1f}%, {right} of {total}"


def paired_line(comparison: Comparison) -> str:
    """'**-0.56 pp**: 2 fixed, 4 broken, 354 unchanged, McNemar p = 0.69: not significant (alpha 0.05).'"""
    paired = comparison.paired
    if paired is None:
        return "No predictions.csv for both runs, so the change is not tested sample by sample."
    verdict = "significant" if comparison.significant else "not significant"
    return (
        f"**{points(comparison.accuracy_delta)}**: {paired.fixed} fixed, {paired.broken} broken, "
        f"{paired.unchanged} unchanged, McNemar {p_value(paired.p_value)}: {verdict} (alpha {comparison.alpha:g})."
    )


def what_changed_section(comparison: Comparison) -> str:
    rows = [[code(setting), f"{cell(before)} → {cell(now)}"] for setting, before, now in comparison.changes]
    return "### What changed\n\n" + table(["setting", f"{cell(comparison.name)} → this run"], rows, ["l", "l"])


def run_facts(metrics: dict) -> str:
    """One line: dataset, data version, model, split sizes, epochs, seed, duration, commit; whatever the run
    recorded."""
    run = metrics.get("run", {})
    facts = []
    if run.get("dataset"):
        facts.append(f"dataset {code(run['dataset'])}")
    data = data_version_label(run.get("data_version") or {})
    if data:
        facts.append(f"data {code(data)}")
    if run.get("model"):
        facts.append(f"model {code(run['model'])}")
    split = run.get("split") or {}
    if split:
        facts.append("split " + " / ".join(f"{cell(name)} {count}" for name, count in split.items()))
    if run.get("epochs") is not None:
        best = f" (best {metrics['best_epoch']})" if metrics.get("best_epoch") is not None else ""
        facts.append(f"{run['epochs']} epoch{'' if run['epochs'] == 1 else 's'}{best}")
    if run.get("seed") is not None:
        facts.append(f"seed {run['seed']}")
    if isinstance(run.get("duration_s"), int | float):
        facts.append(f"trained in {duration(run['duration_s'])}")
    if run.get("world_size", 1) > 1:
        facts.append(f"{run['world_size']} processes")
    if run.get("commit"):
        facts.append(f"commit `{cell(run['commit'])[:7]}`")
    return " · ".join(facts)


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest} s"


def per_class_section(metrics: dict, labels: list[str], comparison: Comparison | None) -> str:
    worse = comparison.worse if comparison else []
    shown = classes_to_show(metrics, labels, [change.label for change in worse])
    header = ["class", "precision", "recall", "F1"]
    if comparison:
        header.append(f"F1 vs {cell(comparison.name)}")
    header.append("support")
    rows = []
    for label in shown:
        stats = metrics["per_class"][label]
        row = [code(label), percent(stats["precision"]), percent(stats["recall"]), percent(stats["f1"])]
        if comparison:
            change = comparison.classes.get(label)
            row.append("new" if change is None else points(change.delta) + (" ⚠️" if change in worse else ""))
        row.append(str(stats["support"]))
        rows.append(row)
    parts = [table(header, rows)]
    if len(shown) < len(labels):
        parts.append(
            f"Showing {len(shown)} of {len(labels)} classes: "
            + ("the ones that got worse, then " if comparison else "")
            + "the lowest F1. Every class is in classification_report.txt below and in metrics.json."
        )
    if comparison:
        parts.append(change_summary(comparison))
    return "\n\n".join(parts)


def classes_to_show(metrics: dict, labels: list[str], worse: list[str], limit: int = MAX_CLASS_ROWS) -> list[str]:
    """Every label when they fit; otherwise the worse classes, then the lowest F1, in label order."""
    if len(labels) <= limit:
        return labels
    by_f1 = sorted(labels, key=lambda label: metrics["per_class"][label]["f1"])
    picked = list(dict.fromkeys([*worse, *by_f1]))[:limit]
    chosen = set(picked)
    return [label for label in labels if label in chosen]


def change_summary(comparison: Comparison) -> str:
    name = comparison.name
    worse = comparison.worse
    if worse:
        listed = ", ".join(f"{code(c.label)} ({points(c.delta)})" for c in worse[:MAX_LISTED])
        more = f" and {len(worse) - MAX_LISTED} more" if len(worse) > MAX_LISTED else ""
        lines = [f"**Worse than {cell(name)}** (F1, more than noise): {listed}{more}."]
    else:
        lines = [f"No class got worse than {cell(name)} by more than noise."]
    within = comparison.fallen_within_noise
    if within:
        lines.append(f"F1 fell within noise for {listed_labels([c.label for c in within])}.")
    lines.append(noise_rule(comparison))
    if comparison.new_labels:
        lines.append(f"Classes not in {cell(name)}: {listed_labels(comparison.new_labels)}.")
    if comparison.dropped_labels:
        lines.append(f"Classes in {cell(name)} but not in this run: {listed_labels(comparison.dropped_labels)}.")
    return "\n".join(lines)


def noise_rule(comparison: Comparison) -> str:
    """How a class's fall was judged, in one line (with 36 samples a class moves ±3 pp for one sample)."""
    if comparison.paired is not None:
        return (
            f"<sub>⚠️ marks a class whose own test samples got significantly worse (exact McNemar on that "
            f"class's samples, alpha {comparison.alpha:g}).</sub>"
        )
    return (
        f"<sub>⚠️ marks a class whose F1 fell by more than the {CONFIDENCE:.0%} Wilson half-width of "
        f"{cell(comparison.name)}'s F1 over that class's samples (no paired predictions).</sub>"
    )


def listed_labels(labels: list[str]) -> str:
    more = f" and {len(labels) - MAX_LISTED} more" if len(labels) > MAX_LISTED else ""
    return ", ".join(code(label) for label in labels[:MAX_LISTED]) + more


def confusion_section(matrix: list[list[int]], labels: list[str]) -> str:
    indices = list(range(len(labels)))
    if len(labels) > MAX_MATRIX_CLASSES:
        indices = most_confused_classes(matrix, MAX_MATRIX_CLASSES)
    header = ["true ↓ predicted →", *(code(labels[j]) for j in indices)]
    rows = [[code(labels[i]), *(matrix_cell(matrix[i][j], i == j) for j in indices)] for i in indices]
    parts = ["Rows are the true class, columns the predicted one; `·` is zero.", table(header, rows)]
    if len(indices) < len(labels):
        parts.append(
            f"Showing {len(indices)} of {len(labels)} classes: those in the most confusions. "
            "The whole matrix is in metrics.json and confusion_matrix.png."
        )
    confusions = largest_confusions(matrix, labels, MAX_LISTED)
    if confusions:
        listed = "; ".join(
            f"{code(c.true_label)} taken for {code(c.predicted_label)} {times(c.count)} ({percent(c.share, 1)} of "
            f"{code(c.true_label)})"
            for c in confusions
        )
        parts.append(f"**Largest confusions:** {listed}.")
    else:
        parts.append("No confusions: every test sample was classified correctly.")
    return "\n\n".join(parts)


def times(count: int) -> str:
    return "once" if count == 1 else f"{count} times"


def matrix_cell(count: int, diagonal: bool) -> str:
    if diagonal:
        return f"**{count}**"
    return str(count) if count else "·"


def epoch_table(metrics: dict) -> str:
    """The first, best and last epochs as exact numbers (the charts carry no legend)."""
    keys = ("train_loss", "val_loss", "val_accuracy")
    history = [row for row in metrics.get("history", []) if all(isinstance(row.get(k), int | float) for k in keys)]
    if not history:
        return ""
    by_epoch = {row.get("epoch"): row for row in history}
    wanted = {"first": history[0].get("epoch"), "best": metrics.get("best_epoch"), "last": history[-1].get("epoch")}
    rows, seen = [], set()
    for epoch in wanted.values():
        if epoch in by_epoch and epoch not in seen:
            seen.add(epoch)
            row = by_epoch[epoch]
            roles = ", ".join(r for r, e in wanted.items() if e == epoch)
            rows.append(
                [
                    f"{epoch} ({roles})",
                    f"{row['train_loss']:.4f}",
                    f"{row['val_loss']:.4f}",
                    percent(row["val_accuracy"]),
                ]
            )
    if not rows:
        return ""
    return "\n\n" + table(["epoch", "train loss", "val loss", "val accuracy"], rows)


def images_block(images: tuple[str, ...]) -> str:
    names = dict(IMAGES)
    body = "\n\n".join(f"![{names.get(posixpath.basename(image), image)}]({image})" for image in images)
    return details("Plots (PNG files beside report.md in the run's artifacts)", body)


def text_report_block(text: str) -> str:
    if len(text) > MAX_TEXT_REPORT_CHARS:
        text = text[:MAX_TEXT_REPORT_CHARS].rsplit("\n", 1)[0] + "\n… (cut; the full file is in the artifacts)"
    return details("classification_report.txt", fenced(text, "text"))


def footer(run: dict) -> str:
    versions = run.get("versions") or {}
    used = ", ".join(f"{cell(name)} {cell(version)}" for name, version in versions.items())
    suffix = f" Trained with {used}." if used else ""
    return f"<sub>Rendered from metrics.json by `python -m reporting`; no image is uploaded anywhere.{suffix}</sub>"
