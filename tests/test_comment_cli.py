"""`python -m reporting comment` (reporting/comment_cli.py): exit codes, one-line messages, job summary,
never the token."""

from __future__ import annotations

import json
import re
import subprocess
import sys

import pytest
from fake_github import PULL_REQUEST, READ_TOKEN, WRITE_TOKEN, FakeGitHub
from fake_metrics import three_classes
from helpers import ROOT

from reporting.cli import main
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from reporting.github_comment import is_sticky, marker

PROG = "python -m reporting comment"
SHA = "fedcba9876543210fedcba9876543210fedcba98"
TITLE = "CML report"
REPORT = "# CML report\n\n| metric | value |\n| --- | --- |\n| accuracy | 97.5% |\n\n![curves](training_curves.png)\n"


@pytest.fixture
def github(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


@pytest.fixture
def report(tmp_path):
    path = tmp_path / "report.md"
    path.write_text(REPORT, encoding="utf-8")
    return path


def pr_env(github: FakeGitHub, tmp_path, token: str = WRITE_TOKEN, **extra: str) -> dict[str, str]:
    event = tmp_path / "event.json"
    event.write_text(json.dumps({"number": PULL_REQUEST, "pull_request": {"number": PULL_REQUEST}}))
    summary = tmp_path / "summary.md"
    return github.env(
        token,
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_EVENT_PATH=str(event),
        GITHUB_SHA=SHA,
        GITHUB_STEP_SUMMARY=str(summary),
        **extra,
    )


def push_env(github: FakeGitHub, tmp_path, token: str = WRITE_TOKEN) -> dict[str, str]:
    return github.env(token, GITHUB_EVENT_NAME="push", GITHUB_SHA=SHA, GITHUB_STEP_SUMMARY=str(tmp_path / "summary.md"))


def args(report, *extra: str) -> list[str]:
    return ["comment", "--report", str(report), "--title", TITLE, "--backoff", "0", *extra]


def assert_one_line_without_secrets(text: str) -> None:
    assert len(text.strip().splitlines()) <= 1
    assert "Traceback" not in text
    assert WRITE_TOKEN not in text and READ_TOKEN not in text


def test_two_runs_on_a_pr_leave_one_comment_updated(github, report, tmp_path, capsys):
    """First run creates the comment, second edits it: one report comment on the PR."""
    env = pr_env(github, tmp_path)

    first = main(args(report), env)
    report.write_text(REPORT.replace("97.5%", "98.1%"), encoding="utf-8")
    second = main(args(report), env)

    out = capsys.readouterr().out
    ours = [c for c in github.issue_comments[PULL_REQUEST] if is_sticky(c["body"], marker(TITLE))]
    assert (first, second) == (EXIT_OK, EXIT_OK)
    assert "created the report comment on pull request #7" in out
    assert "updated the report comment on pull request #7" in out
    assert len(ours) == 1 and "98.1%" in ours[0]["body"]


def test_report_goes_to_the_job_summary_with_images_pointing_at_the_run(github, report, tmp_path):
    """Without the artifact's URL, the job summary's relative images point at the run's artifacts."""
    env = pr_env(github, tmp_path)

    main(args(report), env)

    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    assert "| accuracy | 97.5% |" in summary
    assert (
        "`training_curves.png` in the [run's artifacts](https://github.example/octo/cml/actions/runs/4242)" in summary
    )
    assert "![curves]" not in github.issue_comments[PULL_REQUEST][0]["body"]


RELATIVE_LINK = re.compile(r"""\]\((?![a-z][a-z0-9+.-]*:|#)[^)]*\)|<img\b[^>]*\bsrc=["'](?![a-z][a-z0-9+.-]*:)""")


def test_comment_and_summary_of_a_rendered_report_link_the_run_and_artifact_never_a_relative_file(github, tmp_path):
    """A real report (with its plots linked relatively, as they resolve inside the artifact) is published with
    no relative link in the comment or the job summary: both link the run page and the report artifact."""
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    (artifacts / "metrics.json").write_text(json.dumps(three_classes()), encoding="utf-8")
    for png in ("confusion_matrix.png", "training_curves.png"):
        (artifacts / png).write_bytes(b"\x89PNG\r\n\x1a\n")
    assert main(["render", "--artifacts", str(artifacts)]) == EXIT_OK
    rendered = (artifacts / "report.md").read_text(encoding="utf-8")
    artifact_url = "https://github.example/octo/cml/actions/runs/4242/artifacts/77"
    env = pr_env(github, tmp_path, CML_REPORT_URL=artifact_url)

    code = main(args(artifacts / "report.md"), env)

    body = github.issue_comments[PULL_REQUEST][0]["body"]
    summary = (tmp_path / "summary.md").read_text(encoding="utf-8")
    links = f"[workflow run](https://github.example/octo/cml/actions/runs/4242) · [report artifact]({artifact_url})"
    assert code == EXIT_OK
    assert RELATIVE_LINK.search(rendered), "the report inside the artifact keeps its relative plot links"
    for published in (body, summary):
        assert RELATIVE_LINK.search(published) is None
        assert f"`confusion_matrix.png` in the [report artifact]({artifact_url})" in published
        assert links in published


def test_push_publishes_a_commit_comment(github, report, tmp_path, capsys):
    """On push the report becomes a comment on the pushed commit."""

    code = main(args(report), push_env(github, tmp_path))

    assert code == EXIT_OK
    assert len(github.commit_comments[SHA]) == 1
    assert "on commit fedcba987654" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("make_env", "permission"),
    [(pr_env, "pull-requests: write"), (push_env, "contents: write")],
    ids=["pr", "push"],
)
def test_read_only_token_warns_naming_the_permission_and_still_writes_the_summary(
    github, report, tmp_path, capsys, make_env, permission
):
    """Fork PRs' read-only token: a warning naming the permission, the summary written, exit 0."""

    code = main(args(report), make_env(github, tmp_path, READ_TOKEN))

    err = capsys.readouterr().err
    assert code == EXIT_OK
    assert err.startswith(f"{PROG}: warning: ") and f"permissions: {permission}" in err
    assert err.rstrip().endswith("the report is in the job summary")
    assert_one_line_without_secrets(err)
    assert "97.5%" in (tmp_path / "summary.md").read_text(encoding="utf-8")


