"""The training loop: batch, forward, backward, step, evaluate, log, keep the best epoch."""

from __future__ import annotations

import copy
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from training.data import Split


@dataclass
class EpochStats:
    epoch: int
    train_loss: float
    val_loss: float
    val_accuracy: float
    lr: float
    seconds: float

    def as_dict(self) -> dict:
        return {
            "epoch": self.epoch,
            "train_loss": round(self.train_loss, 6),
            "val_loss": round(self.val_loss, 6),
            "val_accuracy": round(self.val_accuracy, 6),
            "lr": self.lr,
        }


@dataclass
class TrainResult:
    best_state: dict  # weights of the epoch with the best validation accuracy
    best_epoch: int
    history: list[EpochStats] = field(default_factory=list)
    interrupted: bool = False


def shift_batch(images: torch.Tensor, max_shift: int, background: float, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift], filling with background."""
    if max_shift <= 0:
        return images
    batch, _, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=background)
    # Offsets come from the CPU generator so a run is reproducible on any device.
    offsets = torch.randint(0, 2 * max_shift + 1, (2, batch), generator=generator).to(images.device)
    rows = (torch.arange(height, device=images.device) + offsets[0, :, None])[:, :, None]
    cols = (torch.arange(width, device=images.device) + offsets[1, :, None])[:, None, :]
    samples = torch.arange(batch, device=images.device)[:, None, None]
    return padded[samples, 0, rows, cols].unsqueeze(1)


def predict_logits(model: nn.Module, images: torch.Tensor, batch_size: int = 1024) -> torch.Tensor:
    """Logits for `images`, in eval mode and without autograd."""
    model.eval()
    with torch.inference_mode():
        return torch.cat([model(images[i : i + batch_size]) for i in range(0, len(images), batch_size)])


def evaluate(model: nn.Module, split: Split) -> tuple[torch.Tensor, torch.Tensor, float]:
    """(y_true, y_pred, mean cross-entropy) of `model` on `split`."""
    device = next(model.parameters()).device
    logits = predict_logits(model, split.images.to(device)).cpu()
    loss = F.cross_entropy(logits, split.targets).item()
    return split.targets, logits.argmax(dim=1), loss


def train_model(
    model: nn.Module,
    train: Split,
    val: Split,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    weight_decay: float,
    shift: int,
    background: float,
    generator: torch.Generator,
    foreach: bool = True,
    on_epoch: Callable[[EpochStats], None] = lambda stats: None,
) -> TrainResult:
    """Train `model` on `train`, validate every epoch on `val`; Ctrl-C stops after the last complete epoch."""
    device = next(model.parameters()).device
    images, targets = train.images.to(device), train.targets.to(device)
    steps_per_epoch = -(-len(targets) // batch_size)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=foreach)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    result = TrainResult(best_state=copy.deepcopy(model.state_dict()), best_epoch=0)
    best_key = (-1.0, 0.0)
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            order = torch.randperm(len(targets), generator=generator).to(device)
            total_loss = 0.0
            for start in range(0, len(order), batch_size):
                batch = order[start : start + batch_size]
                inputs = shift_batch(images[batch], shift, background, generator)
                loss = F.cross_entropy(model(inputs), targets[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                total_loss += loss.item() * len(batch)
            y_true, y_pred, val_loss = evaluate(model, val)
            val_accuracy = (y_true == y_pred).float().mean().item()
            stats = EpochStats(
                epoch=epoch,
                train_loss=total_loss / len(order),
                val_loss=val_loss,
                val_accuracy=val_accuracy,
                lr=schedule.get_last_lr()[0],
                seconds=time.perf_counter() - started,
            )
            result.history.append(stats)
            # Ties in accuracy go to the lower validation loss: the more confident model.
            if (val_accuracy, -val_loss) > best_key:
                best_key = (val_accuracy, -val_loss)
                result.best_state = copy.deepcopy(model.state_dict())
                result.best_epoch = epoch
            on_epoch(stats)
    except KeyboardInterrupt:
        result.interrupted = True
        print("\ninterrupted: stopping after the last complete epoch", file=sys.stderr)
    return result
