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

from core.preprocess import Preprocessing
from training.batches import batch_input, on_device
from training.data import Split
from training.distributed import SINGLE, World
from training.optimizer import adamw
from training.optimizer import step as optimizer_step


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


def shift_batch(
    images: torch.Tensor, max_shift: int, background: float | tuple[float, ...], generator: torch.Generator
) -> torch.Tensor:
    """Translate each image by its own random (dy, dx) in [-max_shift, max_shift], filling with background
    (one value, or one per channel)."""
    if max_shift <= 0:
        return images
    batch, channels, height, width = images.shape
    device = images.device
    fill = torch.as_tensor(background, dtype=images.dtype, device=device).reshape(-1, 1, 1)
    padded = fill.expand(batch, channels, height + 2 * max_shift, width + 2 * max_shift).clone()
    padded[:, :, max_shift : max_shift + height, max_shift : max_shift + width] = images
    # Offsets come from the CPU generator so a run is reproducible on any device.
    offsets = torch.randint(0, 2 * max_shift + 1, (2, batch), generator=generator).to(device)
    rows = (torch.arange(height, device=device) + offsets[0, :, None])[:, None, :, None]
    cols = (torch.arange(width, device=device) + offsets[1, :, None])[:, None, None, :]
    samples = torch.arange(batch, device=device)[:, None, None, None]
    bands = torch.arange(channels, device=device)[None, :, None, None]
    return padded[samples, bands, rows, cols]


EVAL_PIXELS = 1 << 16  # pixels per image times images per evaluation batch: 1024 digits, 64 at 32x32


def predict_logits(
    model: nn.Module, images, index: torch.Tensor, preprocessing: Preprocessing, batch_size: int = 0
) -> torch.Tensor:
    """Logits for `images[index]`, in eval mode and without autograd, on the model's device.

    `batch_size` 0: as many images as fit EVAL_PIXELS, so the activations stay small at any image size."""
    device = next(model.parameters()).device
    batch_size = batch_size or max(1, EVAL_PIXELS // (images.shape[-1] * images.shape[-2]))
    model.eval()
    with torch.inference_mode():
        return torch.cat(
            [
                model(batch_input(images, index[i : i + batch_size], preprocessing, device))
                for i in range(0, len(index), batch_size)
            ]
        )


def evaluate(
    model: nn.Module, split: Split, preprocessing: Preprocessing, world: World = SINGLE
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, float]:
    """(y_true, y_pred, confidence, mean cross-entropy) of `model` on `split`; confidence is the predicted
    class's softmax probability. With several ranks each scores a shard."""
    part = torch.arange(len(split))[world.shard(len(split))]
    logits = predict_logits(model, split.images, part, preprocessing).cpu()
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
    preprocessing: Preprocessing,
    generator: torch.Generator,
    seed: int = 0,
    world: World = SINGLE,
    on_epoch: Callable[[EpochStats], None] = lambda stats: None,
) -> TrainResult:
    """Train `model` on `train`, validate every epoch on `val`; Ctrl-C stops after the last complete epoch.

    With several ranks (`model` wrapped in DistributedDataParallel) each takes its DistributedSampler
    share of every epoch in batches of batch_size / world_size, so the global batch, the number of
    steps and the schedule match a single process.
    """
    device = next(model.parameters()).device
    images, targets = on_device(train.images, device), train.targets.to(device)
    background = preprocessing.black()
    rank_batch = math.ceil(batch_size / world.world_size)
    orders = epoch_orders(len(targets), generator, world, seed)
    # DistributedSampler pads so that every rank gets ceil(N / world_size) indices.
    steps_per_epoch = math.ceil(math.ceil(len(targets) / world.world_size) / rank_batch)
    optimizer = adamw(model.parameters(), lr=lr, weight_decay=weight_decay)
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
                inputs = shift_batch(batch_input(images, batch, preprocessing, device), shift, background, generator)
                loss = F.cross_entropy(model(inputs), targets[batch])
                optimizer.zero_grad(set_to_none=True)
                loss.backward()
                optimizer_step(optimizer)
                schedule.step()
                total_loss += loss.item() * len(batch)
            (total_loss, seen) = world.sum(total_loss, len(order))
            y_true, y_pred, _, val_loss = evaluate(network, val, preprocessing, world)
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
