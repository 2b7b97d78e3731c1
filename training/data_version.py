"""Which version of the data a run trained on, recorded in metrics.json (`run.data_version`).

A folder that DVC tracks is named by the hash DVC keeps for it in its `.dvc` file: the version a
`dvc pull` restores, the same on every clone, and free to read. Any other folder is named by its
content fingerprint (training.fingerprint). Built-in datasets are named by the library that ships
them: their content is fixed.
"""

from __future__ import annotations

from importlib.metadata import version
from pathlib import Path

from training.config import DataError
from training.fingerprint import folder_fingerprint
from training.inputs import note_read


def data_version(dataset: str, *, fingerprint: str | None = None) -> dict:
    """The data version of `dataset` (as --dataset names it); `fingerprint`: the folder's, when known already.

    DVC-tracked folder: {"source": "dvc", "md5", "path" (the tracked folder), "dvc_file"}, paths relative
    to the DVC repository's root; other folders: {"source": "fingerprint", "sha256", "path"}; built-in
    datasets: {"source": library, "name", "version"}.
    """
    kind, _, path = dataset.partition(":")
    if kind == "digits":
        return {"source": "scikit-learn", "name": "digits", "version": version("scikit-learn")}
    if kind != "folder":
        return {"source": "torchvision", "name": kind, "version": version("torchvision")}
    tracked = dvc_tracked(Path(path))
    if tracked:
        return tracked
    return {"source": "fingerprint", "sha256": fingerprint or folder_fingerprint(path), "path": path}


def dvc_tracked(folder: Path) -> dict | None:
    """The DVC version of `folder`, or of the tracked folder that holds it; None when DVC tracks neither."""
    folder = folder.resolve()
    repo = next((parent for parent in (folder, *folder.parents) if (parent / ".dvc").is_dir()), None)
    if repo is None:
        return None
    for tracked in (folder, *folder.parents):
        if tracked == repo:
            return None
        dvc_file = tracked.parent / f"{tracked.name}.dvc"
        out = next((out for out in dvc_outs(dvc_file) if (tracked.parent / out["path"]).resolve() == tracked), None)
        if out:
            return {
                "source": "dvc",
                "md5": out["md5"],
                "path": tracked.relative_to(repo).as_posix(),
                "dvc_file": dvc_file.relative_to(repo).as_posix(),
            }
    return None


def dvc_outs(dvc_file: Path) -> list[dict]:
    """The outputs a `.dvc` file records that carry an md5 (none when there is no such file)."""
    import yaml

    if not dvc_file.is_file():
        return []
    note_read(dvc_file)
    try:
        content = yaml.safe_load(dvc_file.read_text(encoding="utf-8")) or {}
        outs = content.get("outs") or []
        return [out for out in outs if isinstance(out, dict) and out.get("path") and out.get("md5")]
    except (yaml.YAMLError, UnicodeDecodeError, AttributeError) as exc:
        raise DataError(f"{dvc_file}: not a DVC file this run can read ({type(exc).__name__})") from None
