"""The base branch's metrics from its last CML run on GitHub: no retraining.

Every push to the base branch uploads its `metrics.json` (and `predictions.csv`) in the CML
workflow's report artifact. This finds the latest successful run of that workflow for a push to
the branch whose commit is the one to compare with (or, failing that, the closest ancestor of it),
downloads the artifact and returns its files with where they came from.

The API answers an artifact download with a 302 to a storage URL that carries its own signature:
the token goes to the API only, never to that URL.
"""

from __future__ import annotations

import io
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from typing import Any

import requests
from github import GithubException, RateLimitExceededException
from github.Repository import Repository
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from reporting.baseline import EXTRA_FILES
from reporting.github_comment import TRANSIENT_STATUSES, RetryPolicy, github_message
from reporting.metrics import find_problem

MAX_RUNS = 100  # newest runs searched for the commit (one page): older ones' artifacts have expired anyway
MAX_ARCHIVE_BYTES = 512 * 1024 * 1024  # a report artifact is a few MB; more is not ours to unpack
DOWNLOAD_TIMEOUT_S = 60


class Unavailable(Exception):
    """No usable CML run artifact (no run, expired, missing, download failed): the reason, for the report."""


@dataclass(frozen=True)
class RunArtifact:
    """The files of one run's report artifact, and where they came from."""

    metrics: dict = field(repr=False)
    predictions: bytes | None = field(repr=False)  # predictions.csv, when the run wrote one
    commit: str
    run_id: int
    run_number: int
    run_url: str
    commits_behind: int  # how far the run's commit is behind the commit we wanted to compare with
    # The run's other artifact files it uploaded (model.pt, the text report, the PNGs): a run whose training
    # inputs did not change takes them as its own (training.reuse).
    extras: dict[str, bytes] = field(default_factory=dict, repr=False)


def short(commit: str) -> str:
    return commit[:7]


def pick_run(runs: Iterable[Any], behind: Callable[[str], int | None], limit: int = MAX_RUNS) -> tuple[Any, int] | None:
    """The run whose commit is the fewest commits behind the wanted one (`behind(sha)`: 0 for that very
    commit, None when `sha` is not an ancestor of it), among the newest `limit` runs; None if no run fits."""
    best: tuple[Any, int] | None = None
    for index, run in enumerate(runs):
        if index >= limit:
            break
        distance = behind(run.head_sha)
        if distance == 0:
            return run, 0
        if distance is not None and (best is None or distance < best[1]):
            best = (run, distance)
    return best


def find_artifact(run: Any, name: str) -> Any:
    """The run's artifact called `name`, if it has not expired."""
    artifact = next((artifact for artifact in run.get_artifacts() if artifact.name == name), None)
    if artifact is None:
        raise Unavailable(f"no CML run artifact for {short(run.head_sha)}, missing")
    if artifact.expired:
        raise Unavailable(f"no CML run artifact for {short(run.head_sha)}, expired")
    return artifact


def storage_url(repo: Repository, artifact: Any, commit: str) -> str:
    """Where the API redirects the artifact's download (asked with the token, not followed)."""
    status, headers, _body = repo.requester.requestJson("GET", artifact.archive_download_url)
    location = {key.lower(): value for key, value in headers.items()}.get("location", "")
    if status == 410:
        raise Unavailable(f"no CML run artifact for {short(commit)}, expired")
    if status not in (301, 302, 303, 307, 308) or not location:
        raise Unavailable(f"artifact download answered {status}, not a redirect to the archive")
    return location


def download_session(policy: RetryPolicy) -> requests.Session:
    """A session without credentials that retries 5xx, 429 and dropped connections."""
    session = requests.Session()
    retry = Retry(
        total=policy.retries,
        backoff_factor=policy.backoff,
        status_forcelist=TRANSIENT_STATUSES,
        allowed_methods={"GET"},
        raise_on_status=False,
    )
    session.mount("http://", HTTPAdapter(max_retries=retry))
    session.mount("https://", HTTPAdapter(max_retries=retry))
    return session


