"""GitHub releases of the model, with PyGithub: list, look up, create, upload, download, mark latest, edit.

The connection (API root, repository, token) and the retry policy are reporting's (`reporting.github_comment`):
GETs, PATCHes and DELETEs are retried there through 5xx, 429 and secondary rate limits. A POST is never
repeated blindly after a 5xx, since GitHub may have acted on it (a 502 after the release or the asset was made):
`create` and `upload` first look at what the failed try left, then try again.

An asset download is answered with a 302 to a signed storage URL; that URL is fetched without the token, as
`reporting.github_baseline` fetches run artifacts. Every failure is a one-line `ReleaseError` that names what
failed and never carries the token.
"""

from __future__ import annotations

import io
import itertools
import json
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC
from typing import Any, TypeVar

import requests
from github import GithubException, RateLimitExceededException, UnknownObjectException
from github.GitRelease import GitRelease

from reporting.github_baseline import DOWNLOAD_TIMEOUT_S, download_session
from reporting.github_comment import Connection, RetryPolicy, github_client, github_message

REDIRECTS = (301, 302, 303, 307, 308)
DEFAULT_POLICY = RetryPolicy()  # frozen: one shared default is safe
PERMISSION = "contents: write"  # the job permission that lets GITHUB_TOKEN write releases and their assets

T = TypeVar("T")


class ReleaseError(Exception):
    """A failure told to the user in one line, naming what failed; never carries the token."""


class TagTaken(ReleaseError):
    """`create` found the tag already taken (GitHub's 422 `already_exists` on `tag_name`)."""


@dataclass(frozen=True)
class Release:
    id: int
    tag: str  # "model-v3"
    commit: str  # target_commitish: we always create with the full commit sha
    prerelease: bool
    url: str  # html_url
    created_at: str  # ISO 8601, UTC
    body: str
    assets: dict[str, int]  # asset name -> asset id, of completely uploaded assets only (no broken "starter")


def _release(found: GitRelease) -> Release:
    return Release(
        id=found.id,
        tag=found.tag_name,
        commit=found.target_commitish,
        prerelease=found.prerelease,
        url=found.html_url,
        created_at=found.created_at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
        body=found.body or "",
        assets={asset.name: asset.id for asset in found.assets if asset.state == "uploaded"},
    )


def _already_exists(error: GithubException, field: str) -> bool:
    """GitHub's 422 "Validation Failed" whose errors say `field` is already taken."""
    errors = error.data.get("errors") if isinstance(error.data, dict) else None
    return error.status == 422 and any(
        isinstance(item, dict) and item.get("code") == "already_exists" and item.get("field") == field
        for item in errors or []
    )


def _transient(error: Exception) -> bool:
    """A failed POST that may or may not have taken effect: a 5xx, or a connection lost on the way."""
    if isinstance(error, GithubException):
        return error.status >= 500
    return isinstance(error, requests.RequestException)


def post_without_duplicate(policy: RetryPolicy, post: Callable[[], T], recover: Callable[[], T | None]) -> T:
    """`post()`; after a 5xx or a dropped connection, `recover()` looks at what the failed try left (its result, or
    None to post again, having cleared any leftover), up to `policy.retries` more tries, waiting as
    reporting.github_comment.upsert_comment does."""
    attempt = 0
    while True:
        try:
            return post()
        except (GithubException, requests.RequestException) as error:
            if not _transient(error) or attempt >= policy.retries:
                raise
        time.sleep(policy.backoff * 2**attempt)
        attempt += 1
        found = recover()
        if found is not None:
            return found


