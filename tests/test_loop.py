"""training.loop: the shift augmentation and the evaluation helper, for grayscale and RGB batches."""

from __future__ import annotations

import numpy as np
import torch

from core.network import ConvNet, ModelConfig
from core.preprocess import Preprocessing
from training.data import Split
from training.loop import evaluate, shift_batch


def test_shift_moves_each_image_within_bounds_and_keeps_its_ink() -> None:
    """A one-pixel shift keeps shape; a lone centre pixel lands at most one pixel away."""
    images = torch.zeros(16, 1, 8, 8)
    images[:, 0, 4, 4] = 1.0

    shifted = shift_batch(images, 1, background=0.0, generator=torch.Generator().manual_seed(0))

    assert shifted.shape == images.shape
    rows, cols = shifted[:, 0].nonzero(as_tuple=True)[1:]
    assert shifted.sum().item() == 16
    assert rows.sub(4).abs().max() <= 1 and cols.sub(4).abs().max() <= 1
    assert len({(r.item(), c.item()) for r, c in zip(rows, cols, strict=True)}) > 1


def test_zero_shift_returns_the_batch_unchanged() -> None:
    """max_shift 0 turns augmentation off."""
    images = torch.rand(4, 1, 8, 8)

    assert torch.equal(shift_batch(images, 0, 0.0, torch.Generator()), images)


def test_shift_fills_each_channel_with_its_own_background() -> None:
    """An RGB batch shifted by up to two pixels keeps each channel's values and fills borders per channel."""
    images = torch.full((8, 3, 6, 6), 5.0)

    shifted = shift_batch(images, 2, background=(-1.0, -2.0, -3.0), generator=torch.Generator().manual_seed(1))

    assert shifted.shape == images.shape
    for channel, fill in enumerate((-1.0, -2.0, -3.0)):
        values = set(shifted[:, channel].unique().tolist())
        assert values <= {5.0, fill} and fill in values


def test_evaluate_returns_labels_predictions_confidence_and_loss() -> None:
    """evaluate gives (y_true, y_pred, confidence, loss) over the whole split, in eval mode; confidence is the
    predicted class's softmax probability."""
    torch.manual_seed(0)
    model = ConvNet(ModelConfig())
    split = Split(images=torch.rand(10, 1, 8, 8), targets=torch.arange(10), ids=[f"s{i}" for i in range(10)])

    preprocessing = Preprocessing((8, 8), mean=(0.5,), std=(0.3,))

    y_true, y_pred, confidence, loss = evaluate(model, split, preprocessing)

    assert torch.equal(y_true, split.targets) and y_pred.shape == (10,)
    probabilities = model(split.images).softmax(dim=1).detach()  # float splits come standardised already
    assert torch.allclose(confidence, probabilities[torch.arange(10), y_pred])
    assert loss > 0 and not model.training


def test_evaluate_converts_uint8_rgb_images_like_standardised_floats() -> None:
    """A uint8 RGB split scores exactly as the same pixels scaled and standardised up front."""
    torch.manual_seed(0)
    model = ConvNet(ModelConfig(in_channels=3, num_classes=4))
    raw = np.random.default_rng(0).integers(0, 256, (12, 3, 8, 8), dtype=np.uint8)
    preprocessing = Preprocessing((8, 8), mean=(0.4, 0.5, 0.6), std=(0.2, 0.25, 0.3))
    floats = preprocessing.standardise(torch.from_numpy(raw).float() / 255.0)
    targets = torch.arange(12) % 4

    _, from_raw, _, raw_loss = evaluate(model, Split(raw, targets), preprocessing)
    _, from_floats, _, float_loss = evaluate(model, Split(floats, targets), preprocessing)

    assert torch.equal(from_raw, from_floats)
    assert abs(raw_loss - float_loss) < 1e-5
