"""Fingerprints of datasets: the same data gives the same hex digest on any machine, any checkout.

Content, not timestamps: a fresh clone or a `dvc pull` rewrites every file's mtime, and a dataset
that did not change must keep its fingerprint (the report compares runs by it, and the folder
cache is keyed by it).
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np

from core.preprocess import IMAGE_SUFFIXES

CHUNK = 1 << 20


def folder_files(root: str | Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> list[Path]:
    """The image files under `root`, sorted by their path relative to it (as posix text)."""
    base = Path(root)
    found = [path for path in base.rglob("*") if path.is_file() and path.suffix.lower() in suffixes]
    return sorted(found, key=lambda path: path.relative_to(base).as_posix())


def folder_fingerprint(root: str | Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> str:
    """sha256 over every image file's relative path and content: renames, edits, additions and removals
    all change it; copying the folder elsewhere or touching its files does not."""
    base = Path(root)
    digest = hashlib.sha256()
    for path in folder_files(base, suffixes):
        digest.update(path.relative_to(base).as_posix().encode("utf-8") + b"\0")
        digest.update(file_sha256(path).encode("ascii") + b"\n")
    return digest.hexdigest()


def file_sha256(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        while chunk := stream.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def arrays_fingerprint(*arrays: np.ndarray) -> str:
    """sha256 over each array's dtype, shape and bytes: the same data gives the same digest anywhere."""
    digest = hashlib.sha256()
    for array in arrays:
        contiguous = np.ascontiguousarray(array)
        digest.update(f"{contiguous.dtype.str}{contiguous.shape}\n".encode("ascii"))
        digest.update(contiguous.data)
    return digest.hexdigest()


def samples_fingerprint(ids: list[str], labels: list[str]) -> str:
    """sha256 over (sample id, label name) pairs, in id order: two runs share it exactly when they were
    tested on the same samples with the same labels, whatever order they were loaded in."""
    digest = hashlib.sha256()
    for sample_id, label in sorted(zip(ids, labels, strict=True)):
        digest.update(f"{sample_id}\0{label}\n".encode())
    return digest.hexdigest()
