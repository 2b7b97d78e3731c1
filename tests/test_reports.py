"""training.reports: the text report, predictions.csv and the PNGs, rendered from predictions."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from training.reports import predictions_csv, write_reports


def test_reports_are_written_from_predictions_and_metrics_returned(tmp_path: Path) -> None:
    """write_reports writes the text report and both PNGs and returns the metrics it drew them from."""
    history = [{"epoch": e, "train_loss": 1 / e, "val_loss": 1.2 / e, "val_accuracy": 0.5 + e / 10} for e in (1, 2, 3)]

    metrics = write_reports(
        str(tmp_path),
        np.array([0, 1, 1]),
        np.array([0, 1, 0]),
        ["zero", "one"],
        history,
        ids=["a.png", "b.png", "c.png"],
        confidence=np.array([0.9, 0.75, 0.5]),
    )

    assert metrics["confusion_matrix"] == [[1, 0], [1, 1]]
    assert "zero" in (tmp_path / "classification_report.txt").read_text()
    for png in ("confusion_matrix.png", "training_curves.png"):
        assert (tmp_path / png).read_bytes().startswith(b"\x89PNG")


def test_predictions_csv_has_one_row_per_sample_with_label_names() -> None:
    """predictions.csv pairs each sample id with its true and predicted label names and the confidence."""
    text = predictions_csv(
        ["cat/1.png", "dog/a,b.png"], np.array([0, 1]), np.array([1, 1]), np.array([0.5, 0.987654321]), ["cat", "dog"]
    )

    assert text.splitlines() == [
        "id,label,prediction,confidence",
        "cat/1.png,cat,dog,0.500000",
        '"dog/a,b.png",dog,dog,0.987654',
    ]
