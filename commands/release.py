"""Commands for `invoke release` and `invoke promote`: publishing main's model, and moving production."""

from __future__ import annotations

import shlex

from commands.docker import image_ref


def release_command(
    *,
    python: str,
    artifacts: str,
    out: str,
    image: str,
    max_drop: float,
    alpha: float,
    plan: bool = False,
    dry: bool = False,
) -> str:
    """`python -m delivery.release_cli`: the run in `artifacts` as release model-v<N> (bundle in `out`)."""
    if plan and dry:
        raise ValueError("--plan and --dry exclude each other (--plan looks up and writes; --dry also prints)")
    command = [python, "-m", "delivery.release_cli", "--artifacts", artifacts, "--out", out, "--image", image]
    command += ["--max-drop", f"{max_drop:g}", "--alpha", f"{alpha:g}"]
    command += ["--plan"] if plan else ["--dry"] if dry else []
    return shlex.join(command)


def promote_command(*, python: str, release: str, dry: bool = False) -> str:
    """`python -m delivery.promote_cli`: GitHub's latest flag to `release` (which it validates)."""
    return shlex.join([python, "-m", "delivery.promote_cli", "--release", release] + (["--dry"] if dry else []))


def production_command(*, python: str, out: str) -> str:
    """`python -m delivery.production_cli`: the latest release's metrics.json and predictions.csv into `out`."""
    return shlex.join([python, "-m", "delivery.production_cli", "--out", out])


def image_repository(*, registry: str, namespace: str, name: str) -> str:
    """The image's name without a tag: ghcr.io/octo/cml/cml-infer (lowercased, as image_ref makes it)."""
    return image_ref(registry=registry, namespace=namespace, name=name, tag="x").rpartition(":")[0]
