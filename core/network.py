"""The CNN shared by training and inference, and the config that rebuilds it."""

from __future__ import annotations

from dataclasses import asdict, dataclass, fields

import torch
from torch import nn


@dataclass(frozen=True)
class ModelConfig:
    in_channels: int = 1  # grayscale
    input_size: tuple[int, int] = (8, 8)  # (height, width) the images are resized to
    num_classes: int = 10
    channels: tuple[int, ...] = (32, 64)  # one conv stage per entry; each halves the image
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


def _stage(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(
        nn.Conv2d(in_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.Conv2d(out_channels, out_channels, kernel_size=3, padding=1, bias=False),
        nn.BatchNorm2d(out_channels),
        nn.ReLU(inplace=True),
        nn.MaxPool2d(2),
    )


class ConvNet(nn.Module):
    """Conv stages (two 3x3 convs + max-pool each), then a small classifier head."""

    def __init__(self, config: ModelConfig) -> None:
        super().__init__()
        self.config = config
        widths = (config.in_channels, *config.channels)
        self.features = nn.Sequential(*(_stage(a, b) for a, b in zip(widths, widths[1:])))
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
