"""Tests for reporting/confusion.py: the largest confusions and the most confused classes."""

from __future__ import annotations

from fake_metrics import diagonal_matrix

from reporting.confusion import largest_confusions, most_confused_classes


def test_largest_confusions_are_off_diagonal_largest_first() -> None:
    """The biggest mix-ups come first, with their share of the true class; correct answers never count."""
    matrix = diagonal_matrix(3, 18, {(0, 2): 2, (1, 0): 5})

    confusions = largest_confusions(matrix, ["a", "b", "c"])

    assert [(c.true_label, c.predicted_label, c.count) for c in confusions] == [("b", "a", 5), ("a", "c", 2)]
    assert confusions[1].share == 2 / 20


def test_most_confused_classes_counts_both_directions() -> None:
    """A class counts its errors as the true label and as the predicted one; indices come back in label order."""
    matrix = diagonal_matrix(5, 10, {(4, 1): 3, (0, 3): 1, (2, 2): 0})

    picked = most_confused_classes(matrix, 2)

    assert picked == [1, 4]
