"""`python -m reporting comment`: publish a report as one sticky comment and in the job summary.

Edge of the comment feature: reads the report and the environment, prints one line per
outcome, and turns every failure into a one-line message (no traceback, never the token).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Mapping
from pathlib import Path

from core.argtypes import at_least
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from reporting.github_comment import (
    TOKEN_VARIABLES,
    CommentError,
    MissingPermission,
    RetryPolicy,
    append_summary,
    comment_body,
    connection_from_env,
    github_client,
    link_local_files,
    marker,
    publish,
    report_links,
    resolve_target,
    summary_text,
)

PROG = "python -m reporting comment"

_EPILOG = """\
target: with --target pr/N or commit/SHA; otherwise the pull request of a pull_request or
pull_request_target event (from GITHUB_EVENT_PATH), else a commit comment on GITHUB_SHA.

environment: GITHUB_TOKEN or REPO_TOKEN (REPO_TOKEN wins when both are set), GITHUB_REPOSITORY,
GITHUB_API_URL (default https://api.github.com; GitHub Enterprise works), GITHUB_EVENT_NAME,
GITHUB_EVENT_PATH, GITHUB_SHA, GITHUB_STEP_SUMMARY (the report is appended there when set),
GITHUB_SERVER_URL and GITHUB_RUN_ID (for the link to the run), CML_REPORT_URL (the report
artifact's page, upload-artifact's `artifact-url` output: relative image links in the report
point there, since they cannot render in a comment or job summary).

exit status: 0 published, or the token may not write (a warning naming the permission; the job
summary is still written); 1 GitHub failed or refused (or no permission with --strict);
2 bad flags or a missing report, token, repository or target."""


def add_comment_command(commands: argparse._SubParsersAction) -> None:
    """The `comment` subcommand of `python -m reporting`; its handler is `run_comment`."""
    parser = commands.add_parser(
        "comment",
        help="publish a report as one sticky PR (or commit) comment and in the job summary",
        description="Publish a markdown report as one sticky comment on the pull request (or a commit "
        "comment on push), updated in place on every run, and append it to the job summary.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--report", type=Path, required=True, help="markdown report to publish")
    parser.add_argument(
        "--title", type=_title, required=True, help="report title; one comment per title and target is kept and updated"
    )
    parser.add_argument("--target", default="", help="pr/NUMBER or commit/SHA (default: from the Actions event)")
    parser.add_argument("--strict", action="store_true", help="fail (exit 1) when the token may not write comments")
    add_retry_arguments(parser)
    parser.set_defaults(handler=run_comment)


def add_retry_arguments(parser: argparse.ArgumentParser) -> None:
    """--retries and --backoff of a RetryPolicy, for each subcommand that talks to GitHub."""
    parser.add_argument(
        "--retries", type=at_least(0), default=RetryPolicy.retries, help="retries on 5xx and rate limits"
    )
    parser.add_argument(
        "--backoff",
        type=at_least(0, float),
        default=RetryPolicy.backoff,
        help="seconds before a retry, doubled each time (default: %(default)s)",
    )


def _title(text: str) -> str:
    if not text.strip():
        raise argparse.ArgumentTypeError("must not be empty: it names the one comment to keep updated")
    return text


class _Console:
    """One-line messages; as workflow commands inside Actions, so they show as annotations."""

    def __init__(self, env: Mapping[str, str]) -> None:
        self._in_actions = env.get("GITHUB_ACTIONS") == "true"
        self._secrets = [env[name] for name in TOKEN_VARIABLES if env.get(name)]

    def _clean(self, message: str) -> str:
        for secret in self._secrets:
            message = message.replace(secret, "***")
        return " ".join(message.split())

    def info(self, message: str) -> None:
        print(self._clean(message), flush=True)

    def warning(self, message: str) -> None:
        self._annotate("warning", self._clean(message))

    def error(self, message: str) -> None:
        self._annotate("error", self._clean(message))

    def _annotate(self, level: str, message: str) -> None:
        if self._in_actions:
            escaped = message.replace("%", "%25")
            print(f"::{level} title=invoke comment::{escaped}", flush=True)
        else:
            print(f"{PROG}: {level}: {message}", file=sys.stderr, flush=True)


def _read_report(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise CommentError(f"report {path} not found: run `invoke report` first") from None
    except (OSError, UnicodeDecodeError) as error:
        raise CommentError(f"cannot read report {path}: {getattr(error, 'strerror', None) or error}") from None


def run_comment(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    """Publish; any failure, even an unexpected one, is one line without the token, never a traceback."""
    console = _Console(env)
    policy = RetryPolicy(retries=args.retries, backoff=args.backoff)
    try:
        return publish_report(args, env, console, policy)
    except Exception as error:  # the edge: a traceback could echo state, the token included
        console.error(f"unexpected {type(error).__name__}: {error}")
        return EXIT_FAILED


def publish_report(args: argparse.Namespace, env: Mapping[str, str], console: _Console, policy: RetryPolicy) -> int:
    """Summary first (it needs no permission), then the comment."""
    links = report_links(env)
    artifacts_url, footer = links.run, links.footer()
    where_else = ""
    try:
        report = link_local_files(_read_report(args.report), links)
        if env.get("GITHUB_STEP_SUMMARY"):
            summary_path = Path(env["GITHUB_STEP_SUMMARY"])
            text = summary_text(report, artifacts_url=artifacts_url, report_path=str(args.report), footer=footer)
            append_summary(summary_path, text)
            console.info(f"appended {args.report} to the job summary")
            where_else = "; the report is in the job summary"
        connection = connection_from_env(env)
        target = resolve_target(env, args.target)
    except CommentError as error:
        console.error(str(error))
        return EXIT_BAD_INPUT
    body = comment_body(
        report, title=args.title, artifacts_url=artifacts_url, report_path=str(args.report), footer=footer
    )
    try:
        result = publish(
            github_client(connection, policy), connection.repository, target, body, marker(args.title), policy
        )
    except MissingPermission as error:
        if args.strict:
            console.error(f"{error}{where_else}")
            return EXIT_FAILED
        console.warning(f"{error}{where_else}")
        return EXIT_OK
    except CommentError as error:
        console.error(str(error))
        return EXIT_FAILED
    if result.action == "unchanged":
        console.info(f"the report comment on {target.describe()} is already up to date: {result.url}")
    else:
        console.info(f"{result.action} the report comment on {target.describe()}: {result.url}")
    return EXIT_OK
