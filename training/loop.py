"""The training loop: batch, forward, backward, step, evaluate, log, keep the best epoch."""

from __future__ import annotations

import copy
import itertools
import math
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import torch
import torch.nn.functional as F
from torch import nn

from training.data import Split
from training.distributed import SINGLE, World


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


def unchanged(images: torch.Tensor) -> torch.Tensor:
    return images


def shift_batch(images: torch.Tensor, max_shift: int, background: float, generator: torch.Generator) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift], filling with background."""
    if max_shift <= 0:
        return images
    batch, channels, height, width = images.shape
    padded = F.pad(images, (max_shift,) * 4, value=background)
    # Offsets come from the CPU generator so a run is reproducible on any device.
    offsets = torch.randint(0, 2 * max_shift + 1, (2, batch), generator=generator).to(images.device)
    rows = (torch.arange(height, device=images.device) + offsets[0, :, None])[:, :, None]
    cols = (torch.arange(width, device=images.device) + offsets[1, :, None])[:, None, :]
    samples = torch.arange(batch, device=images.device)[:, None, None, None]
    planes = torch.arange(channels, device=images.device)[None, :, None, None]
    return padded[samples, planes, rows[:, None], cols[:, None]]


def predict_logits(
    model: nn.Module,
    images: torch.Tensor,
    batch_size: int = 1024,
    to_input: Callable[[torch.Tensor], torch.Tensor] = unchanged,
) -> torch.Tensor:
    """Logits for `images` (each batch through `to_input` on the model's device), in eval mode, no autograd."""
    device = next(model.parameters()).device
    model.eval()
    with torch.inference_mode():
        return torch.cat(
            [model(to_input(images[i : i + batch_size].to(device))) for i in range(0, len(images), batch_size)]
        )


def evaluate(
    model: nn.Module,
    split: Split,
    world: World = SINGLE,
    to_input: Callable[[torch.Tensor], torch.Tensor] = unchanged,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """(y_true, y_pred, confidence, mean cross-entropy) of `model` on `split`; confidence is the predicted
    class's softmax probability. With several ranks each scores a shard."""
    part = world.shard(len(split))
    logits = predict_logits(model, split.images[part], to_input=to_input).cpu()
    (loss_sum,) = world.sum(F.cross_entropy(logits, split.targets[part], reduction="sum").item())
    confidence, y_pred = logits.softmax(dim=1).max(dim=1)
    return (
        split.targets,
        world.unshard(y_pred, len(split)),
        world.unshard(confidence, len(split)),
        loss_sum / len(split),
    )


def unwrap(model: nn.Module) -> nn.Module:
    """The network inside a DistributedDataParallel wrapper (or the network itself)."""
    return getattr(model, "module", model)


def epoch_orders(length: int, generator: torch.Generator, world: World, seed: int):
    """Yield, per epoch, this rank's training indices in a fresh random order."""
    if not world.distributed:
        while True:
            yield torch.randperm(length, generator=generator)
    from torch.utils.data import DistributedSampler

    sampler = DistributedSampler(range(length), num_replicas=world.world_size, rank=world.rank, seed=seed)
    for epoch in itertools.count():
        sampler.set_epoch(epoch)
        yield torch.tensor(list(sampler))


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
    seed: int = 0,
    world: World = SINGLE,
    on_epoch: Callable[[EpochStats], None] = lambda stats: None,
    to_input: Callable[[torch.Tensor], torch.Tensor] = unchanged,
) -> TrainResult:
    """Train `model` on `train`, validate every epoch on `val`; Ctrl-C stops after the last complete epoch.

    `to_input` turns a batch of the splits' images, on the device, into model input (uint8 pixels
    are converted per batch; float splits come standardised already).

    With several ranks (`model` wrapped in DistributedDataParallel) each takes its DistributedSampler
    share of every epoch in batches of batch_size / world_size, so the global batch, the number of
    steps and the schedule match a single process.
    """
    device = next(model.parameters()).device
    # uint8 images (possibly a memmap bigger than the device's memory) stay where they are: batches move.
    images_device = device if train.images.dtype != torch.uint8 else train.images.device
    images, targets = train.images.to(images_device), train.targets.to(device)
    rank_batch = math.ceil(batch_size / world.world_size)
    orders = epoch_orders(len(targets), generator, world, seed)
    # DistributedSampler pads so that every rank gets ceil(N / world_size) indices.
    steps_per_epoch = math.ceil(math.ceil(len(targets) / world.world_size) / rank_batch)
    optimizer = torch.optim.AdamW(model.parameters(), lr=lr, weight_decay=weight_decay, foreach=True)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=lr, total_steps=epochs * steps_per_epoch)
    network = unwrap(model)
    result = TrainResult(best_state=copy.deepcopy(network.state_dict()), best_epoch=0)
    best_key = (-1.0, 0.0)
    try:
        for epoch in range(1, epochs + 1):
            started = time.perf_counter()
            model.train()
            order = next(orders).to(device)
            total_loss = 0.0
            for start in range(0, len(order), rank_batch):
                batch = order[start : start + rank_batch]
                pixels = images[batch.to(images_device)].to(device)
                inputs = shift_batch(to_input(pixels), shift, background, generator)
                loss = F.cross_entropy(model(inputs), targets[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer.step()
                schedule.step()
                total_loss += loss.item() * len(batch)
            (total_loss, seen) = world.sum(total_loss, len(order))
            y_true, y_pred, _, val_loss = evaluate(network, val, world, to_input)
            val_accuracy = (y_true == y_pred).float().mean().item()
            stats = EpochStats(
                epoch=epoch,
                train_loss=total_loss / seen,
                val_loss=val_loss,
                val_accuracy=val_accuracy,
                lr=schedule.get_last_lr()[0],
                seconds=time.perf_counter() - started,
            )
            result.history.append(stats)
            # Ties in accuracy go to the lower validation loss: the more confident model.
            if (val_accuracy, -val_loss) > best_key:
                best_key = (val_accuracy, -val_loss)
                result.best_state = copy.deepcopy(network.state_dict())
                result.best_epoch = epoch
            on_epoch(stats)
    except KeyboardInterrupt:
        if world.distributed:
            raise  # the other ranks may be inside a collective: stop them all (torchrun does)
        result.interrupted = True
        print("\ninterrupted: stopping after the last complete epoch", file=sys.stderr)
    return result
