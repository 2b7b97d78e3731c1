"""The base branch's metrics by retraining: run that ref's own `invoke train` in a temporary worktree.

The ref trains with its own code and its own invoke.yaml (a pull request that changes the epochs
must not change its baseline), unless flags given on the command line override them; training is
deterministic (same seed, same thread count), so this reproduces what that ref's own CI run measured.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Iterator, Mapping
from pathlib import Path

from commands.data import INSTALL_HINT, REMOTE_CREDENTIALS, dvc_tracking_files, gcs_key_to_write
from core.atomic import write_text
from reporting.github_comment import TOKEN_VARIABLES
from reporting.metrics import MetricsError, load_metrics

PREDICTIONS = "predictions.csv"  # a run's per-sample predictions, beside its metrics.json
# A run's other files, kept beside a baseline's metrics.json too: a run whose training inputs did not change takes
# them as its own (`python -m training.reuse`), so the report and a release find a complete artifact set.
EXTRA_FILES = ("model.pt", "classification_report.txt", "confusion_matrix.png", "training_curves.png")

# `invoke train` needs these files; a ref without them predates the training code.
TRAINING_FILES = ("tasks.py", "training/__main__.py")


class BaselineError(Exception):
    """A baseline that could not be made (no git, training failed): one line, no traceback."""


class BaselineInputError(BaselineError):
    """The repository or ref named does not exist: bad input rather than a failure."""


def git(repo: Path, *args: str) -> subprocess.CompletedProcess:
    try:
        return subprocess.run(["git", "-C", str(repo), *args], capture_output=True, text=True, check=False)
    except FileNotFoundError:
        raise BaselineError("git is not installed (needed to check out the baseline ref)") from None


def find_commit(repo: str | Path, ref: str) -> tuple[Path, str]:
    """The repository root holding `repo` and the full commit id `ref` names there."""
    top = git(Path(repo), "rev-parse", "--show-toplevel")
    if top.returncode != 0:
        raise BaselineInputError(f"{repo} is not inside a git repository")
    root = Path(top.stdout.strip())
    found = git(root, "rev-parse", "--verify", "--quiet", "--end-of-options", f"{ref}^{{commit}}")
    if found.returncode != 0:
        parent_of = ref[: -len("~1")] if ref.endswith("~1") else ref[:-1] if ref.endswith("^") else ""
        if parent_of and git(root, "rev-parse", "--verify", "--quiet", f"{parent_of}^{{commit}}").returncode == 0:
            # The commit is there but has no parent: the repository's first commit (a fork made from the template).
            raise BaselineInputError(f"ref {ref!r}: {parent_of} is the repository's first commit, with no parent")
        raise BaselineInputError(
            f"ref {ref!r} not found in {root}: fetch it first "
            "(git fetch origin, or actions/checkout with fetch-depth: 0)"
        )
    return root, found.stdout.strip()


def has_training_code(root: Path, commit: str) -> bool:
    return all(git(root, "cat-file", "-e", f"{commit}:{path}").returncode == 0 for path in TRAINING_FILES)


def training_command(overrides: Mapping[str, object]) -> list[str]:
    """The ref's own `invoke train`, run by this interpreter; only the `overrides` given on the command line
    become flags, everything else comes from that ref's invoke.yaml."""
    flags = [part for name, value in overrides.items() for part in (f"--{name.replace('_', '-')}", str(value))]
    return [sys.executable, "-m", "invoke", "train", *flags]


def training_env(env: Mapping[str, str], artifacts: Path) -> dict[str, str]:
    """The environment of the ref's `invoke train`: its artifacts go to `artifacts`, and nothing of this
    checkout's configuration leaks in."""
    kept = {
        key: value
        for key, value in env.items()
        # INVOKE_* would override the ref's own invoke.yaml; in CI GITHUB_SHA names this PR's commit,
        # which the training run would record as the one it trained; training needs no GitHub token.
        # The DVC remote's credentials are for checkout_data alone.
        if not key.startswith("INVOKE_") and key not in ("GITHUB_SHA", *TOKEN_VARIABLES, *REMOTE_CREDENTIALS)
    }
    # The ref's tasks run `python`: this interpreter's, even from an environment that was not activated.
    path = os.pathsep.join(filter(None, [str(Path(sys.executable).parent), env.get("PATH", "")]))
    # `artifacts` is a top-level key of every ref's invoke.yaml, whatever its train task calls the flag.
    return {**kept, "PATH": path, "INVOKE_ARTIFACTS": str(artifacts)}


def no_baseline_note(metrics_path: Path) -> Path:
    """Where `python -m reporting baseline` says why it wrote no metrics: `metrics.none.txt` beside them."""
    return metrics_path.with_name(f"{metrics_path.stem}.none.txt")


def leave_no_baseline(metrics_path: Path, reason: str) -> bool:
    """Remove an older baseline (a report must never compare with the wrong ref) and note `reason` beside it.

    True when an older baseline was removed.
    """
    existed = metrics_path.exists()
    metrics_path.unlink(missing_ok=True)
    predictions_beside(metrics_path).unlink(missing_ok=True)
    for name in EXTRA_FILES:
        metrics_path.with_name(name).unlink(missing_ok=True)
    write_text(no_baseline_note(metrics_path), reason + "\n")
    return existed


def predictions_beside(metrics_path: Path) -> Path:
    """Where a run (or a baseline) keeps its predictions: predictions.csv beside its metrics.json."""
    return metrics_path.with_name(PREDICTIONS)


