"""Predictions as rows, rendered as a table for the terminal or written as CSV / JSON."""

from __future__ import annotations

import csv
import io
import os
from collections.abc import Sequence
from pathlib import Path

from core.atomic import write_json, write_text

OUTPUT_SUFFIXES = (".csv", ".json")
CONFIDENCE_DECIMALS = 6


def prediction_rows(predictions: Sequence, top_k: int = 1) -> list[dict]:
    """One dict per prediction: input, prediction, confidence, then top2, top2_confidence, ... up to `top_k`."""
    rows = []
    for item in predictions:
        row = {
            "input": item.input,
            "prediction": item.prediction,
            "confidence": round(item.confidence, CONFIDENCE_DECIMALS),
        }
        for rank, (label, probability) in enumerate(item.top[1:top_k], start=2):
            row[f"top{rank}"] = label
            row[f"top{rank}_confidence"] = round(probability, CONFIDENCE_DECIMALS)
        rows.append(row)
    return rows


def columns(top_k: int = 1) -> list[str]:
    """The column names of `prediction_rows(..., top_k)`, in order."""
    names = ["input", "prediction", "confidence"]
    for rank in range(2, top_k + 1):
        names += [f"top{rank}", f"top{rank}_confidence"]
    return names


def format_table(rows: list[dict], top_k: int = 1) -> str:
    """Aligned plain-text columns, confidences with 4 decimals."""
    header = columns(top_k)
    cells = [[_cell(row[name]) for name in header] for row in rows]
    widths = [max(len(text) for text in column) for column in zip(header, *cells, strict=True)]
    lines = [
        "  ".join(text.ljust(width) for text, width in zip(line, widths, strict=True)).rstrip()
        for line in [header, *cells]
    ]
    return "\n".join(lines) + "\n"


def to_csv(rows: list[dict], top_k: int = 1) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns(top_k), lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_predictions(path: str | os.PathLike, rows: list[dict], top_k: int = 1) -> None:
    """Write `rows` atomically as CSV or JSON (a list of objects), chosen by the file's suffix."""
    suffix = Path(path).suffix.lower()
    if suffix == ".csv":
        write_text(path, to_csv(rows, top_k))
    elif suffix == ".json":
        write_json(path, rows)
    else:
        raise ValueError(f"{path}: output must end in {' or '.join(OUTPUT_SUFFIXES)}")


def _cell(value: object) -> str:
    return f"{value:.4f}" if isinstance(value, float) else str(value)
