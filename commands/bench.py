"""Commands for the benchmarks."""

from __future__ import annotations

import shlex


def bench_commands(*, runs: int, out: str, python: str = "python") -> list[str]:
    """Training against the bare script, then inference against a bare loop on the model just trained."""
    return [
        shlex.join([python, "benchmarks/bench_train.py", "--runs", str(runs), "--out", out]),
        shlex.join([python, "benchmarks/bench_inference.py", "--model", f"{out}/ours/model.pt"]),
    ]
