"""The PR loop end to end: cml.yaml's report job (`invoke baseline`, `INVOKE_TRAIN_REUSE=auto invoke train`,
`invoke report`) in a clone of a repository whose main has a CML run on a local fake of GitHub. A pull request
that changes nothing training reads trains 0 times and says since which run; one that changes what training
reads trains once and says what differed (issue 18)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
from fake_github import PULL_REQUEST, READ_TOKEN, FakeGitHub
from helpers import ROOT, git, set_epochs

from training.inputs import sha256_file

# What the clone's report job needs (training, reporting, the tasks and what they import), the user's own model
# and files a PR may touch that training never reads.
PROJECT = (
    "core",
    "training",
    "commands",
    "delivery",
    "reporting",
    "examples",
    "tasks.py",
    "invoke.yaml",
    "requirements.lock",
    ".gitignore",
    "README.md",
    ".github/workflows",
    "tests/test_reuse.py",
)
USER_MODEL = "examples.my_model:build"  # a module:function model in a file outside training/ and core/
# Uploaded as cml.yaml's report job uploads them (the `cml-report` artifact).
UPLOADED = ("report.md", "metrics.json", "predictions.csv", "model.pt", "classification_report.txt")
# A training process started by `invoke train` (echoed); the reuse check is `-m training.reuse`.
TRAINING_LAUNCH = re.compile(r" -m training --dataset ")
STEP_TIMEOUT = 240

pytestmark = pytest.mark.slow  # 4 real trainings and 20 invoke runs: 75-100 s on 2 busy cores


def fast_settings(repo: Path) -> None:
    """invoke.yaml for a run of seconds: 1 epoch of the user's model on the CPU, and no gate rule that such a short
    run would break (the loop is under test, not the model)."""
    config = repo / "invoke.yaml"
    text = config.read_text()
    for pattern, line in (
        (r"(?m)^  model: \S+", f"  model: {USER_MODEL}"),
        (r"(?m)^  device: \S+", "  device: cpu"),
        (r"(?m)^  min_accuracy: \S+", "  min_accuracy: null"),
        (r"(?m)^  max_drop: \S+", "  max_drop: null"),
    ):
        text, count = re.subn(pattern, line, text, count=1)
        assert count == 1, f"invoke.yaml has no line matching {pattern!r}"
    config.write_text(text)
    set_epochs(repo, 1)


def job_env(**extra: str) -> dict[str, str]:
    """This process's environment without any GitHub, CML or invoke setting of its own, plus `extra`."""
    inherited = {
        key: value
        for key, value in os.environ.items()
        if not key.startswith(("GITHUB_", "INVOKE_", "CML_")) and key != "REPO_TOKEN"
    }
    return inherited | extra


def invoke(repo: Path, env: dict[str, str], *task: str) -> subprocess.CompletedProcess:
    """`invoke TASK...` in `repo`, as a workflow step runs it."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", *task], cwd=repo, env=env, capture_output=True, text=True, timeout=STEP_TIMEOUT
    )


def output(done: subprocess.CompletedProcess) -> str:
    return done.stdout + done.stderr


def trainings(log: str) -> int:
    """How many training processes the steps' logs show started (invoke echoes each command it runs)."""
    return len(TRAINING_LAUNCH.findall(log))


