"""Reading a confusion matrix (rows = true label, columns = predicted): the largest mix-ups, the busiest classes."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Confusion:
    true_label: str
    predicted_label: str
    count: int
    share: float  # of the true label's test samples


def largest_confusions(matrix: list[list[int]], labels: list[str], limit: int = 5) -> list[Confusion]:
    """The off-diagonal cells with the highest counts, largest first (ties in label order)."""
    cells = []
    for i, row in enumerate(matrix):
        support = sum(row)
        for j, count in enumerate(row):
            if i != j and count > 0:
                cells.append(Confusion(labels[i], labels[j], count, count / support))
    cells.sort(key=lambda c: -c.count)
    return cells[:limit]


def most_confused_classes(matrix: list[list[int]], limit: int) -> list[int]:
    """Indices (in label order) of the `limit` classes with the most errors, as true or as predicted label."""
    size = len(matrix)
    errors = [
        sum(matrix[i][j] for j in range(size) if j != i) + sum(matrix[j][i] for j in range(size) if j != i)
        for i in range(size)
    ]
    busiest = sorted(range(size), key=lambda i: -errors[i])[:limit]
    return sorted(busiest)
