"""training.optimizer: AdamW steps without importing torch._dynamo, with the same weights as optimizer.step()."""

from __future__ import annotations

import subprocess
import sys

import torch
from helpers import ROOT

from training import optimizer as optimizer_module


def trained_weights(take_step) -> list[torch.Tensor]:
    """A small model's weights after 6 AdamW + OneCycleLR steps, each taken by `take_step(optimizer)`."""
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(6, 5), torch.nn.ReLU(), torch.nn.Linear(5, 3))
    optimizer = optimizer_module.adamw(model.parameters(), lr=1e-2, weight_decay=1e-4)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=6)
    inputs, targets = torch.randn(8, 6), torch.tensor([0, 1, 2, 0, 1, 2, 0, 1])
    for _ in range(6):
        optimizer.zero_grad(set_to_none=True)
        torch.nn.functional.cross_entropy(model(inputs), targets).backward()
        take_step(optimizer)
        schedule.step()  # warns (an error under pytest) if the step was not recorded
    return [parameter.detach().clone() for parameter in model.parameters()]


def test_the_undecorated_step_gives_the_same_weights_as_optimizer_step() -> None:
    """AdamW's own step under no_grad changes the weights exactly as optimizer.step() does."""
    raw = optimizer_module._undecorated_step(torch.optim.AdamW)
    assert raw is not None  # torch's wrappers are the ones the module knows: the fast path is taken

    plain = trained_weights(lambda optimizer: optimizer_module._plain_step(optimizer, raw))
    usual = trained_weights(lambda optimizer: optimizer.step())

    assert all(torch.equal(a, b) for a, b in zip(plain, usual, strict=True))


def test_an_optimizer_with_unknown_wrappers_takes_its_own_step() -> None:
    """A step not wrapped as torch.optim's built-ins are (a user's optimizer) is never unwrapped."""

    class Halve(torch.optim.Optimizer):
        def __init__(self, parameters):
            super().__init__(parameters, {})

        def step(self, closure=None):
            for group in self.param_groups:
                for parameter in group["params"]:
                    parameter.data.mul_(0.5)

    weight = torch.nn.Parameter(torch.ones(2))
    halve = Halve([weight])

    assert optimizer_module._undecorated_step(Halve) is None
    optimizer_module.step(halve)
    assert weight.tolist() == [0.5, 0.5]


def test_a_training_run_never_imports_torch_dynamo(tmp_path) -> None:
    """A default digits run (one epoch) ends without torch._dynamo in sys.modules: the ~1 s import is skipped."""
    code = (
        "import sys; from training.cli import main; "
        f"sys.argv = ['training', '--epochs', '1', '--out', {str(tmp_path)!r}]; code = main(); "
        "print('dynamo loaded:', 'torch._dynamo' in sys.modules); sys.exit(code)"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=120)

    assert done.returncode == 0, done.stderr[-2000:]
    assert "dynamo loaded: False" in done.stdout
