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
    batch_size: int | None = None,
    top_k: int = 1,
    recursive: bool = False,
    python: str = "python",
) -> str:
    """`python -m inference ...`; `batch_size=None` leaves the batch size to the inference code.

    Values are passed as given: `python -m inference` itself refuses a batch size or top-k below 1.
    """
    if not input_path:
        raise ValueError("--input is required: an image, a folder of images, or a .npy array")
    args = [python, "-m", "inference", "--input", input_path, "--model", model]
    if output:
        args += ["--output", output]
    if batch_size is not None:
        args += ["--batch-size", str(batch_size)]
    if top_k != 1:
        args += ["--top-k", str(top_k)]
    if recursive:
        args.append("--recursive")
    return shlex.join(args)
