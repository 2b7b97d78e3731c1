"""Hand-made `metrics.json` data for the reporting tests, consistent with its confusion matrix.

Per-class precision/recall/F1, accuracy and macro F1 are computed from the matrix the same way
scikit-learn does, so a fixture cannot contradict itself.
"""

from __future__ import annotations


def make_metrics(
    matrix: list[list[int]],
    labels: list[str] | None = None,
    *,
    epochs: int = 3,
    commit: str | None = "0123456789abcdef0123456789abcdef01234567",
    interrupted: bool = False,
) -> dict:
    """A complete metrics dict in the artifact format for `matrix` (rows = true label)."""
    size = len(matrix)
    labels = labels or [str(i) for i in range(size)]
    per_class = {}
    for i, label in enumerate(labels):
        true_positives = matrix[i][i]
        predicted = sum(matrix[r][i] for r in range(size))
        support = sum(matrix[i])
        precision = true_positives / predicted if predicted else 0.0
        recall = true_positives / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[label] = {
            "precision": round(precision, 6),
            "recall": round(recall, 6),
            "f1": round(f1, 6),
            "support": support,
        }
    total = sum(map(sum, matrix))
    history = [
        {
            "epoch": epoch,
            "train_loss": round(2.0 / epoch, 6),
            "val_loss": round(2.2 / epoch, 6),
            "val_accuracy": round(1 - 0.5 / epoch, 6),
            "lr": 0.003,
        }
        for epoch in range(1, epochs + 1)
    ]
    return {
        "accuracy": round(sum(matrix[i][i] for i in range(size)) / total, 6),
        "macro_f1": round(sum(c["f1"] for c in per_class.values()) / size, 6),
        "labels": labels,
        "per_class": per_class,
        "confusion_matrix": matrix,
        "history": history,
        "best_epoch": epochs,
        "run": {
            "dataset": "digits",
            "split": {"train": 1257, "val": 180, "test": total},
            "seed": 0,
            "epochs": epochs,
            "epochs_completed": epochs,
            "interrupted": interrupted,
            "duration_s": 7.5,
            "commit": commit,
            "world_size": 1,
            "versions": {"python": "3.11.7", "torch": "2.14.1", "sklearn": "1.9.1"},
        },
    }


def diagonal_matrix(size: int, correct: int, mistakes: dict[tuple[int, int], int] | None = None) -> list[list[int]]:
    """`correct` right answers per class, plus `mistakes[(true, predicted)]` wrong ones."""
    matrix = [[correct if i == j else 0 for j in range(size)] for i in range(size)]
    for (true, predicted), count in (mistakes or {}).items():
        matrix[true][predicted] += count
    return matrix


def three_classes(mistakes: dict[tuple[int, int], int] | None = None, **kwargs) -> dict:
    """A small cats/dogs/birds run: 20 right per class plus the given mistakes."""
    return make_metrics(diagonal_matrix(3, 20, mistakes), ["cat", "dog", "bird"], **kwargs)


def paired_runs(
    fixed: int, broken: int, right: int, wrong: int = 0, labels: tuple[str, str] = ("a", "b")
) -> tuple[dict, dict, dict, dict]:
    """(metrics, baseline, predictions, baseline predictions) of two runs on the same two-class test set:
    `fixed` samples wrong in the baseline and right now, `broken` the reverse, `right` right in both, `wrong`
    wrong in both. Samples alternate between the two labels; a wrong answer is the other label."""
    outcomes = [(False, True)] * fixed + [(True, False)] * broken + [(True, True)] * right + [(False, False)] * wrong
    runs = []
    for side in (1, 0):
        predictions = {}
        for index, outcome in enumerate(outcomes):
            label = labels[index % 2]
            predictions[f"s{index}"] = (label, label if outcome[side] else labels[1 - index % 2])
        runs.append(predictions)
    metrics, baseline = (metrics_from_predictions(predictions, list(labels)) for predictions in runs)
    return metrics, baseline, runs[0], runs[1]


def metrics_from_predictions(predictions: dict[str, tuple[str, str]], labels: list[str]) -> dict:
    """make_metrics for these predictions, with the test-split fingerprint a run records for them."""
    import hashlib

    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for label, predicted in predictions.values():
        matrix[index[label]][index[predicted]] += 1
    metrics = make_metrics(matrix, labels)
    samples = "".join(f"{key}\0{label}\n" for key, (label, _) in sorted(predictions.items()))
    metrics["run"] |= {"test_fingerprint": hashlib.sha256(samples.encode()).hexdigest(), "split_seed": 0}
    return metrics
