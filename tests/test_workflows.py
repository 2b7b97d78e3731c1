"""The GitHub Actions workflows: thin, least-privileged, pinned, and doing what the README says.

Thin means: after checkout and Python set-up, every `run:` line is `invoke <task>` or a
`pip install -r <requirements file>`; anything smarter belongs in a task, where it runs
locally too. These rules hold for every file in `.github/workflows/`.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from ruamel.yaml import YAML

from commands.checks import lint_commands
from commands.workflows import WORKFLOW_DIR, workflow_lint_commands

ROOT = Path(__file__).resolve().parents[1]
WORKFLOWS = sorted((ROOT / WORKFLOW_DIR).iterdir())
INVOKE_LINE = re.compile(r"invoke [a-z][a-z0-9-]*(?: --?[a-z0-9-]+(?:[ =][\w./:-]+)?)*")
PIP_LINE = re.compile(r"(?:python -m )?pip install(?: -r requirements[\w.-]*\.txt)+")
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
COMMENT_WRITES = {"pull-requests", "contents"}  # the scopes that posting PR / commit comments needs


def load(path: Path) -> dict[str, Any]:
    return YAML(typ="safe", pure=True).load(path)


def jobs(path: Path) -> list[tuple[str, dict[str, Any]]]:
    return list(load(path)["jobs"].items())


def run_lines(job: dict[str, Any]) -> list[str]:
    return [line.strip() for step in job.get("steps", []) if "run" in step for line in step["run"].splitlines()]


def invoked_tasks(job: dict[str, Any]) -> list[str]:
    return [line.split()[1] for line in run_lines(job) if line.startswith("invoke ")]


def every_job() -> list[tuple[str, str, dict[str, Any]]]:
    return [(path.name, name, job) for path in WORKFLOWS for name, job in jobs(path)]


JOB_IDS = [f"{workflow}:{name}" for workflow, name, _ in every_job()]


def test_workflows_exist_and_all_end_in_yaml():
    """ci.yaml and cml.yaml are there, and every workflow ends in .yaml so the lint glob covers it."""

    names = [path.name for path in WORKFLOWS]

    assert {"ci.yaml", "cml.yaml"} <= set(names)
    assert all(name.endswith(".yaml") for name in names), names


def test_lint_validates_every_workflow_with_check_jsonschema_and_zizmor():
    """`invoke lint` runs the workflow schema check on `*.yaml` and zizmor offline on the folder."""

    commands = workflow_lint_commands()

    assert commands == [
        "check-jsonschema --builtin-schema vendor.github-workflows .github/workflows/*.yaml",
        "zizmor --offline --no-progress .github/workflows",
    ]
    assert set(commands) <= set(lint_commands())


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_every_run_line_is_an_invoke_task_or_a_pip_install_of_requirements(workflow, name, job):
    """Thin: each `run:` line is `invoke <task> [--flag value]` or `pip install -r requirements*.txt`."""

    lines = [line for line in run_lines(job) if line]

    offending = [line for line in lines if not (INVOKE_LINE.fullmatch(line) or PIP_LINE.fullmatch(line))]
    assert offending == []


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_run_steps_come_after_checkout_and_python_set_up_with_pip_cache(workflow, name, job):
    """Before the first `run:` the job checks out (no persisted credentials) and sets up Python with a pip cache."""
    steps = job.get("steps", [])
    first_run = next((i for i, step in enumerate(steps) if "run" in step), len(steps))

    before = [step.get("uses", "").split("@")[0] for step in steps[:first_run]]

    if first_run < len(steps):
        assert before[:2] == ["actions/checkout", "actions/setup-python"]
        assert steps[1]["with"]["cache"] == "pip"
    for step in steps:
        if step.get("uses", "").startswith("actions/checkout@"):
            assert step["with"]["persist-credentials"] is False


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_no_expression_is_expanded_inside_run(workflow, name, job):
    """No `${{ ... }}` (so no `github.event.*`) inside `run:`: values reach tasks through `env:`."""

    expanded = [line for line in run_lines(job) if "${{" in line]

    assert expanded == []


@pytest.mark.parametrize("path", WORKFLOWS, ids=[path.name for path in WORKFLOWS])
def test_top_level_permissions_grant_nothing_to_write(path):
    """The workflow-level token may at most read; each job asks for what it needs."""

    permissions = load(path).get("permissions")

    assert isinstance(permissions, dict), "declare `permissions: {}` (or read scopes) at the top"
    assert set(permissions.values()) <= {"read", "none"}


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_jobs_declare_least_permissions_and_write_comments_only_where_they_comment(workflow, name, job):
    """Every job declares permissions; pull-requests/contents write only in a job that runs `invoke comment`."""

    permissions = job.get("permissions")

    assert isinstance(permissions, dict), f"{name} must declare its permissions"
    writes = {scope for scope, level in permissions.items() if level == "write"}
    if writes & COMMENT_WRITES:
        assert "comment" in invoked_tasks(job)


@pytest.mark.parametrize("path", WORKFLOWS, ids=[path.name for path in WORKFLOWS])
def test_superseded_pull_request_runs_are_cancelled(path):
    """Each workflow has a concurrency group that cancels runs in progress (on PRs)."""

    concurrency = load(path)["concurrency"]

    assert "github.workflow" in concurrency["group"]
    assert concurrency["cancel-in-progress"] in (True, "${{ github.event_name == 'pull_request' }}")


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_actions_are_pinned_to_full_commit_shas(workflow, name, job):
    """Every action is pinned to a 40-hex commit (a tag can be moved; a commit cannot)."""

    uses = [step["uses"] for step in job.get("steps", []) if "uses" in step]

    assert [ref for ref in uses if not PINNED.fullmatch(ref)] == []


def test_ci_workflow_lints_and_tests_on_push_and_pull_request():
    """ci.yaml: push and pull_request trigger `invoke lint` then `invoke test`."""
    workflow = load(ROOT / WORKFLOW_DIR / "ci.yaml")

    tasks = [task for _, job in jobs(ROOT / WORKFLOW_DIR / "ci.yaml") for task in invoked_tasks(job)]

    assert {"push", "pull_request"} <= set(workflow["on"])
    assert tasks == ["lint", "test"]


def test_cml_workflow_trains_compares_reports_and_comments():
    """cml.yaml: on PRs train, baseline, report, comment; on push to main the same without the baseline."""
    path = ROOT / WORKFLOW_DIR / "cml.yaml"
    workflow = load(path)
    by_name = dict(jobs(path))

    pr_job, main_job = by_name["pull-request"], by_name["main"]

    assert workflow["on"]["push"]["branches"] == ["main"] and "pull_request" in workflow["on"]
    assert invoked_tasks(pr_job) == ["train", "baseline", "report", "comment"]
    assert invoked_tasks(main_job) == ["train", "report", "comment"]
    assert pr_job["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert main_job["permissions"] == {"contents": "write"}
    assert pr_job["steps"][0]["with"]["fetch-depth"] == 0


@pytest.mark.parametrize("job_name", ["pull-request", "main"], ids=["pull-request", "main"])
def test_cml_comments_and_uploads_even_when_the_gate_fails(job_name):
    """The comment and the artifact upload run after a failed quality gate, and the token reaches only the comment."""
    job = dict(jobs(ROOT / WORKFLOW_DIR / "cml.yaml"))[job_name]
    steps = job["steps"]

    comment = next(step for step in steps if step.get("run") == "invoke comment")
    upload = next(step for step in steps if step.get("uses", "").startswith("actions/upload-artifact@"))
    with_token = [step for step in steps if "GITHUB_TOKEN" in step.get("env", {})]

    assert comment["if"].startswith("${{ !cancelled() && hashFiles('artifacts/report.md')")
    assert upload["if"] == "${{ !cancelled() }}"
    assert {"artifacts/report.md", "artifacts/metrics.json", "artifacts/*.png"} <= set(upload["with"]["path"].split())
    assert with_token == [comment]
    assert comment["env"]["GITHUB_TOKEN"] == "${{ secrets.GITHUB_TOKEN }}"


def test_pull_request_baseline_uses_the_pr_base_branch_through_env():
    """The base branch reaches `invoke baseline` via INVOKE_BASELINE_REF, not an expression in `run:`."""
    steps = dict(jobs(ROOT / WORKFLOW_DIR / "cml.yaml"))["pull-request"]["steps"]

    baseline = next(step for step in steps if step.get("run") == "invoke baseline")

    assert baseline["env"] == {"INVOKE_BASELINE_REF": "origin/${{ github.base_ref }}"}
    assert baseline["continue-on-error"] is True
