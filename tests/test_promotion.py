"""delivery.promotion: champion and challenger on the paired test split, and model-v<N> numbering."""

from __future__ import annotations

import pytest

from delivery.promotion import Production, decide, next_tag, production_line, release_number
from tests.fake_metrics import make_metrics

LABELS = ["0", "1"]
SAMPLES = 360


def run(wrong: set[int], *, fingerprint: str = "f" * 64, dataset: str = "digits") -> tuple[dict, dict]:
    """metrics.json and predictions.csv rows of a two-class run over SAMPLES samples that gets `wrong` wrong."""
    predictions = {}
    matrix = [[0, 0], [0, 0]]
    for index in range(SAMPLES):
        label = index % 2
        predicted = 1 - label if index in wrong else label
        predictions[f"digits/{index}"] = (str(label), str(predicted))
        matrix[label][predicted] += 1
    metrics = make_metrics(matrix, LABELS)
    metrics["run"] |= {"test_fingerprint": fingerprint, "dataset": dataset, "dataset_fingerprint": dataset * 8}
    return metrics, predictions


def production(wrong: set[int], **kwargs) -> Production:
    metrics, predictions = run(wrong, **kwargs)
    return Production(tag="model-v6", commit="abc1234" + "0" * 33, metrics=metrics, predictions=predictions)


def test_the_first_release_is_promoted():
    """With no production model there is nothing to lose to."""
    metrics, predictions = run({1, 2})

    decision = decide(metrics, predictions, None)

    assert decision.promote and decision.reason == "promoted: the first release"


def test_six_broken_and_none_fixed_is_not_promoted_with_the_counts_and_p_value():
    """-1.67 pp on 360 samples, 0 fixed and 6 broken: McNemar p = 0.031 < 0.05, so a pre-release."""
    metrics, predictions = run({10, 11, 12, 13, 14, 15})

    decision = decide(metrics, predictions, production(set()), max_drop=0.0, alpha=0.05)

    assert not decision.promote
    assert decision.reason == "not promoted: -1.67 pp against model-v6 (0 fixed, 6 broken, McNemar p = 0.031)"


def test_a_drop_that_is_not_significant_is_promoted():
    """5 broken, 0 fixed is p = 0.062: within noise at alpha 0.05, so production moves on."""
    metrics, predictions = run({10, 11, 12, 13, 14})

    decision = decide(metrics, predictions, production(set()), alpha=0.05)

    assert decision.promote and "0 fixed, 5 broken, McNemar p = 0.062" in decision.reason


def test_a_significant_drop_within_max_drop_is_promoted():
    """max_drop allows a fall of up to 2 points even when it is significant."""
    metrics, predictions = run({10, 11, 12, 13, 14, 15})

    assert decide(metrics, predictions, production(set()), max_drop=0.02).promote


def test_an_equal_or_better_model_is_promoted():
    """Same predictions (±0.00 pp) or fixed samples: promoted."""
    metrics, predictions = run({1})

    same = decide(metrics, predictions, production({1}))
    better = decide(metrics, predictions, production({1, 2, 3}))

    assert same.promote and "±0.00 pp" in same.reason
    assert better.promote and "+0.56 pp against model-v6 (2 fixed, 0 broken" in better.reason


@pytest.mark.parametrize(
    ("kwargs", "why"),
    [({"fingerprint": "e" * 64}, "tested on other samples"), ({"dataset": "mnist"}, "another dataset")],
)
def test_another_split_or_dataset_is_promoted_on_its_gate_alone(kwargs, why):
    """A release that cannot be paired with production is promoted, and its notes say it was not compared."""
    metrics, predictions = run(set(range(40)), **kwargs)

    decision = decide(metrics, predictions, production(set()))

    assert decision.promote and not decision.comparable
    assert decision.reason.startswith("promoted on its gate alone: not comparable with model-v6 (")
    assert why in decision.reason


def test_next_tag_is_one_more_than_the_highest_and_ignores_other_tags():
    """model-v<N+1> after the highest model-v<N>; v1.0, model-v07 or model-vx are not ours."""
    assert next_tag([]) == "model-v1"
    assert next_tag(["model-v2", "model-v10", "model-v9", "v1.0", "model-v07", "model-vx"]) == "model-v11"
    assert release_number("model-v0") is None and release_number("model-v3") == 3


def test_production_line_names_tag_commit_and_accuracy():
    """The PR report's one line about production."""
    assert production_line(production({1, 2})) == "Production: model-v6 (main @ `abc1234`, 99.44%)"