class Releases:
    """The releases of `connection.repository`; no request is made until a method needs one."""

    def __init__(self, connection: Connection, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self._connection = connection
        self._policy = policy
        self._repo = github_client(connection, policy).get_repo(connection.repository)

    # --- reading ---------------------------------------------------------------------

    def list(self, limit: int = 100) -> list[Release]:
        """The newest `limit` releases, newest first: one request per page of 100, none past `limit`."""
        with self._github(f"list the releases of {self._connection.repository}"):
            return [_release(found) for found in itertools.islice(self._repo.get_releases(), max(limit, 0))]

    def by_tag(self, tag: str) -> Release | None:
        """The release of `tag`, or None when there is none."""
        with self._github(f"read release {tag}"):
            try:
                return _release(self._repo.get_release(tag))
            except UnknownObjectException:
                return None

    def latest(self) -> Release | None:
        """The release GitHub calls latest (marked by make_latest, else the newest full release); None if none."""
        with self._github(f"read the latest release of {self._connection.repository}"):
            try:
                return _release(self._repo.get_latest_release())
            except UnknownObjectException:
                return None

    def download(self, release: Release, name: str) -> bytes:
        """The asset `name` of `release`: the API redirects to storage, which is fetched without the token."""
        asset_id = release.assets.get(name)
        if asset_id is None:
            raise ReleaseError(f"release {release.tag} has no asset {name}")
        what = f"download {name} from release {release.tag}"
        with self._github(what):
            status, headers, body = self._repo.requester.requestJson(
                "GET", f"{self._repo.url}/releases/assets/{asset_id}", headers={"Accept": "application/octet-stream"}
            )
            if status >= 400:
                raise GithubException(status, _json_or_none(body), headers)
        location = {key.lower(): value for key, value in headers.items()}.get("location", "")
        if status not in REDIRECTS or not location:
            raise ReleaseError(f"cannot {what}: the API answered {status}, not a redirect to the file")
        try:
            with download_session(self._policy) as session:
                answer = session.get(location, timeout=DOWNLOAD_TIMEOUT_S)
        except requests.RequestException as error:
            raise ReleaseError(f"cannot {what}: storage unreachable ({type(error).__name__})") from None
        if answer.status_code != 200:
            raise ReleaseError(
                f"cannot {what}: storage answered {answer.status_code} after {self._policy.retries} retries"
            )
        return answer.content

    # --- writing ---------------------------------------------------------------------

    def create(self, *, tag: str, commit: str, name: str, body: str, prerelease: bool, make_latest: bool) -> Release:
        """A new release of `tag` at `commit`; `TagTaken` when the tag is taken. After a 5xx the release is looked
        up first: one made by the failed try, at this commit, is returned instead of a duplicate attempt."""
        tries = 0

        def post() -> GitRelease:
            nonlocal tries
            tries += 1
            return self._repo.create_git_release(
                tag,
                name=name,
                message=body,
                prerelease=prerelease,
                target_commitish=commit,
                make_latest="true" if make_latest else "false",  # PyGithub takes GitHub's strings, not a bool
            )

        def ours() -> Release | None:
            found = self.by_tag(tag)
            return found if found is not None and found.commit == commit else None

        with self._github(f"create release {tag}"):
            try:
                made = post_without_duplicate(self._policy, lambda: _release(post()), ours)
            except GithubException as error:
                if not _already_exists(error, "tag_name"):
                    raise
                # Taken on a retry: perhaps by our own failed try, not yet visible when it was looked up.
                if tries > 1 and (found := ours()) is not None:
                    return found
                raise TagTaken(f"release tag {tag} already exists in {self._connection.repository}") from None
        return made

    def upload(self, release: Release, name: str, data: bytes, content_type: str = "application/octet-stream") -> None:
        """Attach `data` as asset `name`; after a failed try, the broken asset it left is deleted before the next.
        An asset of that name that was completely uploaded before is never replaced (`ReleaseError`)."""
        what = f"upload {name} to release {release.tag}"
        with self._github(what):
            target = self._repo.get_release(release.id)  # lazy: its upload_url is read on the first upload

            def put() -> None:
                # PyGithub expands the upload_url template ("...assets{?name,label}") into ?name=...&label=.
                target.upload_asset_from_memory(io.BytesIO(data), len(data), name, content_type=content_type)

            def put_over_starter() -> bool:
                try:
                    put()
                except GithubException as error:
                    if not _already_exists(error, "name"):
                        raise
                    leftover = self._asset(release.id, name)
                    if leftover is None or leftover.state == "uploaded":
                        raise ReleaseError(f"cannot {what}: the release already has an asset {name}") from None
                    leftover.delete_asset()  # a broken "starter" left by an earlier failed upload
                    put()
                return True

            def clear() -> None:
                leftover = self._asset(release.id, name)
                if leftover is not None:
                    leftover.delete_asset()

            post_without_duplicate(self._policy, put_over_starter, clear)

    def set_latest(self, release: Release) -> None:
        """Make `release` a full release and GitHub's latest."""
        with self._github(f"mark release {release.tag} latest"):
            self._patch(release, {"prerelease": False, "make_latest": "true"})

    def edit_body(self, release: Release, body: str) -> None:
        """Replace the release notes; nothing else about the release changes."""
        with self._github(f"edit release {release.tag}"):
            self._patch(release, {"body": body})

    # --- the plumbing ----------------------------------------------------------------

    def _patch(self, release: Release, fields: dict[str, Any]) -> None:
        # Not GitRelease.update_release: it always sends name, body, draft and prerelease (False by default), so
        # editing the body would turn a prerelease into a full release.
        self._repo.requester.requestJsonAndCheck("PATCH", f"{self._repo.url}/releases/{release.id}", input=fields)

    def _asset(self, release_id: int, name: str) -> Any:
        """The release's asset `name` as GitHub has it now (any state), or None."""
        return next((asset for asset in self._repo.get_release(release_id).assets if asset.name == name), None)

    @contextmanager
    def _github(self, what: str) -> Iterator[None]:
        """GitHub's failures while doing `what` as one-line `ReleaseError`s without the token."""
        try:
            yield
        except ReleaseError as error:
            raise type(error)(self._scrub(str(error))) from None
        except RateLimitExceededException:
            raise ReleaseError(f"GitHub rate limit exceeded while trying to {what}; retry later") from None
        except GithubException as error:
            status, message = error.status, self._scrub(github_message(error))
            if status == 401:
                detail = f"GitHub rejected the token (401 {message}): check GITHUB_TOKEN or REPO_TOKEN"
                raise ReleaseError(f"cannot {what}: {detail}") from None
            if status == 403:
                raise ReleaseError(
                    f"the token may not {what} (403 {message}): give the job `permissions: {PERMISSION}`"
                ) from None
            raise ReleaseError(f"GitHub refused to {what} ({status} {message})") from None
        except requests.RequestException as error:
            raise ReleaseError(
                f"cannot {what}: GitHub API at {self._connection.api_url} unreachable ({type(error).__name__})"
            ) from None

    def _scrub(self, text: str) -> str:
        one_line = " ".join(text.split())
        return one_line.replace(self._connection.token, "***") if self._connection.token else one_line


def _json_or_none(body: str) -> Any:
    try:
        return json.loads(body)
    except ValueError:
        return None
