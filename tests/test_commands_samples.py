"""commands.samples and `invoke sample-model`: the committed sample checkpoint, and how it is remade."""

from __future__ import annotations

import json
import subprocess
import sys

from helpers import ROOT, project_context

import tasks
from commands.samples import SAMPLE_MODEL, sample_model_command


def test_the_committed_sample_model_loads_with_the_current_code_and_reads_every_sample_digit(tmp_path):
    """samples/model.pt is small, loads safely with today's checkpoint code and predicts each samples/digits image
    as the digit its name says."""
    output = tmp_path / "predictions.json"

    done = subprocess.run(
        [sys.executable, "-m", "inference", "--model", SAMPLE_MODEL, "--input", "samples/digits", "--output", output],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert done.returncode == 0, done.stderr
    assert (ROOT / SAMPLE_MODEL).stat().st_size < 400_000
    predicted = {row["input"].rsplit("/", 1)[-1]: row["prediction"] for row in json.loads(output.read_text())}
    assert predicted == {f"digit-{digit}.png": str(digit) for digit in range(10)}


def test_sample_model_command_trains_with_a_fixed_seed_and_thread_count_then_copies_the_model():
    """A short digits training with seed and threads fixed (so the bytes are reproducible), then a copy of model.pt."""
    command = sample_model_command(out="samples/model.pt", scratch="artifacts/sample-model")

    assert command == (
        "python -m training --dataset digits --epochs 5 --seed 0 --threads 1 --out artifacts/sample-model"
        " && cp artifacts/sample-model/model.pt samples/model.pt"
    )


def test_sample_model_task_writes_where_invoke_yaml_says_run_infer_reads():
    """`invoke sample-model` writes docker.smoke_model, the model `invoke run-infer` mounts by default."""
    c = project_context()

    tasks.sample_model(c)

    assert c.config.docker.smoke_model == SAMPLE_MODEL
    c.run.assert_called_once_with(sample_model_command(out=SAMPLE_MODEL, python=sys.executable), echo=True, pty=False)