def test_read_only_token_with_strict_fails(github, report, tmp_path, capsys):
    """`--strict` turns the missing permission into exit 1."""

    code = main(args(report, "--strict"), pr_env(github, tmp_path, READ_TOKEN))

    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert err.startswith(f"{PROG}: error: ") and "pull-requests: write" in err


def test_inside_actions_the_warning_is_an_annotation(github, report, tmp_path, capsys):
    """Under GITHUB_ACTIONS the warning is a workflow command, so it shows on the run page."""

    main(args(report), pr_env(github, tmp_path, READ_TOKEN, GITHUB_ACTIONS="true"))

    out = capsys.readouterr().out
    assert "::warning title=invoke comment::the token may not comment on pull request #7" in out


@pytest.mark.parametrize("variable", ["GITHUB_TOKEN", "GITHUB_REPOSITORY"], ids=["no-token", "no-repository"])
def test_missing_variable_is_a_one_line_error_naming_it(github, report, tmp_path, capsys, variable):
    """No token or no repository: exit 2 and one line naming the variable."""
    env = pr_env(github, tmp_path)
    del env[variable]

    code = main(args(report), env)

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert variable in err
    assert_one_line_without_secrets(err)
    assert github.requests == []


def test_missing_report_is_an_error_naming_the_file(github, tmp_path, capsys):
    """A report that does not exist: exit 2, the path named, nothing posted."""
    missing = tmp_path / "nope" / "report.md"

    code = main(args(missing), pr_env(github, tmp_path))

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert str(missing) in err and "invoke report" in err
    assert github.requests == []


