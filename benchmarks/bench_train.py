"""Whole-process wall time of `python -m training` (defaults) against the bare script, run alternately.

Usage: python benchmarks/bench_train.py [--runs N] [--out DIR]. Prints each run, the medians, the
ratio ours/bare (the target is <= 1.2, the goal <= 0.8) and both test accuracies.
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def timed(command: list[str]) -> tuple[float, str]:
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    elapsed = time.perf_counter() - started
    if done.returncode != 0:
        sys.exit(f"benchmark command failed ({done.returncode}): {' '.join(command)}\n{done.stderr[-2000:]}")
    return elapsed, done.stdout


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="runs of each, alternating (default: %(default)s)")
    parser.add_argument(
        "--out", default=".bench", help="scratch dir; ours/ keeps the last model (default: %(default)s)"
    )
    args = parser.parse_args()
    out = Path(args.out)
    ours_cmd = [sys.executable, "-m", "training", "--out", str(out / "ours")]
    bare_cmd = [sys.executable, str(ROOT / "benchmarks" / "bare_train.py"), str(out / "bare")]
    ours_times, bare_times = [], []
    bare_accuracy = None
    for run in range(1, args.runs + 1):
        ours, _ = timed(ours_cmd)
        bare, stdout = timed(bare_cmd)
        ours_times.append(ours)
        bare_times.append(bare)
        bare_accuracy = float(re.search(r"accuracy ([0-9.]+)", stdout).group(1))
        print(f"run {run}/{args.runs}: ours {ours:.2f} s, bare {bare:.2f} s", flush=True)
    ours_accuracy = json.loads((out / "ours" / "metrics.json").read_text())["accuracy"]
    ours_median, bare_median = statistics.median(ours_times), statistics.median(bare_times)
    print(f"median wall time: ours {ours_median:.2f} s, bare {bare_median:.2f} s")
    print(f"ratio ours/bare: {ours_median / bare_median:.2f} (target <= 1.2, goal <= 0.8)")
    print(f"test accuracy: ours {ours_accuracy:.4f}, bare {bare_accuracy:.4f}")


if __name__ == "__main__":
    main()
