"""Throwaway copies of this template as git repositories, image folders to version, and the real dvc to run."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import yaml
from helpers import ROOT
from PIL import Image

DVC = shutil.which("dvc")
needs_dvc = pytest.mark.skipif(
    DVC is None, reason="the dvc command is not installed (pip install -r requirements-dvc.txt; .ci/run installs it)"
)

# Commits without a configured identity, and DVC without analytics or a shared cache outside the test.
QUIET_ENV = {
    "GIT_AUTHOR_NAME": "test",
    "GIT_AUTHOR_EMAIL": "test@example.com",
    "GIT_COMMITTER_NAME": "test",
    "GIT_COMMITTER_EMAIL": "test@example.com",
    "DVC_NO_ANALYTICS": "1",
}


def run(cwd: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    """Run a command in `cwd`; fail the test with its output when it fails."""
    done = subprocess.run(args, cwd=cwd, capture_output=True, text=True, env={**os.environ, **QUIET_ENV, **(env or {})})
    if done.returncode != 0:
        pytest.fail(f"{' '.join(args)} failed ({done.returncode}):\n{done.stdout[-2000:]}\n{done.stderr[-2000:]}")
    return done


def template_repo(dest: Path) -> Path:
    """A git repository holding this template's files (tracked and not ignored, as a fork would), one commit."""
    listed = subprocess.run(
        ["git", "ls-files", "--cached", "--others", "--exclude-standard", "-z"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    for name in filter(None, listed.split("\0")):
        source = ROOT / name
        if source.is_file():
            (dest / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, dest / name)
    run(dest, "git", "init", "--quiet", "--initial-branch", "main")
    run(dest, "git", "add", "--all")
    run(dest, "git", "commit", "--quiet", "--message", "template")
    return dest


def stripes_folder(root: Path, *, per_class: int = 40, size: int = 16, seed: int = 0) -> Path:
    """An image folder of two easy classes, horizontal and vertical stripes, in noisy grayscale PNGs."""
    rng = np.random.default_rng(seed)
    stripes = (np.arange(size) // 2 % 2).astype(np.float32)
    patterns = {"horizontal": np.repeat(stripes[:, None], size, axis=1), "vertical": np.repeat(stripes[None], size, 0)}
    for label, pattern in patterns.items():
        (root / label).mkdir(parents=True, exist_ok=True)
        for index in range(per_class):
            shifted = np.roll(pattern, rng.integers(size), axis=(0 if label == "horizontal" else 1))
            pixels = np.clip(shifted * 200 + rng.normal(0, 30, (size, size)), 0, 255).astype(np.uint8)
            Image.fromarray(pixels).save(root / label / f"{index:03d}.png")
    return root


def track_with_dvc(repo: Path, dataset: str, remote: Path, message: str) -> str:
    """`dvc init` in `repo`, `remote` (a folder) as its default remote, `dataset` (a path in it) added, committed
    with `message` and pushed; returns the md5 DVC recorded for it."""
    run(repo, "dvc", "init", "--quiet")
    run(repo, "dvc", "remote", "add", "--default", "storage", str(remote))
    run(repo, "dvc", "add", "--quiet", dataset)
    run(repo, "git", "add", "--all")
    run(repo, "git", "commit", "--quiet", "--message", message)
    run(repo, "dvc", "push", "--quiet")
    return yaml.safe_load((repo / f"{dataset}.dvc").read_text())["outs"][0]["md5"]