@pytest.fixture(scope="module")
def origin(tmp_path_factory: pytest.TempPathFactory) -> dict:
    """A repository whose main holds the project (1-epoch user model), trained and reported once for real as
    main's CML run would: {"repo", "commit", "files" (the cml-report artifact's files)}."""
    repo = tmp_path_factory.mktemp("pr-loop") / "origin"
    repo.mkdir()
    for name in PROJECT:
        source, target = ROOT / name, repo / name
        target.parent.mkdir(parents=True, exist_ok=True)
        if source.is_dir():
            shutil.copytree(source, target, ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
        else:
            shutil.copy(source, target)
    fast_settings(repo)
    git(repo, "init", "--quiet", "--initial-branch", "main")
    git(repo, "add", "--all")
    git(repo, "commit", "--quiet", "-m", "main")
    env = job_env(INVOKE_TRAIN_REUSE="auto", GITHUB_EVENT_NAME="push", GITHUB_REF_NAME="main")

    trained = invoke(repo, env, "train")
    reported = invoke(repo, env, "report")

    assert trained.returncode == 0, output(trained)[-3000:]
    assert trainings(output(trained)) == 1, output(trained)
    assert reported.returncode == 0, output(reported)[-3000:]
    artifacts = repo / "artifacts"
    files = {name: (artifacts / name).read_bytes() for name in UPLOADED}
    files |= {png.name: png.read_bytes() for png in sorted(artifacts.glob("*.png"))}
    return {"repo": repo, "commit": git(repo, "rev-parse", "HEAD"), "files": files}


@pytest.fixture
def fake(httpserver, origin: dict) -> FakeGitHub:
    """GitHub with main's CML run (run #3: two PR runs came first) holding the origin's cml-report artifact."""
    fake = FakeGitHub(httpserver)
    for _ in range(2):
        fake.add_run("e" * 40, files=None, branch="docs", event="pull_request")
    fake.add_run(origin["commit"], files=origin["files"])
    return fake


def pull_request(origin: dict, tmp_path: Path, name: str, edit: Callable[[Path], None]) -> tuple[Path, str]:
    """A clone of the origin (origin/main there, as checkout's fetch-depth 0 leaves it) on branch `name`, one
    commit off main made by `edit`; (clone, its head commit)."""
    clone = tmp_path / "clone"
    subprocess.run(["git", "clone", "--quiet", str(origin["repo"]), str(clone)], check=True, capture_output=True)
    git(clone, "switch", "--quiet", "-c", name)
    edit(clone)
    assert git(clone, "status", "--porcelain"), f"the {name} edit changed nothing"
    git(clone, "commit", "--quiet", "--all", "-m", name)
    return clone, git(clone, "rev-parse", "HEAD")


def report_job(clone: Path, fake: FakeGitHub, head: str, branch: str) -> dict:
    """cml.yaml's report job for a pull request into main (read-only token), less its steps that train nothing and
    change nothing here (`invoke data` without DVC, `invoke production` with no release); each step's output."""
    env = job_env(
        **fake.env(READ_TOKEN),
        GITHUB_EVENT_NAME="pull_request",
        GITHUB_BASE_REF="main",
        GITHUB_HEAD_REF=branch,
        GITHUB_REF_NAME=f"{PULL_REQUEST}/merge",
        GITHUB_SHA=head,
    )
    baseline = invoke(clone, env | {"INVOKE_BASELINE_REF": "origin/main"}, "baseline")
    train = invoke(clone, env | {"INVOKE_TRAIN_REUSE": "auto"}, "train")
    report = invoke(clone, env, "report")
    assert baseline.returncode == 0, output(baseline)[-3000:]
    assert train.returncode == 0, output(train)[-3000:]
    assert report.returncode == 0, output(report)[-3000:]
    return {
        "baseline": output(baseline),
        "train": output(train),
        "log": output(baseline) + output(train) + output(report),
    }


def edit(path: str, old: str, new: str) -> Callable[[Path], None]:
    """A PR's change: the first `old` in `path` replaced by `new`."""

    def change(repo: Path) -> None:
        file = repo / path
        text = file.read_text()
        assert old in text, f"{path} has no {old!r}"
        file.write_text(text.replace(old, new, 1))

    return change


def append(path: str, line: str) -> Callable[[Path], None]:
    """A PR's change: one line added at the end of `path`."""

    def change(repo: Path) -> None:
        file = repo / path
        file.write_text(file.read_text() + line + "\n")

    return change


def main_run(fake: FakeGitHub, origin: dict) -> dict:
    return next(run for run in fake.runs if run["head_sha"] == origin["commit"])


def test_the_base_run_records_the_user_model_file_and_not_the_files_a_pr_only_touches(origin: dict) -> None:
    """main's run lists examples/my_model.py (the --model module:function file) by its sha256 in run.inputs,
    with the training code; README.md, tests/ and .github/ are not training inputs."""
    run = json.loads(origin["files"]["metrics.json"])["run"]

    files = run["inputs"]["files"]

    assert run["model"] == USER_MODEL
    assert files["examples/my_model.py"] == sha256_file(origin["repo"] / "examples" / "my_model.py")
    assert "training/loop.py" in files
    assert run["inputs"]["config"]["epochs"] == 1
    assert not [path for path in files if path == "README.md" or path.startswith(("tests/", ".github/"))]


@pytest.mark.parametrize(
    "change",
    [
        append("README.md", "One more line of documentation."),
        append("tests/test_reuse.py", "# a test file's edit"),
        edit(".github/workflows/docker-infer.yaml", "name: Docker (infer)", "name: Docker (inference image)"),
    ],
    ids=["readme", "tests-file", "docker-infer-workflow"],
)
def test_a_pr_that_changes_nothing_training_reads_trains_0_times_and_says_since_which_run(
    origin: dict, fake: FakeGitHub, tmp_path: Path, change: Callable[[Path], None]
) -> None:
    """No training process: the run is main's, byte for byte, reused_from names main's commit and run #3, and the
    report's headline says "Not retrained" since main @ its short sha (run #3)."""
    clone, head = pull_request(origin, tmp_path, "pr", change)
    run = main_run(fake, origin)

    job = report_job(clone, fake, head, "pr")

    artifacts = clone / "artifacts"
    metrics = json.loads((artifacts / "metrics.json").read_text())
    report = (artifacts / "report.md").read_text()
    assert json.loads((clone / "baseline" / "metrics.json").read_text())["baseline_source"]["kind"] == "github"
    assert trainings(job["log"]) == 0, job["log"]
    assert "not retrained" in job["train"]
    assert (artifacts / "model.pt").read_bytes() == origin["files"]["model.pt"]
    assert metrics["run"]["commit"] == origin["commit"]
    assert metrics["run"]["reused_from"] == {
        "commit": origin["commit"],
        "ref": "main",
        "kind": "github",
        "run_id": run["id"],
        "run_number": 3,
        "run_url": run["html_url"],
    }
    assert (
        f"**Not retrained**: nothing that training reads changed since main @ `{origin['commit'][:7]}` "
        f"([run #3]({run['html_url']}))."
    ) in report
    assert "Retrained:" not in report


@pytest.mark.parametrize(
    ("change", "differed"),
    [
        (append("training/loop.py", "# one line a PR added to the training loop"), "`training/loop.py` changed"),
        (lambda repo: set_epochs(repo, 2), "`epochs` 1 → 2"),
        (edit("examples/my_model.py", "width = 32", "width = 24"), "`examples/my_model.py` changed"),
    ],
    ids=["training-loop-line", "invoke-yaml-epochs", "user-model-file"],
)
def test_a_pr_that_changes_what_training_reads_trains_once_and_says_what_differed(
    origin: dict, fake: FakeGitHub, tmp_path: Path, change: Callable[[Path], None], differed: str
) -> None:
    """One training process, this PR's own run (no reused_from, its own commit), compared with main's run #3, and
    the report's headline says "Retrained:" naming exactly what differed."""
    clone, head = pull_request(origin, tmp_path, "pr", change)

    job = report_job(clone, fake, head, "pr")

    artifacts = clone / "artifacts"
    metrics = json.loads((artifacts / "metrics.json").read_text())
    report = (artifacts / "report.md").read_text()
    assert json.loads((clone / "baseline" / "metrics.json").read_text())["baseline_source"]["kind"] == "github"
    assert trainings(job["log"]) == 1, job["log"]
    assert f"retraining: {differed}" in job["train"]
    assert "reused_from" not in metrics["run"]
    assert metrics["run"]["commit"] == head
    assert f"Compared with main @ `{origin['commit'][:7]}` ([run #3]" in report
    assert f"Retrained: {differed}." in report.splitlines()
    assert "Not retrained" not in report
