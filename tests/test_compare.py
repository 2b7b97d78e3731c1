"""Tests for reporting/compare.py: deltas against the baseline and the classes that got worse."""

from __future__ import annotations

import pytest
from fake_metrics import diagonal_matrix, make_metrics, paired_runs, three_classes

from reporting.compare import Paired, baseline_description, baseline_name, compare


def test_compare_gives_headline_deltas() -> None:
    """Deltas are this run minus the baseline: positive when this run is better."""
    baseline = three_classes({(0, 1): 3})
    current = three_classes({(0, 1): 1})

    comparison = compare(current, baseline)

    assert comparison.accuracy_delta == pytest.approx(current["accuracy"] - baseline["accuracy"])
    assert comparison.accuracy_delta > 0
    assert comparison.baseline_accuracy == baseline["accuracy"]


def test_without_predictions_a_class_is_worse_when_it_fell_more_than_its_wilson_half_width() -> None:
    """Unpaired, a class is worse when its F1 fell by more than the baseline F1's 95% Wilson half-width over the
    class's samples (8 points for 20 samples at 100%), largest fall first; a smaller fall is noise."""
    baseline = three_classes()
    current = three_classes({(1, 0): 8, (2, 0): 1})  # cat's precision falls most, then dog's recall; bird's a little

    comparison = compare(current, baseline)

    assert [change.label for change in comparison.worse] == ["cat", "dog"]
    assert comparison.worse[0].delta < comparison.worse[1].delta < -0.08
    assert [change.label for change in comparison.fallen_within_noise] == ["bird"]


def test_with_predictions_a_class_is_worse_when_its_own_samples_got_significantly_worse() -> None:
    """Paired, a class is worse when McNemar on that class's own test samples is significant; the headline
    counts every sample fixed, broken and unchanged."""
    metrics, baseline, predictions, baseline_predictions = paired_runs(0, 12, right=88)

    comparison = compare(metrics, baseline, predictions=predictions, baseline_predictions=baseline_predictions)

    assert comparison.paired == Paired(fixed=0, broken=12, unchanged=88)
    assert comparison.classes["a"].paired == Paired(fixed=0, broken=6, unchanged=44)
    assert comparison.classes["a"].paired.p_value == pytest.approx(2 / 64)
    assert sorted(change.label for change in comparison.worse) == ["a", "b"] and comparison.significant


def test_predictions_of_other_samples_are_not_paired() -> None:
    """Predictions whose ids or labels differ from the baseline's give no paired counts."""
    metrics, baseline, predictions, baseline_predictions = paired_runs(1, 1, right=8)
    renamed = {f"x{key}": value for key, value in baseline_predictions.items()}

    comparison = compare(metrics, baseline, predictions=predictions, baseline_predictions=renamed)

    assert comparison.paired is None and comparison.classes["a"].paired is None


@pytest.mark.parametrize(
    ("change", "reason"),
    [
        (
            {"dataset": "folder:pets", "dataset_fingerprint": "f" * 64},
            "another dataset (`digits` → `folder:pets`)",
        ),
        (
            {"dataset_fingerprint": "f" * 64},
            "the dataset `digits` changed (fingerprint `dddddddddddd` → `ffffffffffff`)",
        ),
        ({"test_fingerprint": "e" * 64, "split_seed": 1}, "tested on other samples (split seed 0 → 1)"),
        ({"test_fingerprint": "e" * 64}, "tested on other samples (another test split)"),
    ],
    ids=["other-dataset", "changed-dataset", "other-split-seed", "other-test-split"],
)
def test_runs_on_other_data_are_not_comparable_and_say_why(change: dict, reason: str) -> None:
    """Another dataset fingerprint or test-split fingerprint makes the runs not comparable, with the reason."""
    fingerprints = {"dataset_fingerprint": "d" * 64, "test_fingerprint": "t" * 64, "split_seed": 0}
    baseline, current = three_classes(), three_classes()
    baseline["run"] |= fingerprints
    current["run"] |= fingerprints | change

    comparison = compare(current, baseline)

    assert comparison.not_comparable == reason and not comparison.comparable


