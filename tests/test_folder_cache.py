"""training.folder_cache: decoded once, keyed by content, atomic, channel detection, ids, training through it."""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT, fresh_scenario_command, run_fresh_scenario
from PIL import Image

from benchmarks.image_folder import write_shapes_folder
from core.preprocess import image_to_unit_array
from training.config import DataError
from training.fingerprint import folder_files, folder_fingerprint
from training.folder_cache import cache_key, known_fingerprint, load_folder, split_images


@pytest.fixture
def shapes(tmp_path: Path) -> Path:
    return write_shapes_folder(tmp_path / "shapes", 40, 16)


def entries(cache: Path) -> list[str]:
    """The cache's entries and its fingerprint records; the decode locks are bookkeeping, left out."""
    return sorted(path.name for path in cache.iterdir() if path.name != "locks")


def test_decodes_once_then_reuses_the_cache_even_when_files_are_touched(shapes: Path, tmp_path: Path) -> None:
    """The first load decodes; later loads of the unchanged folder (mtimes touched too) read the same entry."""
    cache = tmp_path / "cache"
    first = load_folder(shapes, 16, cache)
    for path in shapes.rglob("*.png"):
        os.utime(path, (1, 1))

    again = load_folder(shapes, 16, cache)

    assert first.decoded and not again.decoded
    assert again.directory == first.directory
    assert np.array_equal(again.images, first.images)
    assert entries(cache) == [first.directory.name, "fingerprints"]


def test_a_changed_file_is_decoded_again_and_the_old_entry_removed(shapes: Path, tmp_path: Path) -> None:
    """Editing one image gives a new entry with the new pixels; the outdated entry (and its lock file) is gone."""
    cache = tmp_path / "cache"
    before = load_folder(shapes, 16, cache)
    edited = shapes / "circle" / "circle-00000.png"
    Image.new("RGB", (16, 16), (255, 0, 0)).save(edited)

    after = load_folder(shapes, 16, cache)

    row = after.ids.index("circle/circle-00000.png")
    assert after.decoded and after.directory != before.directory
    assert after.images[row, :, 0, 0].tolist() == [255, 0, 0]
    assert entries(cache) == [after.directory.name, "fingerprints"]
    assert sorted(path.name for path in (cache / "locks").iterdir()) == [f"{after.directory.name}.lock"]


def test_the_content_hash_is_skipped_only_while_no_file_is_touched(shapes: Path, tmp_path: Path) -> None:
    """The fingerprint is the folder's content fingerprint; it is reused from the record while sizes and mtimes
    stay, and computed again once a file is touched."""
    cache = tmp_path / "cache"
    fingerprint = known_fingerprint(shapes, folder_files(shapes), cache)
    [record] = (cache / "fingerprints").iterdir()
    record.write_text(json.dumps(json.loads(record.read_text()) | {"fingerprint": "from-the-record"}))

    unchanged = known_fingerprint(shapes, folder_files(shapes), cache)
    os.utime(shapes / "cross" / "cross-00003.png", (1, 1))
    touched = known_fingerprint(shapes, folder_files(shapes), cache)

    assert fingerprint == folder_fingerprint(shapes)
    assert unchanged == "from-the-record"
    assert touched == fingerprint


def test_another_image_size_is_another_entry(shapes: Path, tmp_path: Path) -> None:
    """The same folder at two image sizes is cached twice, each at its size."""
    cache = tmp_path / "cache"

    small, large = load_folder(shapes, 8, cache), load_folder(shapes, 16, cache)

    assert small.images.shape[2:] == (8, 8) and large.images.shape[2:] == (16, 16)
    assert small.directory != large.directory


def test_a_failed_decode_leaves_no_entry(shapes: Path, tmp_path: Path) -> None:
    """An unreadable image stops the decode with a DataError naming it, and nothing is left in the cache."""
    cache = tmp_path / "cache"
    broken = shapes / "square" / "zz-broken.png"
    broken.write_bytes(b"not a png")

    with pytest.raises(DataError, match=r"zz-broken\.png: cannot read image"):
        load_folder(shapes, 16, cache)

    assert entries(cache) == ["fingerprints"]


def test_a_decoding_process_that_dies_is_an_error_not_a_hang(tmp_path: Path) -> None:
    """A worker killed mid-decode raises RuntimeError in the caller (a plain pool would wait forever), and
    nothing is left in the cache."""
    done = run_fresh_scenario("a_dead_decoding_process_is_an_error", tmp_path)

    assert done.returncode == 0, done.stderr[-3000:]
    assert "a_dead_decoding_process_is_an_error: ok" in done.stdout


