"""The GitHub Actions workflows: thin, least-privileged, pinned, and doing what the README says.

Thin means: after checkout and the Python and uv set-up, every `run:` line is `invoke <task>` or a
`uv pip install --system -r <requirements file>`; anything smarter belongs in a task, where it runs
locally too. These rules hold for every file in `.github/workflows/`.
"""

from __future__ import annotations

import ast
import importlib.metadata
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from helpers import ROOT
from ruamel.yaml import YAML

from commands.checks import lint_commands
from commands.data import REMOTE_CREDENTIALS
from commands.lock import requirement_pins
from commands.workflows import WORKFLOW_DIR, workflow_lint_commands

WORKFLOWS = sorted((ROOT / WORKFLOW_DIR).iterdir())
# A flag's value is a literal or a quoted "$VARIABLE" that a step's env: sets (an input, never an expression).
INVOKE_LINE = re.compile(r'invoke [a-z][a-z0-9-]*(?: --?[a-z0-9-]+(?:[ =](?:[\w./:-]+|"\$[A-Z_]+"))?)*')
INSTALL_LINE = re.compile(r"uv pip install --system(?: -r requirements[\w.-]*\.txt)+(?: -c requirements\.lock)?")
SETUP_UV = "astral-sh/setup-uv"
RELEASE_WRITES = {"contents", "packages"}  # the scopes publishing a release and its image needs
PINNED = re.compile(r"[\w.-]+/[\w./-]+@[0-9a-f]{40}")
COMMENT_WRITES = {"pull-requests", "contents"}  # the scopes that posting PR / commit comments needs
TORCH_CPU_INDEX = "https://download.pytorch.org/whl/cpu"
# A GPU runner sets the repository variable CML_TORCH_INDEX_URL to a cu* index; every other job is on the CPU one.
TORCH_INDEX_CHOICES = {TORCH_CPU_INDEX, f"${{{{ vars.CML_TORCH_INDEX_URL || '{TORCH_CPU_INDEX}' }}}}"}
RUNS_ON_FROM_VARIABLE = "${{ fromJSON(vars.CML_RUNS_ON || '\"ubuntu-latest\"') }}"


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
        "check-jsonschema --builtin-schema vendor.dependabot .github/dependabot.yml",
        "zizmor --offline --no-progress .github/workflows",
    ]
    assert set(commands) <= set(lint_commands())


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_every_run_line_is_an_invoke_task_or_a_uv_install_of_requirements(workflow, name, job):
    """Thin: each `run:` line is `invoke <task> [--flag value]` or `uv pip install --system -r requirements*.txt
    [-c LOCK]`."""

    lines = [line for line in run_lines(job) if line]

    offending = [line for line in lines if not (INVOKE_LINE.fullmatch(line) or INSTALL_LINE.fullmatch(line))]
    assert offending == []


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_run_steps_come_after_checkout_and_python_and_uv_set_up_with_a_uv_cache(workflow, name, job):
    """Before the first `run:` the job checks out (no persisted credentials), sets up Python (no pip cache: pip
    installs nothing), then uv, at the version requirements-dev.txt pins, with its cache on."""
    steps = job.get("steps", [])
    first_run = next((i for i, step in enumerate(steps) if "run" in step), len(steps))

    before = [step.get("uses", "").split("@")[0] for step in steps[:first_run]]

    if first_run < len(steps):
        assert before[:3] == ["actions/checkout", "actions/setup-python", SETUP_UV]
        assert "cache" not in steps[1]["with"]
        assert steps[2]["with"]["version-file"] == "requirements-dev.txt"
        assert steps[2]["with"]["enable-cache"] is True
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
    """Every job declares permissions; pull-requests/contents write only in a job that runs `invoke comment` and
    nothing else, or in the release and promote jobs, which train nothing; packages: write only there."""

    permissions = job.get("permissions")

    assert isinstance(permissions, dict), f"{name} must declare its permissions"
    writes = {scope for scope, level in permissions.items() if level == "write"}
    delivers = (workflow, name) in {("cml.yaml", "release"), ("promote.yaml", "promote")}
    if delivers:
        assert writes == RELEASE_WRITES
        assert "train" not in invoked_tasks(job)
    elif writes & COMMENT_WRITES:
        assert invoked_tasks(job) == ["comment"]
    # Besides the release: docker-train.yaml's publish job pushes the training image its smoke run passed.
    assert "packages" not in writes or delivers or (workflow, name) == ("docker-train.yaml", "publish")
    assert permissions.get("actions") in (None, "read")


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_actions_read_goes_only_to_a_job_whose_token_reaches_invoke_baseline_alone(workflow, name, job):
    """`actions: read` (to download the base branch's run artifact) only where `invoke baseline` is given the
    token, beside `invoke production` (which reads the production release): training and the rest run without."""
    with_token = [step.get("run") for step in job.get("steps", []) if "GITHUB_TOKEN" in step.get("env", {})]

    reads_actions = job.get("permissions", {}).get("actions") == "read"

    assert reads_actions == ("invoke baseline" in with_token)
    if reads_actions:
        assert with_token == ["invoke baseline", "invoke production", "invoke history"]


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_jobs_installing_requirements_txt_take_torch_from_the_cpu_index(workflow, name, job):
    """A job that installs requirements.txt gets PyTorch's CPU wheels (UV_EXTRA_INDEX_URL), not the CUDA build,
    unless the repository variable CML_TORCH_INDEX_URL names a CUDA index for a GPU runner; and the lock's
    versions from whichever index has them, as pip would (that index also carries other versions of PyPI's
    packages, which uv's default first-index strategy would look for there alone)."""
    installs = [line for line in run_lines(job) if INSTALL_LINE.fullmatch(line) and " -r requirements.txt" in line]

    env = job.get("env", {})

    if installs:
        assert env.get("UV_EXTRA_INDEX_URL") in TORCH_INDEX_CHOICES
        assert env.get("UV_INDEX_STRATEGY") == "unsafe-best-match"
    assert "PIP_EXTRA_INDEX_URL" not in env  # uv reads no PIP_* variable


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_every_install_is_constrained_by_the_lock_which_keys_the_uv_cache(workflow, name, job):
    """Each `uv pip install` takes every version from requirements.lock, and a new lock means a new uv cache."""
    installs = [line for line in run_lines(job) if INSTALL_LINE.fullmatch(line)]
    set_up = [step for step in job.get("steps", []) if step.get("uses", "").startswith(f"{SETUP_UV}@")]

    assert [line for line in installs if not line.endswith(" -c requirements.lock")] == []
    assert len(set_up) == bool(installs)
    for step in set_up:
        assert "requirements.lock" in step["with"]["cache-dependency-glob"].split()


