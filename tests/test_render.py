"""Tests for reporting/render.py: the report's content, its size limit, and golden files a reviewer can read.

Regenerate the golden files after an intended change with `UPDATE_GOLDEN=1 python -m pytest tests/test_render.py`
and review the diff.
"""

from __future__ import annotations

import os
import random
import re
from pathlib import Path

import pytest
from fake_metrics import diagonal_matrix, make_metrics, paired_runs

from reporting.compare import Comparison, compare
from reporting.gate import check_gate
from reporting.render import MAX_REPORT_CHARS, render_report

GOLDEN = Path(__file__).parent / "golden"
GITHUB_COMMENT_LIMIT = 65_536
IMAGES = ("confusion_matrix.png", "training_curves.png")
TEXT_REPORT = "    precision    recall  f1-score   support\n\n0      0.9500    0.9500    0.9500        20\n"


def digits_run(mistakes: dict[tuple[int, int], int], **kwargs) -> dict:
    return make_metrics(diagonal_matrix(10, 36, mistakes), **kwargs)


def main_baseline() -> dict:
    baseline = digits_run({(8, 1): 1, (9, 3): 1}, commit="fedcba9876543210fedcba9876543210fedcba98")
    return {**baseline, "baseline_source": {"ref": "origin/main", "commit": baseline["run"]["commit"]}}


def assert_matches_golden(text: str, name: str) -> None:
    path = GOLDEN / name
    if os.environ.get("UPDATE_GOLDEN"):
        path.write_text(text, encoding="utf-8")
    assert text == path.read_text(encoding="utf-8"), f"{name} changed; UPDATE_GOLDEN=1 rewrites it for review"


def hundred_class_run() -> tuple[dict, str]:
    """100 classes with scattered confusions over 200 epochs, and a classification report of matching length."""
    rng = random.Random(0)
    labels = [f"species_{i:03d}" for i in range(100)]
    matrix = diagonal_matrix(100, 40, {(rng.randrange(100), rng.randrange(100)): rng.randint(1, 6) for _ in range(400)})
    metrics = make_metrics(matrix, labels, epochs=200)
    lines = [f"{label:>24}     0.9000    0.9000    0.9000        40" for label in labels]
    return metrics, "precision    recall  f1-score   support\n\n" + "\n".join(lines) + "\n"


def test_report_without_baseline_matches_golden() -> None:
    """A passing run with no baseline: headline, run facts, tables, curves, plots, text report (see the golden file)."""
    metrics = digits_run({(8, 1): 2, (9, 3): 1, (2, 8): 1})
    gate = check_gate(metrics, None, min_accuracy=0.9, max_drop=0.01)

    report = render_report(metrics, title="CML report", gate=gate, classification_report=TEXT_REPORT, images=IMAGES)

    assert_matches_golden(report, "report_without_baseline.md")


def test_report_against_main_with_failed_gate_matches_golden() -> None:
    """A run worse than main: deltas, worse classes called out, the failed gate marked at the top (golden file)."""
    baseline = main_baseline()
    metrics = digits_run({(8, 1): 4, (9, 3): 3, (2, 8): 2, (5, 6): 1})
    comparison = compare(metrics, baseline)
    gate = check_gate(metrics, comparison, min_accuracy=0.9, max_drop=0.01)

    report = render_report(metrics, title="CML report", comparison=comparison, gate=gate, images=IMAGES)

    assert_matches_golden(report, "report_vs_main_gate_failed.md")


def paired_main(fixed: int, broken: int, right: int, **config) -> tuple[dict, Comparison]:
    """A two-class run and its comparison with a main baseline on the same test samples, predictions paired."""
    metrics, baseline, predictions, baseline_predictions = paired_runs(fixed, broken, right)
    baseline["baseline_source"] = {"ref": "origin/main", "commit": "fedcba9876543210"}
    for run, overrides in ((baseline["run"], {}), (metrics["run"], config)):
        run["config"] = {"lr": 0.003, "batch_size": 64, "out": "artifacts"} | overrides
    if "epochs" in config:
        metrics["run"] |= {"epochs": config["epochs"], "epochs_completed": config["epochs"]}
    comparison = compare(metrics, baseline, predictions=predictions, baseline_predictions=baseline_predictions)
    return metrics, comparison


def test_report_with_paired_predictions_matches_golden() -> None:
    """Against main on the same samples: delta, fixed/broken/unchanged and McNemar in the headline, the gate's
    warning for a fall larger than allowed but not significant, and the What changed table (golden file)."""
    metrics, comparison = paired_main(2, 5, 193, lr=0.01, epochs=5)
    gate = check_gate(metrics, comparison, min_accuracy=0.9, max_drop=0.01)

    report = render_report(metrics, title="CML report", comparison=comparison, gate=gate)

    assert_matches_golden(report, "report_vs_main_paired.md")


