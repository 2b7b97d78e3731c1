"""Don't retrain what didn't change: whether a baseline run's artifacts can stand for this run's training.

A baseline (the base branch's run, downloaded or retrained) records in `run.inputs` what its training read
(training.inputs). This checkout would train the same way exactly when every file listed there has the same
content here, and the settings (config, data version, lock file, torch build, device type, world size, threads)
come out the same. `differences` says what differs, in words a report can show; none means reuse.
"""

from __future__ import annotations

import glob
import json
import sys
from importlib.util import find_spec
from pathlib import Path

from training.inputs import PROJECT_ROOT, input_differences, lock_hash, sha256_file, summary

# The files a reused run takes from the baseline's folder; metrics.json last, as training writes it.
ARTIFACTS = (
    "model.pt",
    "predictions.csv",
    "classification_report.txt",
    "confusion_matrix.png",
    "training_curves.png",
    "metrics.json",
)


def checkout_files(recorded: dict[str, str], root: Path = PROJECT_ROOT) -> dict[str, str | None]:
    """{path: sha256 here, None when deleted} for every file a baseline's training read."""
    return {
        relative: sha256_file(root / relative) if (root / relative).is_file() else None for relative in sorted(recorded)
    }


def differences(recorded: dict | None, current: dict, root: Path = PROJECT_ROOT) -> list[str]:
    """What differs between a baseline's `run.inputs` and this checkout's would-be inputs; [] means reuse."""
    if not recorded or not recorded.get("files"):
        return ["the baseline records no inputs (made before runs recorded them)"]
    return input_differences(recorded, current | {"files": checkout_files(recorded["files"], root)})


def torch_build() -> str:
    """torch's version with its build tag (`2.14.1+cu130`), read from torch/version.py: no torch import, whose
    2 s would be most of a reused run's time. Package metadata drops the tag."""
    spec = find_spec("torch")
    for folder in (spec.submodule_search_locations or []) if spec else []:
        version_file = Path(folder) / "version.py"
        if version_file.is_file():
            for line in version_file.read_text(encoding="utf-8").splitlines():
                if line.startswith("__version__"):
                    return line.split("=", 1)[1].strip().strip("'\"")
    return ""


def load_baseline(folder: Path) -> dict | None:
    """The baseline folder's metrics.json, or None when it has none or misses a file a reused run needs."""
    if not all((folder / name).is_file() for name in ("metrics.json", "model.pt", "predictions.csv")):
        return None
    try:
        return json.loads((folder / "metrics.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None


def current_inputs(config: dict, *, dataset: str, device: str, world_size: int, threads: int) -> dict:
    """The settings this checkout would train with, in `run.inputs` form (files aside: those are compared by
    content). `device` and `threads` are the requested ones: "auto" and 0 are resolved here as training does."""
    from training.data_version import data_version

    return {
        "config": config,
        "data_version": data_version(dataset),
        "lock": lock_hash(),
        "torch": torch_build(),
        "device": resolved_device(device),
        "world_size": world_size,
        "threads": threads,
    }


# NVIDIA's (/dev/nvidia0...) and ROCm's (/dev/kfd): where torch.cuda may find a GPU on Linux.
GPU_DEVICE_NODES = ("/dev/nvidia[0-9]*", "/dev/kfd")


def resolved_device(device: str) -> str:
    if device != "auto":
        return device
    if sys.platform == "linux" and not any(glob.glob(pattern) for pattern in GPU_DEVICE_NODES):
        # No GPU device node: torch.cuda.is_available() is False, so it need not be imported to say so
        # (2 of a docs-only PR's 3 s in the reuse check).
        return "cpu"
    import torch  # only here: whether a GPU is there is torch's to say

    return "cuda" if torch.cuda.is_available() else "cpu"


def resolved_threads(requested: int, dataset: str, image_size: int) -> int:
    """The thread count training would pick (training.run.pick_threads): one for images of 16x16 or less, which
    the digits are, torch's default otherwise."""
    if requested:
        return requested
    side = 8 if dataset == "digits" else image_size if dataset.startswith("folder:") else 28
    if side <= 16:
        return 1
    import torch

    return torch.get_num_threads()


def reused_metrics(metrics: dict) -> dict:
    """The baseline's metrics as this run's, with `run.reused_from` saying whose run they are."""
    source = metrics.pop("baseline_source", None) or {}
    run = dict(metrics.get("run") or {})
    run["reused_from"] = {
        "commit": source.get("commit") or run.get("commit"),
        "ref": source.get("ref"),
        "kind": source.get("kind"),
        "run_id": source.get("run_id"),
        "run_number": source.get("run_number"),
        "run_url": source.get("run_url"),
    }
    return metrics | {"run": run}


def main(argv: list[str] | None = None) -> int:
    """`python -m training.reuse --from DIR [training flags]`: exit 0 having taken DIR's run as this one, or
    EXIT_RETRAIN saying what differs (then train)."""
    import shutil
    import sys

    from core.atomic import atomic_path, write_json
    from training.cli import build_parser, config_from_args
    from training.config import DataError

    parser = build_parser()
    parser.prog = "python -m training.reuse"
    parser.description = (
        "Take the baseline run in --from as this run when nothing training reads has changed since it (its "
        "run.inputs: the files it loaded, config, data version, lock, torch build, device, world size, threads); "
        f"exit {EXIT_RETRAIN} and say what differs otherwise."
    )
    parser.add_argument("--from", dest="source", required=True, metavar="DIR", help="the baseline's folder")
    parser.add_argument("--world-size", type=int, default=1, help="processes the training would run (default: 1)")
    args = parser.parse_args(argv)
    config = config_from_args(args)
    folder = Path(args.source)
    baseline = load_baseline(folder)
    if baseline is None:
        print(
            f"retraining: no complete baseline run in {folder} (metrics.json, model.pt, predictions.csv)",
            file=sys.stderr,
        )
        return EXIT_RETRAIN
    recorded = (baseline.get("run") or {}).get("inputs")
    threads = resolved_threads(config.threads, config.dataset, config.image_size)
    resolved = {key: value for key, value in vars(config).items() if key != "out"}
    resolved["epochs"] = config.resolved_epochs()
    try:
        current = current_inputs(
            resolved, dataset=config.dataset, device=args.device, world_size=args.world_size, threads=threads
        )
    except DataError as exc:
        print(f"retraining: {exc}", file=sys.stderr)
        return EXIT_RETRAIN
    found = differences(recorded, current)
    if found:
        print(f"retraining: {summary(found)}", file=sys.stderr)
        return EXIT_RETRAIN
    out = Path(config.out)
    out.mkdir(parents=True, exist_ok=True)
    (out / "report.md").unlink(missing_ok=True)
    for name in ARTIFACTS[:-1]:
        if (folder / name).is_file():
            with atomic_path(out / name) as tmp:
                shutil.copyfile(folder / name, tmp)
    metrics = reused_metrics(baseline)
    write_json(out / "metrics.json", metrics)  # last, as training writes it
    commit = str(metrics["run"]["reused_from"].get("commit") or "")[:7]
    print(
        f"not retrained: nothing that training reads changed since {commit}; took its artifacts into {out}/",
        file=sys.stderr,
    )
    return 0


EXIT_RETRAIN = 10


if __name__ == "__main__":
    raise SystemExit(main())
