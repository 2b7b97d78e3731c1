"""The checkpoint format: everything needed to rebuild the model, loaded without running code."""

from __future__ import annotations

import io
import os
import pickle
import warnings
from dataclasses import dataclass
from pathlib import Path

import torch

from core.atomic import atomic_path
from core.messages import first_line
from core.models import DEFAULT_MODEL, build_model
from core.network import ModelConfig
from core.preprocess import Preprocessing

FORMAT = "cml-checkpoint"
# 2: per-channel mean/std and the model's name. Version 1 files (one mean/std, always the CNN) still load.
FORMAT_VERSION = 2
REQUIRED_KEYS = ("format", "format_version", "model_config", "model_state", "labels", "preprocessing")


class CheckpointError(Exception):
    """A checkpoint that is missing, unreadable, unsafe or not in our format."""


@dataclass
class Checkpoint:
    model_config: ModelConfig
    model_state: dict
    labels: list[str]
    preprocessing: Preprocessing
    train_config: dict
    versions: dict
    model_name: str = DEFAULT_MODEL  # see core.models: a built-in name or a user's module:function

    def build_model(self) -> torch.nn.Module:
        """The network with its trained weights, in eval mode (core.models.ModelError if it cannot be built here)."""
        model = build_model(self.model_name, self.model_config)
        model.load_state_dict(self.model_state)
        return model.eval()


def save_checkpoint(path: str | os.PathLike, checkpoint: Checkpoint) -> None:
    """Write `checkpoint` atomically; only plain types and tensors, so `weights_only` loading works.

    The same checkpoint always gives the same bytes, so a sha256 of model.pt can show "same model".
    """
    payload = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "model": checkpoint.model_name,
        "model_config": checkpoint.model_config.to_dict(),
        "model_state": {k: v.detach().cpu() for k, v in checkpoint.model_state.items()},
        "labels": list(checkpoint.labels),
        "preprocessing": checkpoint.preprocessing.to_dict(),
        "train_config": checkpoint.train_config,
        # str(): torch.__version__ is a TorchVersion, a global that weights_only loading refuses.
        "versions": {str(name): str(version) for name, version in checkpoint.versions.items()},
    }
    # Saved to a buffer, not the temp file: torch names the zip's inner folder after the file it
    # writes (here a random temp name), but a buffer's folder is always "archive". The zip entries
    # carry no timestamps, and the payload is built in a fixed order, so nothing else varies.
    buffer = io.BytesIO()
    torch.save(payload, buffer)
    with atomic_path(path) as tmp:
        tmp.write_bytes(buffer.getbuffer())


def load_checkpoint(path: str | os.PathLike) -> Checkpoint:
    """Load a checkpoint with `weights_only=True`: a file that would run code is refused, never run."""
    source = Path(path)
    if not source.is_file():
        raise CheckpointError(f"{source}: no such checkpoint file")
    try:
        with warnings.catch_warnings():  # e.g. "unusual pickle protocol": the error below says enough
            warnings.simplefilter("ignore")
            payload = torch.load(source, map_location="cpu", weights_only=True)
    except pickle.UnpicklingError:
        # torch's own message advises loading the file unsafely; never pass that advice on.
        raise CheckpointError(
            f"{source}: not a valid checkpoint (refused to load: not a file of plain tensors and data)"
        ) from None
    except OSError as exc:
        raise CheckpointError(f"{source}: cannot read checkpoint ({exc.strerror or exc})") from None
    except Exception as exc:  # on arbitrary bytes torch's unpickler also raises KeyError, IndexError, ...
        reason = first_line(exc)
        reason = reason if reason == type(exc).__name__ else f"{type(exc).__name__}: {reason}"
        raise CheckpointError(f"{source}: not a valid checkpoint (refused to load: {reason})") from None
    if not isinstance(payload, dict) or payload.get("format") != FORMAT:
        raise CheckpointError(f"{source}: not a valid checkpoint (not written by this project's training)")
    missing = [k for k in REQUIRED_KEYS if k not in payload]
    if missing:
        raise CheckpointError(f"{source}: not a valid checkpoint (missing {', '.join(missing)})")
    if payload["format_version"] > FORMAT_VERSION:
        raise CheckpointError(f"{source}: checkpoint format {payload['format_version']} is newer than this code")
    try:
        return Checkpoint(
            model_config=ModelConfig.from_dict(payload["model_config"]),
            model_state=payload["model_state"],
            labels=[str(label) for label in payload["labels"]],
            preprocessing=Preprocessing.from_dict(payload["preprocessing"]),
            train_config=payload.get("train_config", {}),
            versions=payload.get("versions", {}),
            model_name=str(payload.get("model", DEFAULT_MODEL)),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise CheckpointError(f"{source}: not a valid checkpoint ({exc})") from None
