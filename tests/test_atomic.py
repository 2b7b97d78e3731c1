"""core.atomic: a failed write never replaces or half-writes the target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.atomic import atomic_path, write_json


def test_failure_inside_the_block_keeps_the_old_file(tmp_path: Path) -> None:
    """An exception while writing leaves the previous content and no temp file behind."""
    target = tmp_path / "model.pt"
    target.write_text("old")

    with pytest.raises(RuntimeError), atomic_path(target) as tmp:
        tmp.write_text("half")
        raise RuntimeError("interrupted")

    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]


def test_write_json_creates_parent_dirs(tmp_path: Path) -> None:
    """write_json makes missing directories and writes indented JSON."""
    target = tmp_path / "a" / "b" / "metrics.json"

    write_json(target, {"accuracy": 0.99})

    assert json.loads(target.read_text()) == {"accuracy": 0.99}


def test_written_files_get_the_usual_permissions(tmp_path: Path) -> None:
    """Files are readable by others as with open() under umask 022, not private like mkstemp's."""
    import os

    old = os.umask(0o022)
    try:
        write_json(tmp_path / "metrics.json", {})
    finally:
        os.umask(old)

    assert (tmp_path / "metrics.json").stat().st_mode & 0o777 == 0o644
