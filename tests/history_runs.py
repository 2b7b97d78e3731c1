"""Helpers for the history tests: real digits runs of several seeds, and releases crafted from one real run.

`python tests/history_runs.py OUT EPOCHS SEED...` trains one real run per seed into OUT/seed<SEED>, all in one
interpreter (torch is imported once: about 2.5 s a run at 10 epochs instead of 4.5 s), as `invoke train
--artifacts OUT/seed<SEED> --seed SEED --epochs EPOCHS` would write them.
"""

from __future__ import annotations

import csv
import io
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def train_seeds_command(out: Path, epochs: int, seeds: Iterable[int]) -> list[str]:
    return [sys.executable, str(Path(__file__)), str(out), str(epochs), *(str(seed) for seed in seeds)]


def train_seeds(out: Path, epochs: int, seeds: list[int], processes: int = 2) -> list[Path]:
    """One real run per seed under `out`, trained by `processes` interpreters side by side; in seed order."""
    groups = [seeds[i::processes] for i in range(processes) if seeds[i::processes]]
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    running = [
        subprocess.Popen(
            train_seeds_command(out, epochs, group),
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        for group in groups
    ]
    for process in running:
        _, errors = process.communicate(timeout=600)
        if process.returncode != 0:
            raise RuntimeError(f"training seeds failed:\n{errors[-2000:]}")
    return [out / f"seed{seed}" for seed in seeds]


def seed_runs_once(tmp_path_factory, count: int = 20, epochs: int = 10) -> list[Path]:
    """Real digits runs of seeds 0..count-1, trained once per test session whichever module asks first."""
    folder = tmp_path_factory.getbasetemp() / f"history-seeds-{epochs}"
    done = folder / "done"
    if not done.is_file() or int(done.read_text()) < count:
        folder.mkdir(exist_ok=True)
        missing = [seed for seed in range(count) if not (folder / f"seed{seed}" / "predictions.csv").is_file()]
        train_seeds(folder, epochs, missing)
        done.write_text(str(count))
    return [folder / f"seed{seed}" for seed in range(count)]


def read_rows(run: Path) -> list[dict[str, str]]:
    with open(run / "predictions.csv", newline="", encoding="utf-8") as stream:
        return list(csv.DictReader(stream))


def metrics_from_rows(metrics: dict, rows: list[dict[str, str]]) -> dict:
    """`metrics` with every number that depends on the predictions recomputed from `rows`, as training does."""
    from sklearn.metrics import classification_report, confusion_matrix

    labels = [str(label) for label in metrics["labels"]]
    truth, predicted = [row["label"] for row in rows], [row["prediction"] for row in rows]
    report = classification_report(truth, predicted, labels=labels, output_dict=True, zero_division=0)
    return {
        **metrics,
        "accuracy": round(sum(t == p for t, p in zip(truth, predicted, strict=True)) / len(rows), 6),
        "macro_f1": round(report["macro avg"]["f1-score"], 6),
        "per_class": {
            label: {
                "precision": round(report[label]["precision"], 6),
                "recall": round(report[label]["recall"], 6),
                "f1": round(report[label]["f1-score"], 6),
                "support": int(report[label]["support"]),
            }
            for label in labels
        },
        "confusion_matrix": confusion_matrix(truth, predicted, labels=labels).tolist(),
    }


def crafted_run(source: Path, out: Path, broken: int, *, run_changes: dict | None = None) -> Path:
    """A copy of the real run `source` whose first `broken` correctly predicted test samples are now predicted
    wrong (and none fixed), its metrics recomputed; `run_changes` overrides facts in metrics.json's `run`."""
    out.mkdir(parents=True, exist_ok=True)
    rows = read_rows(source)
    labels = sorted({row["label"] for row in rows})
    left = broken
    for row in rows:
        if left and row["prediction"] == row["label"]:
            row["prediction"] = next(label for label in labels if label != row["label"])
            left -= 1
    if left:
        raise ValueError(f"{source} has fewer than {broken} correct predictions")
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=list(rows[0].keys()), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    (out / "predictions.csv").write_text(buffer.getvalue(), encoding="utf-8")
    metrics = metrics_from_rows(json.loads((source / "metrics.json").read_text()), rows)
    if run_changes:
        metrics["run"] = {**metrics["run"], **run_changes}
    (out / "metrics.json").write_text(json.dumps(metrics, indent=2), encoding="utf-8")
    for name in ("classification_report.txt",):
        if (source / name).is_file():
            shutil.copy(source / name, out / name)
    return out


def release_facts(number: int, *, promoted: bool = True) -> dict:
    """The index facts of release model-v<number> of octo/cml, as `invoke history` records a GitHub release."""
    commit = f"{number:07x}" + "0" * 33
    return {
        "name": f"model-v{number}",
        "tag": f"model-v{number}",
        "commit": commit,
        "created_at": f"2025-01-{number:02d}T12:00:00Z",
        "promoted": promoted,
        "release_id": 100 + number,
        "release_url": f"https://github.example/octo/cml/releases/tag/model-v{number}",
        "commit_url": f"https://github.example/octo/cml/commit/{commit}",
        "origin": "release",
    }


def release_history(out: Path, runs: list[Path], *, not_promoted: Iterable[int] = ()) -> Path:
    """A history folder whose releases model-v1, model-v2, ... hold the files of `runs`, oldest first."""
    from delivery.history import NewEntry, write_history

    skipped = set(not_promoted)
    entries = [
        NewEntry(
            release_facts(number, promoted=number not in skipped),
            (run / "metrics.json").read_bytes(),
            (run / "predictions.csv").read_bytes(),
        )
        for number, run in enumerate(runs, start=1)
    ]
    write_history(out, entries, source="github:octo/cml")
    return out


def main(argv: list[str]) -> int:
    from training.cli import build_parser, config_from_args
    from training.run import run
    from training.sidecar import InProcessSidecar

    out, epochs, seeds = Path(argv[0]), argv[1], argv[2:]
    for seed in seeds:
        args = build_parser().parse_args(["--epochs", epochs, "--seed", seed, "--out", str(out / f"seed{seed}")])
        config = config_from_args(args)
        code = run(config, InProcessSidecar(config.data_options()), device_name="cpu")
        if code != 0:
            return code
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
