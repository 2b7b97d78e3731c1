"""core.checkpoint: the bytes written are a function of the checkpoint alone."""

from __future__ import annotations

import hashlib
import zipfile
from pathlib import Path

import torch

from core.checkpoint import load_checkpoint, save_checkpoint


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_same_checkpoint_saved_under_other_names_gives_identical_bytes(untrained_checkpoint, tmp_path):
    """Saving one checkpoint to two differently named files writes byte-identical files that load back."""
    checkpoint = load_checkpoint(untrained_checkpoint)

    save_checkpoint(tmp_path / "a" / "model.pt", checkpoint)
    save_checkpoint(tmp_path / "b" / "other-name.pt", checkpoint)

    assert sha256(tmp_path / "a" / "model.pt") == sha256(tmp_path / "b" / "other-name.pt")
    reloaded = load_checkpoint(tmp_path / "b" / "other-name.pt")
    assert all(torch.equal(reloaded.model_state[k], v) for k, v in checkpoint.model_state.items())


def test_zip_entries_carry_no_temp_file_name(untrained_checkpoint):
    """Every entry of the saved zip sits under one fixed folder, not the random name of the temp file."""
    with zipfile.ZipFile(untrained_checkpoint) as archive:
        folders = {name.split("/", 1)[0] for name in archive.namelist()}

    assert folders == {"archive"}