def test_processes_that_start_together_on_a_cold_cache_decode_once(tmp_path: Path) -> None:
    """Two processes (the ranks of one run) that find the cache cold while a decode is under way both wait,
    say so, and then one decodes while the other reads its entry."""
    shapes = write_shapes_folder(tmp_path / "shapes", 40, 16)
    locks = tmp_path / "cache" / "locks"
    locks.mkdir(parents=True)
    key = cache_key(folder_fingerprint(shapes), 16)
    scenario = fresh_scenario_command("load_folder_here", tmp_path)
    logs = [tmp_path / f"rank-{rank}.err" for rank in range(2)]
    with open(locks / f"{key}.lock", "a+b") as held:
        fcntl.flock(held, fcntl.LOCK_EX)  # a decode under way, as far as the two ranks can tell
        ranks = []
        for log in logs:
            with log.open("w") as stderr:  # the child keeps its own copy of the file descriptor
                ranks.append(subprocess.Popen(scenario, stdout=subprocess.PIPE, stderr=stderr, text=True))
        deadline = time.monotonic() + 120
        while not all("waiting for another process" in log.read_text() for log in logs):
            assert time.monotonic() < deadline, [log.read_text() for log in logs]
            time.sleep(0.05)
    outputs = [rank.communicate(timeout=120)[0] for rank in ranks]

    assert [rank.returncode for rank in ranks] == [0, 0], [log.read_text() for log in logs]
    assert sorted(out.splitlines()[0] for out in outputs) == ["decoded=False count=40", "decoded=True count=40"]
    assert sum("decoding 40 images" in log.read_text() for log in logs) == 1


def test_the_partial_directory_of_a_dead_process_is_never_trusted(shapes: Path, tmp_path: Path) -> None:
    """A complete-looking directory left under a dead process's partial name is removed and decoded afresh."""
    cache = tmp_path / "cache"
    entry = load_folder(shapes, 16, cache).directory
    dead = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"], capture_output=True, text=True)
    partial = cache / f"{entry.name}.partial-{dead.stdout.strip()}-abc"
    entry.rename(partial)

    reloaded = load_folder(shapes, 16, cache)

    assert reloaded.decoded
    assert entries(cache) == [entry.name, "fingerprints"]


@pytest.mark.parametrize(
    ("modes", "channels"),
    [(("L", "L"), 1), (("RGB-gray", "L"), 1), (("RGB", "L"), 3)],
    ids=["grayscale-files", "rgb-files-without-colour", "one-colour-file"],
)
def test_three_channels_when_any_image_has_colour(tmp_path: Path, modes: tuple[str, str], channels: int) -> None:
    """C is 3 when any image has colour, else 1; grayscale pixels are those of the grayscale conversion."""
    root = tmp_path / "d"
    rng = np.random.default_rng(0)
    for label, mode in zip(("a", "b"), modes, strict=True):
        (root / label).mkdir(parents=True)
        for i in range(3):
            gray = rng.integers(0, 256, (12, 12), dtype=np.uint8)
            pixels = np.stack([gray, gray, rng.integers(0, 256, (12, 12), dtype=np.uint8) if mode == "RGB" else gray])
            image = Image.fromarray(gray) if mode == "L" else Image.fromarray(pixels.transpose(1, 2, 0))
            image.save(root / label / f"{i}.png")

    folder = load_folder(root, 8, tmp_path / "cache")

    assert folder.images.shape == (6, channels, 8, 8) and folder.images.dtype == np.uint8
    if channels == 1:
        with Image.open(root / "a" / "0.png") as image:
            expected = image_to_unit_array(image, (8, 8))[0]
        assert np.array_equal(folder.images[0, 0] / np.float32(255), expected)


def test_ids_are_posix_paths_relative_to_the_root_and_hidden_or_loose_files_are_skipped(tmp_path: Path) -> None:
    """ids are "<class>/<path below it>" for images at any depth; hidden folders and files in the root belong to
    no class."""
    root = tmp_path / "d"
    for relative in ("cat/a.png", "cat/sub/b.png", "dog/c.png", ".ipynb_checkpoints/d.png", "loose.png"):
        (root / relative).parent.mkdir(parents=True, exist_ok=True)
        Image.new("L", (4, 4)).save(root / relative)

    folder = load_folder(root, 4, tmp_path / "cache")

    assert folder.ids == ["cat/a.png", "cat/sub/b.png", "dog/c.png"]
    assert folder.labels == ["cat", "dog"]
    assert folder.targets.tolist() == [0, 0, 1]


def test_split_files_hold_each_parts_rows_and_are_reused(shapes: Path, tmp_path: Path) -> None:
    """Each split is a memmap of exactly its rows; asking again for the same split maps the same files."""
    folder = load_folder(shapes, 16, tmp_path / "cache")
    parts = {"train": np.array([0, 5, 7]), "test": np.array([1, 2])}

    first = split_images(folder, parts)
    again = split_images(folder, parts)

    assert isinstance(first["train"], np.memmap)
    assert np.array_equal(first["train"], folder.images[[0, 5, 7]])
    assert np.array_equal(first["test"], folder.images[[1, 2]])
    assert again["train"].filename == first["train"].filename


def test_training_on_a_generated_rgb_folder_goes_through_the_cache(tmp_path: Path) -> None:
    """python -m training on a folder of coloured shapes decodes it into data_dir's cache and learns well above
    chance."""
    root = write_shapes_folder(tmp_path / "shapes", 400, 16)
    out, data = tmp_path / "out", tmp_path / "data"

    flags = ["--image-size", "16", "--epochs", "12", "--batch-size", "16", "--data-dir", str(data), "--out", str(out)]

    done = subprocess.run(
        [sys.executable, "-m", "training", "--dataset", f"folder:{root}", *flags],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr[-2000:]
    assert "decoding 400 images" in done.stderr
    [manifest] = (data / ".cache" / "folders").glob("*/manifest.json")
    assert json.loads(manifest.read_text())["channels"] == 3
    assert json.loads((out / "metrics.json").read_text())["accuracy"] > 0.5  # chance: 0.25
