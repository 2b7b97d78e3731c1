"""Read a `metrics.json` and check it has what the report needs, with one-line errors naming the file."""

from __future__ import annotations

import json
from pathlib import Path

REQUIRED = ("accuracy", "macro_f1", "labels", "per_class", "confusion_matrix")


class MetricsError(Exception):
    """A metrics file that is missing, unreadable or not in the artifact format; the message names the file."""


def load_metrics(path: str | Path) -> dict:
    """The parsed metrics of `path`, checked for the keys and shapes the report relies on."""
    path = Path(path)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise MetricsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise MetricsError(f"{path}: cannot read it ({exc})") from None
    except json.JSONDecodeError as exc:
        raise MetricsError(f"{path}: not valid JSON ({exc})") from None
    problem = find_problem(data)
    if problem:
        raise MetricsError(f"{path}: not a metrics.json from training: {problem}")
    return data


def find_problem(data: object) -> str | None:
    """What is wrong with `data` as metrics, or None when the report can use it."""
    if not isinstance(data, dict):
        return "expected a JSON object"
    missing = [key for key in REQUIRED if key not in data]
    if missing:
        return f"missing {', '.join(missing)}"
    for key in ("accuracy", "macro_f1"):
        if not isinstance(data[key], int | float) or not 0 <= data[key] <= 1:
            return f"{key} must be a number from 0 to 1"
    labels = data["labels"]
    if not isinstance(labels, list) or not labels:
        return "labels must be a non-empty list"
    per_class = data["per_class"]
    if not isinstance(per_class, dict) or any(str(label) not in per_class for label in labels):
        return "per_class must have an entry for every label"
    matrix = data["confusion_matrix"]
    size = len(labels)
    square = isinstance(matrix, list) and len(matrix) == size
    if not square or any(not isinstance(row, list) or len(row) != size for row in matrix):
        return f"confusion_matrix must be {size}x{size} (one row and column per label)"
    if not isinstance(data.get("history", []), list) or not isinstance(data.get("run", {}), dict):
        return "history must be a list and run an object"
    return None
