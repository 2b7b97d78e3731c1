"""torchvision's ResNet-18 for small images (CIFAR-sized photos), trained from scratch."""

from __future__ import annotations

from torch import nn

from core.network import ModelConfig


def resnet18(config: ModelConfig) -> nn.Module:
    """ResNet-18 with a 3x3 stride-1 stem and no max-pool, so a 32x32 image keeps enough resolution
    for its four stages (the ImageNet stem would shrink it to 8x8 before the first block).

    `weights=None`: random initial weights, nothing is downloaded. Any input size works: the
    network ends in global average pooling.
    """
    from torchvision.models import resnet18 as torchvision_resnet18

    model = torchvision_resnet18(weights=None, num_classes=config.num_classes)
    model.conv1 = nn.Conv2d(config.in_channels, 64, kernel_size=3, stride=1, padding=1, bias=False)
    nn.init.kaiming_normal_(model.conv1.weight, mode="fan_out", nonlinearity="relu")  # as torchvision's stem
    model.maxpool = nn.Identity()
    return model
