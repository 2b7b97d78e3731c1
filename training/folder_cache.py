"""Folder datasets decoded once into a uint8 cache on disk, then read memory-mapped.

An image folder (one sub-folder per class) is decoded into `<cache_root>/<key>/`: `images.npy`
(uint8, (N, C, H, W), opened as a memmap), `targets.npy`, `ids.json` and `manifest.json`. The key
hashes the folder's content fingerprint and the image size: an edited, renamed, added or removed
image gives a new key (the folder is decoded again); a fresh clone or touched files do not.

The cache directory is built under a `.partial-` name and renamed into place when complete, so an
interrupted decode (Ctrl-C, a killed job, a full disk) never leaves a directory a later run trusts;
leftovers of dead processes are removed by the next run. Decoding runs in several processes (each
writes its rows straight into the memmap) and shows a progress bar on a terminal.

Split files (`splits/<seed>-<fractions>/{train,val,test}.npy`) hold each split's rows contiguously,
so every split is itself a memmap: epochs index batches out of it and nothing holds a float copy of
the dataset.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import multiprocessing
import os
import shutil
import signal
import sys
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor, as_completed
from concurrent.futures.process import BrokenProcessPool
from dataclasses import dataclass
from pathlib import Path

import numpy as np

try:
    import fcntl
except ImportError:  # Windows
    fcntl = None

from core.atomic import current_umask, write_json
from training.config import DataError
from training.fingerprint import files_fingerprint, folder_files

CACHE_VERSION = 1  # bump when the decoded pixels would change: old entries are then never trusted
CHUNK = 256  # images per decoding task: large enough to amortise the hand-off, small for a smooth bar
SERIAL_BELOW = 2_000  # fewer images than this decode in-process: a pool costs more than it saves
GRAY_MODES = ("1", "L", "LA", "I", "I;16", "F")


@dataclass
class FolderImages:
    images: np.ndarray  # uint8 memmap (N, C, H, W), C = 3 if any image has colour, else 1
    targets: np.ndarray  # int64 (N,), index into labels
    labels: list[str]  # class names: the sub-folder names, sorted
    ids: list[str]  # each image's path relative to the folder root, posix form
    fingerprint: str  # training.fingerprint.folder_fingerprint of the folder
    directory: Path  # the cache entry
    decoded: bool  # True when this call decoded the images, False when it reused the cache


def cache_key(fingerprint: str, image_size: int) -> str:
    return hashlib.sha256(f"v{CACHE_VERSION}:{fingerprint}:{image_size}".encode()).hexdigest()[:24]


def load_folder(root: str | Path, image_size: int, cache_root: str | Path, workers: int = 0) -> FolderImages:
    """The folder's images from the cache, decoding them first when the cache has no entry for them.

    `workers`: decoding processes (0: one per available core).
    """
    root, cache_root = Path(root), Path(cache_root)
    if not root.is_dir():
        raise DataError(f"--dataset folder:{root}: folder does not exist")
    images = folder_files(root)
    files, targets, labels = list_classes(root, images)
    fingerprint = known_fingerprint(root, images, cache_root)
    entry = cache_root / cache_key(fingerprint, image_size)
    decoded = False
    if not _is_complete(entry, fingerprint, image_size):
        with _decode_lock(cache_root, entry.name):
            # Another process (a second rank of the same run) may have decoded it while we waited.
            decoded = not _is_complete(entry, fingerprint, image_size)
            if decoded:
                remove_stale_partials(cache_root)
                with _partial_directory(cache_root, entry.name) as partial:
                    _decode_into(partial, root, files, targets, labels, fingerprint, image_size, workers)
                    _publish(partial, entry)
                _remove_older_entries(cache_root, keep=entry, source=root)
    manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    return FolderImages(
        images=open_images(entry / "images.npy"),
        targets=np.load(entry / "targets.npy"),
        labels=manifest["labels"],
        ids=json.loads((entry / "ids.json").read_text(encoding="utf-8")),
        fingerprint=fingerprint,
        directory=entry,
        decoded=decoded,
    )


def open_images(path: str | Path) -> np.ndarray:
    """A cached uint8 array as a memmap. Copy-on-write: torch can wrap it without a read-only warning,
    and nothing written to it reaches the file."""
    return np.load(path, mmap_mode="c")


def list_classes(root: Path, images: list[Path]) -> tuple[list[Path], np.ndarray, list[str]]:
    """(image files, their class index, class names) of `images` (folder_files of `root`): one class per
    sub-folder, images at any depth in it. Hidden sub-folders (e.g. .ipynb_checkpoints) and files directly
    in `root` belong to no class."""
    files, classes = [], []
    for path in images:
        parts = path.relative_to(root).parts
        if len(parts) >= 2 and not parts[0].startswith("."):
            files.append(path)
            classes.append(parts[0])
    labels = sorted(set(classes))
    if len(labels) < 2:
        raise DataError(f"--dataset folder:{root}: needs one sub-folder per class, at least two classes with images")
    index = {label: i for i, label in enumerate(labels)}
    return files, np.array([index[name] for name in classes], dtype=np.int64), labels


def known_fingerprint(root: Path, images: list[Path], cache_root: Path) -> str:
    """folder_fingerprint(root) (of `images`, its folder_files); its content hash is skipped when no file's
    path, size or modification time changed since it was last computed here (what git and make trust too).

    A touched file (new mtime, same bytes) is hashed again and gives the same fingerprint."""
    stats = hashlib.sha256()
    for path in images:
        status = path.stat()
        stats.update(f"{path.relative_to(root).as_posix()}\0{status.st_size}\0{status.st_mtime_ns}\n".encode())
    record = cache_root / "fingerprints" / f"{hashlib.sha256(str(root.resolve()).encode()).hexdigest()[:24]}.json"
    try:
        saved = json.loads(record.read_text(encoding="utf-8"))
        if saved["stats"] == stats.hexdigest():
            return saved["fingerprint"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    fingerprint = files_fingerprint(root, images)
    write_json(record, {"source": str(root.resolve()), "stats": stats.hexdigest(), "fingerprint": fingerprint})
    return fingerprint


def decode_image(path: Path, image_size: int) -> tuple[np.ndarray, bool]:
    """(uint8 (3, size, size) pixels, whether the image has colour) of one image file.

    Shrinking uses box averaging, enlarging bilinear, as core.preprocess does for grayscale, so an
    image whose channels are equal decodes to exactly the pixels its grayscale conversion gives."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            may_have_colour = image.mode not in GRAY_MODES
            rgb = image.convert("RGB")
    except (OSError, UnidentifiedImageError, ValueError) as exc:
        raise DataError(f"{path}: cannot read image ({exc})") from None
    if rgb.size != (image_size, image_size):
        shrinking = rgb.width >= image_size and rgb.height >= image_size
        rgb = rgb.resize((image_size, image_size), Image.Resampling.BOX if shrinking else Image.Resampling.BILINEAR)
    pixels = np.asarray(rgb, dtype=np.uint8).transpose(2, 0, 1)
    has_colour = may_have_colour and not (np.array_equal(pixels[0], pixels[1]) and np.array_equal(pixels[0], pixels[2]))
    return pixels, has_colour


