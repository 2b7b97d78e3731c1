"""commands.comment and the `invoke comment` / `invoke ci` tasks: the exact commands they run."""

from __future__ import annotations

import sys

import pytest
from helpers import PY, ROOT, project_context
from invoke import Exit, MockContext, Result, UnexpectedExit
from ruamel.yaml import YAML

import tasks
from commands.comment import comment_command, publish_problem


def commands_run(context: MockContext) -> list[str]:
    return [call.args[0] for call in context.run.call_args_list]


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "python -m reporting comment --report artifacts/report.md --title 'CML report'"),
        (
            {"target": "pr/12", "strict": True},
            "python -m reporting comment --report artifacts/report.md --title 'CML report' --target pr/12 --strict",
        ),
    ],
    ids=["from-the-event", "explicit-target-strict"],
)
def test_comment_command(options, expected):
    """Only the flags given are passed; without a target the Actions event decides."""

    command = comment_command(report="artifacts/report.md", title="CML report", **options)

    assert command == expected


def test_comment_task_uses_the_report_title_and_artifact_dir_from_invoke_yaml():
    """`invoke comment` publishes <artifacts>/report.md under report.title: one source for the title."""
    c = project_context(repeat=True, artifacts="out", report={"title": "Digits CML"})

    tasks.comment(c)

    c.run.assert_called_once_with(
        f"{PY} -m reporting comment --report out/report.md --title 'Digits CML'", echo=True, pty=False
    )


def test_comment_task_strict_comes_from_the_flag_or_invoke_yaml():
    """`comment.strict: true` in invoke.yaml (or INVOKE_COMMENT_STRICT) acts like --strict."""
    c = project_context(repeat=True, comment={"strict": True})

    tasks.comment(c, target="commit/abcdef1")

    c.run.assert_called_once_with(
        f"{PY} -m reporting comment --report artifacts/report.md --title 'CML report' --target commit/abcdef1 --strict",
        echo=True,
        pty=False,
    )


def workflow_task_sequence() -> list[str]:
    """The invoke tasks CI runs for a pull request: ci.yaml's, then cml.yaml's report job and its PR comment job."""
    load = YAML(typ="safe", pure=True).load
    ci_jobs = load(ROOT / ".github/workflows/ci.yaml")["jobs"].values()
    cml_jobs = load(ROOT / ".github/workflows/cml.yaml")["jobs"]
    steps = [step for job in [*ci_jobs, cml_jobs["report"], cml_jobs["comment-pr"]] for step in job["steps"]]
    return [step["run"].split()[1] for step in steps if step.get("run", "").startswith("invoke ")]


def commands_of(task_names: list[str]) -> list[str]:
    """The commands the named tasks run, one after the other, with the project defaults."""
    c = project_context(repeat=True)
    for name in task_names:
        getattr(tasks, name)(c)
    return commands_run(c)


def test_ci_runs_what_the_workflows_run_in_the_same_order():
    """`invoke ci` = ci.yaml then cml.yaml's PR jobs (report, comment), without publishing unless asked."""
    sequence = workflow_task_sequence()
    c = project_context(repeat=True)

    tasks.ci(c)

    assert sequence[-1] == "comment"
    assert commands_run(c) == commands_of(sequence[:-1])


@pytest.fixture
def github_env(monkeypatch):
    """What a GitHub Actions job gives `invoke comment`: a token and the repository."""
    monkeypatch.setenv("GITHUB_TOKEN", "t0ken")
    monkeypatch.setenv("GITHUB_REPOSITORY", "octo/repo")


def test_ci_publish_adds_the_comment_when_the_report_exists(tmp_path, github_env):
    """`invoke ci --publish` ends with `invoke comment`, as the workflow does."""
    (tmp_path / "report.md").write_text("# CML report\n")
    c = project_context(repeat=True, artifacts=str(tmp_path))

    tasks.ci(c, publish=True, target="pr/3")

    assert commands_run(c)[-1] == comment_command(
        report=str(tmp_path / "report.md"), title="CML report", target="pr/3", python=sys.executable
    )


def fail_when(context: MockContext, fragment: str, exited: int) -> None:
    """Make the mocked run raise UnexpectedExit for commands containing `fragment`."""

    def run(command: str, **kwargs) -> Result:
        if fragment in command:
            raise UnexpectedExit(Result(command=command, exited=exited))
        return Result(command=command)

    context.run.side_effect = run


def test_ci_goes_on_without_a_baseline_and_still_publishes_a_failed_gate(tmp_path, github_env, monkeypatch):
    """A baseline failure does not stop the report; a failed gate is still published, then fails ci."""
    (tmp_path / "report.md").write_text("# CML report\n")
    monkeypatch.setenv("GITHUB_SHA", "abcdef1")
    c = project_context(repeat=True, artifacts=str(tmp_path))
    fail_when(c, "reporting render", exited=3)

    with pytest.raises(UnexpectedExit) as error:
        tasks.ci(c, publish=True)

    ran = commands_run(c)
    assert error.value.result.exited == 3
    assert "reporting comment" in ran[-1]
    assert any("reporting render" in command for command in ran)


def test_ci_continues_after_a_failed_baseline():
    """As cml.yaml's continue-on-error: no baseline, the report still runs."""
    c = project_context(repeat=True)
    fail_when(c, "reporting baseline", exited=1)

    tasks.ci(c)

    assert "reporting render" in commands_run(c)[-1]


FULL_ENV = {"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "octo/repo", "GITHUB_SHA": "abc"}


@pytest.mark.parametrize(
    ("env", "target", "problem"),
    [
        (FULL_ENV, "", ""),
        ({**FULL_ENV, "GITHUB_TOKEN": "", "REPO_TOKEN": "r"}, "", ""),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "octo/repo"}, "pr/3", ""),
        ({"GITHUB_REPOSITORY": "octo/repo", "GITHUB_SHA": "abc"}, "", "set GITHUB_TOKEN or REPO_TOKEN"),
        ({"GITHUB_TOKEN": "t", "GITHUB_SHA": "abc"}, "", "GITHUB_REPOSITORY=OWNER/NAME"),
        ({"GITHUB_TOKEN": "t", "GITHUB_REPOSITORY": "octo/repo"}, "", "--target pr/NUMBER or commit/SHA"),
    ],
    ids=["actions", "repo-token", "explicit-target", "no-token", "no-repository", "no-target"],
)
def test_publish_problem_names_what_is_missing(env, target, problem):
    """Publishing needs a token, the repository and a target (given, or from the Actions event); else it says which."""
    found = publish_problem(env, target)

    assert (problem in found) if problem else found == ""


def test_ci_publish_without_a_token_stops_before_any_work(monkeypatch):
    """`invoke ci --publish` with no token exits 2 with one line before linting, testing or training."""
    for name in ("GITHUB_TOKEN", "REPO_TOKEN"):
        monkeypatch.delenv(name, raising=False)
    c = project_context(repeat=True)

    with pytest.raises(Exit) as stopped:
        tasks.ci(c, publish=True, target="pr/3")

    assert stopped.value.code == 2
    assert stopped.value.message == "invoke ci: --publish needs a GitHub token: set GITHUB_TOKEN or REPO_TOKEN"
    c.run.assert_not_called()
