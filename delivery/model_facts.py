"""What a released model.pt is, as plain data: its architecture, size, input, labels and sha256.

The checkpoint is loaded with the project's own loader (`torch.load(weights_only=True)`: a file that would
run code is refused), and the network is rebuilt from it with its trained weights, so the parameter count is
that of the model inference serves. Every value is a plain JSON type, ready for the model card.
"""

from __future__ import annotations

import os
from pathlib import Path

from core.checkpoint import CheckpointError, load_checkpoint
from core.messages import first_line
from core.models import BUILTIN_MODELS, ModelError
from training.inputs import sha256_file


class ModelFactsError(Exception):
    """A model.pt that is missing, unreadable or cannot be rebuilt; the one-line message names the file."""


def model_facts(path: str | os.PathLike) -> dict:
    """The facts about the checkpoint at `path` (a format 1 file, from before models had names, is the CNN)."""
    source = Path(path)
    try:
        checkpoint = load_checkpoint(source)
    except CheckpointError as exc:
        raise ModelFactsError(first_line(exc)) from None
    try:
        model = checkpoint.build_model()
    except ModelError as exc:
        raise ModelFactsError(f"{source}: cannot rebuild the model ({first_line(exc)})") from None
    except (RuntimeError, ValueError, TypeError) as exc:  # weights that do not fit the architecture, a bad config
        raise ModelFactsError(f"{source}: cannot rebuild the model ({type(exc).__name__}: {first_line(exc)})") from None
    parameters = list(model.parameters())
    preprocessing = checkpoint.preprocessing
    return {
        "file": source.name,
        "sha256": sha256(source),
        "size_bytes": source.stat().st_size,
        "model": checkpoint.model_name,
        "factory": BUILTIN_MODELS.get(checkpoint.model_name, checkpoint.model_name),
        "builtin": checkpoint.model_name in BUILTIN_MODELS,
        "model_class": type(model).__name__,
        "model_config": _plain(checkpoint.model_config.to_dict()),
        "parameters": sum(p.numel() for p in parameters),
        "trainable_parameters": sum(p.numel() for p in parameters if p.requires_grad),
        "input_size": list(preprocessing.input_size),
        "channels": preprocessing.channels,
        "mean": list(preprocessing.mean),
        "std": list(preprocessing.std),
        "polarity": preprocessing.polarity,
        "labels": list(checkpoint.labels),
        "versions": dict(checkpoint.versions),
    }


def sha256(path: Path) -> str:
    """The file's sha256 in hex, read in chunks (a large model never sits in memory twice)."""
    try:
        return sha256_file(path)
    except OSError as exc:
        raise ModelFactsError(f"{path}: cannot read model file ({exc.strerror or exc})") from None


def _plain(value):
    """Tuples (a config's input_size, channels) as lists, so the facts are what JSON would give back."""
    if isinstance(value, dict):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    return value
