"""The drift rule: many small drops that each pass the gate are caught against the history, seed noise never
fails it, and it never compares across a data change."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from history_runs import crafted_run, release_history, seed_runs_once

from delivery.history import read_history
from delivery.history_cli import main as history_main
from delivery.history_drift import check_max_drift, holm, measure_drift
from reporting.compare import compare
from reporting.gate import Status, check_max_drop
from reporting.predictions import load_predictions

MAX_DRIFT = 0.01
MAX_DROP = 0.01
NEW_DATA = {"dataset_fingerprint": "d" * 64, "data_version": {"source": "dvc", "md5": "feedbeef" * 4}}


def files(run: Path) -> tuple[dict, dict[str, tuple[str, str]]]:
    return json.loads((run / "metrics.json").read_text()), load_predictions(run / "predictions.csv")


def drift_rule(run: Path, history: Path, window: int = 10):
    metrics, predictions = files(run)
    return check_max_drift(measure_drift(metrics, predictions, read_history(history), window=window), MAX_DRIFT)


def test_holm_adjusts_the_smallest_p_by_the_number_of_tests() -> None:
    """Holm: sorted p-values times m, m-1, ..., kept monotone and capped at 1; in the order given."""
    assert holm([0.01, 0.04, 0.03, 0.5]) == pytest.approx([0.04, 0.09, 0.09, 0.5])
    assert holm([0.3]) == [0.3]
    assert holm([]) == []


@pytest.fixture(scope="module")
def small_drops(trained_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Nine releases of one real run: each breaks 2 more of its test samples than the one before and fixes none."""
    scratch = tmp_path_factory.mktemp("small-drops")
    return [crafted_run(trained_checkpoint, scratch / f"r{k}", 2 * k) for k in range(9)]


def test_small_drops_pass_the_gate_step_by_step_and_fail_the_drift_rule(
    small_drops: list[Path], tmp_path: Path
) -> None:
    """Run n (after releases model-v1..model-vn): against its parent every step is -0.56 pp, 0 fixed, 2 broken,
    p = 0.5, so the gate passes; the drift rule fails at run 4, the first whose fall against model-v1
    (2.22 pp, 8 broken) is both more than 1 pp and significant after the Holm correction over the releases."""
    outcomes = []
    for n in range(1, len(small_drops)):
        history = release_history(tmp_path / f"history-{n}", small_drops[:n])
        metrics, predictions = files(small_drops[n])
        parent, parent_predictions = files(small_drops[n - 1])
        step = compare(metrics, parent, predictions=predictions, baseline_predictions=parent_predictions)
        gate = check_max_drop(metrics["accuracy"], step, MAX_DROP)
        drift = drift_rule(small_drops[n], history)
        outcomes.append((n, gate.status, drift.status, drift.message))

    assert all(gate is Status.PASSED for _, gate, _, _ in outcomes)
    assert [n for n, _, drift, _ in outcomes if drift is Status.FAILED] == [4, 5, 6, 7, 8]
    n, _, _, message = outcomes[3]
    accuracy = json.loads((small_drops[0] / "metrics.json").read_text())["accuracy"]
    assert message == (
        "-2.22 pp against model-v1 (main @ `0000001`), the most significant fall of the last 4: 0 fixed, 8 broken, "
        "McNemar p = 0.0078, Holm-adjusted p = 0.031: drifted more than the allowed 1.00 pp "
        f"({accuracy:.2%} → {accuracy - 8 / 360:.2%})"
    )
    assert [message.split(": ")[-1] for _, _, _, message in outcomes[:3]] == [
        "within the allowed drift of 1.00 pp",
        "within noise",  # 1.11 pp, 4 broken: p = 0.125
        "within noise",  # 1.67 pp, 6 broken: p = 0.031 alone, 0.094 once corrected for the three releases
    ]


def test_the_window_keeps_the_rule_to_the_last_releases(small_drops: list[Path], tmp_path: Path) -> None:
    """With a window of 2, run 8 is compared with model-v7 and model-v8 only: 4 broken, not significant."""
    history = release_history(tmp_path / "history", small_drops[:8])

    rule = drift_rule(small_drops[8], history, window=2)

    assert rule.status is Status.PASSED
    assert rule.message.startswith(
        "-1.11 pp against model-v7 (main @ `0000007`), the most significant fall of the last 2"
    )


def test_a_data_version_change_is_not_compared_across(trained_checkpoint: Path, tmp_path: Path) -> None:
    """Three releases on the old data version (all better), two on the new: the run is compared with the two only."""
    old = crafted_run(trained_checkpoint, tmp_path / "old", 0, run_changes=NEW_DATA)
    new = crafted_run(trained_checkpoint, tmp_path / "new", 10)
    run = crafted_run(trained_checkpoint, tmp_path / "run", 12)
    history = release_history(tmp_path / "history", [old, old, old, new, new])

    rule = drift_rule(run, history)

    assert rule.status is Status.PASSED
    assert rule.message.startswith(
        "-0.56 pp against model-v4 (main @ `0000004`), the most significant fall of the last 2"
    )


def test_a_run_on_new_data_has_nothing_to_compare_with(trained_checkpoint: Path, tmp_path: Path) -> None:
    """A run on a new data version against a history all on the old one: ⚪, and it says why."""
    old = crafted_run(trained_checkpoint, tmp_path / "old", 0)
    run = crafted_run(trained_checkpoint, tmp_path / "run", 20, run_changes=NEW_DATA)

    rule = drift_rule(run, release_history(tmp_path / "history", [old, old]))

    assert rule.status is Status.NOT_CHECKED
    assert rule.message.startswith(
        "drift not checked: none of the 2 releases in the history was tested on this run's data and test split "
        "(the dataset `digits` changed (fingerprint `"
    )


@pytest.mark.parametrize(
    ("max_drift", "status", "message"),
    [
        (None, Status.OFF, "largest allowed drift: off"),
        (1.0, Status.OFF, "largest allowed drift: off"),
        (0.01, Status.NOT_CHECKED, "drift not checked: no history (`invoke history` makes one)"),
    ],
    ids=["null", "one", "no-history"],
)
def test_off_and_not_checked(max_drift: float | None, status: Status, message: str) -> None:
    """The rule is off at null or 1, and ⚪ not checked without a history."""
    rule = check_max_drift(None, max_drift)

    assert (rule.status, rule.message) == (status, message)


@pytest.fixture(scope="module")
def seed_runs(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """Twenty real 10-epoch digits runs of the same code, seeds 0..19 (once per session: about 30 s on two
    idle cores)."""
    return seed_runs_once(tmp_path_factory)


@pytest.mark.slow
def test_seed_only_runs_never_fail_the_drift_rule(seed_runs: list[Path], tmp_path: Path) -> None:
    """Ten runs that differ from a history of ten others only in the training seed: the drift rule fails none,
    though some fall by more than 1 pp against the best of them (noise, which the Holm correction tells)."""
    runs = tmp_path / "runs"
    runs.mkdir()
    for run in seed_runs[:10]:
        (runs / run.name).symlink_to(run, target_is_directory=True)
    assert history_main(["history", "--from", str(runs), "--out", str(tmp_path / "history")]) == 0

    rules = [drift_rule(run, tmp_path / "history") for run in seed_runs[10:]]

    assert [rule.message for rule in rules if rule.status is not Status.PASSED] == []
