"""training.metrics: metrics as data from scikit-learn, keyed by label name."""

from __future__ import annotations

import numpy as np

from training.metrics import classification_report_text, compute_metrics


def test_metrics_from_known_predictions() -> None:
    """Accuracy, per-class precision/recall/support and the confusion matrix (rows = true) are exact."""
    y_true = np.array([0, 0, 1, 1, 2, 2])
    y_pred = np.array([0, 1, 1, 1, 2, 0])

    metrics = compute_metrics(y_true, y_pred, ["a", "b", "c"])

    assert metrics["accuracy"] == round(4 / 6, 6)
    assert metrics["confusion_matrix"] == [[1, 1, 0], [0, 2, 0], [1, 0, 1]]
    assert metrics["per_class"]["b"] == {"precision": round(2 / 3, 6), "recall": 1.0, "f1": 0.8, "support": 2}
    assert metrics["labels"] == ["a", "b", "c"]


def test_a_class_never_predicted_has_zero_precision_not_a_warning() -> None:
    """zero_division=0: a class absent from the predictions scores 0 without a warning."""
    metrics = compute_metrics(np.array([0, 1]), np.array([0, 0]), ["x", "y"])

    assert metrics["per_class"]["y"]["precision"] == 0.0
    assert "y" in classification_report_text(np.array([0, 1]), np.array([0, 0]), ["x", "y"])
