"""core.atomic: a failed write never replaces or half-writes the target."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from core.atomic import atomic_path, probe_writable_dir, write_json


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


def test_probe_leaves_no_trace_in_a_writable_folder(tmp_path: Path) -> None:
    """Probing a folder that does not exist yet creates it and a file in it, then removes both."""
    probe_writable_dir(tmp_path / "new" / "artifacts")

    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize(
    ("where", "error"),
    [("file", NotADirectoryError), ("file/below", NotADirectoryError), ("/proc/no-such-dir", OSError)],
    ids=["a-file", "under-a-file", "read-only-filesystem"],
)
def test_probe_refuses_folders_that_cannot_be_written(tmp_path: Path, where: str, error: type) -> None:
    """A file, a path under a file, or a folder that cannot be created raises OSError naming why."""
    (tmp_path / "file").write_text("x")

    with pytest.raises(error):
        probe_writable_dir(tmp_path / where)