def test_identical_settings_give_no_what_changed_section() -> None:
    """Two runs that differ in nothing they recorded show no What changed section."""
    metrics, comparison = paired_main(2, 2, 96)

    report = render_report(metrics, title="CML report", comparison=comparison)

    assert comparison.changes == [] and "What changed" not in report
    assert "±0.00 pp**: 2 fixed, 2 broken, 96 unchanged, McNemar p = 1.00: not significant (alpha 0.05)." in report


def test_not_comparable_baseline_shows_why_and_no_delta() -> None:
    """Against another dataset the report says why in one line and shows no change, neither overall nor per class."""
    baseline = main_baseline()
    metrics = make_metrics(diagonal_matrix(3, 20, {(0, 1): 2}), ["cat", "dog", "bird"])
    metrics["run"]["dataset"] = "folder:pets"
    comparison = compare(metrics, baseline)

    report = render_report(
        metrics, title="CML report", comparison=comparison, gate=check_gate(metrics, comparison, max_drop=0.01)
    )

    assert "**Not comparable with main @ `fedcba9`**: another dataset (`digits` → `folder:pets`)." in report
    assert " pp vs main" not in report and "F1 vs main" not in report
    assert "⚪ largest allowed drop not applied: main is not comparable with this run" in report


def test_gate_that_checks_nothing_does_not_claim_to_pass() -> None:
    """With every rule off or unchecked the banner says nothing was checked, not that the gate passed."""
    metrics = digits_run({})
    del metrics["run"]["epochs"]

    report = render_report(metrics, title="CML report", gate=check_gate(metrics, None, max_drop=0.01))

    assert "**Quality gate: nothing checked.** ⚪ minimum accuracy: off (`--min-accuracy`)" in report
    assert "Quality gate passed" not in report


def test_failed_gate_is_the_first_thing_after_the_title() -> None:
    """Whoever opens the report sees the failed rule and its numbers before anything else."""
    baseline = main_baseline()
    metrics = digits_run({(8, 1): 9})
    comparison = compare(metrics, baseline)
    gate = check_gate(metrics, comparison, max_drop=0.01)

    lines = render_report(metrics, title="CML report", comparison=comparison, gate=gate).splitlines()

    assert lines[:4] == [
        "## CML report",
        "",
        "> [!CAUTION]",
        "> **Quality gate failed**: 1 of 2 rules broken.",
    ]
    assert lines[4] == "> - ⚪ minimum accuracy: off (`--min-accuracy`)"
    assert "accuracy fell 1.89 pp vs main (99.45% → 97.56%)" in lines[5]


def test_better_run_shows_positive_delta() -> None:
    """A run better than main says so in the headline, with the delta in percentage points."""
    baseline = main_baseline()
    metrics = digits_run({})
    comparison = compare(metrics, baseline)

    report = render_report(metrics, title="CML report", comparison=comparison)

    assert "**Accuracy 100.00%** (+0.55 pp vs main; 95% CI 98.9-100.0%, 360 of 360)" in report
    assert "No class got worse than main by more than noise." in report


def test_hundred_classes_fit_a_github_comment_and_say_what_was_cut() -> None:
    """100 classes stay under GitHub's comment limit; the trimmed tables say what they leave out."""
    metrics, text_report = hundred_class_run()
    baseline = {**metrics, "accuracy": metrics["accuracy"] + 0.001}

    report = render_report(
        metrics,
        title="CML report",
        comparison=compare(metrics, baseline),
        gate=check_gate(metrics, None, min_accuracy=0.5),
        classification_report=text_report,
        images=IMAGES,
    )

    assert len(report) <= MAX_REPORT_CHARS < GITHUB_COMMENT_LIMIT
    assert "Showing 40 of 100 classes: the ones that got worse, then the lowest F1." in report
    assert "Showing 20 of 100 classes: those in the most confusions." in report
    assert "60 of 200 epochs drawn" in report
    assert "species_099" in report  # the full classification report is kept: it fits


def test_report_has_no_external_image() -> None:
    """Images are only the PNGs beside the report, by relative path: nothing is fetched from or sent to a host."""
    metrics, text_report = hundred_class_run()

    report = render_report(metrics, title="CML report", classification_report=text_report, images=IMAGES)

    assert re.findall(r"!\[[^\]]*\]\(([^)]*)\)", report) == list(IMAGES)
    assert "<img" not in report and "://" not in report


def test_oversized_report_drops_optional_sections_first() -> None:
    """When even the trimmed report is too long, whole optional sections give way, each with a note."""
    metrics, text_report = hundred_class_run()

    report = render_report(metrics, title="CML report", classification_report=text_report, limit=12_000)

    assert len(report) <= 12_000
    assert "The classification_report.txt was left out to keep this report under GitHub's comment size limit" in report
    assert report.startswith("## CML report\n\n**Accuracy")


def test_report_is_cut_as_a_last_resort() -> None:
    """A limit too small for even the essentials still gives a report within it, marked as cut."""
    metrics, _ = hundred_class_run()

    report = render_report(metrics, title="CML report", limit=500)

    assert len(report) <= 500
    assert report.endswith("_Report cut here to stay under GitHub's comment size limit._\n")


