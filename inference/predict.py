"""Batched prediction with a model rebuilt from its checkpoint alone."""

from __future__ import annotations

import os
from collections.abc import Iterable
from dataclasses import dataclass, field

import numpy as np
import torch
from torch import nn

from core.checkpoint import CheckpointError, load_checkpoint
from core.messages import first_line
from core.preprocess import Preprocessing
from inference.inputs import Sample


@dataclass(frozen=True)
class Prediction:
    input: str | int  # the file path, or the array index for a .npy input
    prediction: str  # label name
    confidence: float  # softmax probability of `prediction`
    top: tuple[tuple[str, float], ...]  # the k most likely (label, probability), best first


@dataclass
class Outcome:
    predictions: list[Prediction] = field(default_factory=list)
    skipped: list[Sample] = field(default_factory=list)  # unreadable inputs, each with its `problem`


@dataclass(frozen=True)
class Predictor:
    model: nn.Module
    preprocessing: Preprocessing
    labels: list[str]

    @property
    def input_size(self) -> tuple[int, int]:
        return tuple(self.preprocessing.input_size)

    @property
    def channels(self) -> int:
        return self.preprocessing.channels


def load_predictor(path: str | os.PathLike) -> Predictor:
    """The eval-mode model, its preprocessing and labels; CheckpointError for anything that does not fit."""
    checkpoint = load_checkpoint(path)
    config = checkpoint.model_config
    if len(checkpoint.labels) != config.num_classes:
        raise CheckpointError(
            f"{path}: not a valid checkpoint ({len(checkpoint.labels)} labels for {config.num_classes} classes)"
        )
    if tuple(checkpoint.preprocessing.input_size) != tuple(config.input_size):
        raise CheckpointError(f"{path}: not a valid checkpoint (preprocessing and model disagree on input size)")
    if checkpoint.preprocessing.channels != config.in_channels:
        raise CheckpointError(f"{path}: not a valid checkpoint (preprocessing and model disagree on channels)")
    try:
        model = checkpoint.build_model()
    except (RuntimeError, ValueError, TypeError) as exc:
        raise CheckpointError(
            f"{path}: not a valid checkpoint (weights do not fit model_config: {first_line(exc)})"
        ) from None
    return Predictor(model=model, preprocessing=checkpoint.preprocessing, labels=checkpoint.labels)


def predict_samples(predictor: Predictor, samples: Iterable[Sample], *, batch_size: int, top_k: int = 1) -> Outcome:
    """Predict every readable sample in batches of `batch_size`; unreadable ones are set aside in `skipped`."""
    outcome = Outcome()
    names: list[str | int] = []
    batch: list[np.ndarray] = []
    for sample in samples:
        if sample.pixels is None:
            outcome.skipped.append(sample)
            continue
        names.append(sample.name)
        batch.append(sample.pixels)
        if len(batch) == batch_size:
            outcome.predictions += predict_batch(predictor, names, batch, top_k=top_k)
            names, batch = [], []
    if batch:
        outcome.predictions += predict_batch(predictor, names, batch, top_k=top_k)
    return outcome


def predict_batch(
    predictor: Predictor, names: list[str | int], pixels: list[np.ndarray], *, top_k: int
) -> list[Prediction]:
    """One forward pass over `pixels` (each float32 (C, H, W) in [0, 1])."""
    with torch.inference_mode():
        inputs = predictor.preprocessing.standardise(torch.from_numpy(np.stack(pixels)))
        probabilities = torch.softmax(predictor.model(inputs), dim=1)
        best, indices = probabilities.topk(top_k, dim=1)
    labels = predictor.labels
    return [
        Prediction(
            input=name,
            prediction=labels[row_indices[0]],
            confidence=row_best[0],
            top=tuple((labels[i], p) for i, p in zip(row_indices, row_best, strict=True)),
        )
        for name, row_best, row_indices in zip(names, best.tolist(), indices.tolist(), strict=True)
    ]
