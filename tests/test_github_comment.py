"""The sticky comment logic, against a fake GitHub REST API on 127.0.0.1."""

from __future__ import annotations

import json
import time

import pytest
from fake_github import PULL_REQUEST, READ_TOKEN, REPOSITORY, WRITE_TOKEN, FakeGitHub

from reporting.github_comment import (
    COMMENT_LIMIT,
    SUMMARY_LIMIT,
    CommentError,
    Connection,
    MissingPermission,
    ReportLinks,
    RetryPolicy,
    Target,
    comment_body,
    connection_from_env,
    fit_markdown,
    github_client,
    is_sticky,
    link_local_files,
    marker,
    parse_target,
    publish,
    report_links,
    resolve_target,
    run_url,
    summary_text,
)

FAST = RetryPolicy(retries=3, backoff=0, secondary_rate_wait=0)
SHA = "0123456789abcdef0123456789abcdef01234567"
TITLE = "CML report"


@pytest.fixture
def github(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


def post(
    github: FakeGitHub,
    report: str,
    target: Target,
    *,
    token: str = WRITE_TOKEN,
    title: str = TITLE,
    policy: RetryPolicy = FAST,
):
    connection = Connection(api_url=github.api_url, repository=REPOSITORY, token=token)
    body = comment_body(report, title=title)
    return publish(github_client(connection, policy), REPOSITORY, target, body, marker(title), policy)


PR = Target("pr", str(PULL_REQUEST))
COMMIT = Target("commit", SHA)


# --- target and environment ---------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [("pr/12", Target("pr", "12")), ("commit/ABCDEF1", Target("commit", "abcdef1")), (f"commit/{SHA}", COMMIT)],
    ids=["pr", "short-sha-lowercased", "full-sha"],
)
def test_parse_target_accepts_pr_and_commit(text, expected):
    """`--target` takes pr/NUMBER or commit/SHA."""

    target = parse_target(text)

    assert target == expected


@pytest.mark.parametrize(
    "text", ["pr/0", "pr/x", "issue/3", "commit/xyz", "12"], ids=["zero", "nan", "kind", "sha", "bare"]
)
def test_parse_target_rejects_anything_else_in_one_line(text):
    """A bad `--target` is a one-line error that names the flag."""

    with pytest.raises(CommentError, match=r"^--target must be pr/NUMBER or commit/SHA") as error:
        parse_target(text)

    assert "\n" not in str(error.value)


@pytest.mark.parametrize("event", ["pull_request", "pull_request_target"], ids=["pull_request", "pull_request_target"])
def test_pull_request_events_target_the_pr_in_the_event_file(tmp_path, event):
    """On PR events the PR number comes from GITHUB_EVENT_PATH, not GITHUB_SHA (a merge commit)."""
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps({"number": 31, "pull_request": {"number": 31}}))
    env = {"GITHUB_EVENT_NAME": event, "GITHUB_EVENT_PATH": str(event_path), "GITHUB_SHA": SHA}

    target = resolve_target(env)

    assert target == Target("pr", "31")


@pytest.mark.parametrize("event", ["push", "workflow_dispatch"], ids=["push", "workflow_dispatch"])
def test_other_events_target_the_commit(event):
    """On push (and other non-PR events) the comment goes on GITHUB_SHA."""

    target = resolve_target({"GITHUB_EVENT_NAME": event, "GITHUB_SHA": SHA})

    assert target == COMMIT


def test_explicit_target_wins_over_the_event():
    """`--target` overrides what the event says."""

    target = resolve_target({"GITHUB_EVENT_NAME": "push", "GITHUB_SHA": SHA}, "pr/5")

    assert target == Target("pr", "5")