def _decode_rows(job: tuple[str, list[str], int, int]) -> tuple[int, bool]:
    """Decode `paths` into rows start.. of the RGB memmap at `target`; (count, any colour)."""
    target, paths, start, image_size = job
    rows = np.load(target, mmap_mode="r+")
    colour = False
    for offset, path in enumerate(paths):
        rows[start + offset], has_colour = decode_image(Path(path), image_size)
        colour = colour or has_colour
    rows.flush()
    return len(paths), colour


def _decode_into(
    partial: Path,
    root: Path,
    files: list[Path],
    targets: np.ndarray,
    labels: list[str],
    fingerprint: str,
    image_size: int,
    workers: int,
) -> None:
    started = time.perf_counter()
    count = len(files)
    rgb_path = partial / "rgb.npy"
    np.lib.format.open_memmap(rgb_path, mode="w+", dtype=np.uint8, shape=(count, 3, image_size, image_size)).flush()
    jobs = [
        (str(rgb_path), [str(path) for path in files[i : i + CHUNK]], i, image_size) for i in range(0, count, CHUNK)
    ]
    workers = min(workers or available_cores(), len(jobs))
    print(
        f"decoding {count} images of {root} into the cache {partial.parent} ({workers} process(es))",
        file=sys.stderr,
        flush=True,
    )
    colour = False
    with _progress(count) as advance:
        for done, has_colour in _map(jobs, workers if count >= SERIAL_BELOW else 1):
            colour = colour or has_colour
            advance(done)
    images_path = partial / "images.npy"
    if colour:
        rgb_path.rename(images_path)
    else:
        _keep_first_channel(rgb_path, images_path)
    np.save(partial / "targets.npy", targets)
    ids = [path.relative_to(root).as_posix() for path in files]
    (partial / "ids.json").write_text(json.dumps(ids), encoding="utf-8")
    manifest = {
        "version": CACHE_VERSION,
        "fingerprint": fingerprint,
        "image_size": image_size,
        "count": count,
        "channels": 3 if colour else 1,
        "labels": labels,
        "source": str(root.resolve()),
    }
    # Written last: an entry without a manifest is never trusted.
    (partial / "manifest.json").write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    print(
        f"decoded {count} images ({manifest['channels']} channel(s), {image_size}x{image_size}) "
        f"in {time.perf_counter() - started:.1f}s",
        file=sys.stderr,
        flush=True,
    )


