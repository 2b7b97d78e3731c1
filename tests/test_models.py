"""core.models and core.resnet: built-in networks by name, a user's factory as module:function."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
import torch

from core.models import BUILTIN_MODELS, ModelError, build_model, check_model_name
from core.network import ConvNet, ModelConfig


@pytest.mark.parametrize(
    ("name", "config"),
    [
        ("cnn", ModelConfig()),
        ("resnet18", ModelConfig(in_channels=3, input_size=(32, 32), num_classes=4)),
        ("resnet18", ModelConfig(in_channels=1, input_size=(8, 8), num_classes=10)),
        ("examples.my_model:build", ModelConfig(in_channels=3, input_size=(20, 12), num_classes=5)),
    ],
    ids=["cnn-digits", "resnet18-rgb-32", "resnet18-gray-8", "example-factory-rgb"],
)
def test_every_model_maps_its_channels_to_one_logit_per_class(name: str, config: ModelConfig) -> None:
    """Each model takes (N, in_channels, H, W) at the config's size and gives (N, num_classes) logits."""
    model = build_model(name, config).eval()

    logits = model(torch.zeros(2, config.in_channels, *config.input_size))

    assert logits.shape == (2, config.num_classes)


def test_the_default_cnn_is_the_convnet() -> None:
    """`cnn` builds core.network.ConvNet, the model the project always trained."""
    assert type(build_model("cnn", ModelConfig())) is ConvNet


def test_resnet18_keeps_small_images_at_full_resolution_and_downloads_nothing() -> None:
    """The ResNet-18 stem is a 3x3 stride-1 conv without max-pool; weights start random (two builds differ)."""
    config = ModelConfig(in_channels=3, input_size=(32, 32), num_classes=10)

    first, second = build_model("resnet18", config), build_model("resnet18", config)

    assert first.conv1.kernel_size == (3, 3) and first.conv1.stride == (1, 1)
    assert isinstance(first.maxpool, torch.nn.Identity)
    assert not torch.equal(first.conv1.weight, second.conv1.weight)


@pytest.mark.parametrize(
    ("name", "message"),
    [
        ("vgg", "--model vgg: unknown model (built in: cnn, resnet18"),
        ("my_models:", "unknown model"),
        ("no_such_module_here:build", "cannot import module no_such_module_here"),
        ("examples.my_model:missing", "module examples.my_model has no function missing"),
        ("examples.my_model:ModelConfig", "the factory returned ModelConfig, not a torch.nn.Module"),
    ],
    ids=["unknown-name", "no-function", "missing-module", "missing-function", "not-a-module"],
)
def test_unusable_models_are_one_line_errors_naming_them(name: str, message: str) -> None:
    """A name that is not built in, a module that cannot be imported, or a factory that gives no Module."""
    with pytest.raises(ModelError) as caught:
        build_model(name, ModelConfig())

    assert message in str(caught.value) and "\n" not in str(caught.value)


def test_names_are_checked_without_importing_anything() -> None:
    """check_model_name accepts built-ins and module:function forms without importing the module."""
    for name in (*BUILTIN_MODELS, "pkg.sub:make_net", "not_imported_yet_xyz:build"):
        check_model_name(name)

    assert "not_imported_yet_xyz" not in sys.modules


def test_a_factory_outside_the_repository_is_found_through_pythonpath(tmp_path: Path, monkeypatch) -> None:
    """A user's module in another folder works once that folder is on the import path."""
    (tmp_path / "team_nets.py").write_text(
        "from torch import nn\n\n"
        "def tiny(config):\n"
        "    return nn.Sequential(nn.Flatten(), nn.Linear(64, config.num_classes))\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))

    model = build_model("team_nets:tiny", ModelConfig(num_classes=3))

    assert model(torch.zeros(2, 1, 8, 8)).shape == (2, 3)