def test_jobs_share_a_uv_cache_only_when_they_install_the_same_requirement_files():
    """setup-uv's cache key is the lock's hash (and the runner's OS and Python) plus `cache-suffix`: the first
    job to save a key wins, so jobs that install other packages (the comment jobs no torch) need another suffix.
    Conditional installs (DVC, only in a DVC repository) are left out."""
    files_by_suffix: dict[str, set[tuple[str, ...]]] = {}
    for _, _, job in every_job():
        steps = job.get("steps", [])
        set_up = [step for step in steps if step.get("uses", "").startswith(f"{SETUP_UV}@")]
        installs = [step["run"] for step in steps if INSTALL_LINE.fullmatch(step.get("run", "")) and "if" not in step]
        files = tuple(word for line in installs for word in line.split() if word.startswith("requirements"))

        for step in set_up:
            files_by_suffix.setdefault(step["with"]["cache-suffix"], set()).add(files)

    assert {suffix: len(files) for suffix, files in files_by_suffix.items()} == dict.fromkeys(files_by_suffix, 1)
    assert len(files_by_suffix) >= 4  # dev (ci.yaml), runtime, report (cml.yaml), tasks (docker-*.yaml)


def test_setup_uv_installs_the_uv_that_requirements_dev_txt_pins_and_the_lock_holds():
    """The workflows' uv (setup-uv's version-file), the README's and .ci/run's (the lock) are one version."""
    dev, lock = ((ROOT / name).read_text() for name in ("requirements-dev.txt", "requirements.lock"))

    assert re.search(r"(?m)^uv==\S+", dev)  # what setup-uv reads from a version-file (`^uv[=<>~!]+...`)
    assert requirement_pins(dev)["uv"] == requirement_pins(lock)["uv"]


