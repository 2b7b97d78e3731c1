"""A model of your own, trained with `invoke train --model examples.my_model:build`.

The factory gets a `core.network.ModelConfig`: `in_channels` (1 grayscale, 3 RGB),
`input_size` (height, width) and `num_classes` come from the dataset (its other fields
configure the built-in CNN; ignore them). It returns a torch.nn.Module that maps float
batches (N, in_channels, H, W) to (N, num_classes) logits. Training saves the name
`examples.my_model:build` and the config in model.pt; `python -m inference` imports this
module and calls `build` again, then loads the trained weights.
"""

from __future__ import annotations

from torch import nn

from core.network import ModelConfig


def build(config: ModelConfig) -> nn.Module:
    """Two conv layers and a linear classifier: a small all-convolutional net for any image size."""
    width = 32
    return nn.Sequential(
        nn.Conv2d(config.in_channels, width, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.Conv2d(width, width, kernel_size=3, padding=1),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(2),  # any input size -> 2x2, so the classifier's width is fixed
        nn.Flatten(),
        nn.Linear(width * 2 * 2, config.num_classes),
    )
