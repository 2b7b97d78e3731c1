"""core.network: output shapes and the config round trip that rebuilds the model."""

from __future__ import annotations

import pytest
import torch

from core.network import ConvNet, ModelConfig


@pytest.mark.parametrize(
    "config",
    [ModelConfig(), ModelConfig(input_size=(28, 28), num_classes=3, channels=(8, 16, 32), convs_per_stage=1)],
    ids=["digits-8x8", "mnist-28x28-three-stages"],
)
def test_logits_have_one_column_per_class(config: ModelConfig) -> None:
    """A batch of (N, 1, H, W) images gives (N, num_classes) logits."""
    model = ConvNet(config).eval()

    logits = model(torch.zeros(4, 1, *config.input_size))

    assert logits.shape == (4, config.num_classes)


def test_config_round_trips_through_a_plain_dict() -> None:
    """to_dict / from_dict (lists back to tuples) rebuild an equal config."""
    config = ModelConfig(input_size=(28, 28), channels=(8, 16))

    assert ModelConfig.from_dict(config.to_dict()) == config
    assert ModelConfig.from_dict({**config.to_dict(), "channels": [8, 16]}) == config


def test_unknown_config_keys_and_tiny_inputs_are_refused() -> None:
    """A config key this code does not know, or an image too small for the stages, is an error."""
    with pytest.raises(ValueError, match="unknown model_config keys"):
        ModelConfig.from_dict({"layers": 3})
    with pytest.raises(ValueError, match="too small"):
        ConvNet(ModelConfig(input_size=(2, 2)))
