"""The CNN shared by training and inference, and the config that rebuilds it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields
from itertools import pairwise

import torch
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    in_channels: int = 1  # grayscale
    input_size: tuple[int, int] = (8, 8)  # (height, width) the images are resized to
    num_classes: int = 10
    channels: tuple[int, ...] = (16, 32)  # one conv stage per entry; each halves the image
    convs_per_stage: int = 2  # 3x3 conv + batch norm + ReLU layers before each stage's max-pool
    hidden: int = 128  # width of the fully connected layer before the classifier
    dropout: float = 0.25

    def to_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> ModelConfig:
        """Rebuild from `to_dict()` output (lists back to tuples); unknown keys are an error."""
        known = {f.name for f in fields(cls)}
        unknown = set(data) - known
        if unknown:
            raise ValueError(f"unknown model_config keys: {sorted(unknown)}")
        values = {k: tuple(v) if isinstance(v, list) else v for k, v in data.items()}
        return cls(**values)


def _stage(in_channels: int, out_channels: int, convs: int) -> nn.Sequential:
    layers: list[nn.Module] = []
    for i in range(convs):
        layers += [
            nn.Conv2d(in_channels if i == 0 else out_channels, out_channels, kernel_size=3, padding=1, bias=False),
            nn.BatchNorm2d(out_channels),
            nn.ReLU(inplace=True),
        ]
    return nn.Sequential(*layers, nn.MaxPool2d(2))


class ConvNet(nn.Module):
    """Conv stages (3x3 convs with batch norm, then a max-pool each), then a small classifier head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        widths = (config.in_channels, *config.channels)
        self.features = nn.Sequential(*(_stage(a, b, config.convs_per_stage) for a, b in pairwise(widths)))
        height, width = config.input_size
        shrink = 2 ** len(config.channels)
        if height < shrink or width < shrink:
            raise ValueError(f"input_size {config.input_size} is too small for {len(config.channels)} stages")
        flat = config.channels[-1] * (height // shrink) * (width // shrink)
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Dropout(config.dropout),
            nn.Linear(flat, config.hidden),
            nn.ReLU(inplace=True),
            nn.Dropout(config.dropout),
            nn.Linear(config.hidden, config.num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))
