"""Benchmark `python -m inference` against a bare prediction loop (benchmarks/bare_predict.py).

Writes N digit PNGs (32x32, upscaled from scikit-learn's 8x8 digits), then times whole
processes, as a user runs them, best of --repeats:

- throughput: images/s end to end (process start included) and in steady state
  ((N - 1) / (time for N images - time for 1 image): start-up cancels out);
- cold start: one image end to end, next to `python -c "import torch"` alone.

The goal is >= 0.8x the bare loop's throughput, with cold start dominated by the torch import.
Usage: python benchmarks/bench_inference.py --model artifacts/model.pt [--images 2000] [--json FILE]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
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


def best_wall_time(command: list[str], repeats: int) -> tuple[float, float]:
    """(fastest, median) wall-clock seconds of `command` over `repeats` runs; output discarded."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        subprocess.run(command, cwd=ROOT, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        times.append(time.perf_counter() - start)
    return min(times), statistics.median(times)


def measure(model: Path, images: int, repeats: int, workdir: Path) -> dict:
    many, one = workdir / "many", workdir / "one"
    write_digit_pngs(many, images)
    write_digit_pngs(one, 1)
    python = sys.executable
    commands = {
        "torch_import": [python, "-c", "import torch"],
        "inference_help": [python, "-m", "inference", "--help"],
        "inference_1": [python, "-m", "inference", "--model", str(model), "--input", str(one)],
        "inference_n": [python, "-m", "inference", "--model", str(model), "--input", str(many)],
        "invoke_predict_n": ["invoke", "predict", "--model", str(model), "--input", str(many)],
        "bare_1": [python, "benchmarks/bare_predict.py", str(model), str(one)],
        "bare_n": [python, "benchmarks/bare_predict.py", str(model), str(many)],
    }
    seconds = {}
    for name, command in commands.items():
        fastest, median = best_wall_time(command, repeats)
        seconds[name] = {"best": round(fastest, 4), "median": round(median, 4)}
        print(f"  {name:<18} best {fastest:7.3f} s   median {median:7.3f} s", file=sys.stderr)
    return summarise(seconds, images)


def summarise(seconds: dict, images: int) -> dict:
    best = {name: times["best"] for name, times in seconds.items()}

    def steady(tool: str) -> float:
        return (images - 1) / max(best[f"{tool}_n"] - best[f"{tool}_1"], 1e-9)

    result = {
        "images": images,
        "seconds": seconds,
        "images_per_s": {
            "inference_end_to_end": images / best["inference_n"],
            "invoke_predict_end_to_end": images / best["invoke_predict_n"],
            "bare_end_to_end": images / best["bare_n"],
            "inference_steady": steady("inference"),
            "bare_steady": steady("bare"),
        },
        "cold_start_s": best["inference_1"],
        "torch_import_s": best["torch_import"],
        "help_s": best["inference_help"],
    }
    rates = result["images_per_s"]
    result["ratio_end_to_end"] = rates["inference_end_to_end"] / rates["bare_end_to_end"]
    result["ratio_steady"] = rates["inference_steady"] / rates["bare_steady"]
    result["torch_import_share_of_cold_start"] = best["torch_import"] / best["inference_1"]
    return result


def format_summary(result: dict) -> str:
    rates = result["images_per_s"]
    return "\n".join(
        [
            f"{result['images']} PNGs, best of the repeats:",
            f"  images/s end to end   inference {rates['inference_end_to_end']:8.0f}   "
            f"bare {rates['bare_end_to_end']:8.0f}   ratio {result['ratio_end_to_end']:.2f}x   "
            f"(invoke predict {rates['invoke_predict_end_to_end']:.0f})",
            f"  images/s steady       inference {rates['inference_steady']:8.0f}   "
            f"bare {rates['bare_steady']:8.0f}   ratio {result['ratio_steady']:.2f}x",
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
    args = parser.parse_args()
    if not args.model.is_file():
        parser.error(f"--model {args.model}: no such file (train first: invoke train)")
    with tempfile.TemporaryDirectory(prefix="bench-inference-") as workdir:
        result = measure(args.model.resolve(), args.images, args.repeats, Path(workdir))
    print(format_summary(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
