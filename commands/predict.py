"""Commands for prediction."""

from __future__ import annotations

import shlex
from pathlib import PurePosixPath


def default_model(artifacts: str) -> str:
    """The checkpoint `invoke train` writes into the artifact dir."""
    return str(PurePosixPath(artifacts) / "model.pt")


def predict_command(
    *,
    input_path: str,
    model: str,
    output: str = "",
    batch_size: int = 0,
    top_k: int = 1,
    recursive: bool = False,
    python: str = "python",
) -> str:
    """`python -m inference ...`; `batch_size=0` leaves the batch size to the inference code."""
    args = [python, "-m", "inference", "--input", input_path, "--model", model]
    if output:
        args += ["--output", output]
    if batch_size:
        args += ["--batch-size", str(batch_size)]
    if top_k > 1:
        args += ["--top-k", str(top_k)]
    if recursive:
        args.append("--recursive")
    return shlex.join(args)
