"""Command for publishing the report as a sticky GitHub comment."""

from __future__ import annotations

import shlex
from collections.abc import Mapping


def comment_command(
    *,
    report: str,
    title: str,
    target: str = "",
    strict: bool = False,
    python: str = "python",
) -> str:
    """`python -m reporting comment ...`; an empty `target` lets the Actions event decide."""
    args = [python, "-m", "reporting", "comment", "--report", report, "--title", title]
    if target:
        args += ["--target", target]
    if strict:
        args.append("--strict")
    return shlex.join(args)


# What `python -m reporting comment` reads (reporting.github_comment), checked here without importing
# PyGithub, so the tasks stay installable with invoke alone (requirements-tasks.txt).
TOKEN_VARIABLES = ("REPO_TOKEN", "GITHUB_TOKEN")


def publish_problem(env: Mapping[str, str], target: str = "") -> str:
    """Why publishing the report cannot work in the environment `env`, or "" when it can.

    `invoke ci --publish` asks before linting, testing and training, not minutes later.
    """
    if not any(env.get(name) for name in TOKEN_VARIABLES):
        return "--publish needs a GitHub token: set GITHUB_TOKEN or REPO_TOKEN"
    if "/" not in env.get("GITHUB_REPOSITORY", ""):
        return "--publish needs GITHUB_REPOSITORY=OWNER/NAME (the repository to comment on)"
    pull_request = env.get("GITHUB_EVENT_NAME", "").startswith("pull_request") and env.get("GITHUB_EVENT_PATH")
    if not (target or pull_request or env.get("GITHUB_SHA")):
        return "--publish needs --target pr/NUMBER or commit/SHA (or GITHUB_SHA, as in GitHub Actions)"
    return ""
