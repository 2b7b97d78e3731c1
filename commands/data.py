"""Commands for datasets versioned with DVC: `invoke data` runs `dvc pull` where the repository tracks any."""

from __future__ import annotations

import os
import shlex
from collections.abc import Mapping
from pathlib import Path

INSTALL_HINT = "pip install -r requirements-dvc.txt"
MAX_NAMED = 3  # tracking files named in a message before "and N more"
# The CML workflow passes a Google Cloud service-account key (JSON text, from a repository secret) in this
# variable; Google's libraries read a key only from a file, named by GOOGLE_APPLICATION_CREDENTIALS.
GCS_KEY_JSON = "GOOGLE_APPLICATION_CREDENTIALS_JSON"
# The remote credentials the CML workflow hands to `invoke data` and `invoke baseline` (for DVC only).
REMOTE_CREDENTIALS = ("AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", GCS_KEY_JSON)
NOTHING_TRACKED = "no data tracked with DVC here (no .dvc/ folder with .dvc files or dvc.yaml): nothing to pull"


def dvc_tracking_files(root: str | Path) -> list[str]:
    """The `.dvc` files and `dvc.yaml` pipelines under `root` (relative posix paths, sorted), when `root` is a
    DVC repository (it has a `.dvc/` folder); none otherwise.

    Hidden folders (.git, .dvc, virtual environments) are not searched: no DVC file lives there.
    """
    base = Path(root)
    if not (base / ".dvc").is_dir():
        return []
    found = []
    for folder, subfolders, files in os.walk(base):
        subfolders[:] = [name for name in subfolders if not name.startswith(".")]
        found += [
            (Path(folder) / name).relative_to(base).as_posix()
            for name in files
            if name.endswith(".dvc") or name in ("dvc.yaml", "dvc.yml")
        ]
    return sorted(found)


def pull_command(*, tracking_files: list[str], remote: str = "", dvc: str | None = None) -> str:
    """`dvc pull` (from `remote`, default: the repository's default remote); "" when nothing is tracked.

    `dvc` is the dvc executable found on PATH (None: not installed), which only matters when something is
    tracked: then its absence is a ValueError saying how to install it.
    """
    if not tracking_files:
        return ""
    if dvc is None:
        named = ", ".join(tracking_files[:MAX_NAMED])
        more = f" and {len(tracking_files) - MAX_NAMED} more" if len(tracking_files) > MAX_NAMED else ""
        raise ValueError(
            f"this repository tracks data with DVC ({named}{more}) but dvc is not installed: {INSTALL_HINT}"
        )
    args = ["dvc", "pull"]
    if remote:
        args += ["--remote", remote]
    return shlex.join(args)


def gcs_key_to_write(environ: Mapping[str, str]) -> str:
    """The service-account key (JSON text) to write to a file for `dvc pull`; "" when there is none, or when
    GOOGLE_APPLICATION_CREDENTIALS already names a key file."""
    if environ.get("GOOGLE_APPLICATION_CREDENTIALS"):
        return ""
    return environ.get(GCS_KEY_JSON, "").strip()