@pytest.mark.parametrize(
    ("env", "names"),
    [
        ({}, "GITHUB_SHA"),
        ({"GITHUB_EVENT_NAME": "pull_request"}, "GITHUB_EVENT_PATH"),
        ({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": "/no/such/event.json"}, "/no/such/event.json"),
    ],
    ids=["nothing", "no-event-path", "missing-event-file"],
)
def test_an_unknown_target_is_a_one_line_error_naming_what_is_missing(env, names):
    """Without a target the error names the variable or file to fix."""

    with pytest.raises(CommentError) as error:
        resolve_target(env)

    assert names in str(error.value)
    assert "\n" not in str(error.value)


def test_event_file_without_a_pr_number_is_an_error(tmp_path):
    """An event JSON with no PR number says so, naming the file."""
    event_path = tmp_path / "event.json"
    event_path.write_text(json.dumps({"action": "opened"}))

    with pytest.raises(CommentError, match="holds no pull request number"):
        resolve_target({"GITHUB_EVENT_NAME": "pull_request", "GITHUB_EVENT_PATH": str(event_path)})


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({"GITHUB_TOKEN": "a"}, "a"),
        ({"REPO_TOKEN": "b"}, "b"),
        ({"GITHUB_TOKEN": "a", "REPO_TOKEN": "b"}, "b"),
        ({"GITHUB_TOKEN": "a", "REPO_TOKEN": ""}, "a"),
    ],
    ids=["github-token", "repo-token", "repo-token-wins", "empty-repo-token-ignored"],
)
def test_token_comes_from_repo_token_or_github_token(env, expected):
    """REPO_TOKEN (explicit) wins over GITHUB_TOKEN; an empty one (forks get no secrets) is ignored."""

    connection = connection_from_env({"GITHUB_REPOSITORY": REPOSITORY, **env})

    assert connection.token == expected


def test_no_token_is_an_error_naming_both_variables():
    """No token: the one-line error names GITHUB_TOKEN and REPO_TOKEN."""

    with pytest.raises(CommentError, match="GITHUB_TOKEN or REPO_TOKEN"):
        connection_from_env({"GITHUB_REPOSITORY": REPOSITORY})


