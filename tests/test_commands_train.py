"""commands.train and the `invoke train` task: the exact training command."""

from __future__ import annotations

import pytest
from helpers import PY, project_context
from invoke import Exit

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
    """`invoke train` with no flags uses invoke.yaml's dataset, seed, split seed and artifact dir."""
    c = project_context()

    tasks.train(c)

    c.run.assert_called_once_with(
        f"{PY} -m training --dataset digits --seed 0 --out artifacts --split-seed 0", echo=True, pty=False
    )


def test_train_task_flags_override_defaults() -> None:
    """Flags win over invoke.yaml."""
    c = project_context()

    tasks.train(c, epochs=2, seed=7, dataset="mnist", artifacts="/tmp/x", split_seed=3)

    c.run.assert_called_once_with(
        f"{PY} -m training --dataset mnist --seed 7 --out /tmp/x --split-seed 3 --epochs 2", echo=True, pty=False
    )


@pytest.mark.parametrize(
    ("kwargs", "launcher"),
    [
        ({"nproc": 2}, "python -m torch.distributed.run --standalone --nproc-per-node 2"),
        (
            {"nproc": 4, "nnodes": 2, "node_rank": 1, "rdzv_endpoint": "10.0.0.1:29400"},
            "python -m torch.distributed.run --nnodes 2 --node-rank 1 --nproc-per-node 4"
            " --rdzv-endpoint 10.0.0.1:29400",
        ),
    ],
    ids=["one-node-two-processes", "second-of-two-nodes"],
)
def test_several_processes_run_torchrun(kwargs: dict, launcher: str) -> None:
    """--nproc > 1 runs torchrun as a module, standalone; --nnodes > 1 passes the node rank and rendezvous through."""
    command = train_command(dataset="digits", seed=0, out="artifacts", **kwargs)

    assert command == f"{launcher} -m training --dataset digits --seed 0 --out artifacts"


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"nproc": 1, "nnodes": 2}, "--rdzv-endpoint"),
        ({"nproc": 1, "nnodes": 2, "node_rank": 2, "rdzv_endpoint": "h:1"}, "--node-rank must be between 0 and 1"),
        ({"nproc": 0}, "--nproc must be at least 1, got 0"),
        ({"epochs": 0}, "--epochs must be at least 1, got 0"),
        ({"seed": -1}, "--seed must be at least 0, got -1"),
    ],
    ids=["multi-node-without-endpoint", "node-rank-out-of-range", "zero-processes", "zero-epochs", "negative-seed"],
)
def test_inconsistent_launch_flags_are_refused(kwargs: dict, message: str) -> None:
    """A multi-node run without a rendezvous endpoint, or a node rank out of range, is a clear error."""
    with pytest.raises(ValueError, match=message):
        train_command(**{"dataset": "digits", "seed": 0, "out": "artifacts", **kwargs})


def test_train_task_with_nproc_runs_the_exact_torchrun_command() -> None:
    """`invoke train --nproc 2` runs torchrun with two processes on this node."""
    c = project_context()

    tasks.train(c, nproc=2, epochs=3)

    c.run.assert_called_once_with(
        f"{PY} -m torch.distributed.run --standalone --nproc-per-node 2"
        " -m training --dataset digits --seed 0 --out artifacts --split-seed 0 --epochs 3",
        echo=True,
        pty=False,
    )


@pytest.mark.parametrize(
    ("flags", "message"),
    [
        ({"epochs": "0"}, "--epochs must be at least 1, got 0"),
        ({"seed": "x"}, "--seed expects a whole number, got 'x'"),
    ],
    ids=["zero-epochs", "non-numeric-seed"],
)
def test_train_task_refuses_bad_flags_with_exit_2(flags: dict, message: str) -> None:
    """A flag the user typed is never swapped for a default: bad values stop the task with a message."""
    c = project_context()

    with pytest.raises(Exit) as stopped:
        tasks.train(c, **flags)

    assert stopped.value.code == 2
    assert message in str(stopped.value.message)
    c.run.assert_not_called()


def test_training_options_map_to_python_m_training_flags() -> None:
    """Learning rate, batch size, image size, threads and device pass through; null ones and device auto do not."""
    command = train_command(
        dataset="digits", seed=0, out="a", lr=0.001, batch_size=32, image_size=16, threads=2, device="cpu"
    )

    assert command.endswith("--out a --lr 0.001 --batch-size 32 --image-size 16 --threads 2 --device cpu"), command
    assert train_command(dataset="digits", seed=0, out="a", device="auto").endswith("--out a")


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"lr": 0.0}, "--lr must be greater than 0, got 0"),
        ({"batch_size": 0}, "--batch-size must be at least 1, got 0"),
        ({"threads": -1}, "--threads must be at least 0, got -1"),
        ({"device": "gpu"}, "--device must be one of auto, cpu, cuda, got 'gpu'"),
    ],
    ids=["zero-lr", "zero-batch", "negative-threads", "unknown-device"],
)
def test_bad_training_options_are_refused(kwargs: dict, message: str) -> None:
    """Out-of-range options stop the task before any process starts."""
    with pytest.raises(ValueError, match=message):
        train_command(dataset="digits", seed=0, out="a", **kwargs)
