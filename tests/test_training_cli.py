"""`python -m training`: the artifact set, determinism, bad flags and interruption, run for real."""

from __future__ import annotations

import hashlib
import json
import re
import signal
import subprocess
import sys
from pathlib import Path

import pytest
import torch
from helpers import ROOT

from training.fingerprint import folder_fingerprint

ARTIFACTS = (
    "model.pt",
    "metrics.json",
    "classification_report.txt",
    "predictions.csv",
    "confusion_matrix.png",
    "training_curves.png",
)


def run_training(*args: str, timeout: float = 120) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "training", *args], cwd=ROOT, capture_output=True, text=True, timeout=timeout
    )


def test_short_run_writes_every_artifact_with_documented_keys(trained_checkpoint: Path) -> None:
    """A real run writes the six artifacts; metrics.json has the contract's keys, measured on the test split."""
    metrics = json.loads((trained_checkpoint / "metrics.json").read_text())

    assert all((trained_checkpoint / name).stat().st_size > 0 for name in ARTIFACTS)
    assert {"accuracy", "macro_f1", "labels", "per_class", "confusion_matrix", "history", "run"} <= set(metrics)
    assert metrics["labels"] == [str(d) for d in range(10)]
    assert set(metrics["per_class"]["3"]) == {"precision", "recall", "f1", "support"}
    matrix = metrics["confusion_matrix"]
    assert sum(map(sum, matrix)) == metrics["run"]["split"]["test"] == 360
    assert metrics["accuracy"] == pytest.approx(sum(matrix[i][i] for i in range(10)) / 360, abs=1e-6)
    epochs = metrics["run"]["epochs"]
    assert [h["epoch"] for h in metrics["history"]] == list(range(1, epochs + 1))
    assert 1 <= metrics["best_epoch"] <= epochs
    assert set(metrics["history"][0]) >= {"train_loss", "val_loss", "val_accuracy"}
    assert {"dataset", "data_version", "split", "seed", "epochs", "duration_s", "commit", "versions"} <= set(
        metrics["run"]
    )
    assert metrics["accuracy"] > 0.9


def test_run_records_split_seed_fingerprints_and_per_sample_predictions(trained_checkpoint: Path) -> None:
    """metrics.json names the split seed and both fingerprints; predictions.csv has one row per test sample,
    consistent with the accuracy."""
    import csv

    metrics = json.loads((trained_checkpoint / "metrics.json").read_text())
    with open(trained_checkpoint / "predictions.csv", newline="") as stream:
        rows = list(csv.DictReader(stream))

    run = metrics["run"]
    assert run["split_seed"] == 0
    assert len(run["dataset_fingerprint"]) == len(run["test_fingerprint"]) == 64
    assert len(rows) == 360 and list(rows[0]) == ["id", "label", "prediction", "confidence"]
    assert all(row["id"].startswith("digits/") for row in rows)
    assert sum(row["label"] == row["prediction"] for row in rows) / 360 == pytest.approx(metrics["accuracy"], abs=1e-6)
    assert all(0 < float(row["confidence"]) <= 1 for row in rows)


def test_a_new_run_removes_the_earlier_report(tmp_path: Path) -> None:
    """report.md of an earlier run is gone once a new run starts, so nobody can publish it for the new one."""
    (tmp_path / "report.md").write_text("## an earlier run's report\n")

    done = run_training("--epochs", "1", "--out", str(tmp_path))

    assert done.returncode == 0, done.stderr
    assert not (tmp_path / "report.md").exists()
    assert (tmp_path / "metrics.json").exists()


def test_checkpoint_loads_with_weights_only(trained_checkpoint: Path) -> None:
    """model.pt holds model_state, model_config, labels, normalisation and versions, loadable safely."""
    payload = torch.load(trained_checkpoint / "model.pt", weights_only=True)

    assert {"model_state", "model_config", "labels", "preprocessing", "train_config", "versions"} <= set(payload)
    assert tuple(payload["preprocessing"]["input_size"]) == (8, 8)
    assert len(payload["preprocessing"]["std"]) == 1 and 0 < payload["preprocessing"]["std"][0] < 1


def test_same_seed_and_threads_give_a_byte_identical_model_pt(tmp_path: Path) -> None:
    """Two real trainings with one seed and thread count, written to different folders: equal sha256 of model.pt."""
    runs = [run_training("--epochs", "1", "--seed", "3", "--threads", "1", "--out", str(tmp_path / n)) for n in "ab"]

    assert [done.returncode for done in runs] == [0, 0], runs[-1].stderr
    digests = {hashlib.sha256((tmp_path / n / "model.pt").read_bytes()).hexdigest() for n in "ab"}
    assert len(digests) == 1


