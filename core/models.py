"""Which network to train: a built-in by name, or a user's own factory as `module:function`.

Every model is built by a factory `function(config) -> torch.nn.Module`, where `config` is a
`core.network.ModelConfig`: `in_channels` (1 grayscale, 3 RGB), `input_size` (height, width)
and `num_classes` come from the data; its other fields configure the built-in CNN and may be
ignored. The model takes float batches (N, in_channels, H, W) and returns (N, num_classes)
logits. Training saves the name and the config in the checkpoint; inference calls the same
factory with the same config, so a user's module must be importable there too.

This module imports neither torch nor the user's code until a model is built: naming a
model can be checked the moment the flags are parsed.
"""

from __future__ import annotations

import importlib
import re

from core.messages import first_line

DEFAULT_MODEL = "cnn"
# name -> the factory that builds it, as module:function (the same form a user's model takes)
BUILTIN_MODELS = {
    "cnn": "core.network:ConvNet",  # small 3x3-conv stages; fast on small grayscale images (the digits)
    "resnet18": "core.resnet:resnet18",  # torchvision's ResNet-18 for small RGB photos, trained from scratch
}
_FACTORY = re.compile(r"[A-Za-z_][\w.]*:[A-Za-z_]\w*")


class ModelError(Exception):
    """A model name that is neither built in nor an importable factory; the message names it."""


def check_model_name(name: str) -> None:
    """Raise ModelError unless `name` is a built-in or has the form module:function (nothing is imported)."""
    if name not in BUILTIN_MODELS and not _FACTORY.fullmatch(name):
        raise ModelError(
            f"--model {name}: unknown model (built in: {', '.join(BUILTIN_MODELS)}; "
            "or module:function for your own factory, e.g. examples.my_model:build)"
        )


def model_factory(name: str):
    """The factory `name` stands for, imported; ModelError when it cannot be."""
    check_model_name(name)
    module_name, _, function_name = BUILTIN_MODELS.get(name, name).partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as exc:
        raise ModelError(
            f"model {name}: cannot import module {module_name} ({first_line(exc)}); "
            "run from the folder that holds it, or add that folder to PYTHONPATH"
        ) from None
    factory = getattr(module, function_name, None)
    if not callable(factory):
        raise ModelError(f"model {name}: module {module_name} has no function {function_name}")
    return factory


def build_model(name: str, config):
    """A new, untrained network: `name`'s factory called with `config` (a ModelConfig)."""
    from torch import nn

    model = model_factory(name)(config)
    if not isinstance(model, nn.Module):
        raise ModelError(f"model {name}: the factory returned {type(model).__name__}, not a torch.nn.Module")
    return model
