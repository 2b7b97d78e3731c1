"""Commands for training."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping

# The training code's default --model (core.models.DEFAULT_MODEL; tasks load without core, a test keeps them equal).
DEFAULT_MODEL = "cnn"
# `python -m training --device`: auto picks CUDA when there is a GPU.
DEVICES = ("auto", "cpu", "cuda")


def launcher_args(
    *, nproc: int, nnodes: int = 1, node_rank: int = 0, rdzv_endpoint: str = "", python: str = "python"
) -> list[str]:
    """How to start `-m training`: plain `python` for one process, torchrun for several or several nodes.

    torchrun runs as `python -m training.launch` (torch.distributed.run with a one-line Ctrl-C), so
    the interpreter the task runs under (and its packages) trains even when its `bin/` folder is
    not on PATH (an unactivated virtualenv).
    One node runs torchrun `--standalone` (it picks a free port itself). Several nodes use torchrun's
    static rendezvous: the same command on every node, each with its own `--node-rank`, all naming
    node 0 as `--rdzv-endpoint HOST:PORT`.
    """
    if nnodes == 1 and nproc == 1:
        return [python]
    torchrun = [python, "-m", "training.launch"]
    if nnodes == 1:
        return [*torchrun, "--standalone", "--nproc-per-node", str(nproc)]
    if not rdzv_endpoint:
        raise ValueError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT (node 0's address)")
    if not 0 <= node_rank < nnodes:
        raise ValueError(f"--node-rank must be between 0 and {nnodes - 1}, got {node_rank}")
    return [
        *torchrun,
        "--nnodes",
        str(nnodes),
        "--node-rank",
        str(node_rank),
        "--nproc-per-node",
        str(nproc),
        "--rdzv-endpoint",
        rdzv_endpoint,
    ]


def torchrun_env(
    *, nproc: int, nnodes: int, threads: int | None, cpus: int, inherited: Mapping[str, str]
) -> dict[str, str]:
    """Environment for a torchrun launch: OMP_NUM_THREADS, the CPU threads of each process.

    torchrun sets it to 1 itself when unset and prints a banner saying so on every run. Here it
    is `--threads` if given, else this machine's CPUs shared between the processes; a value the
    caller exported wins. One plain process needs nothing.
    """
    if (nproc == 1 and nnodes == 1) or "OMP_NUM_THREADS" in inherited:
        return {}
    return {"OMP_NUM_THREADS": str(threads or max(1, cpus // nproc))}


def train_command(
    *,
    dataset: str,
    seed: int,
    out: str,
    epochs: int | None = None,
    split_seed: int | None = None,
    lr: float | None = None,
    batch_size: int | None = None,
    image_size: int | None = None,
    threads: int | None = None,
    device: str = "auto",
    model: str = "",
    nproc: int = 1,
    nnodes: int = 1,
    node_rank: int = 0,
    rdzv_endpoint: str = "",
    python: str = "python",
) -> str:
    """`python -m training ...` (or torchrun); an option left at None (device: auto, model: the default)
    is left to the training code (split_seed None too: training code from before --split-seed split with --seed).

    Values are checked here, so a bad one stops the task in a fraction of a second, before a
    process (or torchrun's several) starts.
    """
    options = {
        "split-seed": split_seed,
        "epochs": epochs,
        "lr": lr,
        "batch-size": batch_size,
        "image-size": image_size,
        "threads": threads,
    }
    minimums = {
        "split-seed": 0,
        "epochs": 1,
        "seed": 0,
        "batch-size": 1,
        "image-size": 1,
        "threads": 0,
        "nproc": 1,
        "nnodes": 1,
    }
    for name, value in {**options, "seed": seed, "nproc": nproc, "nnodes": nnodes}.items():
        if name in minimums and value is not None and value < minimums[name]:
            raise ValueError(f"--{name} must be at least {minimums[name]}, got {value}")
    if lr is not None and lr <= 0:
        raise ValueError(f"--lr must be greater than 0, got {lr:g}")
    if device not in DEVICES:
        raise ValueError(f"--device must be one of {', '.join(DEVICES)}, got {device!r}")
    launcher = launcher_args(
        nproc=nproc, nnodes=nnodes, node_rank=node_rank, rdzv_endpoint=rdzv_endpoint, python=python
    )
    args = [*launcher, "-m", "training", "--dataset", dataset, "--seed", str(seed), "--out", out]
    for name, value in options.items():
        if value is not None:
            args += [f"--{name}", f"{value:g}" if isinstance(value, float) else str(value)]
    if device != "auto":
        args += ["--device", device]
    # The default model is left implicit, so the command also runs a checkout from before --model
    # existed (`invoke baseline` may train the base branch's code with it).
    if model and model != DEFAULT_MODEL:
        args += ["--model", model]
    return shlex.join(args)


REUSE_MODES = ("auto", "never")
EXIT_RETRAIN = 10  # training.reuse's "something differs: train" (tasks load without training; a test keeps them equal)


def reuse_command(train: str, *, source: str, world_size: int) -> str:
    """`train` (a plain `python -m training ...` command from train_command with one process) turned into the
    check that takes the baseline run in `source` instead, when nothing training reads changed since it."""
    args = shlex.split(train)
    at = args.index("-m")
    if args[at + 1] != "training":
        raise ValueError("reuse_command needs a one-process `python -m training` command")
    return shlex.join(
        [*args[:at], "-m", "training.reuse", "--from", source, "--world-size", str(world_size), *args[at + 2 :]]
    )


def reuse_check_command(*, mode: str, baseline_out: str, train_options: dict, world_size: int) -> str:
    """The check `invoke train --reuse MODE` runs before training, or "" when none applies: only `auto`, and only
    where a baseline run lies beside `baseline_out` (its metrics.json). `train_options` are train_command's."""
    if mode not in REUSE_MODES:
        raise ValueError(f"--reuse must be one of {', '.join(REUSE_MODES)}, got {mode!r}")
    source = os.path.dirname(baseline_out) or "."
    if mode != "auto" or not os.path.isfile(os.path.join(source, "metrics.json")):
        return ""
    one_process = train_command(**(train_options | {"nproc": 1, "nnodes": 1, "node_rank": 0}))
    return reuse_command(one_process, source=source, world_size=world_size)
