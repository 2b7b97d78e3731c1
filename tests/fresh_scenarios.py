"""Scenarios that fork processes, each run in a fresh interpreter: `python tests/fresh_scenarios.py NAME DIR`.

The pytest process has torch, its thread pools and other tests' threads loaded; a fork of it (and a
fork of that fork, as the sidecar's decoding pool makes) inherits whatever locks those threads held
at that moment. Training forks its sidecar before it imports torch; these scenarios start the same
way. Each exits 0 when its assertions hold, and prints why not otherwise.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

# Run as a script, this folder (tests/) is first on sys.path.
from helpers import ROOT, splits_from_child_and_here


def folder_splits_cross_the_pipe(scratch: Path) -> None:
    """A pool of processes decodes the folder in the sidecar; its splits arrive as memmaps of the cache's
    files (mapped again, not copied through the pipe), equal to loading them in this process."""
    import numpy as np

    from benchmarks.image_folder import write_shapes_folder
    from training import folder_cache
    from training.config import TrainConfig

    folder_cache.SERIAL_BELOW = 1  # the fork inherits these: several small decoding jobs
    folder_cache.CHUNK = 8
    root = write_shapes_folder(scratch / "shapes", 40, 8)
    options = TrainConfig(dataset=f"folder:{root}", image_size=8, data_dir=str(scratch / "data")).data_options()
    from_child, here = splits_from_child_and_here(options)

    for name in ("train", "val", "test"):
        child_images, own_images = getattr(from_child, name).images, getattr(here, name).images
        assert isinstance(child_images, np.memmap), f"{name}: {type(child_images)}"
        assert str(child_images.filename) == str(own_images.filename), name
        assert np.array_equal(child_images, own_images), name
        assert getattr(from_child, name).ids == getattr(here, name).ids, name


def _die_on_the_second_chunk(job):
    if job[2] == 8:
        os._exit(9)  # killed outright, as the kernel's OOM killer would
    return _decode_rows(job)


def a_dead_decoding_process_is_an_error(scratch: Path) -> None:
    """A decoding worker killed mid-decode raises RuntimeError in the caller (a plain pool would wait
    forever), and no cache entry is left behind."""
    global _decode_rows

    from benchmarks.image_folder import write_shapes_folder
    from training import folder_cache

    root = write_shapes_folder(scratch / "shapes", 40, 16)
    cache = scratch / "cache"
    folder_cache.SERIAL_BELOW = 1
    folder_cache.CHUNK = 8
    _decode_rows = folder_cache._decode_rows
    folder_cache._decode_rows = _die_on_the_second_chunk
    try:
        folder_cache.load_folder(root, 16, cache, workers=2)
    except RuntimeError as exc:
        assert "a decoding process died" in str(exc), str(exc)
    else:
        raise AssertionError("load_folder returned although a decoding process died")
    left = sorted(path.name for path in cache.iterdir() if path.name != "locks")
    assert left == ["fingerprints"], left


def load_folder_here(scratch: Path) -> None:
    """Load scratch/shapes through the cache in scratch/cache (16x16, in this process) and print whether this
    process decoded it: two of these started together are the ranks of one run on a cold cache."""
    from training import folder_cache

    folder = folder_cache.load_folder(scratch / "shapes", 16, scratch / "cache", workers=1)
    print(f"decoded={folder.decoded} count={len(folder.images)}")


SCENARIOS = {
    function.__name__: function
    for function in (folder_splits_cross_the_pipe, a_dead_decoding_process_is_an_error, load_folder_here)
}

if __name__ == "__main__":
    sys.path.insert(0, str(ROOT))
    name, scratch = sys.argv[1], Path(sys.argv[2])
    # Run as a script, this module is __main__: pickled references to its functions must resolve in the
    # pool's workers, which fork from here and so have it too.
    SCENARIOS[name](scratch)
    print(f"{name}: ok")
