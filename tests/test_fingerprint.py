"""Tests for training.fingerprint."""

from __future__ import annotations

import os
import shutil

import numpy as np

from training.fingerprint import arrays_fingerprint, folder_files, folder_fingerprint, samples_fingerprint


def make_folder(root):
    for label, payload in (("cat", b"a"), ("dog", b"b")):
        (root / label).mkdir(parents=True)
        (root / label / "x.png").write_bytes(payload)
    (root / "cat" / "notes.txt").write_text("not an image")
    return root


def test_same_content_elsewhere_and_touched_gives_same_fingerprint(tmp_path):
    """Copying the folder or touching its files keeps the fingerprint: content and names count, not mtimes."""
    first = make_folder(tmp_path / "a")
    second = tmp_path / "b"
    shutil.copytree(first, second)
    os.utime(second / "cat" / "x.png", (1, 1))

    assert folder_fingerprint(first) == folder_fingerprint(second)


def test_edit_rename_or_add_changes_fingerprint(tmp_path):
    """Changing a file's bytes, renaming it or adding one each give another fingerprint."""
    root = make_folder(tmp_path / "d")
    seen = {folder_fingerprint(root)}

    (root / "cat" / "x.png").write_bytes(b"c")
    seen.add(folder_fingerprint(root))
    (root / "cat" / "x.png").rename(root / "cat" / "y.png")
    seen.add(folder_fingerprint(root))
    (root / "dog" / "z.png").write_bytes(b"z")
    seen.add(folder_fingerprint(root))

    assert len(seen) == 4


def test_only_image_files_are_listed_in_path_order(tmp_path):
    """Files that are not images are ignored; the order is by relative path."""
    root = make_folder(tmp_path / "d")

    assert [p.relative_to(root).as_posix() for p in folder_files(root)] == ["cat/x.png", "dog/x.png"]


def test_arrays_fingerprint_sees_values_dtype_and_shape():
    """Equal arrays share a fingerprint; another value, dtype or shape of the same bytes changes it."""
    base = np.arange(6, dtype=np.int64)

    assert arrays_fingerprint(base) == arrays_fingerprint(base.copy())
    assert (
        len(
            {
                arrays_fingerprint(base),
                arrays_fingerprint(base + 1),
                arrays_fingerprint(base.astype(np.int32)),
                arrays_fingerprint(base.reshape(2, 3)),
            }
        )
        == 4
    )


def test_samples_fingerprint_ignores_order_but_not_ids_or_labels():
    """The same (id, label) pairs in another order share a fingerprint; another id or label does not."""
    fingerprint = samples_fingerprint(["a", "b"], ["cat", "dog"])

    assert samples_fingerprint(["b", "a"], ["dog", "cat"]) == fingerprint
    assert samples_fingerprint(["a", "c"], ["cat", "dog"]) != fingerprint
    assert samples_fingerprint(["a", "b"], ["cat", "cat"]) != fingerprint
