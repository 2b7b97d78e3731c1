"""training.distributed: a real two-process torchrun on the CPU, and the single-process helpers."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import ROOT

from training.distributed import SINGLE, World


def test_shards_are_disjoint_and_cover_everything() -> None:
    """Each rank's shard is every world_size-th item; together they cover each item once."""
    shards = [World(rank=r, world_size=3).shard(10) for r in range(3)]

    covered = sorted(i for shard in shards for i in range(10)[shard])

    assert covered == list(range(10))


def test_single_process_needs_no_process_group() -> None:
    """World size 1 sums and unshards locally, without torch.distributed."""
    assert SINGLE.sum(1.5, 2.0) == [1.5, 2.0]
    assert torch.equal(SINGLE.unshard(torch.arange(4), 4), torch.arange(4))


@pytest.mark.slow
def test_two_processes_match_one_within_a_point(tmp_path: Path, trained_checkpoint: Path) -> None:
    """torchrun with 2 gloo processes writes the full artifact set once, within 1 pp of one process."""
    single = json.loads((trained_checkpoint / "metrics.json").read_text())
    epochs = str(single["run"]["epochs"])

    torchrun = [sys.executable, "-m", "training.launch", "--standalone", "--nproc-per-node", "2"]

    done = subprocess.run(
        [*torchrun, "-m", "training", "--epochs", epochs, "--out", str(tmp_path)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=300,
    )

    assert done.returncode == 0, done.stderr[-3000:]
    assert "world size 2 (gloo)" in done.stderr
    assert done.stderr.count("test accuracy") == 1  # only rank 0 reports and writes
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["run"]["world_size"] == 2
    assert sum(map(sum, metrics["confusion_matrix"])) == 360
    assert abs(metrics["accuracy"] - single["accuracy"]) <= 0.01
    assert {p.name for p in tmp_path.iterdir()} >= {
        "model.pt",
        "metrics.json",
        "classification_report.txt",
        "confusion_matrix.png",
        "training_curves.png",
    }
