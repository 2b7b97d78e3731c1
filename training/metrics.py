"""Test-split metrics as data (scikit-learn); every view (text, PNG, report) is rendered from it."""

from __future__ import annotations

import numpy as np


def compute_metrics(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> dict:
    """accuracy, macro_f1, labels, per_class, confusion_matrix for predictions on held-out data."""
    from sklearn.metrics import classification_report, confusion_matrix

    indices = list(range(len(labels)))
    report = classification_report(
        y_true, y_pred, labels=indices, target_names=labels, output_dict=True, zero_division=0
    )
    per_class = {
        label: {
            "precision": round(report[label]["precision"], 6),
            "recall": round(report[label]["recall"], 6),
            "f1": round(report[label]["f1-score"], 6),
            "support": int(report[label]["support"]),
        }
        for label in labels
    }
    return {
        "accuracy": round(float(np.mean(y_true == y_pred)), 6),
        "macro_f1": round(report["macro avg"]["f1-score"], 6),
        "labels": list(labels),
        "per_class": per_class,
        "confusion_matrix": confusion_matrix(y_true, y_pred, labels=indices).tolist(),
    }


def classification_report_text(y_true: np.ndarray, y_pred: np.ndarray, labels: list[str]) -> str:
    """scikit-learn's text report, as the course's `classification_report.txt`."""
    from sklearn.metrics import classification_report

    indices = list(range(len(labels)))
    return classification_report(y_true, y_pred, labels=indices, target_names=labels, digits=4, zero_division=0)