def test_bad_target_flag_is_a_one_line_error(github, report, tmp_path, capsys):
    """`--target` that is not pr/N or commit/SHA: exit 2, one line."""

    code = main(args(report, "--target", "main"), pr_env(github, tmp_path))

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert "--target must be pr/NUMBER or commit/SHA" in err


def test_502s_then_success_publish_once(github, report, tmp_path):
    """Transient 502s are retried (backoff from the flag) and one comment results."""
    github.fail("GET", "/comments$", 502, times=2)
    github.fail("POST", "/comments$", 502, times=1)

    code = main(args(report), pr_env(github, tmp_path))

    assert code == EXIT_OK
    assert len(github.issue_comments[PULL_REQUEST]) == 1


def test_empty_title_is_refused(report, capsys):
    """An empty `--title` cannot name the comment to keep updated: usage error, exit 2."""

    with pytest.raises(SystemExit) as exit_info:
        main(["comment", "--report", str(report), "--title", " "], {})

    err = capsys.readouterr().err
    assert exit_info.value.code == EXIT_BAD_INPUT
    assert err.startswith(f"{PROG}: error: argument --title: must not be empty") and err.count("\n") == 1


def test_github_failure_is_exit_1_in_one_line_without_the_token(github, report, tmp_path, capsys):
    """A persistent 5xx: exit 1, one line with the status, no traceback, no token."""
    github.fail("GET", "/comments$", 500, times=100)

    code = main(args(report, "--retries", "1"), pr_env(github, tmp_path))

    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert "(500 fake 500)" in err
    assert_one_line_without_secrets(err)


def test_unreachable_api_is_one_line(report, tmp_path, capsys):
    """A GitHub API that does not answer: one line naming the URL."""
    env = {"GITHUB_TOKEN": WRITE_TOKEN, "GITHUB_REPOSITORY": "octo/cml", "GITHUB_API_URL": "http://127.0.0.1:9"}

    code = main(args(report, "--target", "pr/1", "--retries", "0"), env)

    err = capsys.readouterr().err
    assert code == EXIT_FAILED
    assert "cannot reach the GitHub API at http://127.0.0.1:9" in err
    assert_one_line_without_secrets(err)


def test_module_runs_as_a_script_against_the_server(github, report, tmp_path):
    """`python -m reporting comment` in a subprocess: exit 0, one comment, token not in the output."""

    completed = subprocess.run(
        [sys.executable, "-m", "reporting", *args(report)],
        env=pr_env(github, tmp_path),
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )

    assert completed.returncode == EXIT_OK, completed.stderr
    assert completed.stdout.splitlines()[-1].startswith("created the report comment on pull request #7: https://")
    assert WRITE_TOKEN not in completed.stdout + completed.stderr
    assert len(github.issue_comments[PULL_REQUEST]) == 1


def test_script_without_token_exits_non_zero_with_one_line_and_no_traceback(report, tmp_path):
    """No token in a real process: one line naming GITHUB_TOKEN/REPO_TOKEN, exit 2."""

    completed = subprocess.run(
        [sys.executable, "-m", "reporting", *args(report, "--target", "pr/1")],
        env={"PATH": "/usr/bin:/bin", "GITHUB_REPOSITORY": "octo/cml"},
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        cwd=ROOT,
    )

    assert completed.returncode == EXIT_BAD_INPUT
    assert completed.stderr.startswith(f"{PROG}: error: no GitHub token: set GITHUB_TOKEN or REPO_TOKEN")
    assert_one_line_without_secrets(completed.stderr)


def test_help_explains_target_environment_and_exit_status(capsys):
    """`--help` documents the target rules, the variables and the exit codes."""

    with pytest.raises(SystemExit) as exit_info:
        main(["comment", "--help"], {})

    out = capsys.readouterr().out
    assert exit_info.value.code == 0
    for words in ("pr/NUMBER or commit/SHA", "REPO_TOKEN", "GITHUB_STEP_SUMMARY", "exit status"):
        assert words in out
