"""A small stand-in for the GitHub REST API on 127.0.0.1, for the comment tests.

It speaks the endpoints `reporting.github_comment` uses, as GitHub does: issue comments
and commit comments listed page by page with `Link` headers, created and edited; a token
that may only read gets GitHub's 403 "Resource not accessible by integration". It is
mounted under `/api/v3`, as on GitHub Enterprise, so `GITHUB_API_URL` must be honoured.
"""

from __future__ import annotations

import json
import re
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

    def count(self, method: str, path_pattern: str = "") -> int:
        return sum(1 for m, path in self.requests if m == method and re.search(path_pattern, path))

    # --- the HTTP side ---------------------------------------------------------------

    def handle(self, request: Request) -> Response:
        path = request.path.removeprefix(PREFIX)
        self.requests.append((request.method, path))
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

    def _route(self, request: Request, path: str) -> Response:
        repo = f"/repos/{REPOSITORY}"
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

    def _page(self, request: Request, items: list[dict[str, Any]]) -> Response:
        per_page = min(int(request.args.get("per_page", 30)), 100)
        page = int(request.args.get("page", 1))
        last = max(1, -(-len(items) // per_page))
        response = _json(items[(page - 1) * per_page : page * per_page], 200)
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
