"""Tests for reporting/compare.py: deltas against the baseline and the classes that got worse."""

from __future__ import annotations

import pytest
from fake_metrics import three_classes

from reporting.compare import baseline_description, baseline_name, compare


def test_compare_gives_headline_deltas() -> None:
    """Deltas are this run minus the baseline: positive when this run is better."""
    baseline = three_classes({(0, 1): 3})
    current = three_classes({(0, 1): 1})

    comparison = compare(current, baseline)

    assert comparison.accuracy_delta == pytest.approx(current["accuracy"] - baseline["accuracy"])
    assert comparison.accuracy_delta > 0
    assert comparison.baseline_accuracy == baseline["accuracy"]


def test_compare_lists_worse_classes_largest_fall_first() -> None:
    """Classes whose F1 fell are the worse ones, the largest fall first; unchanged ones are not."""
    baseline = three_classes()
    current = three_classes({(1, 0): 4, (2, 0): 1})  # cat's precision falls most, then dog's and bird's recall

    worse = compare(current, baseline).worse

    assert [change.label for change in worse] == ["cat", "dog", "bird"]
    assert worse[0].delta < worse[1].delta < worse[2].delta < 0


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