@pytest.mark.parametrize("path", WORKFLOWS, ids=[path.name for path in WORKFLOWS])
def test_superseded_pull_request_runs_are_cancelled(path):
    """Each workflow has a concurrency group that cancels runs in progress (on PRs); a workflow only run by hand
    (promote.yaml) queues instead, so that no promotion stops halfway."""
    workflow = load(path)

    concurrency = workflow["concurrency"]

    assert "github.workflow" in concurrency["group"]
    if set(workflow["on"]) == {"workflow_dispatch"}:
        assert concurrency["cancel-in-progress"] is False
    else:
        assert concurrency["cancel-in-progress"] in (True, "${{ github.event_name == 'pull_request' }}")


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_actions_are_pinned_to_full_commit_shas(workflow, name, job):
    """Every action is pinned to a 40-hex commit (a tag can be moved; a commit cannot)."""

    uses = [step["uses"] for step in job.get("steps", []) if "uses" in step]

    assert [ref for ref in uses if not PINNED.fullmatch(ref)] == []


def test_ci_workflow_lints_and_tests_pull_requests_and_main_once_each():
    """ci.yaml: pull requests and pushes to main (not every branch: a PR's commit would run twice) trigger
    `invoke lint` then `invoke test`."""
    workflow = load(ROOT / WORKFLOW_DIR / "ci.yaml")

    tasks = [task for _, job in jobs(ROOT / WORKFLOW_DIR / "ci.yaml") for task in invoked_tasks(job)]

    assert set(workflow["on"]) == {"push", "pull_request"}
    assert workflow["on"]["push"] == {"branches": ["main"]}
    assert tasks == ["lint", "test"]


def test_cml_workflow_trains_read_only_and_comments_in_jobs_of_their_own():
    """cml.yaml: one read-only job trains, compares (PRs only), reports; one job per event posts the comment, each
    with the one write scope it needs and nothing else."""
    path = ROOT / WORKFLOW_DIR / "cml.yaml"
    workflow = load(path)
    by_name = dict(jobs(path))

    report, comment_pr, comment_commit = by_name["report"], by_name["comment-pr"], by_name["comment-commit"]

    assert workflow["on"]["push"]["branches"] == ["main"] and "pull_request" in workflow["on"]
    assert set(by_name) == {"report", "comment-pr", "comment-commit", "release", "pages"}
    assert invoked_tasks(report) == ["data", "baseline", "train", "production", "history", "report"]
    assert report["permissions"] == {"contents": "read", "actions": "read"}
    assert report["steps"][0]["with"]["fetch-depth"] == 0
    assert comment_pr["permissions"] == {"contents": "read", "pull-requests": "write"}
    assert comment_commit["permissions"] == {"contents": "write"}
    assert "github.event_name == 'pull_request'" in comment_pr["if"]
    assert "github.event_name == 'push'" in comment_commit["if"]


