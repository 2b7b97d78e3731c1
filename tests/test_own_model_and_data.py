"""End to end through the tasks CI runs: an RGB image folder and a model of your own, train -> report -> predict."""

from __future__ import annotations

import csv
import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT

from benchmarks.image_folder import SHAPES, write_shapes_folder


def invoke(*args: str, tmp_path: Path) -> subprocess.CompletedProcess:
    """`invoke ARGS` from the repository root, comparing with no baseline (none exists under tmp_path)."""
    env = {**os.environ, "INVOKE_BASELINE_OUT": str(tmp_path / "no-baseline" / "metrics.json")}
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=900
    )


def train_report_predict(tmp_path: Path, dataset: str, model: str, epochs: int, inputs: Path, *extra: str):
    """Run the three tasks; return (metrics.json, report.md, predictions rows, predict's stderr)."""
    artifacts, predictions = tmp_path / "artifacts", tmp_path / "predictions.csv"
    train_args = ["--dataset", dataset, "--model", model, "--epochs", str(epochs), "--artifacts", str(artifacts)]
    trained = invoke("train", *train_args, *extra, tmp_path=tmp_path)
    assert trained.returncode == 0, trained.stderr[-3000:]
    reported = invoke("report", "--artifacts", str(artifacts), "--min-accuracy", "0", tmp_path=tmp_path)
    assert reported.returncode == 0, reported.stderr[-3000:]
    predict_args = ["--input", str(inputs), "--model", str(artifacts / "model.pt"), "--output", str(predictions)]
    predicted = invoke("predict", *predict_args, "--recursive", tmp_path=tmp_path)
    assert predicted.returncode == 0, predicted.stderr[-3000:]
    metrics = json.loads((artifacts / "metrics.json").read_text())
    with predictions.open() as rows:
        return metrics, (artifacts / "report.md").read_text(), list(csv.DictReader(rows)), predicted.stderr


def shape_accuracy(rows: list[dict]) -> float:
    """Share of predictions that name the shape folder the image sits in."""
    return sum(Path(row["input"]).parent.name == row["prediction"] for row in rows) / len(rows)


@pytest.mark.slow
def test_rgb_shapes_folder_trains_reports_and_predicts(tmp_path: Path):
    """Coloured shapes (4 classes, random colours and sizes, 480 PNGs) train the CNN on three channels well above
    chance; report and predict use it, and the PNGs reach the model in colour without a conversion note.

    (resnet18 is not run here: on a few hundred images it did not beat chance within a CPU test's budget.)"""
    folder = write_shapes_folder(tmp_path / "shapes", 480, 24)
    model = "cnn"

    metrics, report, rows, stderr = train_report_predict(
        tmp_path, f"folder:{folder}", model, 20, folder, "--image-size", "24"
    )

    chance = 1 / len(SHAPES)
    assert metrics["run"]["model"] == model and metrics["accuracy"] > chance + 0.3
    assert f"model `{model}`" in report
    assert len(rows) == 480 and shape_accuracy(rows) > chance + 0.3
    assert "converted" not in stderr


def test_own_model_factory_trains_reports_and_predicts(tmp_path: Path):
    """examples/my_model.py's factory, named as module:function, trains on the digits; the report names it and
    inference rebuilds it from the checkpoint to predict the sample PNGs."""
    metrics, report, rows, stderr = train_report_predict(
        tmp_path, "digits", "examples.my_model:build", 8, ROOT / "samples" / "digits"
    )

    assert metrics["run"]["model"] == "examples.my_model:build" and metrics["accuracy"] > 0.5
    assert "model `examples.my_model:build`" in report
    assert len(rows) == 10 and sum(Path(r["input"]).stem.endswith(r["prediction"]) for r in rows) >= 5
    assert "converted" not in stderr
