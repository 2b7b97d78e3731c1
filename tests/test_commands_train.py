"""commands.train and the `invoke train` task: the exact training command."""

from __future__ import annotations

import os

import pytest
from helpers import PY, project_context
from invoke import Exit

import tasks
from commands.train import torchrun_env, train_command


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
        (
            {"dataset": "digits", "seed": 0, "out": "out", "model": "my_models.nets:build"},
            "python -m training --dataset digits --seed 0 --out out --model my_models.nets:build",
        ),
        (
            {"dataset": "digits", "seed": 0, "out": "out", "model": "cnn"},
            "python -m training --dataset digits --seed 0 --out out",
        ),
    ],
    ids=["defaults-leave-epochs-and-model-to-training", "quoted-folder-and-epochs", "own-model", "default-model"],
)
def test_train_command(kwargs: dict, expected: str) -> None:
    """Flags map one to one; epochs and the default model are left to training; paths with spaces are quoted."""
    assert train_command(**kwargs) == expected


def test_the_default_model_is_the_training_codes() -> None:
    """The model the command leaves implicit is the one python -m training trains by default."""
    from commands.train import DEFAULT_MODEL
    from core import models

    assert DEFAULT_MODEL == models.DEFAULT_MODEL


def test_train_task_reads_defaults_from_invoke_yaml() -> None:
    """`invoke train` with no flags uses invoke.yaml's dataset, seed, split seed and artifact dir (and the default
    model)."""
    c = project_context()

    tasks.train(c)

    c.run.assert_called_once_with(
        f"{PY} -m training --dataset digits --seed 0 --out artifacts --split-seed 0", echo=True, pty=False, env={}
    )


def test_train_task_flags_override_defaults() -> None:
    """Flags win over invoke.yaml."""
    c = project_context()

    tasks.train(c, epochs=2, seed=7, dataset="mnist", artifacts="/tmp/x", model="resnet18", split_seed=3)

    c.run.assert_called_once_with(
        f"{PY} -m training --dataset mnist --seed 7 --out /tmp/x --split-seed 3 --epochs 2 --model resnet18",
        echo=True,
        pty=False,
        env={},
    )


@pytest.mark.parametrize(
    ("kwargs", "launcher"),
    [
        ({"nproc": 2}, "python -m training.launch --standalone --nproc-per-node 2"),
        (
            {"nproc": 4, "nnodes": 2, "node_rank": 1, "rdzv_endpoint": "10.0.0.1:29400"},
            "python -m training.launch --nnodes 2 --node-rank 1 --nproc-per-node 4 --rdzv-endpoint 10.0.0.1:29400",
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


def test_train_task_with_nproc_runs_the_exact_torchrun_command(monkeypatch: pytest.MonkeyPatch) -> None:
    """`invoke train --nproc 2` runs torchrun with two processes on this node, each with half the CPUs."""
    monkeypatch.delenv("OMP_NUM_THREADS", raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 8)
    c = project_context()

    tasks.train(c, nproc=2, epochs=3)

    c.run.assert_called_once_with(
        f"{PY} -m training.launch --standalone --nproc-per-node 2"
        " -m training --dataset digits --seed 0 --out artifacts --split-seed 0 --epochs 3",
        echo=True,
        pty=False,
        env={"OMP_NUM_THREADS": "4"},
    )


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"nproc": 1, "nnodes": 1, "threads": None, "inherited": {}}, {}),
        ({"nproc": 2, "nnodes": 1, "threads": None, "inherited": {}}, {"OMP_NUM_THREADS": "4"}),
        ({"nproc": 16, "nnodes": 1, "threads": None, "inherited": {}}, {"OMP_NUM_THREADS": "1"}),
        ({"nproc": 2, "nnodes": 1, "threads": 3, "inherited": {}}, {"OMP_NUM_THREADS": "3"}),
        ({"nproc": 1, "nnodes": 2, "threads": None, "inherited": {}}, {"OMP_NUM_THREADS": "8"}),
        ({"nproc": 2, "nnodes": 1, "threads": None, "inherited": {"OMP_NUM_THREADS": "2"}}, {}),
    ],
    ids=["one-process", "cpus-shared", "at-least-one", "threads-flag", "one-per-node", "caller-exported-it"],
)
def test_torchrun_env_sets_the_threads_of_each_process(kwargs: dict, expected: dict) -> None:
    """torchrun launches get OMP_NUM_THREADS (no banner): --threads, else the CPUs shared; an exported value wins."""
    assert torchrun_env(cpus=8, **kwargs) == expected


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


def test_the_reuse_check_runs_only_for_auto_with_a_baseline_run_beside_baseline_out(tmp_path):
    """auto with baseline/metrics.json: the one-process check; auto without it, or never: no check; another mode:
    a usage error naming the choices."""
    from commands.train import reuse_check_command

    options = {"dataset": "digits", "seed": 0, "out": "artifacts", "nproc": 2, "python": "python"}
    out = str(tmp_path / "metrics.json")

    assert reuse_check_command(mode="auto", baseline_out=out, train_options=options, world_size=2) == ""
    (tmp_path / "metrics.json").write_text("{}")
    check = reuse_check_command(mode="auto", baseline_out=out, train_options=options, world_size=2)
    assert check.startswith(f"python -m training.reuse --from {tmp_path} --world-size 2 ")
    assert reuse_check_command(mode="never", baseline_out=out, train_options=options, world_size=2) == ""
    with pytest.raises(ValueError, match="--reuse must be one of auto, never, got 'always'"):
        reuse_check_command(mode="always", baseline_out=out, train_options=options, world_size=2)
