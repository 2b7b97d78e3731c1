"""Publish a report as one sticky comment on a pull request or a commit, with PyGithub.

Driven by the standard GitHub Actions environment (`GITHUB_API_URL`, `GITHUB_REPOSITORY`,
`GITHUB_EVENT_NAME`, `GITHUB_EVENT_PATH`, `GITHUB_SHA`, `GITHUB_TOKEN` or `REPO_TOKEN`,
`GITHUB_SERVER_URL`, `GITHUB_RUN_ID`), so GitHub Enterprise and a local test server work
the same way as github.com.

Our comment is the one whose body starts with a hidden marker naming the report title.
The Actions token cannot read `GET /user`, so the bot's login is never needed; a human
comment that merely quotes the marker does not start with it and is never edited.
"""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

import requests
from github import Auth, Github, GithubException, RateLimitExceededException
from github.GithubRetry import GithubRetry
from urllib3.util.retry import Retry

COMMENT_LIMIT = 65_536  # characters GitHub accepts in one comment body
SUMMARY_LIMIT = 1024 * 1024  # bytes GitHub accepts in one step's job summary
PER_PAGE = 100  # GitHub's largest page size: the fewest requests on busy pull requests
PR_EVENTS = frozenset({"pull_request", "pull_request_target"})
TRANSIENT_STATUSES = [*range(500, 600), 429]  # answers worth retrying: server errors and rate limits
TOKEN_VARIABLES = ("REPO_TOKEN", "GITHUB_TOKEN")  # an explicitly configured REPO_TOKEN wins
DEFAULT_API_URL = "https://api.github.com"
DEFAULT_SERVER_URL = "https://github.com"
REPORT_URL_VARIABLE = "CML_REPORT_URL"  # the report artifact's page (upload-artifact's `artifact-url` output)


class CommentError(Exception):
    """A failure told to the user in one line; never carries the token."""


class MissingPermission(CommentError):
    """The token may read but not write the comment (e.g. the read-only token of a fork PR)."""

    def __init__(self, target: Target, detail: str) -> None:
        self.permission = target.permission
        super().__init__(
            f"the token may not comment on {target.describe()} ({detail}): give the job "
            f"`permissions: {target.permission}`, or expect this on pull requests from forks, "
            "whose token is read-only"
        )


# --- where the comment goes -------------------------------------------------------------


@dataclass(frozen=True)
class Target:
    """A pull request (`pr`, ref = its number) or a commit (`commit`, ref = its SHA)."""

    kind: str
    ref: str

    @property
    def permission(self) -> str:
        """The job permission that lets `GITHUB_TOKEN` post this kind of comment."""
        return "pull-requests: write" if self.kind == "pr" else "contents: write"

    def describe(self) -> str:
        return f"pull request #{self.ref}" if self.kind == "pr" else f"commit {self.ref[:12]}"


_TARGET_PATTERN = re.compile(r"^(?:pr/(?P<number>[1-9][0-9]*)|commit/(?P<sha>[0-9a-fA-F]{7,40}))$")


def parse_target(text: str) -> Target:
    """`pr/N` or `commit/SHA` as given to `--target`."""
    match = _TARGET_PATTERN.match(text.strip())
    if match is None:
        raise CommentError(f"--target must be pr/NUMBER or commit/SHA, got {text!r}")
    if match["number"]:
        return Target("pr", match["number"])
    return Target("commit", match["sha"].lower())


def pull_request_number(event_path: Path) -> int:
    """The PR number from the event JSON GitHub writes for `pull_request` events."""
    try:
        event = json.loads(event_path.read_text(encoding="utf-8"))
    except OSError as error:
        raise CommentError(f"cannot read GITHUB_EVENT_PATH {event_path}: {error.strerror}") from None
    except json.JSONDecodeError:
        raise CommentError(f"GITHUB_EVENT_PATH {event_path} is not JSON") from None
    number = (event.get("pull_request") or {}).get("number", event.get("number"))
    if not isinstance(number, int) or isinstance(number, bool) or number < 1:
        raise CommentError(f"GITHUB_EVENT_PATH {event_path} holds no pull request number")
    return number


def resolve_target(env: Mapping[str, str], explicit: str = "") -> Target:
    """`explicit` if given; the PR of a pull_request event; else the commit `GITHUB_SHA`."""
    if explicit:
        return parse_target(explicit)
    event = env.get("GITHUB_EVENT_NAME", "")
    if event in PR_EVENTS:
        event_path = env.get("GITHUB_EVENT_PATH", "")
        if not event_path:
            raise CommentError(f"GITHUB_EVENT_PATH is not set, so the pull request of this {event} event is unknown")
        return Target("pr", str(pull_request_number(Path(event_path))))
    sha = env.get("GITHUB_SHA", "")
    if sha:
        return parse_target(f"commit/{sha}")
    raise CommentError(
        "no target: set GITHUB_SHA (or GITHUB_EVENT_NAME=pull_request and GITHUB_EVENT_PATH), "
        "or pass --target pr/NUMBER or commit/SHA"
    )


