"""A small stand-in for the GitHub REST API on 127.0.0.1, for the comment and baseline tests.

It speaks the endpoints `reporting.github_comment` and `reporting.github_baseline` use, as
GitHub does: issue comments and commit comments listed page by page with `Link` headers,
created and edited; a token that may only read gets GitHub's 403 "Resource not accessible by
integration"; a workflow's runs filtered by branch, event and status, newest first; a run's
artifacts; an artifact download answered with a 302 to a storage URL outside the API (as
GitHub's blob storage is), which needs no token and records whether one was sent anyway, and
a 410 for an expired artifact. It is mounted under `/api/v3`, as on GitHub Enterprise, so
`GITHUB_API_URL` must be honoured.

It also speaks the releases API `delivery.github_releases` uses: releases created (a taken tag gets
GitHub's 422 `already_exists`), listed newest first page by page, read by tag or id, edited (body,
prerelease, make_latest); the latest release by GitHub's rule (the one make_latest marked, else the
newest non-prerelease, non-draft; 404 when none). Assets are uploaded to the release's `upload_url`
template, `{server}/api/uploads/repos/{o}/{r}/releases/{id}/assets{?name,label}` (GitHub Enterprise's
form: PyGithub sends a token only to the API's own host under `/api/`, or to github.com's hosts), which
the client must expand; a name already used gets 422 `already_exists`, and an upload answered with an
injected failure that `apply_anyway` leaves GitHub's broken "starter" asset holding half the bytes.
Assets are deleted, and downloaded as GitHub does: `Accept: application/octet-stream` on the asset's
API URL is answered with a 302 to the same storage as the artifacts.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from pytest_httpserver import HTTPServer
from werkzeug import Request, Response

PREFIX = "/api/v3"
REPOSITORY = "octo/cml"
PULL_REQUEST = 7
WRITE_TOKEN = "ghs_write_SECRET_1234567890"  # distinctive, so tests can prove it is never printed
READ_TOKEN = "ghs_read_SECRET_0987654321"
READ_ONLY_MESSAGE = "Resource not accessible by integration"
WORKFLOW = "cml.yaml"
STORAGE = "/storage"  # outside the API prefix: stands in for the signed blob-storage URL
UPLOADS = "/api/uploads"  # where release assets are uploaded (GitHub Enterprise's path; uploads.github.com on .com)
RELEASES_START = datetime(2025, 1, 1, tzinfo=UTC)  # the first release's created_at; each later one a minute on
MAKE_LATEST = ("true", "false", "legacy")  # the values GitHub accepts for make_latest


def zip_bytes(files: dict[str, str | bytes]) -> bytes:
    """A zip archive holding `files` (name -> content) at its root, as upload-artifact makes them."""
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for name, content in files.items():
            archive.writestr(name, content)
    return buffer.getvalue()


@dataclass
class Failure:
    """Answer the next `times` requests with this method and path with `status`."""

    method: str
    path: re.Pattern[str]
    status: int
    times: int
    message: str
    apply_anyway: bool  # the request takes effect though the answer is an error (a 502 after a create)


@dataclass
class FakeGitHub:
    server: HTTPServer
    pull_requests: set[int] = field(default_factory=lambda: {PULL_REQUEST})
    issue_comments: dict[int, list[dict[str, Any]]] = field(default_factory=dict)
    commit_comments: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    failures: list[Failure] = field(default_factory=list)
    requests: list[tuple[str, str]] = field(default_factory=list)
    runs: list[dict[str, Any]] = field(default_factory=list)  # workflow runs, oldest first
    archives: dict[int, bytes] = field(default_factory=dict)  # artifact id -> zip
    storage_auth: list[str | None] = field(default_factory=list)  # Authorization header of each storage request
    releases: list[dict[str, Any]] = field(default_factory=list)  # oldest first, as GitHub's JSON (with "assets")
    asset_data: dict[int, bytes] = field(default_factory=dict)  # release asset id -> its stored bytes
    latest_id: int | None = None  # the release make_latest marked, if any
    _next_id: int = 1000

    def __post_init__(self) -> None:
        self.server.expect_request(re.compile(".*")).respond_with_handler(self.handle)

    @property
    def api_url(self) -> str:
        return self.server.url_for(PREFIX)

    def env(self, token: str = WRITE_TOKEN, **extra: str) -> dict[str, str]:
        """The Actions environment of a workflow run against this server."""
        return {
            "GITHUB_API_URL": self.api_url,
            "GITHUB_REPOSITORY": REPOSITORY,
            "GITHUB_TOKEN": token,
            "GITHUB_SERVER_URL": "https://github.example",
            "GITHUB_RUN_ID": "4242",
            **extra,
        }

    def fail(
        self, method: str, path: str, status: int, *, times: int = 1, message: str = "", apply_anyway: bool = False
    ) -> None:
        self.failures.append(
            Failure(method, re.compile(path), status, times, message or f"fake {status}", apply_anyway)
        )

    def add_issue_comments(self, number: int, bodies: list[str], login: str = "a-human") -> None:
        for body in bodies:
            self._store_issue_comment(number, body, login)

    def add_run(
        self,
        head_sha: str,
        *,
        files: dict[str, str | bytes] | None = None,
        artifact: str = "cml-report",
        expired: bool = False,
        branch: str = "main",
        event: str = "push",
        conclusion: str = "success",
    ) -> dict[str, Any]:
        """A completed run of the CML workflow for `head_sha`, with one artifact holding `files` (none: no
        artifact at all)."""
        run_id = self._new_id()
        run = {
            "id": run_id,
            "run_number": len(self.runs) + 1,
            "name": "CML",
            "head_sha": head_sha,
            "head_branch": branch,
            "event": event,
            "status": "completed",
            "conclusion": conclusion,
            "url": f"{self.api_url}/repos/{REPOSITORY}/actions/runs/{run_id}",
            "html_url": f"https://github.example/{REPOSITORY}/actions/runs/{run_id}",
            "artifacts_url": f"{self.api_url}/repos/{REPOSITORY}/actions/runs/{run_id}/artifacts",
            "artifacts": [],
        }
        if files is not None:
            artifact_id = self._new_id()
            self.archives[artifact_id] = zip_bytes(files)
            run["artifacts"].append(
                {
                    "id": artifact_id,
                    "name": artifact,
                    "expired": expired,
                    "size_in_bytes": len(self.archives[artifact_id]),
                    "url": f"{self.api_url}/repos/{REPOSITORY}/actions/artifacts/{artifact_id}",
                    "archive_download_url": f"{self.api_url}/repos/{REPOSITORY}/actions/artifacts/{artifact_id}/zip",
                }
            )
        self.runs.append(run)
        return run

    def count(self, method: str, path_pattern: str = "") -> int:
        return sum(1 for m, path in self.requests if m == method and re.search(path_pattern, path))

    # --- releases --------------------------------------------------------------------

    def add_release(
        self,
        tag: str,
        commit: str,
        *,
        assets: dict[str, bytes] | None = None,
        prerelease: bool = False,
        latest: bool | None = None,
        body: str = "",
    ) -> dict[str, Any]:
        """A published release of `tag` at `commit` with uploaded `assets`. `latest`: None marks it latest as
        GitHub's default `make_latest: true` does (not a prerelease), False leaves the mark, True marks it."""
        make_latest = {None: "true", True: "true", False: "false"}[latest]
        release = self._store_release(tag, commit, name=tag, body=body, prerelease=prerelease, make_latest=make_latest)
        for name, data in (assets or {}).items():
            self._store_asset(release, name, data, "application/octet-stream")
        return release

    def release(self, tag: str) -> dict[str, Any] | None:
        """The stored release of `tag`, as the API shows it."""
        return next((release for release in self.releases if release["tag_name"] == tag), None)

    def assets(self, tag: str) -> dict[str, bytes]:
        """The bytes of each asset of the release of `tag`, whatever its state (see its JSON for that)."""
        release = self.release(tag)
        assert release is not None, f"no release {tag}"
        return {asset["name"]: self.asset_data[asset["id"]] for asset in release["assets"]}

    def latest_tag(self) -> str | None:
        """The tag of the release GitHub calls latest: make_latest's mark, else the newest full release."""
        latest = self._latest()
        return latest["tag_name"] if latest else None

    # --- the HTTP side ---------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path.removeprefix(PREFIX)
        self.requests.append((request.method, path))
        if path.startswith(STORAGE):
            return self._storage(request, path)
        auth = request.headers.get("Authorization", "")
        token = auth.split(" ", 1)[-1]
        if token not in (WRITE_TOKEN, READ_TOKEN):
            return _json({"message": "Bad credentials"}, 401)
        failure = self._take_failure(request.method, path)
        if failure is not None and not failure.apply_anyway:
            return _json({"message": failure.message}, failure.status)
        if request.method != "GET" and token == READ_TOKEN:
            return _json({"message": READ_ONLY_MESSAGE, "documentation_url": "https://docs.github.com"}, 403)
        response = self._route(request, path, broken=failure is not None)
        return _json({"message": failure.message}, failure.status) if failure is not None else response

    def _take_failure(self, method: str, path: str) -> Failure | None:
        for failure in self.failures:
            if failure.times > 0 and failure.method == method and failure.path.search(path):
                failure.times -= 1
                return failure
        return None

    def _storage(self, request: Request, path: str) -> Response:
        """The signed storage URL: the signature in the query is the credential, so no token is needed."""
        self.storage_auth.append(request.headers.get("Authorization"))
        failure = self._take_failure(request.method, path)
        if failure is not None:
            return _json({"message": failure.message}, failure.status)
        blob_id = int(path.rsplit("/", 1)[-1])
        if request.args.get("sig") != f"signed-{blob_id}":
            return _json({"message": "AuthenticationFailed"}, 403)
        if blob_id in self.archives:
            return Response(self.archives[blob_id], status=200, content_type="application/zip")
        if blob_id in self.asset_data:
            return Response(self.asset_data[blob_id], status=200, content_type="application/octet-stream")
        return _json({"message": "AuthenticationFailed"}, 403)

    def _signed_storage(self, blob_id: int) -> Response:
        """The API's 302 to the signed storage URL of an artifact's zip or a release asset."""
        location = self.server.url_for(f"{STORAGE}/{blob_id}") + f"?sig=signed-{blob_id}"
        return Response(status=302, headers={"Location": location})

    def _actions(self, request: Request, path: str) -> Response | None:
        repo = f"/repos/{REPOSITORY}/actions"
        if re.fullmatch(rf"{repo}/workflows/{re.escape(WORKFLOW)}/runs", path):
            wanted = {key: request.args[key] for key in ("branch", "event") if key in request.args}
            status = request.args.get("status")
            runs = [
                run
                for run in reversed(self.runs)
                if all(run[f"head_{key}" if key == "branch" else key] == value for key, value in wanted.items())
                and status in (None, run["status"], run["conclusion"])
            ]
            return self._page(request, runs, list_item="workflow_runs")
        if match := re.fullmatch(rf"{repo}/runs/(\d+)/artifacts", path):
            run = next((run for run in self.runs if run["id"] == int(match[1])), None)
            if run is None:
                return _json({"message": "Not Found"}, 404)
            return self._page(request, run["artifacts"], list_item="artifacts")
        if match := re.fullmatch(rf"{repo}/artifacts/(\d+)/zip", path):
            artifact_id = int(match[1])
            artifact = next((a for run in self.runs for a in run["artifacts"] if a["id"] == artifact_id), None)
            if artifact is None:
                return _json({"message": "Not Found"}, 404)
            if artifact["expired"]:
                return _json({"message": "Artifact has expired"}, 410)
            return self._signed_storage(artifact_id)
        return None

    def _releases(self, request: Request, path: str, broken: bool) -> Response | None:
        """The releases API; `broken`: the request fails after it takes effect (an upload leaves a starter)."""
        repo = f"/repos/{REPOSITORY}"
        method = request.method
        if path == f"{repo}/releases":
            if method == "GET":
                return self._page(request, list(reversed(self.releases)))
            if method == "POST":
                return self._create_release(request.get_json())
        if method == "GET" and path == f"{repo}/releases/latest":
            latest = self._latest()
            return _json(latest, 200) if latest else _json({"message": "Not Found"}, 404)
        if method == "GET" and (match := re.fullmatch(rf"{repo}/releases/tags/(.+)", path)):
            release = self.release(match[1])
            return _json(release, 200) if release else _json({"message": "Not Found"}, 404)
        if match := re.fullmatch(rf"{repo}/releases/(\d+)", path):
            release = next((r for r in self.releases if r["id"] == int(match[1])), None)
            if release is None:
                return _json({"message": "Not Found"}, 404)
            if method == "GET":
                return _json(release, 200)
            if method == "PATCH":
                return self._update_release(release, request.get_json())
        if match := re.fullmatch(rf"{repo}/releases/assets/(\d+)", path):
            found = self._find_asset(int(match[1]))
            if found is None:
                return _json({"message": "Not Found"}, 404)
            release, asset = found
            if method == "GET":
                wants_bytes = request.headers.get("Accept") == "application/octet-stream"
                return self._signed_storage(asset["id"]) if wants_bytes else _json(asset, 200)
            if method == "DELETE":
                release["assets"].remove(asset)
                del self.asset_data[asset["id"]]
                return Response(status=204)
        if method == "POST" and (match := re.fullmatch(rf"{UPLOADS}{repo}/releases/(\d+)/assets", path)):
            return self._upload_asset(request, int(match[1]), broken)
        return None

    def _create_release(self, sent: dict[str, Any]) -> Response:
        problem = self._release_problem(sent)
        if problem:
            return problem
        if self.release(sent["tag_name"]) is not None:
            return _validation_failed("Release", "tag_name")
        release = self._store_release(
            sent["tag_name"],
            sent.get("target_commitish", "main"),
            name=sent.get("name") or sent["tag_name"],
            body=sent.get("body") or "",
            prerelease=bool(sent.get("prerelease", False)),
            draft=bool(sent.get("draft", False)),
            make_latest=sent.get("make_latest", "true"),
        )
        return _json(release, 201)

    def _update_release(self, release: dict[str, Any], sent: dict[str, Any]) -> Response:
        problem = self._release_problem(sent)
        if problem:
            return problem
        for key in ("tag_name", "name", "body", "draft", "prerelease", "target_commitish"):
            if key in sent:
                release[key] = sent[key]
        self._mark_latest(release, sent.get("make_latest"))
        return _json(release, 200)

    @staticmethod
    def _release_problem(sent: Any) -> Response | None:
        """GitHub's 422 for a release body it cannot take."""
        if not isinstance(sent, dict):
            return _json({"message": "Problems parsing JSON"}, 400)
        if "make_latest" in sent and sent["make_latest"] not in MAKE_LATEST:
            return _json({"message": "Validation Failed", "errors": [{"field": "make_latest", "code": "invalid"}]}, 422)
        return None

    def _upload_asset(self, request: Request, release_id: int, broken: bool) -> Response:
        release = next((r for r in self.releases if r["id"] == release_id), None)
        if release is None:
            return _json({"message": "Not Found"}, 404)
        name = request.args.get("name", "")
        if not name:
            return _json({"message": "Bad Content-Length or name"}, 422)
        if any(asset["name"] == name for asset in release["assets"]):
            return _validation_failed("ReleaseAsset", "name")
        data = request.get_data()
        if broken:  # the connection to storage broke midway: GitHub keeps what it got as a "starter" asset
            self._store_asset(release, name, data[: len(data) // 2], request.content_type or "", state="starter")
            return _json({"message": "Bad Gateway"}, 502)
        return _json(self._store_asset(release, name, data, request.content_type or ""), 201)

    def _latest(self) -> dict[str, Any] | None:
        def full(release: dict[str, Any]) -> bool:
            return not (release["prerelease"] or release["draft"])

        marked = next((r for r in self.releases if r["id"] == self.latest_id and full(r)), None)
        return marked or next((r for r in reversed(self.releases) if full(r)), None)

    def _mark_latest(self, release: dict[str, Any], make_latest: str | None) -> None:
        if make_latest == "true" and not (release["prerelease"] or release["draft"]):
            self.latest_id = release["id"]
        elif make_latest == "legacy":
            self.latest_id = None

    def _find_asset(self, asset_id: int) -> tuple[dict[str, Any], dict[str, Any]] | None:
        return next(
            ((release, asset) for release in self.releases for asset in release["assets"] if asset["id"] == asset_id),
            None,
        )

    def _store_release(
        self,
        tag: str,
        commit: str,
        *,
        name: str,
        body: str,
        prerelease: bool,
        make_latest: str,
        draft: bool = False,
    ) -> dict[str, Any]:
        release_id = self._new_id()
        created = (RELEASES_START + timedelta(minutes=len(self.releases))).strftime("%Y-%m-%dT%H:%M:%SZ")
        api = f"{self.api_url}/repos/{REPOSITORY}/releases/{release_id}"
        release = {
            "id": release_id,
            "node_id": f"RE_{release_id}",
            "url": api,
            "html_url": f"https://github.example/{REPOSITORY}/releases/tag/{tag}",
            "assets_url": f"{api}/assets",
            "upload_url": self.server.url_for(f"{UPLOADS}/repos/{REPOSITORY}/releases/{release_id}/assets")
            + "{?name,label}",
            "tarball_url": f"{self.api_url}/repos/{REPOSITORY}/tarball/{tag}",
            "zipball_url": f"{self.api_url}/repos/{REPOSITORY}/zipball/{tag}",
            "tag_name": tag,
            "target_commitish": commit,
            "name": name,
            "body": body,
            "draft": draft,
            "prerelease": prerelease,
            "created_at": created,
            "published_at": None if draft else created,
            "author": {"login": "github-actions[bot]", "type": "Bot"},
            "assets": [],
        }
        self.releases.append(release)
        self._mark_latest(release, make_latest)
        return release

    def _store_asset(
        self, release: dict[str, Any], name: str, data: bytes, content_type: str, state: str = "uploaded"
    ) -> dict[str, Any]:
        asset_id = self._new_id()
        asset = {
            "id": asset_id,
            "node_id": f"RA_{asset_id}",
            "url": f"{self.api_url}/repos/{REPOSITORY}/releases/assets/{asset_id}",
            "browser_download_url": f"https://github.example/{REPOSITORY}/releases/download/{release['tag_name']}/{name}",
            "name": name,
            "label": "",
            "state": state,
            "content_type": content_type,
            "size": len(data),
            "download_count": 0,
            "created_at": release["created_at"],
            "updated_at": release["created_at"],
            "uploader": {"login": "github-actions[bot]", "type": "Bot"},
        }
        release["assets"].append(asset)
        self.asset_data[asset_id] = data
        return asset

    def _route(self, request: Request, path: str, broken: bool = False) -> Response:
        repo = f"/repos/{REPOSITORY}"
        if request.method == "GET" and (answer := self._actions(request, path)) is not None:
            return answer
        if (answer := self._releases(request, path, broken)) is not None:
            return answer
        if match := re.fullmatch(rf"{repo}/issues/(\d+)/comments", path):
            number = int(match[1])
            if number not in self.pull_requests:
                return _json({"message": "Not Found"}, 404)
            comments = self.issue_comments.setdefault(number, [])
            if request.method == "GET":
                return self._page(request, comments)
            if request.method == "POST":
                return _json(self._store_issue_comment(number, request.get_json()["body"], "github-actions[bot]"), 201)
        if match := re.fullmatch(rf"{repo}/commits/([0-9a-f]{{7,40}})/comments", path):
            comments = self.commit_comments.setdefault(match[1], [])
            if request.method == "GET":
                return self._page(request, comments)
            if request.method == "POST":
                return _json(self._store_commit_comment(match[1], request.get_json()["body"]), 201)
        if request.method == "PATCH" and (match := re.fullmatch(rf"{repo}/(issues/comments|comments)/(\d+)", path)):
            every = self.issue_comments if match[1] == "issues/comments" else self.commit_comments
            for comment in (c for comments in every.values() for c in comments):
                if comment["id"] == int(match[2]):
                    comment["body"] = request.get_json()["body"]
                    return _json(comment, 200)
        return _json({"message": "Not Found"}, 404)

    def _page(self, request: Request, items: list[dict[str, Any]], list_item: str = "") -> Response:
        """One page of `items`: a JSON list, or `{"total_count", list_item: [...]}` as the Actions API answers."""
        per_page = min(int(request.args.get("per_page", 30)), 100)
        page = int(request.args.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        shown = items[(page - 1) * per_page : page * per_page]
        response = _json({"total_count": len(items), list_item: shown} if list_item else shown, 200)
        base = f"{request.host_url.rstrip('/')}{request.path}?per_page={per_page}"
        links = [f'<{base}&page={page + 1}>; rel="next"', f'<{base}&page={last}>; rel="last"'] if page < last else []
        if links:
            response.headers["Link"] = ", ".join(links)
        return response

    def _new_id(self) -> int:
        self._next_id += 1
        return self._next_id

    def _store_issue_comment(self, number: int, body: str, login: str) -> dict[str, Any]:
        comment_id = self._new_id()
        comment = {
            "id": comment_id,
            "url": f"{self.api_url}/repos/{REPOSITORY}/issues/comments/{comment_id}",
            "html_url": f"https://github.example/{REPOSITORY}/pull/{number}#issuecomment-{comment_id}",
            "body": body,
            "user": {"login": login, "type": "Bot" if login.endswith("[bot]") else "User"},
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }
        self.issue_comments.setdefault(number, []).append(comment)
        return comment

    def _store_commit_comment(self, sha: str, body: str) -> dict[str, Any]:
        comment_id = self._new_id()
        comment = {
            "id": comment_id,
            "url": f"{self.api_url}/repos/{REPOSITORY}/comments/{comment_id}",
            "html_url": f"https://github.example/{REPOSITORY}/commit/{sha}#commitcomment-{comment_id}",
            "body": body,
            "commit_id": sha,
            "path": None,
            "position": None,
            "line": None,
            "user": {"login": "github-actions[bot]", "type": "Bot"},
            "created_at": "2025-01-01T00:00:00Z",
            "updated_at": "2025-01-01T00:00:00Z",
        }
        self.commit_comments.setdefault(sha, []).append(comment)
        return comment


def _json(data: Any, status: int) -> Response:
    return Response(json.dumps(data), status=status, content_type="application/json")


def _validation_failed(resource: str, field: str) -> Response:
    """GitHub's 422 for a name already taken (a release's tag, an asset's name)."""
    errors = [{"resource": resource, "code": "already_exists", "field": field}]
    return _json({"message": "Validation Failed", "errors": errors}, 422)
