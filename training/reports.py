"""The human-readable artifacts: metrics as data, the text report, per-sample predictions and the two PNGs
(no torch)."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import numpy as np

from core.atomic import write_text
from training.metrics import classification_report_text, compute_metrics
from training.plots import save_confusion_matrix, save_training_curves

PREDICTIONS_HEADER = ("id", "label", "prediction", "confidence")


def warm_up() -> None:
    """Import what write_reports needs, so that the call itself is quick."""
    import sklearn.metrics  # noqa: F401

    from training.plots import pyplot

    pyplot()


def write_reports(
    out: str,
    y_true: np.ndarray,
    y_pred: np.ndarray,
    labels: list[str],
    history: list[dict],
    ids: list[str],
    confidence: np.ndarray,
) -> dict:
    """Write classification_report.txt, predictions.csv, confusion_matrix.png and training_curves.png;
    return the metrics."""
    folder = Path(out)
    metrics = compute_metrics(y_true, y_pred, labels)
    write_text(folder / "classification_report.txt", classification_report_text(y_true, y_pred, labels))
    write_text(folder / "predictions.csv", predictions_csv(ids, y_true, y_pred, confidence, labels))
    save_confusion_matrix(folder / "confusion_matrix.png", metrics["confusion_matrix"], labels)
    save_training_curves(folder / "training_curves.png", history)
    return metrics


def predictions_csv(
    ids: list[str], y_true: np.ndarray, y_pred: np.ndarray, confidence: np.ndarray, labels: list[str]
) -> str:
    """One row per test sample: its id, true and predicted label names, and the predicted label's probability;
    two runs' files pair up by id (reporting.compare counts the samples fixed and broken)."""
    text = io.StringIO()
    writer = csv.writer(text, lineterminator="\n")
    writer.writerow(PREDICTIONS_HEADER)
    for sample_id, true, predicted, probability in zip(ids, y_true, y_pred, confidence, strict=True):
        writer.writerow([sample_id, labels[int(true)], labels[int(predicted)], f"{float(probability):.6f}"])
    return text.getvalue()
