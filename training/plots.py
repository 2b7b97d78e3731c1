"""The two PNGs of the artifact set, drawn from metrics data with matplotlib's Agg backend."""

from __future__ import annotations

import os

import numpy as np

from core.atomic import atomic_path


def pyplot():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    return plt


def save_confusion_matrix(path: str | os.PathLike, matrix: list[list[int]], labels: list[str]) -> None:
    """Plot the confusion matrix (rows = true label) to `path`."""
    from sklearn.metrics import ConfusionMatrixDisplay

    plt = pyplot()
    size = max(5.0, 0.45 * len(labels))
    fig, ax = plt.subplots(figsize=(size, size))
    display = ConfusionMatrixDisplay(np.asarray(matrix), display_labels=labels)
    display.plot(ax=ax, cmap="Blues", colorbar=False, include_values=len(labels) <= 30)
    ax.set_title("Confusion matrix (test split)")
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def save_training_curves(path: str | os.PathLike, history: list[dict]) -> None:
    """Plot train/validation loss and validation accuracy per epoch to `path`."""
    plt = pyplot()
    epochs = [h["epoch"] for h in history]
    fig, (loss_ax, acc_ax) = plt.subplots(1, 2, figsize=(10, 4))
    loss_ax.plot(epochs, [h["train_loss"] for h in history], label="train")
    loss_ax.plot(epochs, [h["val_loss"] for h in history], label="validation")
    loss_ax.set(xlabel="epoch", ylabel="cross-entropy loss", title="Loss")
    loss_ax.legend()
    acc_ax.plot(epochs, [h["val_accuracy"] for h in history], color="tab:green")
    acc_ax.set(xlabel="epoch", ylabel="accuracy", title="Validation accuracy")
    for ax in (loss_ax, acc_ax):
        ax.grid(alpha=0.3)
    fig.tight_layout()
    _save(fig, path)
    plt.close(fig)


def _save(fig, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=100)