def test_cml_release_runs_after_a_passed_report_on_pushes_to_main_only_and_checks_before_publishing():
    """The release job needs `report`, runs only for a push to main whose report job succeeded, downloads the
    report's files (model.pt among them), verifies the built image before `invoke release`, and logs in to the
    registry only after both; the token reaches `invoke release` alone among run steps."""
    path = ROOT / WORKFLOW_DIR / "cml.yaml"
    by_name = dict(jobs(path))
    release, report = by_name["release"], by_name["report"]
    steps = release["steps"]
    uses = [step.get("uses", "").split("@")[0] for step in steps]

    upload = next(step for step in report["steps"] if step.get("id") == "upload-report")
    download = steps[uses.index("actions/download-artifact")]
    with_token = [step.get("run") for step in steps if "GITHUB_TOKEN" in step.get("env", {})]

    assert release["needs"] == "report"
    assert release["if"] == (
        "github.event_name == 'push' && github.ref == 'refs/heads/main' && needs.report.result == 'success'"
    )
    assert "artifacts/model.pt" in upload["with"]["path"].split()
    assert download["with"] == {"name": "cml-report", "path": "artifacts"}
    assert invoked_tasks(release) == ["data", "release", "build-infer", "verify-infer", "release", "push-release"]
    assert uses.index("docker/login-action") > [step.get("run", "").split(" --")[0] for step in steps].index(
        "invoke release"
    )
    assert with_token == ["invoke release --artifacts artifacts --plan", "invoke release --artifacts artifacts"]
    plan = steps.index(next(step for step in steps if step.get("id") == "plan"))
    assert all(step.get("if") == "steps.plan.outputs.status == 'planned'" for step in steps[plan + 1 :])


def test_docker_infer_no_longer_pushes_and_the_promote_input_reaches_the_task_through_env():
    """docker-infer.yaml builds and smoke-runs the code-only image in one read-only job (the release job is the one
    push of cml-infer); promote.yaml passes its `release` input through env:, never inside `run:`."""
    infer = dict(jobs(ROOT / WORKFLOW_DIR / "docker-infer.yaml"))
    promote = load(ROOT / WORKFLOW_DIR / "promote.yaml")
    step = next(step for step in promote["jobs"]["promote"]["steps"] if step.get("run", "").startswith("invoke"))

    assert list(infer) == ["check"] and infer["check"]["permissions"] == {"contents": "read"}
    assert invoked_tasks(infer["check"]) == ["build-infer", "run-infer"]
    assert set(promote["on"]) == {"workflow_dispatch"}
    assert promote["on"]["workflow_dispatch"]["inputs"]["release"]["type"] == "string"
    assert step["run"] == 'invoke promote --release "$RELEASE"'
    assert step["env"]["RELEASE"] == "${{ inputs.release }}"


def test_dependabot_updates_pip_docker_and_actions_weekly_in_groups():
    """.github/dependabot.yml keeps the lock's inputs, the base images and the SHA-pinned actions current."""
    config = load(ROOT / ".github" / "dependabot.yml")

    updates = {update["package-ecosystem"]: update for update in config["updates"]}

    assert set(updates) == {"pip", "docker", "github-actions"}
    assert all(update["schedule"]["interval"] == "weekly" and update["groups"] for update in updates.values())


def test_cml_pulls_dvc_data_before_training_with_the_remote_secrets_on_that_step_alone():
    """DVC is installed only in a DVC repository; `invoke data` runs before `invoke train`, and the S3 and Google
    Cloud secrets reach its step through env: (and the baseline's, see below) and no other step."""
    steps = dict(jobs(ROOT / WORKFLOW_DIR / "cml.yaml"))["report"]["steps"]
    runs = [step.get("run", "") for step in steps]

    install = steps[runs.index("uv pip install --system -r requirements-dvc.txt -c requirements.lock")]
    data = steps[runs.index("invoke data")]
    with_secrets = [step.get("run") or step.get("uses") for step in steps if "secrets." in str(step.get("env"))]

    assert install["if"] == "hashFiles('.dvc/config') != ''"
    assert runs.index("invoke data") < runs.index("invoke train")
    assert data["env"] == {name: f"${{{{ secrets.{name} }}}}" for name in REMOTE_CREDENTIALS}
    assert set(REMOTE_CREDENTIALS) == {
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "GOOGLE_APPLICATION_CREDENTIALS_JSON",
    }
    # The baseline step: GITHUB_TOKEN for its download (and DVC's for a retrained base); production: the token.
    assert with_secrets == ["invoke data", "invoke baseline", "invoke production", "invoke history"]


