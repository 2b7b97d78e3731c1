"""commands.predict and the `invoke predict` task: the exact command they run."""

from __future__ import annotations

import pytest
from helpers import PY, project_context

import tasks
from commands.predict import default_model, predict_command


def test_default_model_lives_in_the_artifact_dir():
    """The default checkpoint is <artifacts>/model.pt."""
    assert default_model("out/run1") == "out/run1/model.pt"


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "python -m inference --input 'my images' --model artifacts/model.pt"),
        (
            {"output": "preds.csv", "batch_size": 64, "top_k": 3, "recursive": True},
            "python -m inference --input 'my images' --model artifacts/model.pt --output preds.csv"
            " --batch-size 64 --top-k 3 --recursive",
        ),
    ],
    ids=["minimal", "every-flag"],
)
def test_predict_command(options, expected):
    """Only the flags that are set are passed; paths are shell-quoted."""
    command = predict_command(input_path="my images", model="artifacts/model.pt", **options)

    assert command == expected


def test_task_uses_the_defaults_from_invoke_yaml():
    """`invoke predict --input x` predicts with <artifacts>/model.pt and the configured batch size."""
    c = project_context()

    tasks.predict(c, input="digits/")

    c.run.assert_called_once_with(
        f"{PY} -m inference --input digits/ --model artifacts/model.pt --batch-size 256", echo=True, pty=False
    )


def test_task_flags_override_the_defaults():
    """Flags given to the task win over invoke.yaml."""
    c = project_context()

    tasks.predict(c, input="x.npy", model="m.pt", output="p.json", batch_size=8, top_k=2, recursive=True)

    c.run.assert_called_once_with(
        f"{PY} -m inference --input x.npy --model m.pt --output p.json --batch-size 8 --top-k 2 --recursive",
        echo=True,
        pty=False,
    )


def test_task_model_follows_the_artifact_dir():
    """With no model configured, a different artifact dir moves the default checkpoint with it."""
    c = project_context(artifacts="runs/42")

    tasks.predict(c, input="a.png")

    c.run.assert_called_once_with(
        f"{PY} -m inference --input a.png --model runs/42/model.pt --batch-size 256", echo=True, pty=False
    )


def test_predict_task_passes_typed_values_through_for_inference_to_check() -> None:
    """`--batch-size 0` reaches python -m inference (which refuses it) instead of becoming the default."""
    c = project_context()

    tasks.predict(c, input="samples/digits", batch_size="0", top_k="3")

    command = c.run.call_args.args[0]
    assert "--batch-size 0" in command and "--top-k 3" in command
