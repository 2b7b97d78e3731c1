"""Tests for reporting/metrics.py: reading metrics.json with one-line errors that name the file."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_metrics import three_classes

from reporting.metrics import MetricsError, load_metrics


def test_load_metrics_reads_an_artifact_file(tmp_path: Path) -> None:
    """A metrics.json in the artifact format loads as the dict it holds."""
    path = tmp_path / "metrics.json"
    path.write_text(json.dumps(three_classes()))

    metrics = load_metrics(path)

    assert metrics == three_classes()


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("{not json", "not valid JSON"),
        ("[1, 2]", "expected a JSON object"),
        (json.dumps({"accuracy": 0.5}), "missing macro_f1, labels, per_class, confusion_matrix"),
        (json.dumps({**three_classes(), "accuracy": 98.6}), "accuracy must be a number from 0 to 1"),
        (json.dumps({**three_classes(), "confusion_matrix": [[1, 2], [3, 4]]}), "must be 3x3"),
        (json.dumps({**three_classes(), "labels": ["cat", "dog", "cow"]}), "per_class must have an entry"),
    ],
    ids=["missing", "broken-json", "not-an-object", "missing-keys", "percent-not-fraction", "matrix-shape", "labels"],
)
def test_load_metrics_names_the_file_and_the_problem(tmp_path: Path, content: str | None, message: str) -> None:
    """Every unusable file gives one line naming the path and what is wrong."""
    path = tmp_path / "metrics.json"
    if content is not None:
        path.write_text(content)

    with pytest.raises(MetricsError) as caught:
        load_metrics(path)

    assert str(caught.value).startswith(f"{path}: ")
    assert message in str(caught.value)
    assert "\n" not in str(caught.value)
