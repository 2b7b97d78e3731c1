"""The human-readable artifacts: metrics as data, the text report and the two PNGs (no torch)."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from core.atomic import write_text
from training.metrics import classification_report_text, compute_metrics
from training.plots import save_confusion_matrix, save_training_curves


def warm_up() -> None:
    """Import what write_reports needs, so that the call itself is quick."""
    import sklearn.metrics  # noqa: F401

    from training.plots import pyplot

    pyplot()


def write_reports(out: str, y_true: np.ndarray, y_pred: np.ndarray, labels: list[str], history: list[dict]) -> dict:
    """Write classification_report.txt, confusion_matrix.png and training_curves.png; return the metrics."""
    folder = Path(out)
    metrics = compute_metrics(y_true, y_pred, labels)
    write_text(folder / "classification_report.txt", classification_report_text(y_true, y_pred, labels))
    save_confusion_matrix(folder / "confusion_matrix.png", metrics["confusion_matrix"], labels)
    save_training_curves(folder / "training_curves.png", history)
    return metrics
