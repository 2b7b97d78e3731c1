"""training.loop: the shift augmentation and the evaluation helper."""

from __future__ import annotations

import torch

from core.network import ConvNet, ModelConfig
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


def test_evaluate_returns_labels_predictions_confidence_and_loss() -> None:
    """evaluate gives (y_true, y_pred, confidence, loss) over the whole split, in eval mode; confidence is the
    predicted class's softmax probability."""
    torch.manual_seed(0)
    model = ConvNet(ModelConfig())
    split = Split(images=torch.rand(10, 1, 8, 8), targets=torch.arange(10), ids=[f"s{i}" for i in range(10)])

    y_true, y_pred, confidence, loss = evaluate(model, split)

    assert torch.equal(y_true, split.targets) and y_pred.shape == (10,)
    probabilities = model(split.images).softmax(dim=1).detach()
    assert torch.allclose(confidence, probabilities[torch.arange(10), y_pred])
    assert loss > 0 and not model.training
