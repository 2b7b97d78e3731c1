"""Training curves as mermaid `xychart-beta` blocks, which GitHub draws natively (no image to host)."""

from __future__ import annotations

import math

# More points than this make an unreadable x axis and a longer comment; the PNG keeps every epoch.
MAX_POINTS = 60


def sample_indices(count: int, limit: int = MAX_POINTS) -> list[int]:
    """At most `limit` evenly spread indices into `count` items, always keeping the first and the last."""
    if count <= limit:
        return list(range(count))
    step = (count - 1) / (limit - 1)
    return sorted({round(i * step) for i in range(limit)})


def number(value: float) -> str:
    return f"{value:.4g}"


def xychart(title: str, epochs: list[int], y_title: str, y_range: tuple[float, float], lines: list[list[float]]) -> str:
    body = [
        "xychart-beta",
        f'    title "{title}"',
        f'    x-axis "epoch" [{", ".join(str(e) for e in epochs)}]',
        f'    y-axis "{y_title}" {number(y_range[0])} --> {number(y_range[1])}',
        *(f"    line [{', '.join(number(v) for v in line)}]" for line in lines),
    ]
    return "```mermaid\n" + "\n".join(body) + "\n```"


def curves_markdown(history: list[dict]) -> str | None:
    """Loss and validation-accuracy charts with a line saying how to read them; None when there is nothing to draw."""
    keys = ("epoch", "train_loss", "val_loss", "val_accuracy")
    rows = [row for row in history if all(isinstance(row.get(k), int | float) for k in keys)]
    if not rows:
        return None
    if any(not math.isfinite(row[k]) for row in rows for k in keys):
        return "Training curves not drawn: the history holds non-finite values (the loss diverged)."
    picked = [rows[i] for i in sample_indices(len(rows))]
    epochs = [int(row["epoch"]) for row in picked]
    train_loss = [row["train_loss"] for row in picked]
    val_loss = [row["val_loss"] for row in picked]
    val_accuracy = [row["val_accuracy"] * 100 for row in picked]
    loss_top = max(train_loss + val_loss) * 1.05 or 1.0
    accuracy_bottom = math.floor(min(val_accuracy) / 10) * 10
    parts = [
        xychart("Loss", epochs, "loss", (0, loss_top), [train_loss, val_loss]),
        xychart("Validation accuracy", epochs, "accuracy (%)", (accuracy_bottom, 100), [val_accuracy]),
        "Loss chart: the first line is the training loss, the second the validation loss.",
    ]
    if len(picked) < len(rows):
        parts.append(f"{len(picked)} of {len(rows)} epochs drawn, evenly spaced; training_curves.png has all of them.")
    return "\n\n".join(parts)
