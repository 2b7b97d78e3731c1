"""Atomic file writes: a reader never sees a half-written file."""

from __future__ import annotations

import contextlib
import errno
import json
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path


@contextlib.contextmanager
def atomic_path(path: str | os.PathLike) -> Iterator[Path]:
    """Yield a temporary path beside `path`; rename it over `path` only if the block succeeds."""
    target = Path(path)
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{target.name}.", suffix=".tmp", dir=target.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    # mkstemp makes the file private (0600); give it the permissions a plain open() would.
    tmp.chmod(0o666 & ~current_umask())
    try:
        yield tmp
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)


def probe_writable_dir(path: str | os.PathLike) -> None:
    """Create the folder `path` (and its parents) and a temporary file in it, as the atomic writes will;
    raise OSError when either cannot be done. Whatever the probe created is removed again.

    Run before any work, it turns a failure at a run's last step (writing what it computed)
    into one at its first.
    """
    folder = Path(path)
    if folder.exists() and not folder.is_dir():  # mkdir would say "File exists"
        raise NotADirectoryError(errno.ENOTDIR, "a file, not a folder", str(folder))
    missing = [p for p in (folder, *folder.parents) if not p.exists()]  # deepest first
    try:
        folder.mkdir(parents=True, exist_ok=True)
        fd, probe = tempfile.mkstemp(prefix=".write-probe.", suffix=".tmp", dir=folder)
        os.close(fd)
        os.unlink(probe)
    finally:
        for created in missing:
            with contextlib.suppress(OSError):
                created.rmdir()


def write_text(path: str | os.PathLike, text: str) -> None:
    """Write `text` to `path` atomically (UTF-8)."""
    with atomic_path(path) as tmp:
        tmp.write_text(text, encoding="utf-8")


def write_json(path: str | os.PathLike, data: object) -> None:
    """Write `data` as indented JSON to `path` atomically."""
    write_text(path, json.dumps(data, indent=2) + "\n")


def current_umask() -> int:
    """The process umask (reading it means setting it: it is put straight back)."""
    mask = os.umask(0)
    os.umask(mask)
    return mask
