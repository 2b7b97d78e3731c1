"""Folder-dataset benchmark: `python -m training` through the uint8 folder cache against the bare
torchvision ImageFolder + DataLoader script (benchmarks/bare_folder_train.py), same CNN and batch size.

On a generated folder of coloured-shape PNGs (benchmarks/image_folder.py, written once into the
scratch dir), each round runs, one after the other:
- ours, cold: the cache removed first, so the run decodes the folder (decoding included in its time);
- ours, warm: the same command again on the unchanged folder: it must not decode, and its first
  epoch must be as fast as its later ones;
- bare: the ImageFolder script, DataLoader workers = cores, PNGs decoded every epoch.
Each gets its whole-process wall time and its peak memory: the sum of the proportional set size
(PSS: shared pages split between the processes that map them) over the process tree (the
training process, its sidecar, decoding or DataLoader workers), sampled every 50 ms.
Goals: cold wall time <= 0.8x bare; peak memory below bare's, the dataset's share no more than
its uint8 cache. Usage: python benchmarks/bench_folder.py [--images 20000] [--rounds 1] [--out .bench]
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.image_folder import write_shapes_folder  # noqa: E402

EPOCH_SECONDS = re.compile(r"^epoch \d+/\d+ .*?([0-9.]+)s$", re.MULTILINE)


def process_tree(root: int) -> list[int]:
    """`root` and every process below it, from /proc."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    tree, todo = [], [root]
    while todo:
        pid = todo.pop()
        tree.append(pid)
        todo.extend(children.get(pid, []))
    return tree


def pss_kib(pid: int) -> int:
    """The process's proportional set size in KiB (0 once it is gone)."""
    try:
        for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
            if line.startswith("Pss:"):
                return int(line.split()[1])
    except OSError:
        pass
    return 0


def measured(command: list[str]) -> dict:
    """Run `command`; its wall time, peak PSS of its process tree, and its output."""
    with tempfile.TemporaryFile("w+") as out, tempfile.TemporaryFile("w+") as err:
        started = time.perf_counter()
        process = subprocess.Popen(command, cwd=ROOT, stdout=out, stderr=err, text=True)
        peak = 0
        while process.poll() is None:
            peak = max(peak, sum(pss_kib(pid) for pid in process_tree(process.pid)))
            time.sleep(0.05)
        wall = time.perf_counter() - started
        out.seek(0), err.seek(0)
        stdout, stderr = out.read(), err.read()
    if process.returncode != 0:
        sys.exit(f"benchmark command failed ({process.returncode}): {' '.join(command)}\n{stderr[-2000:]}")
    return {
        "wall_s": round(wall, 2),
        "peak_mib": round(peak / 1024, 1),
        "epoch_s": [float(s) for s in EPOCH_SECONDS.findall(stderr)],
        "decoded": "decoding " in stderr,
        "stdout": stdout,
    }


def shapes_folder(scratch: Path, images: int) -> Path:
    """The generated folder, written once (a marker file says it is complete)."""
    folder = scratch / f"shapes-{images}"
    marker = folder / ".complete"
    if not marker.exists():
        print(f"writing {images} PNGs into {folder} ...", flush=True)
        shutil.rmtree(folder, ignore_errors=True)
        write_shapes_folder(folder, images, 32)
        marker.write_text("")
    return folder


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20_000, help="PNGs in the folder (default: %(default)s)")
    parser.add_argument("--epochs", type=int, default=5, help="default: %(default)s")
    parser.add_argument("--rounds", type=int, default=1, help="rounds of cold, warm, bare (default: %(default)s)")
    parser.add_argument("--out", default=".bench", help="scratch dir (default: %(default)s)")
    parser.add_argument("--json", help="also write the figures to this file")
    args = parser.parse_args()
    scratch = Path(args.out).resolve()
    folder = shapes_folder(scratch, args.images)
    data_dir = scratch / "folder-data"
    common = ["--epochs", str(args.epochs), "--batch-size", "64", "--image-size", "32"]
    ours = [sys.executable, "-m", "training", "--dataset", f"folder:{folder}", *common]
    ours += ["--data-dir", str(data_dir), "--out", str(scratch / "folder-ours")]
    bare_script = ROOT / "benchmarks" / "bare_folder_train.py"
    bare = [sys.executable, str(bare_script), str(folder), str(scratch / "folder-bare"), *common]
    results: dict[str, list[dict]] = {"cold": [], "warm": [], "bare": []}
    for round_number in range(1, args.rounds + 1):
        shutil.rmtree(data_dir, ignore_errors=True)
        for name, command in (("cold", ours), ("warm", ours), ("bare", bare)):
            result = measured(command)
            results[name].append(result)
            print(
                f"round {round_number}/{args.rounds} {name}: {result['wall_s']:.1f} s, "
                f"peak {result['peak_mib']:.0f} MiB, epochs {result['epoch_s']}, decoded: {result['decoded']}",
                flush=True,
            )
    cache_mib = sum(path.stat().st_size for path in data_dir.rglob("images.npy")) / 2**20
    summary = summarise(results, cache_mib)
    summary["ours_accuracy"] = json.loads((scratch / "folder-ours" / "metrics.json").read_text())["accuracy"]
    summary["bare_accuracy"] = float(re.search(r"accuracy ([0-9.]+)", results["bare"][-1]["stdout"]).group(1))
    for key, value in summary.items():
        print(f"{key}: {value}")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "runs": results}, indent=2) + "\n")


def summarise(results: dict[str, list[dict]], cache_mib: float) -> dict:
    def median(name: str, key: str) -> float:
        return statistics.median(run[key] for run in results[name])

    warm_epochs = results["warm"][-1]["epoch_s"]
    return {
        "wall_s (cold, warm, bare)": [median(name, "wall_s") for name in ("cold", "warm", "bare")],
        "ratio cold/bare (goal <= 0.8)": round(median("cold", "wall_s") / median("bare", "wall_s"), 2),
        "ratio warm/bare": round(median("warm", "wall_s") / median("bare", "wall_s"), 2),
        "peak_mib (cold, warm, bare)": [median(name, "peak_mib") for name in ("cold", "warm", "bare")],
        "uint8 cache (images.npy) MiB": round(cache_mib, 1),
        "warm run decoded (goal: False)": any(run["decoded"] for run in results["warm"]),
        "warm first epoch / median of later": round(warm_epochs[0] / statistics.median(warm_epochs[1:]), 2),
    }


if __name__ == "__main__":
    main()
