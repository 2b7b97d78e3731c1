"""What a training run read, measured after the run (`run.inputs` in metrics.json), and its one digest.

DVC's run-cache keys a stage on a dependency list someone keeps by hand. Here the list is taken from what the
processes really loaded: every module file of the repository in `sys.modules` (the training process's and the
sidecar's), the repository files the project's own readers opened (`note_read`), and for code from outside the
repository its distribution's name and version. With the resolved config, the data version, the lock file, the
torch build, the device type, world size and thread count, that is everything a rerun would depend on; two runs
with the same `inputs_digest` trained the same way on the same data.
"""

from __future__ import annotations

import hashlib
import json
import sys
from collections.abc import Iterable, Mapping
from pathlib import Path

PROJECT_ROOT = Path(__file__).resolve().parents[1]
LOCK_FILE = "requirements.lock"
# Folders inside a checkout that hold installed code, not the repository's own (the README's venv lives there).
INSTALLED_MARKERS = ("site-packages", "dist-packages")

_read_by_readers: set[Path] = set()


def note_read(path: str | Path) -> None:
    """Record a file the project's own readers opened, so that it counts as a training input."""
    _read_by_readers.add(Path(path).resolve())


def files_read() -> set[Path]:
    return set(_read_by_readers)


def loaded_modules(modules: Mapping[str, object] | None = None) -> list[tuple[str, str]]:
    """(module name, file) of every loaded module that has a file; `modules` defaults to sys.modules."""
    modules = sys.modules if modules is None else modules
    loaded = []
    for name, module in list(modules.items()):
        file = getattr(module, "__file__", None)
        if name and isinstance(file, str):
            loaded.append((name, file))
    return loaded


def repository_file(path: str | Path, root: Path = PROJECT_ROOT) -> str | None:
    """`path` relative to the repository as a posix string, or None when it is not the repository's own file
    (outside it, or installed code inside it, such as a venv in the checkout)."""
    try:
        relative = Path(path).resolve().relative_to(root)
    except (ValueError, OSError):
        return None
    parts = relative.parts
    if any(marker in parts for marker in INSTALLED_MARKERS) or (parts and parts[0].startswith(".venv")):
        return None
    return relative.as_posix()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as stream:
        for block in iter(lambda: stream.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def hashed_files(paths: Iterable[str | Path], root: Path = PROJECT_ROOT) -> dict[str, str]:
    """{repository path: sha256} of the repository's own files among `paths` (compiled .pyc files count as
    their source)."""
    hashes = {}
    for path in paths:
        relative = repository_file(path, root)
        if relative is None:
            continue
        if relative.endswith(".pyc"):
            continue  # a module loaded from bytecode alone has no source to compare; its import recorded none
        file = root / relative
        if file.is_file():
            hashes[relative] = sha256_file(file)
    return dict(sorted(hashes.items()))


def distributions(module_names: Iterable[str], files: Mapping[str, str], root: Path = PROJECT_ROOT) -> dict[str, str]:
    """{distribution: version} of the installed packages the loaded modules come from (standard library and the
    repository's own modules left out)."""
    from importlib.metadata import PackageNotFoundError, packages_distributions, version

    owners = packages_distributions()
    found = {}
    for name in module_names:
        top = name.partition(".")[0]
        if top in sys.stdlib_module_names or top in found or repository_file(files.get(name, ""), root):
            continue
        for distribution in owners.get(top, ()):
            try:
                found[distribution] = version(distribution)
            except PackageNotFoundError:
                continue
    return dict(sorted(found.items()))


def lock_hash(root: Path = PROJECT_ROOT) -> str | None:
    lock = root / LOCK_FILE
    return sha256_file(lock) if lock.is_file() else None


def run_inputs(
    *,
    modules: Iterable[tuple[str, str]],
    config: dict,
    data_version: dict,
    torch_build: str,
    device: str,
    world_size: int,
    threads: int,
    root: Path = PROJECT_ROOT,
) -> dict:
    """The `run.inputs` section: `modules` is (name, file) of every module loaded in any of the run's processes."""
    modules = list(modules)
    files = {name: file for name, file in modules}
    return {
        "files": hashed_files([file for _, file in modules] + sorted(files_read()), root),
        "distributions": distributions(files, files, root),
        "config": config,
        "data_version": data_version,
        "lock": lock_hash(root),
        "torch": torch_build,
        "device": device,
        "world_size": world_size,
        "threads": threads,
    }


def inputs_digest(inputs: dict) -> str:
    """One sha256 over the whole `run.inputs` section, in a canonical JSON form."""
    canonical = json.dumps(inputs, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


SETTINGS = {  # run.inputs keys besides files and config, by the name a report gives them
    "data_version": "data version",
    "lock": "requirements.lock",
    "torch": "torch",
    "device": "device",
    "world_size": "world size",
    "threads": "threads",
}


def input_differences(recorded: dict, current: dict) -> list[str]:
    """What differs between two `run.inputs` sections, in report words: '`training/loop.py` changed',
    '`old.py` deleted', '`epochs` 30 → 5', 'torch `2.14.1+cpu` → `2.14.1+cu130`'. A file only the current side
    lists is new code that something listed on both sides imports, so that file changed too; it is named alone
    when the current side lists files the recorded side did not."""
    found = []
    old_files, new_files = recorded.get("files") or {}, current.get("files") or {}
    for relative in sorted(old_files):
        if new_files.get(relative) is None:
            found.append(f"`{relative}` deleted")
        elif new_files[relative] != old_files[relative]:
            found.append(f"`{relative}` changed")
    found += [f"`{relative}` new" for relative in sorted(set(new_files) - set(old_files)) if new_files[relative]]
    old_config, new_config = recorded.get("config") or {}, current.get("config") or {}
    for key in sorted(set(old_config) | set(new_config)):
        if old_config.get(key) != new_config.get(key):
            found.append(f"`{key}` {old_config.get(key)} → {new_config.get(key)}")
    for key, name in SETTINGS.items():
        old, new = recorded.get(key), current.get(key)
        if old != new:
            found.append(f"{name} changed" if key in ("lock", "data_version") else f"{name} `{old}` → `{new}`")
    return found


MAX_LISTED = 5  # differences named one by one; more are counted


def summary(found: list[str]) -> str:
    """'`training/loop.py` changed, `epochs` 30 → 5', at most MAX_LISTED named and the rest counted."""
    shown = ", ".join(found[:MAX_LISTED])
    more = len(found) - MAX_LISTED
    return shown + (f" and {more} more" if more > 0 else "")
