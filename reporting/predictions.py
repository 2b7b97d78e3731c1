"""Per-sample test predictions (`predictions.csv` beside `metrics.json`): read them with one-line errors."""

from __future__ import annotations

import csv
from pathlib import Path

from reporting.metrics import MetricsError

COLUMNS = ("id", "label", "prediction")  # and confidence, which the comparison does not need


def load_predictions(path: str | Path) -> dict[str, tuple[str, str]]:
    """{sample id: (true label, predicted label)} from a predictions.csv; MetricsError names the file and row."""
    path = Path(path)
    try:
        with open(path, newline="", encoding="utf-8") as stream:
            reader = csv.DictReader(stream)
            missing = [column for column in COLUMNS if column not in (reader.fieldnames or [])]
            if missing:
                raise MetricsError(f"{path}: not a predictions.csv from training: no {', '.join(missing)} column")
            rows = {}
            for row in reader:
                if row["id"] in rows or None in (row["label"], row["prediction"]):
                    raise MetricsError(f"{path}: line {reader.line_num}: a repeated id or a short row")
                rows[row["id"]] = (row["label"], row["prediction"])
    except FileNotFoundError:
        raise MetricsError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise MetricsError(f"{path}: cannot read it ({exc})") from None
    return rows