def test_interrupted_training_is_flagged() -> None:
    """Metrics from an interrupted run carry a warning, since they are not from the planned training."""
    metrics = digits_run({}, interrupted=True)
    metrics["run"]["epochs_completed"] = 2

    report = render_report(metrics, title="CML report")

    assert "> Training was interrupted after 2 of 3 epochs" in report


def test_run_facts_name_the_model() -> None:
    """A run that recorded its model (run.model) names it in the facts line, e.g. a user's module:function."""
    metrics = digits_run({})
    metrics["run"]["model"] = "my_models.nets:build"

    report = render_report(metrics, title="CML report")

    assert "model `my_models.nets:build`" in report


@pytest.mark.parametrize("label", ["a|b", "<script>", "x\ny"], ids=["pipe", "html", "newline"])
def test_odd_labels_cannot_break_the_tables(label: str) -> None:
    """Every table row keeps its column count whatever the class names hold."""
    metrics = make_metrics(diagonal_matrix(2, 5, {(0, 1): 1}), [label, "plain"])

    report = render_report(metrics, title="CML report")

    for block in re.findall(r"(?:^\|.*\|$\n?)+", report, flags=re.MULTILINE):
        rows = block.strip().splitlines()
        widths = {len(re.split(r"(?<!\\)\|", row)) for row in rows}
        assert len(widths) == 1, block
    outside_code = re.sub(r"`[^`]*`", "", report)
    assert "<script>" not in outside_code  # inside a code span GitHub shows it as text


def test_baseline_name_cannot_inject_markup() -> None:
    """A branch name is shown as text, whatever characters git allowed in it."""
    baseline = {**main_baseline(), "baseline_source": {"ref": "origin/<img src=x>"}}
    metrics = digits_run({})

    report = render_report(metrics, title="CML report", comparison=compare(metrics, baseline))

    assert "<img" not in report and "vs &lt;img src=x&gt;;" in report


@pytest.mark.parametrize(
    ("data_version", "fact"),
    [
        ({"source": "dvc", "md5": "5b8a1c2e9d0f47a6b3c1d2e3f4a5b6c7.dir", "path": "data/x"}, "data `dvc:5b8a1c2`"),
        ({"source": "fingerprint", "sha256": "9f8e7d6c" + "0" * 56, "path": "data/x"}, "data `sha256:9f8e7d6`"),
        ({"source": "scikit-learn", "name": "digits", "version": "1.9.1"}, None),
        ({"source": "dvc", "md5": "a`b|c<d"}, "data `dvc:a'b\\|c<d`"),
    ],
    ids=["dvc", "fingerprint", "builtin-named-by-dataset-alone", "markup-in-a-hash-stays-code"],
)
def test_run_facts_name_a_folder_datasets_version(data_version: dict, fact: str | None) -> None:
    """The run facts line says which version of a folder dataset trained (so a PR that changes data shows it)."""
    metrics = digits_run({})
    metrics["run"] |= {"dataset": "folder:data/x", "data_version": data_version}

    report = render_report(metrics, title="CML report")

    facts_line = next(line for line in report.splitlines() if line.startswith("dataset "))
    if fact is None:
        assert " data `" not in facts_line
    else:
        assert facts_line.startswith(f"dataset `folder:data/x` · {fact} · split ")


def test_a_reused_run_says_it_was_not_retrained_and_shows_no_delta() -> None:
    """A run that took its baseline's artifacts: "Not retrained ... since main @ ..." and no ±0.00 pp line."""
    baseline = diagonal_metrics_with_inputs({"training/loop.py": "aa"})
    baseline["baseline_source"] = {
        "kind": "github",
        "ref": "main",
        "commit": "abc1234" + "0" * 33,
        "run_number": 57,
        "run_url": "https://github.com/o/r/actions/runs/9",
    }
    metrics = diagonal_metrics_with_inputs({"training/loop.py": "aa"})
    metrics["run"]["reused_from"] = {"commit": "abc1234" + "0" * 33, "run_number": 57}

    report = render_report(metrics, title="CML report", comparison=compare(metrics, baseline))

    assert "**Not retrained**: nothing that training reads changed since main @ `abc1234` ([run #57](" in report
    assert "pp vs main" not in report


def test_a_retrained_run_says_what_training_read_differently() -> None:
    """Both runs recorded their inputs and a file differs: the report says "Retrained: `training/loop.py` changed"."""
    baseline = diagonal_metrics_with_inputs({"training/loop.py": "aa"})
    metrics = diagonal_metrics_with_inputs({"training/loop.py": "ab"})

    report = render_report(metrics, title="CML report", comparison=compare(metrics, baseline))

    assert "Retrained: `training/loop.py` changed." in report


def diagonal_metrics_with_inputs(files: dict[str, str]) -> dict:
    metrics = make_metrics(diagonal_matrix(3, 10))
    metrics["run"]["inputs"] = {"files": files, "config": {"epochs": 3}, "torch": "2.14.1+cpu"}
    return metrics
