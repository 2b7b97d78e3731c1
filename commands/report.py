"""Commands for the report (with its quality gate) and for the baseline it compares with."""

from __future__ import annotations

import shlex

BASELINE_SOURCES = ("auto", "github", "train")


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
    production_if_exists: str = "",
    release_max_drop: float | None = None,
    history_if_exists: str = "",
    max_drift: float | None = None,
    drift_window: int | None = None,
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
    if production_if_exists:
        args += ["--production-if-exists", production_if_exists]
    if release_max_drop is not None:
        args += ["--release-max-drop", f"{release_max_drop:g}"]
    if history_if_exists:
        args += ["--history-if-exists", history_if_exists]
    if max_drift is not None:
        args += ["--max-drift", f"{max_drift:g}"]
    if drift_window is not None:
        args += ["--drift-window", str(drift_window)]
    return shlex.join(args)


def baseline_command(
    *,
    ref: str,
    out: str,
    source: str = "auto",
    workflow: str = "",
    artifact: str = "",
    dataset: str = "",
    seed: int | None = None,
    epochs: int | None = None,
    python: str = "python",
) -> str:
    """`python -m reporting baseline ...`: the base branch's metrics from its CML run (`source` github), or
    retrained from REF's own code and invoke.yaml (train), or the first that works (auto). Training flags
    are passed only when given: they override the ref's own settings."""
    if source not in BASELINE_SOURCES:
        raise ValueError(f"--source must be one of {', '.join(BASELINE_SOURCES)}, got {source!r}")
    args = [python, "-m", "reporting", "baseline", "--ref", ref, "--out", out, "--source", source]
    for flag, value in (("--workflow", workflow), ("--artifact", artifact), ("--dataset", dataset)):
        if value:
            args += [flag, value]
    for flag, number in (("--seed", seed), ("--epochs", epochs)):
        if number is not None:
            args += [flag, str(number)]
    return shlex.join(args)
