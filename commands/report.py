"""Commands for the report (with its quality gate) and for the baseline it compares with."""

from __future__ import annotations

import shlex


def report_command(
    *,
    artifacts: str,
    title: str,
    baseline: str = "",
    baseline_if_exists: str = "",
    min_accuracy: float | None = None,
    max_drop: float | None = None,
    alpha: float | None = None,
    allow_interrupted: bool = False,
    python: str = "python",
) -> str:
    """`python -m reporting render ...`; a gate rule left at None is not applied, alpha None is its default."""
    args = [python, "-m", "reporting", "render", "--artifacts", artifacts, "--title", title]
    if baseline:
        args += ["--baseline", baseline]
    elif baseline_if_exists:
        args += ["--baseline-if-exists", baseline_if_exists]
    if min_accuracy is not None:
        args += ["--min-accuracy", f"{min_accuracy:g}"]
    if max_drop is not None:
        args += ["--max-drop", f"{max_drop:g}"]
    if alpha is not None:
        args += ["--alpha", f"{alpha:g}"]
    if allow_interrupted:
        args.append("--allow-interrupted")
    return shlex.join(args)


def baseline_command(
    *,
    ref: str,
    out: str,
    dataset: str,
    seed: int,
    epochs: int | None = None,
    split_seed: int | None = None,
    python: str = "python",
) -> str:
    """`python -m reporting baseline ...`: train REF in a temporary worktree with the same flags as `invoke train`;
    `epochs=None` leaves the dataset's default to that ref's training code."""
    args = [python, "-m", "reporting", "baseline", "--ref", ref, "--out", out]
    args += ["--dataset", dataset, "--seed", str(seed)]
    if split_seed is not None:
        args += ["--split-seed", str(split_seed)]
    if epochs is not None:
        args += ["--epochs", str(epochs)]
    return shlex.join(args)