def test_another_label_set_is_not_comparable() -> None:
    """A 3-class run against a 10-class baseline is not comparable, even when neither records fingerprints."""
    baseline = {**make_metrics(diagonal_matrix(10, 36)), "baseline_source": {"ref": "origin/main"}}
    current = three_classes()

    comparison = compare(current, baseline)

    assert comparison.not_comparable == "other classes (10 → 3: `0`, `1`, `2`, `3`, … → `cat`, `dog`, `bird`)"


def test_old_baseline_without_fingerprints_is_compared_with_a_note() -> None:
    """A baseline from before fingerprints is compared number to number, and the comparison says so."""
    baseline = {**three_classes(), "baseline_source": {"ref": "origin/main"}}
    current = three_classes()
    current["run"] |= {"dataset_fingerprint": "d" * 64, "test_fingerprint": "t" * 64}

    comparison = compare(current, baseline)

    assert comparison.comparable
    assert comparison.note.startswith("main records no test-split fingerprint (made before runs recorded one)")


def test_compare_ignores_rounding_noise() -> None:
    """An F1 equal up to float noise is not a regression."""
    baseline = three_classes()
    current = three_classes()
    current["per_class"]["cat"]["f1"] -= 1e-9

    comparison = compare(current, baseline)

    assert comparison.worse == []


def test_compare_reports_labels_on_one_side_only() -> None:
    """A class only in this run is new; one only in the baseline is dropped."""
    baseline = three_classes()
    current = three_classes()
    current["labels"][2] = "fish"
    current["per_class"]["fish"] = current["per_class"].pop("bird")

    comparison = compare(current, baseline)

    assert (comparison.new_labels, comparison.dropped_labels) == (["fish"], ["bird"])
    assert set(comparison.classes) == {"cat", "dog"}


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"ref": "origin/main"}, "main"),
        ({"ref": "refs/heads/release"}, "release"),
        ({"ref": "v1.2"}, "v1.2"),
        (None, "baseline"),
    ],
    ids=["remote-branch", "full-ref", "tag", "unknown"],
)
def test_baseline_name_reads_the_ref_it_was_made_from(source: dict | None, expected: str) -> None:
    """The report says 'vs main' for a baseline made from origin/main, 'vs baseline' when it cannot tell."""
    baseline = {**three_classes(), "baseline_source": source}

    assert baseline_name(baseline) == expected


SHA = "abc1234def5678abc1234def5678abc1234def56"
RUN_URL = "https://github.example/octo/cml/actions/runs/99"


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ({"ref": "origin/main", "commit": SHA}, "main @ `abc1234`"),
        (
            {"kind": "github", "ref": "main", "commit": SHA, "run_number": 57, "run_url": RUN_URL, "commits_behind": 0},
            f"main @ `abc1234` ([run #57]({RUN_URL}))",
        ),
        (
            {"kind": "github", "ref": "main", "commit": SHA, "run_number": 57, "run_url": RUN_URL, "commits_behind": 2},
            f"main @ `abc1234` ([run #57]({RUN_URL})), 2 commits behind main's head",
        ),
        (
            {"kind": "github", "ref": "main", "commit": SHA, "run_number": 8, "run_url": "javascript:x"},
            "main @ `abc1234` (run #8)",
        ),
        (
            {
                "kind": "train",
                "ref": "main",
                "commit": SHA,
                "retrain_reason": "no CML run artifact for abc1234, expired",
            },
            "main @ `abc1234` (retrained: no CML run artifact for abc1234, expired)",
        ),
        (
            {
                "kind": "train",
                "ref": "main",
                "commit": SHA,
                "overrides": {"epochs": 3},
                "retrain_reason": "--epochs given",
            },
            "main @ `abc1234` (retrained with epochs 3: --epochs given)",
        ),
        ({"kind": "train", "ref": "main", "commit": SHA}, "main @ `abc1234` (retrained)"),
        (None, "baseline @ `0123456`"),
    ],
    ids=["legacy", "github", "github-behind", "github-odd-url", "retrained-why", "overrides", "retrained", "unknown"],
)
def test_baseline_description_says_where_the_baseline_came_from(source: dict | None, expected: str) -> None:
    """The report names the baseline with its commit and origin: the CML run it was downloaded from (and how far
    behind the branch head), or that it was retrained, with which overrides and why."""
    baseline = {**three_classes(), "baseline_source": source}

    assert baseline_description(baseline) == expected
    assert compare(three_classes(), baseline).description == expected
