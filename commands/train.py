"""Commands for training."""

from __future__ import annotations

import shlex


def train_command(
    *,
    dataset: str,
    seed: int,
    out: str,
    epochs: int = 0,
    python: str = "python",
) -> str:
    """`python -m training ...`; `epochs=0` leaves the dataset's default to the training code."""
    args = [python, "-m", "training", "--dataset", dataset, "--seed", str(seed), "--out", out]
    if epochs:
        args += ["--epochs", str(epochs)]
    return shlex.join(args)
