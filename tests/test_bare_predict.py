"""benchmarks/bare_predict.py: the inference benchmark's baseline predicts what `python -m inference` predicts."""

from __future__ import annotations

import csv
import os
import subprocess
import sys
from pathlib import Path

from helpers import ROOT


def test_the_bare_loop_predicts_the_same_labels_as_inference(tmp_path: Path) -> None:
    """On the sample digits and the sample model, the bare loop's labels equal inference's (so the benchmark
    compares the same work), with the checkpoint's per-channel statistics."""
    environment = {**os.environ, "PYTHONPATH": str(ROOT)}
    bare = subprocess.run(
        [sys.executable, "benchmarks/bare_predict.py", "samples/model.pt", "samples/digits"],
        capture_output=True, text=True, cwd=ROOT, env=environment, timeout=120, check=True,
    )  # fmt: skip
    output = tmp_path / "predictions.csv"
    subprocess.run(
        [sys.executable, "-m", "inference", "--input", "samples/digits", "--model", "samples/model.pt",
         "--output", str(output)],
        capture_output=True, cwd=ROOT, env=environment, timeout=120, check=True,
    )  # fmt: skip

    bare_labels = dict(line.split() for line in bare.stdout.splitlines())
    with output.open(newline="") as handle:
        inference_labels = {row["input"]: row["prediction"] for row in csv.DictReader(handle)}
    assert len(bare_labels) == 10
    assert bare_labels == inference_labels