def no_baseline_reason(metrics_path: Path) -> str | None:
    """The reason noted by `leave_no_baseline`, or None when there is no readable note."""
    try:
        return no_baseline_note(metrics_path).read_text(encoding="utf-8").strip() or None
    except (OSError, UnicodeDecodeError):
        return None


@contextlib.contextmanager
def temporary_worktree(root: Path, commit: str, path: Path) -> Iterator[Path]:
    """A detached checkout of `commit` at `path`, removed (and unregistered from git) afterwards."""
    added = git(root, "worktree", "add", "--detach", "--quiet", str(path), commit)
    if added.returncode != 0:
        raise BaselineError(f"git worktree add failed: {added.stderr.strip() or added.stdout.strip()}")
    try:
        yield path
    finally:
        if git(root, "worktree", "remove", "--force", str(path)).returncode != 0:
            shutil.rmtree(path, ignore_errors=True)
            git(root, "worktree", "prune")


def train_at(
    root: Path, commit: str, *, overrides: Mapping[str, object], env: Mapping[str, str]
) -> tuple[dict, bytes | None, dict[str, bytes]]:
    """Train `commit` in a temporary worktree with its own `invoke train` (its output streams to this
    terminal); return its metrics, its predictions.csv (None from code that wrote none) and its EXTRA_FILES."""
    with tempfile.TemporaryDirectory(prefix="cml-baseline-") as scratch:
        artifacts = Path(scratch) / "artifacts"
        with temporary_worktree(root, commit, Path(scratch) / "src") as source:
            checkout_data(root, source, commit, env)
            link_downloads(root, source)
            command = training_command(overrides)
            done = subprocess.run(command, cwd=source, env=training_env(env, artifacts), check=False)
        if done.returncode != 0:
            raise BaselineError(f"training {commit[:7]} failed (exit code {done.returncode})")
        try:
            metrics = load_metrics(artifacts / "metrics.json")
        except MetricsError as exc:
            raise BaselineError(f"training {commit[:7]} wrote no usable metrics: {exc}") from None
        predictions = predictions_beside(artifacts / "metrics.json")
        extras = {name: (artifacts / name).read_bytes() for name in EXTRA_FILES if (artifacts / name).is_file()}
        return metrics, predictions.read_bytes() if predictions.is_file() else None, extras


# Where torchvision keeps the datasets `python -m training` downloads into data/ (MNIST, Fashion-MNIST,
# CIFAR-10): the same files whichever commit trains on them.
DOWNLOADED_FOLDERS = ("MNIST", "FashionMNIST", "cifar-10-batches-py")


def link_downloads(root: Path, source: Path) -> list[str]:
    """Link the datasets this checkout has downloaded into the worktree `source`'s data/, so a retrained
    baseline does not download them again; return the folders linked."""
    linked = []
    for name in DOWNLOADED_FOLDERS:
        have, wanted = root / "data" / name, source / "data" / name
        if have.is_dir() and not wanted.exists():
            wanted.parent.mkdir(exist_ok=True)
            wanted.symlink_to(have.resolve(), target_is_directory=True)
            linked.append(name)
    return linked


def checkout_data(root: Path, source: Path, commit: str, env: Mapping[str, str]) -> None:
    """Put the data `commit` versions with DVC into its worktree `source`: the version that commit's .dvc
    files name, which a pull request may have changed. The worktree shares this checkout's DVC cache, so
    data the pull request did not change is linked from it; only a changed dataset is pulled from the
    remote (which then needs the remote's credentials in `env`). Nothing to do without DVC."""
    if not dvc_tracking_files(source):
        return
    dvc = shutil.which("dvc", path=env.get("PATH"))
    if dvc is None:
        raise BaselineError(f"{commit[:7]} tracks data with DVC but dvc is not installed: {INSTALL_HINT}")
    print(
        f"checking out the data of {commit[:7]} with DVC (dvc checkout; dvc pull if the cache lacks it)",
        file=sys.stderr,
        flush=True,
    )
    # A Google Cloud key from a CI secret goes into a file only this user may read, removed after.
    with tempfile.TemporaryDirectory() as private:
        environment = dict(env)
        if key := gcs_key_to_write(env):
            environment["GOOGLE_APPLICATION_CREDENTIALS"] = str(Path(private) / "gcs-key.json")
            Path(environment["GOOGLE_APPLICATION_CREDENTIALS"]).write_text(key)

        def dvc_in(folder: Path, *args: str) -> subprocess.CompletedProcess:
            return subprocess.run([dvc, *args], cwd=folder, env=environment, capture_output=True, text=True)

        cache = dvc_in(root, "cache", "dir")
        if cache.returncode == 0 and cache.stdout.strip():
            dvc_in(source, "config", "--local", "cache.dir", cache.stdout.strip())
        if dvc_in(source, "checkout", "--quiet").returncode == 0:
            return
        pulled = dvc_in(source, "pull", "--quiet")
    if pulled.returncode != 0:
        reason = (pulled.stderr.strip() or pulled.stdout.strip() or f"exit code {pulled.returncode}").splitlines()[-1]
        raise BaselineError(f"the data of {commit[:7]} is not in the DVC cache and dvc pull failed: {reason}")


def commits_behind(root: Path, commit: str, head: str) -> int | None:
    """How many commits `commit` is behind `head` (0: the same commit); None when it is not an ancestor of
    `head` or not in this clone (a shallow one, a force-pushed branch)."""
    if commit == head:
        return 0
    if git(root, "merge-base", "--is-ancestor", commit, head).returncode != 0:
        return None
    counted = git(root, "rev-list", "--count", f"{commit}..{head}")
    return int(counted.stdout) if counted.returncode == 0 else None