def download(url: str, policy: RetryPolicy) -> bytes:
    """The archive at the storage URL, fetched with no Authorization header."""
    try:
        with download_session(policy) as session, session.get(url, timeout=DOWNLOAD_TIMEOUT_S, stream=True) as answer:
            if answer.status_code != 200:
                raise Unavailable(f"artifact download failed ({answer.status_code} after {policy.retries} retries)")
            data = answer.raw.read(MAX_ARCHIVE_BYTES + 1, decode_content=True)
    except requests.RequestException as error:
        raise Unavailable(f"artifact download failed ({type(error).__name__})") from None
    if len(data) > MAX_ARCHIVE_BYTES:
        raise Unavailable(f"artifact archive larger than {MAX_ARCHIVE_BYTES // 2**20} MiB")
    return data


def baseline_files(archive: bytes) -> tuple[dict, bytes | None]:
    """The metrics (required) and predictions.csv (when present) from the artifact zip; nothing else is
    unpacked, and only by exact name, so no path in the archive decides where anything is written."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            names = set(bundle.namelist())
            if "metrics.json" not in names:
                raise Unavailable("the CML run artifact holds no metrics.json")
            metrics_text = bundle.read("metrics.json")
            predictions = bundle.read("predictions.csv") if "predictions.csv" in names else None
    except (zipfile.BadZipFile, OSError) as error:
        raise Unavailable(f"artifact archive unreadable ({error})") from None
    try:
        metrics = json.loads(metrics_text)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise Unavailable("the CML run artifact's metrics.json is not JSON") from None
    problem = find_problem(metrics)
    if problem:
        raise Unavailable(f"the CML run artifact's metrics.json is unusable: {problem}")
    return metrics, predictions


def extra_files(archive: bytes) -> dict[str, bytes]:
    """The artifact zip's other run files (baseline.EXTRA_FILES), by exact name; those it lacks are left out."""
    try:
        with zipfile.ZipFile(io.BytesIO(archive)) as bundle:
            names = set(bundle.namelist())
            return {name: bundle.read(name) for name in EXTRA_FILES if name in names}
    except (zipfile.BadZipFile, OSError) as error:
        raise Unavailable(f"artifact archive unreadable ({error})") from None


def fetch_run_artifact(
    repo: Repository,
    *,
    workflow: str,
    branch: str,
    artifact_name: str,
    behind: Callable[[str], int | None],
    policy: RetryPolicy,
    wanted: str,
) -> RunArtifact:
    """The report artifact of the CML run (a push to `branch`) nearest the `wanted` commit; `Unavailable` says
    why there is none. Every GitHub failure becomes `Unavailable` too: a missing baseline run is never fatal."""
    try:
        runs = repo.get_workflow(workflow).get_runs(branch=branch, event="push", status="success")
        picked = pick_run(runs, behind)
        if picked is None:
            raise Unavailable(f"no successful {workflow} run on {branch} for {short(wanted)} or an older commit")
        run, distance = picked
        artifact = find_artifact(run, artifact_name)
        location = storage_url(repo, artifact, run.head_sha)
    except RateLimitExceededException:
        raise Unavailable("GitHub rate limit exceeded") from None
    except GithubException as error:
        raise Unavailable(f"GitHub answered {error.status} {github_message(error)}") from None
    except requests.RequestException as error:
        raise Unavailable(f"cannot reach the GitHub API ({type(error).__name__})") from None
    archive = download(location, policy)
    metrics, predictions = baseline_files(archive)
    return RunArtifact(
        metrics=metrics,
        predictions=predictions,
        commit=run.head_sha,
        run_id=run.id,
        run_number=run.run_number,
        run_url=run.html_url,
        commits_behind=distance,
        extras=extra_files(archive),
    )
