"""A small stand-in for the GitHub REST API on 127.0.0.1, for the comment and baseline tests.

It speaks the endpoints `reporting.github_comment` and `reporting.github_baseline` use, as
GitHub does: issue comments and commit comments listed page by page with `Link` headers,
created and edited; a token that may only read gets GitHub's 403 "Resource not accessible by
integration"; a workflow's runs filtered by branch, event and status, newest first; a run's
artifacts; an artifact download answered with a 302 to a storage URL outside the API (as
GitHub's blob storage is), which needs no token and records whether one was sent anyway, and
a 410 for an expired artifact. It is mounted under `/api/v3`, as on GitHub Enterprise, so
`GITHUB_API_URL` must be honoured.
"""

from __future__ import annotations

import io
import json
import re
import zipfile
from dataclasses import dataclass, field
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
        response = self._route(request, path)
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
        artifact_id = int(path.rsplit("/", 1)[-1])
        if request.args.get("sig") != f"signed-{artifact_id}" or artifact_id not in self.archives:
            return _json({"message": "AuthenticationFailed"}, 403)
        return Response(self.archives[artifact_id], status=200, content_type="application/zip")

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
            location = self.server.url_for(f"{STORAGE}/{artifact_id}") + f"?sig=signed-{artifact_id}"
            return Response(status=302, headers={"Location": location})
        return None

    def _route(self, request: Request, path: str) -> Response:
        repo = f"/repos/{REPOSITORY}"
        if request.method == "GET" and (answer := self._actions(request, path)) is not None:
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
