"""Benchmark `python -m inference` against a bare prediction loop (benchmarks/bare_predict.py).

Writes N digit PNGs (32x32, upscaled from scikit-learn's 8x8 digits), then measures, best of
--repeats (the two tools alternate, so a busy machine slows both alike):

- warm throughput: images/s of one whole prediction (checkpoint load, reading every PNG,
  the model, the output), both run in this process after torch is imported;
- end to end: images/s of each as a fresh process, as a user runs it (start-up included);
- cold start: `python -m inference` on one image, next to `python -c "import torch"` alone.

The goal is >= 0.8x the bare loop, with cold start dominated by the torch import.
Usage: python benchmarks/bench_inference.py --model artifacts/model.pt [--images 2000] [--json FILE]
"""

from __future__ import annotations

import argparse
import contextlib
import io
import json
import os
import runpy
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def write_digit_pngs(folder: Path, count: int) -> None:
    """`count` 32x32 PNGs, cycling through the digits data, bright ink on a dark background."""
    import numpy as np
    from PIL import Image
    from sklearn.datasets import load_digits

    images = load_digits().images
    folder.mkdir(parents=True, exist_ok=True)
    for i in range(count):
        pixels = np.rint(images[i % len(images)] * 255 / 16).astype(np.uint8).repeat(4, axis=0).repeat(4, axis=1)
        Image.fromarray(pixels).save(folder / f"{i:05d}.png")


def wall_times(runs: dict[str, Callable[[], object]], repeats: int) -> dict[str, dict[str, float]]:
    """Seconds per run, {name: {"best", "median"}}; the runs alternate within each repeat."""
    times: dict[str, list[float]] = {name: [] for name in runs}
    for _ in range(repeats):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            times[name].append(time.perf_counter() - start)
    return {name: {"best": min(t), "median": statistics.median(t)} for name, t in times.items()}


def in_process(function: Callable[[], object]) -> Callable[[], None]:
    """`function` with its stdout and stderr discarded (the prediction table is not what is timed)."""

    def run() -> None:
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            function()

    return run


def as_process(command: list[str]) -> Callable[[], None]:
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return lambda: subprocess.run(
        command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL
    )


def bare_script(model: Path, folder: Path) -> None:
    saved = sys.argv
    sys.argv = ["bare_predict.py", str(model), str(folder)]
    try:
        runpy.run_path(str(ROOT / "benchmarks" / "bare_predict.py"), run_name="__main__")
    finally:
        sys.argv = saved


def measure(model: Path, images: int, repeats: int, workdir: Path, threads: int = 0) -> dict:
    many, one = workdir / "many", workdir / "one"
    write_digit_pngs(many, images)
    write_digit_pngs(one, 1)
    sys.path.insert(0, str(ROOT))
    if threads:
        import torch

        torch.set_num_threads(threads)
        os.environ["OMP_NUM_THREADS"] = str(threads)  # for the processes started below
    from inference.cli import main as inference_main  # imports torch later, in the first run

    def inference(folder: Path) -> Callable[[], object]:
        return lambda: inference_main(["--model", str(model), "--input", str(folder)])

    python = sys.executable
    module = [python, "-m", "inference", "--model", str(model)]
    seconds = wall_times(
        {"inference": in_process(inference(many)), "bare": in_process(lambda: bare_script(model, many))}, repeats
    )
    seconds |= wall_times(
        {
            "process_inference": as_process([*module, "--input", str(many)]),
            "process_bare": as_process([python, "benchmarks/bare_predict.py", str(model), str(many)]),
            "process_invoke_predict": as_process(["invoke", "predict", "--model", str(model), "--input", str(many)]),
        },
        repeats,
    )
    seconds |= wall_times(
        {
            "cold_start_1_image": as_process([*module, "--input", str(one)]),
            "torch_import": as_process([python, "-c", "import torch"]),
            "help": as_process([python, "-m", "inference", "--help"]),
        },
        repeats,
    )
    for name, times in seconds.items():
        print(f"  {name:<24} best {times['best']:7.3f} s   median {times['median']:7.3f} s", file=sys.stderr)
    return summarise(seconds, images) | {"threads": threads or "torch default"}


def summarise(seconds: dict, images: int) -> dict:
    best = {name: times["best"] for name, times in seconds.items()}
    rates = {
        "inference_warm": images / best["inference"],
        "bare_warm": images / best["bare"],
        "inference_end_to_end": images / best["process_inference"],
        "bare_end_to_end": images / best["process_bare"],
        "invoke_predict_end_to_end": images / best["process_invoke_predict"],
    }
    return {
        "images": images,
        "seconds": seconds,
        "images_per_s": rates,
        "ratio_warm": rates["inference_warm"] / rates["bare_warm"],
        "ratio_end_to_end": rates["inference_end_to_end"] / rates["bare_end_to_end"],
        "cold_start_s": best["cold_start_1_image"],
        "torch_import_s": best["torch_import"],
        "torch_import_share_of_cold_start": best["torch_import"] / best["cold_start_1_image"],
        "help_s": best["help"],
    }


def format_summary(result: dict) -> str:
    rates = result["images_per_s"]
    return "\n".join(
        [
            f"{result['images']} PNGs, best of the repeats, torch threads: {result['threads']}",
            f"  images/s warm         inference {rates['inference_warm']:7.0f}   "
            f"bare {rates['bare_warm']:7.0f}   ratio {result['ratio_warm']:.2f}x",
            f"  images/s end to end   inference {rates['inference_end_to_end']:7.0f}   "
            f"bare {rates['bare_end_to_end']:7.0f}   ratio {result['ratio_end_to_end']:.2f}x   "
            f"(invoke predict {rates['invoke_predict_end_to_end']:.0f})",
            f"  cold start (1 image)  {result['cold_start_s']:.2f} s, of which torch import "
            f"{result['torch_import_s']:.2f} s ({result['torch_import_share_of_cold_start']:.0%}); "
            f"--help {result['help_s']:.2f} s",
        ]
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--model", type=Path, default=ROOT / "artifacts" / "model.pt", help="checkpoint to predict with"
    )
    parser.add_argument("--images", type=int, default=2000, help="how many PNGs (default: 2000)")
    parser.add_argument("--repeats", type=int, default=3, help="runs per measurement; the fastest counts")
    parser.add_argument("--json", type=Path, help="also write the numbers to this file")
    parser.add_argument(
        "--threads",
        type=int,
        default=0,
        help="torch CPU threads for both tools (0: torch's default). On a busy machine 1 gives steady numbers: "
        "idle threads then wait for no core",
    )
    args = parser.parse_args()
    if not args.model.is_file():
        parser.error(f"--model {args.model}: no such file (train first: invoke train)")
    with tempfile.TemporaryDirectory(prefix="bench-inference-") as workdir:
        result = measure(args.model.resolve(), args.images, args.repeats, Path(workdir), threads=args.threads)
    print(format_summary(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
