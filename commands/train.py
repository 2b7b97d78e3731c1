"""Commands for training."""

from __future__ import annotations

import shlex


def launcher_args(*, nproc: int, nnodes: int = 1, node_rank: int = 0, rdzv_endpoint: str = "") -> list[str]:
    """How to start `-m training`: plain python for one process, torchrun for several or several nodes.

    One node runs torchrun `--standalone` (it picks a free port itself). Several nodes use torchrun's
    static rendezvous: the same command on every node, each with its own `--node-rank`, all naming
    node 0 as `--rdzv-endpoint HOST:PORT`.
    """
    if nnodes == 1 and nproc == 1:
        return ["python"]
    if nnodes == 1:
        return ["torchrun", "--standalone", "--nproc-per-node", str(nproc)]
    if not rdzv_endpoint:
        raise ValueError("--nnodes > 1 needs --rdzv-endpoint HOST:PORT (node 0's address)")
    if not 0 <= node_rank < nnodes:
        raise ValueError(f"--node-rank must be between 0 and {nnodes - 1}, got {node_rank}")
    return [
        "torchrun",
        "--nnodes",
        str(nnodes),
        "--node-rank",
        str(node_rank),
        "--nproc-per-node",
        str(nproc),
        "--rdzv-endpoint",
        rdzv_endpoint,
    ]


def train_command(
    *,
    dataset: str,
    seed: int,
    out: str,
    epochs: int | None = None,
    split_seed: int | None = None,
    nproc: int = 1,
    nnodes: int = 1,
    node_rank: int = 0,
    rdzv_endpoint: str = "",
) -> str:
    """`python -m training ...` (or torchrun); `epochs=None` leaves the dataset's default to the training code,
    `split_seed=None` the split seed (training code from before --split-seed split with --seed)."""
    checked = (("epochs", epochs, 1), ("seed", seed, 0), ("split-seed", split_seed, 0), ("nproc", nproc, 1))
    for name, value, minimum in (*checked, ("nnodes", nnodes, 1)):
        if value is not None and value < minimum:
            raise ValueError(f"--{name} must be at least {minimum}, got {value}")
    launcher = launcher_args(nproc=nproc, nnodes=nnodes, node_rank=node_rank, rdzv_endpoint=rdzv_endpoint)
    args = [*launcher, "-m", "training", "--dataset", dataset, "--seed", str(seed), "--out", out]
    if split_seed is not None:
        args += ["--split-seed", str(split_seed)]
    if epochs is not None:
        args += ["--epochs", str(epochs)]
    return shlex.join(args)
