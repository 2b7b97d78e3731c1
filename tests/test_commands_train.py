"""commands.train and the `invoke train` task: the exact training command."""

from __future__ import annotations

import pytest
from invoke import Config, MockContext, Result

import tasks
from commands.train import train_command


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        (
            {"dataset": "digits", "seed": 0, "out": "artifacts"},
            "python -m training --dataset digits --seed 0 --out artifacts",
        ),
        (
            {"dataset": "folder:my data", "seed": 3, "out": "out", "epochs": 5},
            "python -m training --dataset 'folder:my data' --seed 3 --out out --epochs 5",
        ),
    ],
    ids=["defaults-leave-epochs-to-training", "quoted-folder-and-epochs"],
)
def test_train_command(kwargs: dict, expected: str) -> None:
    """Flags map one to one; epochs 0 is left out; paths with spaces are quoted."""
    assert train_command(**kwargs) == expected


def test_train_task_reads_defaults_from_invoke_yaml() -> None:
    """`invoke train` with no flags uses invoke.yaml's dataset, seed and artifact dir."""
    c = MockContext(config=Config(project_location=str(tasks.__file__).rsplit("/", 1)[0]), run=Result())
    c.config.load_project()

    tasks.train(c)

    c.run.assert_called_once_with("python -m training --dataset digits --seed 0 --out artifacts", echo=True, pty=False)


def test_train_task_flags_override_defaults() -> None:
    """Flags win over invoke.yaml."""
    c = MockContext(config=Config(project_location=str(tasks.__file__).rsplit("/", 1)[0]), run=Result())
    c.config.load_project()

    tasks.train(c, epochs=2, seed=7, dataset="mnist", out="/tmp/x")

    c.run.assert_called_once_with(
        "python -m training --dataset mnist --seed 7 --out /tmp/x --epochs 2", echo=True, pty=False
    )
