"""Fingerprints of datasets: the same data gives the same hex digest on any machine, any checkout.

Content, not timestamps: a fresh clone or a `dvc pull` rewrites every file's mtime, and a dataset
that did not change must keep its fingerprint (the report compares runs by it, and the folder
cache is keyed by it).
"""

from __future__ import annotations

import hashlib
import os
from pathlib import Path

import numpy as np

from core.preprocess import IMAGE_SUFFIXES

CHUNK = 1 << 20


def folder_files(root: str | Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> list[Path]:
    """The image files under `root`, sorted by their path relative to it (as posix text)."""
    base = os.path.join(str(root), "")
    found = sorted(_image_paths(base, suffixes), key=lambda path: path[len(base) :].replace(os.sep, "/"))
    return [Path(path) for path in found]


def _image_paths(folder: str, suffixes: tuple[str, ...]):
    # Directory entries carry the file type: no stat per file (rglob + is_file stats each). Like rglob,
    # symlinked folders are not followed, symlinked files are.
    with os.scandir(folder) as entries:
        for entry in entries:
            if entry.is_dir(follow_symlinks=False):
                yield from _image_paths(entry.path, suffixes)
            elif os.path.splitext(entry.name)[1].lower() in suffixes and entry.is_file():
                yield entry.path


def folder_fingerprint(root: str | Path, suffixes: tuple[str, ...] = IMAGE_SUFFIXES) -> str:
    """sha256 over every image file's relative path and content: renames, edits, additions and removals
    all change it; copying the folder elsewhere or touching its files does not."""
    return files_fingerprint(root, folder_files(root, suffixes))


def files_fingerprint(root: str | Path, files: list[Path]) -> str:
    """folder_fingerprint of `root` whose image files (in folder_files order) are `files`."""
    base = Path(root)
    digest = hashlib.sha256()
    for path in files:
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