def test_cml_uploads_the_report_even_when_the_gate_fails_and_names_it_for_the_comment_jobs():
    """The report job uploads report.md (with metrics and plots) after a failed gate too, and its job output
    says whether a report was uploaded."""
    job = dict(jobs(ROOT / WORKFLOW_DIR / "cml.yaml"))["report"]
    steps = job["steps"]

    upload = next(step for step in steps if step.get("id") == "upload-report")

    assert upload["uses"].startswith("actions/upload-artifact@")
    assert upload["if"] == "${{ !cancelled() && hashFiles('artifacts/report.md') != '' }}"
    assert upload["with"]["name"] == "cml-report"
    paths = upload["with"]["path"].split()
    assert {"artifacts/report.md", "artifacts/metrics.json", "artifacts/*.png"} <= set(paths)
    assert all(path.startswith("artifacts/") for path in paths), "the download into artifacts/ relies on one root"
    assert job["outputs"]["report-artifact"] == "${{ steps.upload-report.outputs.artifact-id }}"
    assert job["outputs"]["report-url"] == "${{ steps.upload-report.outputs.artifact-url }}"


def test_cml_training_runs_on_the_runner_the_repository_variable_names():
    """The job that trains takes `runs-on` from vars.CML_RUNS_ON (a JSON label list, or a JSON string;
    default ubuntu-latest); the comment jobs, which train nothing, stay on GitHub's hosted runners."""
    by_name = dict(jobs(ROOT / WORKFLOW_DIR / "cml.yaml"))

    runs_on = {name: job["runs-on"] for name, job in by_name.items()}

    assert runs_on.pop("report") == RUNS_ON_FROM_VARIABLE
    assert set(runs_on.values()) == {"ubuntu-latest"}


@pytest.mark.parametrize("job_name", ["comment-pr", "comment-commit"], ids=["pr", "push"])
def test_cml_comment_jobs_run_after_a_failed_gate_on_the_downloaded_report(job_name):
    """A comment job runs whenever the report job uploaded a report (a failed gate fails that job), downloads it
    into artifacts/, installs no ML stack, and gives the token to `invoke comment` alone."""
    job = dict(jobs(ROOT / WORKFLOW_DIR / "cml.yaml"))[job_name]
    steps = job["steps"]

    download = next(i for i, step in enumerate(steps) if step.get("uses", "").startswith("actions/download-artifact@"))
    comment = next(i for i, step in enumerate(steps) if step.get("run") == "invoke comment")
    with_token = [step for step in steps if "GITHUB_TOKEN" in step.get("env", {})]

    assert job["needs"] == "report"
    assert job["if"].startswith("${{ !cancelled() && ")
    assert job["if"].endswith(" && needs.report.outputs.report-artifact != '' }}")
    assert steps[download]["with"] == {"name": "cml-report", "path": "artifacts"}
    assert download < comment
    assert "uv pip install --system -r requirements-report.txt -c requirements.lock" in run_lines(job)
    assert with_token == [steps[comment]]
    assert steps[comment]["env"] == {
        "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
        "CML_REPORT_URL": "${{ needs.report.outputs.report-url }}",  # the comment links the artifact
    }