@pytest.mark.parametrize("repository", ["", "just-a-name"], ids=["unset", "no-owner"])
def test_missing_repository_is_an_error_naming_the_variable(repository):
    """GITHUB_REPOSITORY must be OWNER/NAME."""

    with pytest.raises(CommentError, match="GITHUB_REPOSITORY"):
        connection_from_env({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": repository})


def test_api_url_defaults_to_github_com_and_the_token_stays_out_of_repr():
    """GITHUB_API_URL defaults to api.github.com; the connection's repr never shows the token."""

    connection = connection_from_env({"GITHUB_TOKEN": "s3cr3t", "GITHUB_REPOSITORY": REPOSITORY})

    assert connection.api_url == "https://api.github.com"
    assert "s3cr3t" not in repr(connection)


def test_run_url_links_the_workflow_run():
    """The run link is built from the server, repository and run id."""

    url = run_url({"GITHUB_SERVER_URL": "https://ghe.example/", "GITHUB_REPOSITORY": REPOSITORY, "GITHUB_RUN_ID": "9"})

    assert url == f"https://ghe.example/{REPOSITORY}/actions/runs/9"


# --- the body -----------------------------------------------------------------------------


def test_marker_is_an_html_comment_that_no_title_can_close_early():
    """A title containing `-->` cannot end the hidden marker."""

    hidden = marker("evil --> title")

    assert hidden.startswith("<!-- ") and hidden.endswith(" -->")
    assert hidden.count("--") == 2


@pytest.mark.parametrize(
    ("body", "ours"),
    [
        (f"{marker(TITLE)}\n\nreport", True),
        (f"> {marker(TITLE)}\n> quoted report\n\nnice!", False),
        (f"see this:\n{marker(TITLE)}", False),
        (f"{marker('Other report')}\n\nreport", False),
        (None, False),
    ],
    ids=["ours", "quote", "marker-in-the-middle", "other-title", "empty"],
)
def test_only_a_body_starting_with_the_marker_is_ours(body, ours):
    """Quoting or mentioning the marker does not make a comment ours."""

    result = is_sticky(body, marker(TITLE))

    assert result is ours


def test_short_report_is_marker_then_report_unchanged():
    """A report within the limit is published whole, after the marker."""

    body = comment_body("# Report\n\nall good\n", title=TITLE)

    assert body == f"{marker(TITLE)}\n\n# Report\n\nall good\n"


def test_long_report_is_cut_at_a_line_with_blocks_closed_and_a_note_linking_the_run():
    """Over 65,536 characters: cut at a line break, open fence and details closed, note with the run link."""
    report = "# Report\n<details><summary>raw</summary>\n\n```\n" + "x" * 79 + "\n" * 1 + ("y" * 99 + "\n") * 1000

    body = comment_body(report, title=TITLE, artifacts_url="https://github.example/o/r/actions/runs/1")

    assert len(body) <= COMMENT_LIMIT
    assert body.startswith(marker(TITLE))
    kept = body.split("```\n</details>\n")[0]
    assert kept.endswith("y" * 99 + "\n")
    assert "[this run](https://github.example/o/r/actions/runs/1)" in body


def test_fit_markdown_measures_with_the_given_size():
    """Cutting by UTF-8 bytes keeps multi-byte text within a byte budget."""
    text = "é" * 10 + "\n" + "é" * 10 + "\n"

    fitted = fit_markdown(text, 30, size=lambda s: len(s.encode()))

    assert fitted == "é" * 10 + "\n"


def test_summary_over_one_mebibyte_is_cut_with_a_note():
    """The job summary stays within GitHub's 1 MiB per step, counted in bytes."""
    report = ("ü" * 99 + "\n") * 10_000

    text = summary_text(report, artifacts_url="https://github.example/run")

    assert len(text.encode()) <= SUMMARY_LIMIT
    assert text.rstrip().endswith("[this run](https://github.example/run).")


@pytest.mark.parametrize(
    ("markdown", "expected"),
    [
        ("![Confusion](confusion_matrix.png)", "_Confusion: `confusion_matrix.png` in the [report artifact](ART)_"),
        (
            '<img src="plots/curves.png" alt="Curves" width="400">',
            "_Curves: `plots/curves.png` in the [report artifact](ART)_",
        ),
        (
            "see [the text report](classification_report.txt)",
            "see the text report (`classification_report.txt` in the [report artifact](ART))",
        ),
        ("![badge](https://img.shields.io/badge/x-y-green)", "![badge](https://img.shields.io/badge/x-y-green)"),
        (
            "[docs](https://example.com/a.png) and [below](#per-class)",
            "[docs](https://example.com/a.png) and [below](#per-class)",
        ),
    ],
    ids=["markdown-image", "html-image", "markdown-link", "absolute-image-kept", "web-link-and-anchor-kept"],
)
def test_relative_images_and_links_point_at_the_report_artifact(markdown, expected):
    """Relative images and links (they do not resolve in a comment) point at the report artifact; web addresses
    and anchors stay; nothing is uploaded."""

    result = link_local_files(markdown, ReportLinks(run="RUN", artifact="ART"))

    assert result == expected


@pytest.mark.parametrize(
    ("links", "pointer", "footer"),
    [
        (
            ReportLinks(run="RUN", artifact="ART"),
            "in the [report artifact](ART)",
            "\n---\n[workflow run](RUN) · [report artifact](ART) (report.md with the plots)\n",
        ),
        (ReportLinks(run="RUN"), "in the [run's artifacts](RUN)", "\n---\n[workflow run](RUN)\n"),
        (ReportLinks(), "in the artifacts", ""),
    ],
    ids=["run-and-artifact", "run-only", "outside-actions"],
)
def test_report_links_point_at_what_is_known(links, pointer, footer):
    """Files point at the artifact when its URL is known, else the run; the footer links both, or nothing."""

    assert (links.pointer(), links.footer()) == (pointer, footer)


def test_report_links_come_from_the_actions_environment():
    """The run from GITHUB_* variables; the artifact from CML_REPORT_URL, ignored unless it is a web address."""
    env = {
        "GITHUB_REPOSITORY": REPOSITORY,
        "GITHUB_RUN_ID": "9",
        "CML_REPORT_URL": "https://github.com/a/b/artifacts/1",
    }

    links = report_links(env)
    not_a_url = report_links({**env, "CML_REPORT_URL": "javascript:alert(1)"})

    assert links == ReportLinks(
        run=f"https://github.com/{REPOSITORY}/actions/runs/9", artifact="https://github.com/a/b/artifacts/1"
    )
    assert not_a_url.artifact == ""


def test_footer_survives_the_cut_of_a_long_report():
    """A report over the comment limit is cut, but the links to the run and artifact stay at the end."""
    footer = ReportLinks(run="RUN", artifact="ART").footer()

    body = comment_body("line\n" * 20_000, title=TITLE, artifacts_url="RUN", footer=footer)

    assert len(body) <= COMMENT_LIMIT
    assert body.endswith(footer)


# --- against the fake GitHub ---------------------------------------------------------------


def test_first_run_creates_and_second_run_updates_the_same_comment(github):
    """Two runs leave exactly one report comment, edited by the second."""

    first = post(github, "accuracy 90%", PR)
    second = post(github, "accuracy 95%", PR)

    bodies = [c["body"] for c in github.issue_comments[PULL_REQUEST]]
    assert (first.action, second.action) == ("created", "updated")
    assert first.url == second.url
    assert bodies == [comment_body("accuracy 95%", title=TITLE)]


def test_unchanged_report_is_not_edited(github):
    """Publishing the same report again sends no edit."""
    post(github, "same", PR)

    result = post(github, "same", PR)

    assert result.action == "unchanged"
    assert github.count("PATCH") == 0


def test_busy_pr_with_more_than_a_hundred_comments_is_searched_on_every_page(github):
    """250 other comments (three pages of 100): the update finds ours on the last page; 4 requests a run."""
    github.add_issue_comments(PULL_REQUEST, [f"comment {i}" for i in range(250)])
    post(github, "v1", PR)
    github.requests.clear()

    result = post(github, "v2", PR)

    ours = [c for c in github.issue_comments[PULL_REQUEST] if is_sticky(c["body"], marker(TITLE))]
    assert result.action == "updated"
    assert [c["body"] for c in ours] == [comment_body("v2", title=TITLE)]
    assert github.count("GET") == 3
    assert github.count("PATCH") == 1
    assert len(github.requests) == 4


def test_a_human_comment_quoting_the_marker_is_never_edited(github):
    """A comment that only quotes the marker stays as written; ours is created beside it."""
    human = f"> {marker(TITLE)}\n> accuracy 90%\n\nWhy did it drop?"
    github.add_issue_comments(PULL_REQUEST, [human, f"mentions {marker(TITLE)} mid-text"])

    post(github, "v1", PR)
    post(github, "v2", PR)

    bodies = [c["body"] for c in github.issue_comments[PULL_REQUEST]]
    assert bodies == [human, f"mentions {marker(TITLE)} mid-text", comment_body("v2", title=TITLE)]


def test_reports_with_different_titles_keep_separate_comments(github):
    """One comment per title: a second report title does not overwrite the first."""

    post(github, "main", PR, title="CML report")
    post(github, "gpu", PR, title="GPU benchmark")

    assert len(github.issue_comments[PULL_REQUEST]) == 2


def test_push_creates_then_updates_a_commit_comment(github):
    """On push the report is a commit comment on the SHA, sticky the same way."""

    first = post(github, "v1", COMMIT)
    second = post(github, "v2", COMMIT)

    assert (first.action, second.action) == ("created", "updated")
    assert [c["body"] for c in github.commit_comments[SHA]] == [comment_body("v2", title=TITLE)]
    assert "#commitcomment-" in second.url


@pytest.mark.parametrize(
    ("method", "path"),
    [("GET", "/comments$"), ("POST", "/comments$"), ("PATCH", "/issues/comments/")],
    ids=["list", "create", "edit"],
)
def test_502s_then_success_are_retried(github, method, path):
    """Two 502s on any request, then success: the comment is published once."""
    if method == "PATCH":
        post(github, "v1", PR)
    github.fail(method, path, 502, times=2)

    result = post(github, "v2", PR)

    assert result.action == ("updated" if method == "PATCH" else "created")
    assert [c["body"] for c in github.issue_comments[PULL_REQUEST]] == [comment_body("v2", title=TITLE)]
    assert github.count(method) == 3


def test_a_502_after_github_created_the_comment_leaves_no_duplicate(github):
    """GitHub may answer 502 to a create that worked: we look again and edit instead of posting twice."""
    github.fail("POST", "/comments$", 502, apply_anyway=True)

    result = post(github, "v1", PR)

    assert result.action == "unchanged"
    assert len(github.issue_comments[PULL_REQUEST]) == 1
    assert github.count("POST") == 1


def test_persistent_5xx_is_a_one_line_error_with_the_status(github):
    """When every retry fails the error names the status and the target."""
    github.fail("GET", "/comments$", 503, times=100)

    with pytest.raises(CommentError, match=r"pull request #7 \(503 fake 503\)"):
        post(github, "v1", PR)

    assert github.count("GET") == FAST.retries + 1


def test_a_create_failing_with_5xx_every_time_is_tried_retries_plus_one_times(github):
    """A create that keeps failing gives up after `retries` more tries, each after looking for the comment again."""
    github.fail("POST", "/comments$", 502, times=100)

    with pytest.raises(CommentError, match=r"pull request #7 \(502 fake 502\)"):
        post(github, "v1", PR)

    assert github.count("POST") == FAST.retries + 1
    assert github.issue_comments.get(PULL_REQUEST, []) == []


def test_secondary_rate_limit_is_waited_out_and_retried(github):
    """A 403 secondary rate limit is retried, unlike a permission 403."""
    github.fail("POST", "/comments$", 403, message="You have exceeded a secondary rate limit. Please wait.")

    result = post(github, "v1", PR)

    assert result.action == "created"
    assert github.count("POST") == 2


@pytest.mark.parametrize(
    ("target", "permission"),
    [(PR, "pull-requests: write"), (COMMIT, "contents: write")],
    ids=["pr", "commit"],
)
def test_read_only_token_raises_missing_permission_naming_it(github, target, permission):
    """A read-only token (fork PRs) fails with the permission to grant, and posts nothing."""

    with pytest.raises(MissingPermission) as error:
        post(github, "v1", target, token=READ_TOKEN)

    assert error.value.permission == permission
    assert f"permissions: {permission}" in str(error.value)
    assert github.count("POST") == 1


def test_bad_token_is_an_error_naming_the_variables(github):
    """A 401 says the token was rejected and where it comes from."""

    with pytest.raises(CommentError, match=r"401 Bad credentials.*GITHUB_TOKEN or REPO_TOKEN"):
        post(github, "v1", PR, token="ghs_wrong")


def test_unknown_pull_request_is_an_error_naming_it(github):
    """A PR that does not exist (or cannot be seen) is a 404 naming the PR and repository."""

    with pytest.raises(CommentError, match=rf"pull request #99 not found in {REPOSITORY}"):
        post(github, "v1", Target("pr", "99"))


@pytest.mark.parametrize(
    ("method", "waits"),
    [("GET", [1.0, 2.0]), ("POST", [0.5, 1.0, 2.0])],
    ids=["list-retried-by-urllib3", "create-retried-by-publish"],
)
def test_retries_wait_the_backoff_doubled_each_time(github, monkeypatch, method, waits):
    """Retried 502s wait `backoff` seconds, doubled each time (urllib3 retries a failed list once at once)."""
    github.fail(method, "/comments$", 502, times=3)
    slept = []
    monkeypatch.setattr(time, "sleep", slept.append)

    result = post(github, "v1", PR, policy=RetryPolicy(retries=3, backoff=0.5, secondary_rate_wait=0))

    assert result.action == "created"
    assert slept == waits
