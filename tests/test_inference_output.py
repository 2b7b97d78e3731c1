"""inference.output: prediction rows as a table, CSV and JSON."""

from __future__ import annotations

import csv
import json

import pytest

from inference.output import format_table, prediction_rows, write_predictions
from inference.predict import Prediction

PREDICTIONS = [
    Prediction(input="a/one.png", prediction="1", confidence=0.9, top=(("1", 0.9), ("7", 0.08), ("4", 0.01))),
    Prediction(input="a/two.png", prediction="2", confidence=0.51234567, top=(("2", 0.51234567), ("3", 0.4))),
]


def test_rows_hold_input_prediction_and_confidence():
    """Without top-k a row has exactly input, prediction, confidence (rounded to 6 decimals)."""
    rows = prediction_rows(PREDICTIONS)

    assert rows == [
        {"input": "a/one.png", "prediction": "1", "confidence": 0.9},
        {"input": "a/two.png", "prediction": "2", "confidence": 0.512346},
    ]


def test_top_k_adds_runner_up_columns():
    """--top-k 2 adds top2 and top2_confidence after the three base columns."""
    rows = prediction_rows(PREDICTIONS, top_k=2)

    assert list(rows[0]) == ["input", "prediction", "confidence", "top2", "top2_confidence"]
    assert (rows[0]["top2"], rows[0]["top2_confidence"]) == ("7", 0.08)


def test_table_aligns_columns_under_a_header():
    """The table has a header line and one line per prediction, columns aligned, 4 decimals."""
    table = format_table(prediction_rows(PREDICTIONS))

    lines = table.splitlines()
    assert lines[0].split() == ["input", "prediction", "confidence"]
    assert lines[2].split() == ["a/two.png", "2", "0.5123"]
    assert len({line.index(line.split()[1]) for line in lines}) == 1


@pytest.mark.parametrize("top_k", [1, 2], ids=["plain", "top-2"])
def test_csv_has_the_documented_columns(tmp_path, top_k):
    """CSV columns: input,prediction,confidence then top2,top2_confidence with --top-k 2."""
    path = tmp_path / "preds.csv"

    write_predictions(path, prediction_rows(PREDICTIONS, top_k), top_k)

    with path.open(newline="") as handle:
        reader = csv.DictReader(handle)
        records = list(reader)
    expected = ["input", "prediction", "confidence"] + (["top2", "top2_confidence"] if top_k == 2 else [])
    assert reader.fieldnames == expected
    assert records[1]["input"] == "a/two.png"
    assert float(records[1]["confidence"]) == pytest.approx(0.512346)


def test_json_is_a_list_of_objects_with_the_csv_keys(tmp_path):
    """JSON output: one object per prediction with the same keys as the CSV columns."""
    path = tmp_path / "out" / "preds.json"

    write_predictions(path, prediction_rows(PREDICTIONS, 2), 2)

    data = json.loads(path.read_text())
    assert [list(item) for item in data] == [["input", "prediction", "confidence", "top2", "top2_confidence"]] * 2
    assert data[0]["prediction"] == "1"


def test_array_index_stays_a_number_in_json(tmp_path):
    """For .npy input the `input` field is the array index (a JSON number)."""
    path = tmp_path / "preds.json"
    rows = prediction_rows([Prediction(input=0, prediction="5", confidence=1.0, top=(("5", 1.0),))])

    write_predictions(path, rows)

    assert json.loads(path.read_text()) == [{"input": 0, "prediction": "5", "confidence": 1.0}]


def test_unknown_output_suffix_is_refused(tmp_path):
    """Only .csv and .json are written; anything else is an error, and nothing is created."""
    path = tmp_path / "preds.xlsx"

    with pytest.raises(ValueError, match=r"\.csv or \.json"):
        write_predictions(path, prediction_rows(PREDICTIONS))

    assert not path.exists()