def _map(jobs: list, workers: int) -> Iterator[tuple[int, bool]]:
    """_decode_rows of each job, in completion order, in `workers` processes (in-process for 1).

    A process pool executor, not multiprocessing.Pool: a worker that dies (killed, out of memory)
    raises BrokenProcessPool here instead of leaving the caller waiting for its results forever."""
    if workers <= 1:
        yield from map(_decode_rows, jobs)
        return
    # fork: the workers need nothing but this module (and the training process forks the sidecar
    # before it imports torch); spawn where fork is missing.
    method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
    pool = ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method), initializer=_worker_signals)
    try:
        for future in as_completed([pool.submit(_decode_rows, job) for job in jobs]):
            yield future.result()
    except BrokenProcessPool as exc:
        raise RuntimeError(f"a decoding process died before finishing its images ({exc})") from None
    finally:
        # An error or Ctrl-C here drops the queued jobs instead of decoding them first.
        pool.shutdown(wait=True, cancel_futures=True)


def _worker_signals() -> None:
    """Ctrl-C is the parent's to handle (it cancels the rest); SIGTERM ends a worker at once, whatever
    handler the parent had installed before the fork."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)


@contextlib.contextmanager
def _progress(total: int) -> Iterator:
    """A tqdm bar on a terminal; nothing otherwise (the start and end lines go to the log)."""
    if not sys.stderr.isatty():
        yield lambda n: None
        return
    from tqdm import tqdm

    with tqdm(total=total, unit="img", desc="decoding", file=sys.stderr, leave=False) as bar:
        yield bar.update


def _keep_first_channel(rgb_path: Path, images_path: Path) -> None:
    """Grayscale folder: keep one channel, copied in chunks so memory stays bounded."""
    rgb = np.load(rgb_path, mmap_mode="r")
    _copy_rows(rgb[:, :1], np.arange(len(rgb)), images_path)
    del rgb
    rgb_path.unlink()


def _is_complete(entry: Path, fingerprint: str, image_size: int) -> bool:
    try:
        manifest = json.loads((entry / "manifest.json").read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return False
    return (
        manifest.get("version") == CACHE_VERSION
        and manifest.get("fingerprint") == fingerprint
        and manifest.get("image_size") == image_size
        and all((entry / name).is_file() for name in ("images.npy", "targets.npy", "ids.json"))
    )


@contextlib.contextmanager
def _decode_lock(cache_root: Path, key: str) -> Iterator[None]:
    """One decode of an entry at a time: the ranks of a distributed run start together on a cold cache;
    the first decodes, the others wait for it and then read its entry. The kernel releases the lock of a
    process that dies, so a killed decode never blocks the next run."""
    if fcntl is None:  # no flock (Windows): concurrent decodes are wasted work, still correct
        yield
        return
    locks = cache_root / "locks"
    locks.mkdir(parents=True, exist_ok=True)
    with open(locks / f"{key}.lock", "a+b") as handle:
        locked = _lock(handle, cache_root)
        try:
            yield
        finally:
            if locked:
                fcntl.flock(handle, fcntl.LOCK_UN)


def _lock(handle, cache_root: Path) -> bool:
    """Take the exclusive lock on `handle`, waiting (and saying so) while another process holds it; False on a
    file system without flock (some network mounts), where the decode goes ahead unlocked."""
    try:
        fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except BlockingIOError:
        print(f"waiting for another process that is decoding into {cache_root} ...", file=sys.stderr, flush=True)
        fcntl.flock(handle, fcntl.LOCK_EX)
    except OSError:
        return False
    return True


@contextlib.contextmanager
def _partial_directory(cache_root: Path, key: str) -> Iterator[Path]:
    """A fresh directory beside the entry, named after this process; removed unless it was published."""
    cache_root.mkdir(parents=True, exist_ok=True)
    partial = Path(tempfile.mkdtemp(prefix=f"{key}.partial-{os.getpid()}-", dir=cache_root))
    partial.chmod(0o777 & ~current_umask())  # mkdtemp's is private; a shared data dir needs the usual permissions
    try:
        yield partial
    finally:
        shutil.rmtree(partial, ignore_errors=True)


def _publish(partial: Path, entry: Path) -> None:
    """Rename the finished directory into place (atomic); another process may have won the race."""
    try:
        partial.rename(entry)
    except OSError:
        if not entry.is_dir():
            raise


def remove_stale_partials(cache_root: Path) -> None:
    """Remove the partial directories of processes that no longer run (interrupted decodes)."""
    for partial in cache_root.glob("*.partial-*"):
        pid = partial.name.split(".partial-", 1)[1].split("-", 1)[0]
        if not (pid.isdigit() and _is_running(int(pid))):
            shutil.rmtree(partial, ignore_errors=True)


def _is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _remove_older_entries(cache_root: Path, keep: Path, source: Path) -> None:
    """Entries decoded earlier from the same folder are outdated: remove them so the cache does not grow."""
    resolved = str(source.resolve())
    for manifest_path in cache_root.glob("*/manifest.json"):
        entry = manifest_path.parent
        if entry == keep:
            continue
        try:
            same_source = json.loads(manifest_path.read_text(encoding="utf-8")).get("source") == resolved
        except (OSError, ValueError):
            continue
        if same_source:
            shutil.rmtree(entry, ignore_errors=True)
            (cache_root / "locks" / f"{entry.name}.lock").unlink(missing_ok=True)


def available_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:
        return os.cpu_count() or 1


def split_images(folder: FolderImages, parts: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    """Each part's rows (index arrays into the folder) as a memmap of its own, copied once into the entry.

    A split is keyed by its indices, so another seed or other fractions get their own files; only
    the latest split is kept beside the images."""
    digest = hashlib.sha256()
    for name, rows in sorted(parts.items()):
        digest.update(name.encode() + b"\0" + np.ascontiguousarray(rows, dtype=np.int64).tobytes())
    splits_root = folder.directory / "splits"
    directory = splits_root / digest.hexdigest()[:24]
    if not all((directory / f"{name}.npy").is_file() for name in parts):
        remove_stale_partials(splits_root)
        with _partial_directory(splits_root, directory.name) as partial:
            for name, rows in parts.items():
                _copy_rows(folder.images, rows, partial / f"{name}.npy")
            _publish(partial, directory)
        for other in splits_root.iterdir():
            if other != directory and ".partial-" not in other.name:
                shutil.rmtree(other, ignore_errors=True)
    return {name: open_images(directory / f"{name}.npy") for name in parts}


def _copy_rows(images: np.ndarray, rows: np.ndarray, path: Path) -> None:
    out = np.lib.format.open_memmap(path, mode="w+", dtype=images.dtype, shape=(len(rows), *images.shape[1:]))
    step = 8192
    for start in range(0, len(rows), step):
        out[start : start + step] = images[rows[start : start + step]]
    out.flush()