# --- who we are and where the API is ----------------------------------------------------


@dataclass(frozen=True)
class Connection:
    api_url: str
    repository: str
    token: str = field(repr=False)


def connection_from_env(env: Mapping[str, str]) -> Connection:
    """API root, `OWNER/NAME` and token from the Actions environment; one-line errors name the variable."""
    token = next((env[name] for name in TOKEN_VARIABLES if env.get(name)), "")
    if not token:
        raise CommentError(
            "no GitHub token: set GITHUB_TOKEN or REPO_TOKEN "
            "(in a workflow step: `env: GITHUB_TOKEN: ${{ secrets.GITHUB_TOKEN }}`)"
        )
    repository = env.get("GITHUB_REPOSITORY", "")
    if not re.fullmatch(r"[\w.-]+/[\w.-]+", repository):
        shown = f"is {repository!r}" if repository else "is not set"
        raise CommentError(f"GITHUB_REPOSITORY {shown}: expected OWNER/NAME")
    api_url = (env.get("GITHUB_API_URL") or DEFAULT_API_URL).rstrip("/")
    return Connection(api_url=api_url, repository=repository, token=token)


def run_url(env: Mapping[str, str]) -> str:
    """Link to this workflow run, or "" outside Actions."""
    repository, run_id = env.get("GITHUB_REPOSITORY", ""), env.get("GITHUB_RUN_ID", "")
    if not (repository and run_id):
        return ""
    server = (env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")
    return f"{server}/{repository}/actions/runs/{run_id}"


@dataclass(frozen=True)
class ReportLinks:
    """Where the whole report lives: the workflow run's page and its report artifact (report.md with the
    plots, where the relative image links resolve); "" when unknown (outside Actions)."""

    run: str = ""
    artifact: str = ""

    def pointer(self) -> str:
        """Where a file the report names can be found, as markdown."""
        if self.artifact:
            return f"in the [report artifact]({self.artifact})"
        return f"in the [run's artifacts]({self.run})" if self.run else "in the artifacts"

    def footer(self) -> str:
        """The closing line of a comment or job summary: links to the run and the artifact."""
        parts = [f"[workflow run]({self.run})"] if self.run else []
        if self.artifact:
            parts.append(f"[report artifact]({self.artifact}) (report.md with the plots)")
        return f"\n---\n{' · '.join(parts)}\n" if parts else ""


def report_links(env: Mapping[str, str]) -> ReportLinks:
    """The run from the Actions variables; the artifact from CML_REPORT_URL, when it is a web address."""
    artifact = env.get(REPORT_URL_VARIABLE, "").strip()
    return ReportLinks(run=run_url(env), artifact=artifact if re.match(r"https?://\S+$", artifact) else "")


# --- the body ----------------------------------------------------------------------------


def marker(title: str) -> str:
    """Hidden first line that makes a comment ours, one per report title."""
    # "--" may not appear inside an HTML comment: squeeze it so no title can close the marker early.
    safe_title = re.sub(r"-{2,}", "-", " ".join(title.split()))
    return f"<!-- cml-report: {safe_title} -->"


def is_sticky(body: str | None, title_marker: str) -> bool:
    """Ours only when the body starts with the marker: quoting it elsewhere does not count."""
    return (body or "").startswith(title_marker)


_MARKDOWN_IMAGE = re.compile(r'!\[(?P<alt>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+"[^"]*")?\)')
_MARKDOWN_LINK = re.compile(r'(?<!!)\[(?P<text>[^\]]*)\]\((?P<src>[^)\s]+)(?:\s+"[^"]*")?\)')
_HTML_IMAGE = re.compile(r"<img\b[^>]*?\bsrc=[\"'](?P<src>[^\"']+)[\"'][^>]*>", re.IGNORECASE)
_HTML_ALT = re.compile(r"\balt=[\"'](?P<alt>[^\"']*)[\"']", re.IGNORECASE)
_NOT_A_FILE = re.compile(r"^(?:[a-zA-Z][a-zA-Z0-9+.-]*:|//|#)")  # a web address, or an anchor in the page


def link_local_files(markdown: str, links: ReportLinks) -> str:
    """Replace images and links with relative paths (they resolve only beside report.md, not in a comment or
    job summary) by a pointer to the report artifact, or the run.

    Images are never uploaded anywhere: a private repository's plots stay in its own run.
    """

    def pointer(alt: str, src: str) -> str:
        return f"_{alt or 'image'}: `{src}` {links.pointer()}_"

    def markdown_image(match: re.Match[str]) -> str:
        src = match["src"]
        return match[0] if _NOT_A_FILE.match(src) else pointer(match["alt"], src)

    def markdown_link(match: re.Match[str]) -> str:
        src = match["src"]
        return match[0] if _NOT_A_FILE.match(src) else f"{match['text']} (`{src}` {links.pointer()})"

    def html_image(match: re.Match[str]) -> str:
        src = match["src"]
        if _NOT_A_FILE.match(src):
            return match[0]
        alt = _HTML_ALT.search(match[0])
        return pointer(alt["alt"] if alt else "", src)

    # Links first: the pointers that replace images are links themselves.
    linked = _MARKDOWN_LINK.sub(markdown_link, markdown)
    return _HTML_IMAGE.sub(html_image, _MARKDOWN_IMAGE.sub(markdown_image, linked))


def _closers(markdown: str) -> str:
    """What closes the code fence and `<details>` blocks left open at the end of `markdown`."""
    fence = ""
    open_details = 0
    for line in markdown.splitlines():
        stripped = line.lstrip()
        if fence:
            if stripped.startswith(fence):
                fence = ""
            continue
        if stripped.startswith(("```", "~~~")):
            fence = stripped[:3]
            continue
        open_details += stripped.count("<details") - stripped.count("</details>")
    closing = f"{fence}\n" if fence else ""
    return closing + "</details>\n" * max(open_details, 0)


def fit_markdown(markdown: str, budget: int, size: Callable[[str], int] = len) -> str:
    """The longest run of whole lines of `markdown`, open blocks closed, whose `size` is within `budget`."""
    if size(markdown) <= budget:
        return markdown
    cut = markdown[:budget]
    while cut:
        cut = cut[: cut.rfind("\n") + 1]
        candidate = cut + _closers(cut)
        excess = size(candidate) - budget
        if excess <= 0:
            return candidate
        # A character is 1 to 4 units of any size we measure: drop at most what is needed.
        cut = cut[: len(cut) - -(-excess // 4)]
    return ""


def _truncation_note(limit_text: str, artifacts_url: str, report_path: str) -> str:
    where = (
        f"in the job summary and artifacts of [this run]({artifacts_url})" if artifacts_url else f"in `{report_path}`"
    )
    return (
        f"\n> [!NOTE]\n> This report is longer than GitHub's limit of {limit_text} and was cut at a line break. "
        f"The full report is {where}.\n"
    )


def comment_body(
    report: str, *, title: str, artifacts_url: str = "", report_path: str = "report.md", footer: str = ""
) -> str:
    """Marker + report + `footer` (kept whole), the report cut with a note when longer than GitHub's limit."""
    head = f"{marker(title)}\n\n"
    if len(head) + len(report) + len(footer) <= COMMENT_LIMIT:
        return head + report + footer
    note = _truncation_note(f"{COMMENT_LIMIT:,} characters", artifacts_url, report_path)
    return head + fit_markdown(report, COMMENT_LIMIT - len(head) - len(note) - len(footer)) + note + footer


def summary_text(report: str, *, artifacts_url: str = "", report_path: str = "report.md", footer: str = "") -> str:
    """The report for the job summary + `footer` (kept whole), cut with a note when over GitHub's 1 MiB per step."""

    def utf8_size(text: str) -> int:
        return len(text.encode("utf-8"))

    text = report if report.endswith("\n") else report + "\n"
    if utf8_size(text) + utf8_size(footer) <= SUMMARY_LIMIT:
        return text + footer
    note = _truncation_note("1 MiB for a job summary", artifacts_url, report_path)
    return fit_markdown(text, SUMMARY_LIMIT - utf8_size(note) - utf8_size(footer), size=utf8_size) + note + footer


def append_summary(path: Path, text: str) -> None:
    """Append to the file GitHub shows as the job summary (`GITHUB_STEP_SUMMARY`)."""
    try:
        with path.open("a", encoding="utf-8") as summary:
            summary.write(text)
    except OSError as error:
        raise CommentError(f"cannot append to GITHUB_STEP_SUMMARY {path}: {error.strerror}") from None


# --- talking to GitHub -------------------------------------------------------------------


@dataclass(frozen=True)
class RetryPolicy:
    """How hard to try through transient failures (5xx, 429, secondary rate limits)."""

    retries: int = 5  # extra tries per request; also extra tries of a comment creation
    backoff: float = 1.0  # seconds; the wait doubles with each retry (0: retry at once, for tests)
    secondary_rate_wait: float = 60.0  # GitHub asks for a minute's pause after a secondary rate limit
    max_rate_limit_wait: float = 120.0  # give up rather than sleep out an exhausted hourly quota


class _NoDuplicateRetry(GithubRetry):
    """GithubRetry that never repeats a POST after a 5xx.

    GitHub sometimes answers 502 to a POST that did create the comment; repeating it blindly
    posts a duplicate. `publish` instead looks for the comment again before creating it anew.
    """

    def is_retry(self, method: str, status_code: int, has_retry_after: bool = False) -> bool:
        if method == "POST" and status_code >= 500:
            return False
        return super().is_retry(method, status_code, has_retry_after)


def github_client(connection: Connection, policy: RetryPolicy) -> Github:
    """A lazy PyGithub client: no request until a comment list, create or edit needs one."""
    retry = _NoDuplicateRetry(
        total=policy.retries,
        backoff_factor=policy.backoff,
        status_forcelist=TRANSIENT_STATUSES,
        allowed_methods=Retry.DEFAULT_ALLOWED_METHODS | {"GET", "POST", "PATCH"},
        secondary_rate_wait=policy.secondary_rate_wait,
        max_rate_limit_wait=policy.max_rate_limit_wait,
        raise_on_status=False,  # the last error response reaches PyGithub, which says what failed
    )
    return Github(
        base_url=connection.api_url,
        auth=Auth.Token(connection.token),
        per_page=PER_PAGE,
        retry=retry,
        lazy=True,
        # A handful of serial requests per run; the retry policy handles rate limits.
        seconds_between_requests=None,
        seconds_between_writes=None,
    )


class _Comment(Protocol):
    body: str | None
    html_url: str

    def edit(self, body: str) -> Any: ...


class _Thread(Protocol):
    def get_comments(self) -> Iterable[_Comment]: ...

    def create_comment(self, body: str) -> _Comment: ...


@dataclass(frozen=True)
class Published:
    action: str  # "created", "updated" or "unchanged"
    url: str


def find_sticky(comments: Iterable[_Comment], title_marker: str) -> _Comment | None:
    """The oldest comment that is ours; pages are fetched only until it is found."""
    return next((comment for comment in comments if is_sticky(comment.body, title_marker)), None)


def upsert_comment(thread: _Thread, body: str, title_marker: str, policy: RetryPolicy) -> Published:
    """Edit our comment in `thread` if there is one, otherwise create it; never leave two."""
    attempt = 0
    while True:
        existing = find_sticky(thread.get_comments(), title_marker)
        if existing is not None:
            if existing.body == body:
                return Published("unchanged", existing.html_url)
            existing.edit(body)
            return Published("updated", existing.html_url)
        try:
            return Published("created", thread.create_comment(body).html_url)
        except GithubException as error:
            # A 5xx may hide a comment that was created after all: look again before retrying.
            if error.status < 500 or attempt >= policy.retries:
                raise
            time.sleep(policy.backoff * 2**attempt)
            attempt += 1


def github_message(error: GithubException) -> str:
    data = error.data
    message = data.get("message") if isinstance(data, dict) else data
    return " ".join(str(message or "no message").split())[:200]


def publish(
    client: Github, repository: str, target: Target, body: str, title_marker: str, policy: RetryPolicy
) -> Published:
    """Create or update the sticky comment on `target`; GitHub failures become one-line `CommentError`s."""
    repo = client.get_repo(repository)
    thread = repo.get_issue(int(target.ref)) if target.kind == "pr" else repo.get_commit(target.ref)
    try:
        return upsert_comment(thread, body, title_marker, policy)
    except RateLimitExceededException:
        raise CommentError(f"GitHub rate limit exceeded while commenting on {target.describe()}; retry later") from None
    except GithubException as error:
        status, message = error.status, github_message(error)
        if status == 403:
            raise MissingPermission(target, f"403 {message}") from None
        if status == 401:
            raise CommentError(f"GitHub rejected the token (401 {message}): check GITHUB_TOKEN or REPO_TOKEN") from None
        if status == 404:
            raise CommentError(
                f"{target.describe()} not found in {repository}, or the token cannot see it (404 {message})"
            ) from None
        raise CommentError(f"GitHub refused to comment on {target.describe()} ({status} {message})") from None
    except requests.RequestException as error:
        raise CommentError(
            f"cannot reach the GitHub API at {client.requester.base_url}: {type(error).__name__}"
        ) from None
