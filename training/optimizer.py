"""The optimizer and its step, without importing torch.compile's machinery (torch._dynamo).

torch.optim imports torch._dynamo (with sympy, FSDP and the rest of the compiler: about 1.1 s with
PyPI's torch 2.14.1, 15% of a default digits run) on an optimizer's first add_param_group and on
every step(), only to mark those calls as not to be traced when torch.compile traces a training
step. Training here never compiles the step, so the markers are skipped:

- `Optimizer` methods decorated with torch._disable_dynamo get, on their first use, the cached
  "already disabled" function set to themselves (the decorator looks for it before importing);
- `step` runs the optimizer's undecorated step under no_grad, which is what the decorator does
  besides its graph breaks for the compiler, and records the call the way the LR scheduler's own
  wrapper does.

Where torch._dynamo is loaded anyway (a user's model calls torch.compile), or torch's wrappers are
not the ones this expects, the optimizer's own step() runs instead.
"""

from __future__ import annotations

import sys
from collections.abc import Callable

import torch


def adamw(parameters, *, lr: float, weight_decay: float) -> torch.optim.AdamW:
    _skip_dynamo_markers(torch.optim.Optimizer)
    return torch.optim.AdamW(parameters, lr=lr, weight_decay=weight_decay, foreach=True)


def step(optimizer: torch.optim.Optimizer) -> None:
    """optimizer.step(), without importing torch._dynamo where that is safe."""
    raw = _undecorated_step(type(optimizer))
    if raw is None or "torch._dynamo" in sys.modules or optimizer.defaults.get("differentiable"):
        optimizer.step()
    else:
        _plain_step(optimizer, raw)


def _plain_step(optimizer: torch.optim.Optimizer, raw: Callable) -> None:
    with torch.no_grad():
        raw(optimizer)
    optimizer._opt_called = True  # what the LR scheduler's wrapper of step() records


def _undecorated_step(optimizer_class: type) -> Callable | None:
    """The optimizer class's own step function, below torch's profiling and no-grad wrappers; None when
    the wrappers are not the two this module knows (another torch release)."""
    step_function = optimizer_class.step
    names = []
    while hasattr(step_function, "__wrapped__"):
        names.append(getattr(step_function, "__code__", None) and step_function.__code__.co_name)
        step_function = step_function.__wrapped__
    # The profiling wrapper is added when the class's first optimizer is made.
    return step_function if names in (["_use_grad"], ["wrapper", "_use_grad"]) else None


def _skip_dynamo_markers(owner: type) -> None:
    if "torch._dynamo" in sys.modules:  # loaded anyway (a compiled model): keep torch's markers as they are
        return
    marker = torch._compile._disable_dynamo(_skip_dynamo_markers).__code__
    for function in vars(owner).values():
        if getattr(function, "__code__", None) is marker and not hasattr(function.__wrapped__, "__dynamo_disable"):
            setattr(function.__wrapped__, "__dynamo_disable", function.__wrapped__)
