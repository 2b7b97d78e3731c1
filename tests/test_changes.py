"""Tests for reporting/changes.py: the "What changed" rows between a baseline run and this one."""

from __future__ import annotations

from fake_metrics import three_classes

from reporting.changes import what_changed


def with_config(**config) -> dict:
    metrics = three_classes()
    metrics["run"]["config"] = {"epochs": 0, "lr": 0.003, "batch_size": 64, "out": "artifacts", **config}
    return metrics


def test_identical_runs_change_nothing() -> None:
    """Two runs with the same config, data, split and versions give no rows."""
    assert what_changed(with_config(), with_config()) == []


def test_changed_settings_are_listed_baseline_first() -> None:
    """Resolved epochs, config values, the dataset fingerprint, split sizes and versions that differ are listed as
    (setting, baseline, this run); where the artifacts went does not count."""
    baseline = with_config()
    current = with_config(lr=0.01, out="elsewhere")
    current["run"] |= {"epochs": 30, "dataset_fingerprint": "f" * 64, "device": "cuda"}
    current["run"]["versions"] = {**current["run"]["versions"], "torch": "2.15.0"}
    current["run"]["split"] = {**current["run"]["split"], "test": 100}
    baseline["run"] |= {"dataset_fingerprint": "d" * 64, "device": "cpu"}

    rows = what_changed(current, baseline)

    assert rows == [
        ("lr", "0.003", "0.01"),
        ("epochs", "3", "30"),
        ("dataset fingerprint", "dddddddddddd", "ffffffffffff"),
        ("test samples", "60", "100"),
        ("device", "cpu", "cuda"),
        ("torch", "2.14.1", "2.15.0"),
    ]


def test_a_setting_only_one_run_recorded_is_not_a_change() -> None:
    """An older baseline that did not record a setting shows no row for it."""
    baseline = three_classes()
    current = with_config()
    current["run"]["split_seed"] = 0

    assert what_changed(current, baseline) == []


def test_a_changed_data_version_is_shown_as_the_reports_short_label() -> None:
    """A PR that changes DVC-tracked data lists the data version as `dvc:<7 hex>` on both sides, not as JSON."""
    baseline, current = with_config(), with_config()
    baseline["run"]["data_version"] = {"source": "dvc", "md5": "a" * 32 + ".dir", "path": "data/x", "dvc_file": "d"}
    current["run"]["data_version"] = {"source": "dvc", "md5": "b" * 32 + ".dir", "path": "data/x", "dvc_file": "d"}

    assert what_changed(current, baseline) == [("data version", "dvc:aaaaaaa", "dvc:bbbbbbb")]