def test_baseline_is_the_pr_base_branch_or_the_pushed_commits_parent_through_env():
    """`invoke baseline` runs on PRs (the base branch) and pushes (the parent commit), told the ref via
    INVOKE_BASELINE_REF, not an expression in `run:`; it alone gets the token (to download the run artifact)
    and, with `invoke data`, the DVC remote's credentials; it runs before training (which may reuse it), and a
    baseline that cannot be made does not fail the job."""
    steps = dict(jobs(ROOT / WORKFLOW_DIR / "cml.yaml"))["report"]["steps"]

    baseline = next(step for step in steps if step.get("run") == "invoke baseline")

    assert "if" not in baseline
    assert baseline["env"] == {
        "INVOKE_BASELINE_REF": "${{ github.event_name == 'pull_request' && format('origin/{0}', github.base_ref)"
        " || 'HEAD~1' }}",
        "GITHUB_TOKEN": "${{ secrets.GITHUB_TOKEN }}",
        # a retrained base branch pulls its own DVC data version when the PR changed it
        **{name: f"${{{{ secrets.{name} }}}}" for name in REMOTE_CREDENTIALS},
    }
    assert baseline["continue-on-error"] is True


def requirement_closure(path: Path) -> set[str]:
    """The distributions a requirements file names, with everything they depend on (installed metadata)."""
    names = [line.split("#")[0].strip() for line in path.read_text().splitlines()]
    pending = [name for name in names if name and not name.startswith("-")]
    found: set[str] = set()
    while pending:
        name = normalise(pending.pop())
        if name in found:
            continue
        found.add(name)
        for requirement in importlib.metadata.requires(name) or []:
            if "extra ==" not in requirement:
                pending.append(re.match(r"[A-Za-z0-9._-]+", requirement)[0])
    return found


def normalise(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def test_requirements_report_txt_covers_what_invoke_report_and_comment_import():
    """The comment jobs install only requirements-report.txt: every project module that tasks.py and
    `python -m reporting` load imports nothing else (and torch is not loaded at all)."""
    script = (
        "import sys, tasks, reporting.cli\n"
        f"print('\\n'.join(m.__file__ for m in list(sys.modules.values()) if (getattr(m, '__file__', None) or '')"
        f".startswith({str(ROOT)!r})))\n"
    )
    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True, check=True)
    # The project's own source files only: a virtualenv inside the checkout (the README's `.venv`) holds
    # installed packages under the same root, compiled extensions among them.
    loaded = [Path(line) for line in done.stdout.splitlines() if line.endswith(".py") and "site-packages" not in line]
    distributions = importlib.metadata.packages_distributions()

    imported = {name for path in loaded for name in imported_top_level_names(path)}
    third_party = {normalise(dist) for name in imported for dist in distributions.get(name, [])}

    assert Path(ROOT / "reporting" / "github_comment.py") in loaded
    assert "torch" not in imported
    assert third_party - requirement_closure(ROOT / "requirements-report.txt") == set()


def imported_top_level_names(path: Path) -> set[str]:
    """Top-level names of every absolute import in a source file, wherever in the file it is."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.Import):
            names.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module.split(".")[0])
    return names


@pytest.mark.parametrize(("workflow", "name", "job"), every_job(), ids=JOB_IDS)
def test_pages_and_id_token_write_only_in_the_job_that_deploys_the_history_page(workflow, name, job):
    """`pages: write` and `id-token: write` go to cml.yaml's `pages` job alone, which runs after the release,
    makes the page with `invoke history` and `invoke dashboard`, and deploys it; it trains nothing."""
    permissions = job.get("permissions") or {}
    deploys = (workflow, name) == ("cml.yaml", "pages")

    assert (permissions.get("pages") == "write") == deploys
    assert (permissions.get("id-token") == "write") == deploys
    if deploys:
        uses = [step.get("uses", "").split("@")[0] for step in job["steps"]]
        assert job["needs"] == "release" and permissions["contents"] == "read"
        assert invoked_tasks(job) == ["history", "dashboard"]
        assert uses[-2:] == ["actions/upload-pages-artifact", "actions/deploy-pages"]
        assert job["environment"]["name"] == "github-pages"