@pytest.mark.slow
def test_same_seed_gives_identical_weights_and_metrics(tmp_path: Path, trained_checkpoint: Path) -> None:
    """Two runs with the same seed and thread count produce bit-identical weights and the same metrics."""
    epochs = json.loads((trained_checkpoint / "metrics.json").read_text())["run"]["epochs"]

    done = run_training("--epochs", str(epochs), "--out", str(tmp_path))

    assert done.returncode == 0, done.stderr
    first = torch.load(trained_checkpoint / "model.pt", weights_only=True)["model_state"]
    second = torch.load(tmp_path / "model.pt", weights_only=True)["model_state"]
    assert all(torch.equal(first[k], second[k]) for k in first)
    strip = lambda m: {k: v for k, v in m.items() if k != "run"}  # noqa: E731 - run holds the duration
    assert strip(json.loads((tmp_path / "metrics.json").read_text())) == strip(
        json.loads((trained_checkpoint / "metrics.json").read_text())
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--dataset", "cifar"], "unknown dataset"),
        (["--dataset", "folder:/no/such/dir"], "/no/such/dir does not exist"),
        (["--epochs", "0"], "--epochs: must be at least 1"),
        (["--epochs", "three"], "--epochs"),
        (["--lr", "-1"], "--lr: must be greater than 0"),
        (["--device", "cuda"] if not torch.cuda.is_available() else ["--device", "tpu"], "--device"),
    ],
    ids=["unknown-dataset", "missing-folder", "zero-epochs", "non-numeric-epochs", "negative-lr", "unavailable-device"],
)
def test_bad_flags_exit_2_with_a_message_and_no_traceback(tmp_path: Path, args: list[str], message: str) -> None:
    """Bad flags give a one-line error naming the flag, exit code 2, no traceback, nothing written."""
    done = run_training(*args, "--out", str(tmp_path / "out"))

    assert done.returncode == 2
    assert message in done.stderr
    assert "Traceback" not in done.stderr
    assert not (tmp_path / "out").exists()


@pytest.mark.parametrize("out", ["/proc/x", "file/artifacts"], ids=["cannot-create", "under-a-file"])
def test_unwritable_out_fails_at_once_before_any_work(tmp_path: Path, out: str) -> None:
    """An --out that cannot be written is one line and exit 2 before any work: no data loaded, nothing trained."""
    (tmp_path / "file").write_text("x")
    out = out if out.startswith("/") else str(tmp_path / out)

    done = run_training("--out", out)

    assert done.returncode == 2
    assert done.stderr.startswith(f"python -m training: error: --out {out}: cannot write there (")
    assert done.stderr.count("\n") == 1 and done.stdout == ""


def test_folder_dataset_trains_from_class_subfolders(folder_run: tuple[Path, Path]) -> None:
    """folder:PATH reads one sub-folder per class (ImageFolder) and writes the artifacts with those labels; samples
    are named by their path in the folder and the dataset by the folder's content fingerprint."""
    images, out = folder_run

    metrics = json.loads((out / "metrics.json").read_text())
    assert metrics["labels"] == ["class_0", "class_1", "class_2"]
    assert metrics["run"]["dataset_fingerprint"] == folder_fingerprint(images)
    first_row = (out / "predictions.csv").read_text().splitlines()[1]
    assert re.fullmatch(r"class_\d/\d+\.png,class_\d,class_\d,[0-9.]+", first_row)


def test_missing_download_dataset_names_dataset_and_dir(tmp_path: Path) -> None:
    """mnist that is not on disk and cannot be fetched fails with one line naming the dataset and dir."""
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "training",
            "--dataset",
            "mnist",
            "--data-dir",
            str(tmp_path / "data"),
            "--out",
            str(tmp_path / "out"),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
        timeout=120,
        env={
            "PATH": "/usr/bin:/bin",
            "HTTPS_PROXY": "http://127.0.0.1:9",
            "HTTP_PROXY": "http://127.0.0.1:9",
            "NO_PROXY": "",
        },
    )

    assert done.returncode == 2
    assert "mnist" in done.stderr and str(tmp_path / "data") in done.stderr
    assert "Traceback" not in done.stderr


def test_ctrl_c_keeps_the_last_complete_epoch(tmp_path: Path) -> None:
    """SIGINT during training stops after the last complete epoch, writes the artifacts, exits 130."""
    with subprocess.Popen(
        [sys.executable, "-m", "training", "--epochs", "200", "--out", str(tmp_path)],
        cwd=ROOT,
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        for line in process.stderr:
            if line.startswith("epoch 2/"):
                process.send_signal(signal.SIGINT)
                break
        rest = process.stderr.read()
        code = process.wait(timeout=60)

    assert code == 130, rest
    assert "Traceback" not in rest
    metrics = json.loads((tmp_path / "metrics.json").read_text())
    assert metrics["run"]["interrupted"] is True
    assert 2 <= metrics["run"]["epochs_completed"] < 200
    assert (tmp_path / "model.pt").exists()


def test_only_rank_0_probes_out(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Under torchrun only rank 0 writes the artifacts, so only it checks --out (ranks probing at once would race)."""
    from training import cli

    def stop_before_loading_data(options: dict) -> None:
        raise SystemExit(0)

    probed = []
    monkeypatch.setattr(cli, "probe_writable_dir", probed.append)
    monkeypatch.setattr(cli, "start_sidecar", stop_before_loading_data)
    for rank in ("1", "0"):
        monkeypatch.setenv("RANK", rank)
        with pytest.raises(SystemExit):
            cli.main(["--out", str(tmp_path / rank)])

    assert probed == [str(tmp_path / "0")]
