"""inference.predict: the model rebuilt from its checkpoint, predicting in batches."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch

from core.checkpoint import CheckpointError, load_checkpoint, save_checkpoint
from inference.inputs import Sample
from inference.predict import load_predictor, predict_samples


def digit_samples(count: int, seed: int = 0) -> list[Sample]:
    rng = np.random.default_rng(seed)
    return [Sample(name=f"img{i}.png", pixels=rng.random((1, 8, 8), dtype=np.float32)) for i in range(count)]


def test_predictor_is_rebuilt_from_the_checkpoint_alone(untrained_checkpoint):
    """Labels, input size and weights come from model.pt; the model is in eval mode."""
    predictor = load_predictor(untrained_checkpoint)

    assert predictor.labels == [str(d) for d in range(10)]
    assert predictor.input_size == (8, 8)
    assert not predictor.model.training


def test_predictions_match_the_model_on_standardised_pixels(untrained_checkpoint):
    """Each prediction is the argmax of the model on (pixels - mean) / std, as training fed it."""
    predictor = load_predictor(untrained_checkpoint)
    samples = digit_samples(5)
    pixels = torch.from_numpy(np.stack([s.pixels for s in samples]))
    with torch.no_grad():
        expected = torch.softmax(predictor.model((pixels - 0.3) / 0.37), dim=1)

    outcome = predict_samples(predictor, samples, batch_size=4)

    assert [p.input for p in outcome.predictions] == [s.name for s in samples]
    assert [p.prediction for p in outcome.predictions] == [str(i) for i in expected.argmax(dim=1).tolist()]
    np.testing.assert_allclose([p.confidence for p in outcome.predictions], expected.max(dim=1).values, rtol=1e-5)


def test_batch_size_does_not_change_predictions(untrained_checkpoint):
    """Eval mode (no dropout, fixed batch-norm statistics): batches of 1 and of 64 agree."""
    predictor = load_predictor(untrained_checkpoint)
    samples = digit_samples(10)

    one_by_one = predict_samples(predictor, samples, batch_size=1).predictions
    together = predict_samples(predictor, samples, batch_size=64).predictions

    assert [p.prediction for p in one_by_one] == [p.prediction for p in together]
    np.testing.assert_allclose([p.confidence for p in one_by_one], [p.confidence for p in together], rtol=1e-5)


def test_unreadable_samples_are_set_aside_and_the_rest_predicted(untrained_checkpoint):
    """Samples without pixels land in `skipped`, in order; every other one is predicted."""
    predictor = load_predictor(untrained_checkpoint)
    good = digit_samples(3)
    bad = Sample(name="bad.png", pixels=None, problem="cannot read image (truncated)")

    outcome = predict_samples(predictor, [good[0], bad, good[1], good[2]], batch_size=2)

    assert [p.input for p in outcome.predictions] == ["img0.png", "img1.png", "img2.png"]
    assert outcome.skipped == [bad]


def test_top_k_lists_the_most_likely_labels_best_first(untrained_checkpoint):
    """`top` holds k distinct labels in falling probability, the first being the prediction."""
    predictor = load_predictor(untrained_checkpoint)

    (prediction,) = predict_samples(predictor, digit_samples(1), batch_size=8, top_k=3).predictions

    labels = [label for label, _ in prediction.top]
    probabilities = [p for _, p in prediction.top]
    assert len(set(labels)) == 3
    assert labels[0] == prediction.prediction
    assert probabilities == sorted(probabilities, reverse=True)


def test_labels_that_do_not_fit_the_classes_are_refused(untrained_checkpoint):
    """A checkpoint with 3 labels for a 10-class model is not a valid checkpoint."""
    checkpoint = load_checkpoint(untrained_checkpoint)
    checkpoint.labels = ["a", "b", "c"]
    save_checkpoint(untrained_checkpoint, checkpoint)

    with pytest.raises(CheckpointError, match="3 labels for 10 classes"):
        load_predictor(untrained_checkpoint)


def test_weights_that_do_not_fit_the_config_are_refused(untrained_checkpoint):
    """Weights for another layer width give a one-line 'not a valid checkpoint', not a torch traceback."""
    checkpoint = load_checkpoint(untrained_checkpoint)
    checkpoint.model_config = dataclasses.replace(checkpoint.model_config, hidden=64)
    save_checkpoint(untrained_checkpoint, checkpoint)

    with pytest.raises(CheckpointError) as caught:
        load_predictor(untrained_checkpoint)

    assert "not a valid checkpoint (weights do not fit model_config" in str(caught.value)
    assert "\n" not in str(caught.value)


def test_a_checkpoint_from_before_rgb_support_still_predicts(untrained_checkpoint):
    """A model.pt with a scalar mean/std and no model name (older format) loads as a grayscale CNN."""
    payload = torch.load(untrained_checkpoint, weights_only=True)
    payload["preprocessing"] = {**payload["preprocessing"], "mean": 0.3, "std": 0.37}
    payload.pop("model", None)
    payload["format_version"] = 1
    torch.save(payload, untrained_checkpoint)

    predictor = load_predictor(untrained_checkpoint)
    outcome = predict_samples(predictor, digit_samples(2), batch_size=2)

    assert predictor.channels == 1 and predictor.preprocessing.mean == (0.3,)
    assert len(outcome.predictions) == 2
