"""training.sidecar: the forked helper gives what the in-process steps give, and fails loudly."""

from __future__ import annotations

import json
import os
import signal
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import run_fresh_scenario, splits_from_child_and_here

from training import sidecar as sidecar_module
from training.config import DataError, TrainConfig
from training.sidecar import ForkedSidecar

HISTORY = [{"epoch": 1, "train_loss": 1.0, "val_loss": 0.9, "val_accuracy": 0.5, "lr": 0.001}]


def test_forked_and_in_process_sidecars_load_the_same_splits() -> None:
    """The forked child's splits are identical to loading in this process."""
    options = TrainConfig(seed=5).data_options()
    from_child, here = splits_from_child_and_here(options)

    for name in ("train", "val", "test"):
        assert np.array_equal(getattr(from_child, name).images, getattr(here, name).images)
        assert np.array_equal(getattr(from_child, name).targets, getattr(here, name).targets)
        assert getattr(from_child, name).ids == getattr(here, name).ids
    assert from_child.labels == here.labels
    assert from_child.dataset_fingerprint == here.dataset_fingerprint


def test_forked_sidecar_writes_the_reports_and_returns_metrics(tmp_path: Path) -> None:
    """After the splits, a report request writes the text report and both PNGs and returns metrics."""
    sidecar = ForkedSidecar(TrainConfig().data_options())
    y_true = np.array([0, 1, 2, 2])
    y_pred = np.array([0, 1, 2, 1])

    try:
        sidecar.splits()
        sidecar.request_reports(
            out=str(tmp_path),
            y_true=y_true,
            y_pred=y_pred,
            labels=["a", "b", "c"],
            history=HISTORY,
            ids=["w", "x", "y", "z"],
            confidence=np.full(4, 0.5),
        )
        metrics = sidecar.reports()
    finally:
        sidecar.close()

    assert metrics["accuracy"] == 0.75
    assert metrics["confusion_matrix"] == [[1, 0, 0], [0, 1, 0], [0, 1, 1]]
    assert {p.name for p in tmp_path.iterdir()} == {
        "classification_report.txt",
        "confusion_matrix.png",
        "predictions.csv",
        "training_curves.png",
    }
    assert json.dumps(metrics)  # plain data, ready for metrics.json


def test_a_data_error_in_the_child_is_raised_here(tmp_path: Path) -> None:
    """A dataset the child cannot read raises DataError with the child's message in this process."""
    from PIL import Image

    (tmp_path / "only-one-class").mkdir()
    Image.new("L", (8, 8)).save(tmp_path / "only-one-class" / "a.png")
    sidecar = ForkedSidecar(TrainConfig(dataset=f"folder:{tmp_path}").data_options())

    with pytest.raises(DataError, match="at least two classes"):
        try:
            sidecar.splits()
        finally:
            sidecar.close()


def test_a_crash_in_the_child_is_a_runtime_error_with_its_traceback(tmp_path: Path) -> None:
    """An unexpected failure while writing reports surfaces as RuntimeError carrying the child's traceback."""
    sidecar = ForkedSidecar(TrainConfig().data_options())

    with pytest.raises(RuntimeError, match="sidecar process failed"):
        try:
            sidecar.splits()
            sidecar.request_reports(
                out=str(tmp_path),
                y_true=np.array([0]),
                y_pred=np.array([0]),
                labels=[],
                history=[],
                ids=["a"],
                confidence=np.ones(1),
            )
            sidecar.reports()
        finally:
            sidecar.close()


def test_closing_without_reports_ends_the_child() -> None:
    """A rank that needs no reports just closes; the child exits on its own."""
    sidecar = ForkedSidecar(TrainConfig().data_options())
    sidecar.splits()

    sidecar.close()

    assert sidecar._process.exitcode == 0


def test_a_parent_that_stops_early_leaves_the_child_quiet(capfd: pytest.CaptureFixture) -> None:
    """If training stops before taking the data (a bad flag), the child exits 0 without a traceback."""
    sidecar = ForkedSidecar(TrainConfig().data_options())

    sidecar.close()

    assert sidecar._process.exitcode == 0
    assert "Traceback" not in capfd.readouterr().err


def test_folder_splits_cross_the_pipe_as_memmaps_of_the_same_files(tmp_path: Path) -> None:
    """The sidecar decodes a folder with a pool of processes; the splits arrive as memmaps of the cache's files
    (mapped again, not copied through the pipe). Run from a fresh interpreter, as training forks its sidecar."""
    done = run_fresh_scenario("folder_splits_cross_the_pipe", tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "folder_splits_cross_the_pipe: ok" in done.stdout


def _die_leaving_a_grandchild(conn, parent_end, load_kwargs, grandchild_pid_file):
    """A sidecar that forks a long-lived child of its own (as its decoding pool does), then dies without
    answering: the grandchild still holds the pipe open."""
    parent_end.close()
    pid = os.fork()
    if pid == 0:
        time.sleep(60)
        os._exit(0)
    Path(grandchild_pid_file).write_text(str(pid))
    os._exit(9)


def test_a_sidecar_that_dies_is_an_error_even_while_its_children_hold_the_pipe(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The training process notices the sidecar died (RuntimeError with its exit code) instead of waiting
    on a pipe that the sidecar's own children keep open."""
    pid_file = tmp_path / "grandchild.pid"
    monkeypatch.setattr(
        sidecar_module,
        "_serve",
        lambda conn, parent_end, kwargs: _die_leaving_a_grandchild(conn, parent_end, kwargs, pid_file),
    )
    sidecar = ForkedSidecar(TrainConfig().data_options())
    try:
        with pytest.raises(RuntimeError, match=r"the sidecar process died \(exit code 9\)"):
            sidecar.splits()
    finally:
        sidecar.close()
        os.kill(int(pid_file.read_text()), signal.SIGKILL)
