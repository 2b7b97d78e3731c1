"""Tests for reporting/github_baseline.py and the sources of `python -m reporting baseline`, against a local
fake of the GitHub API (tests/fake_github.py) and real temporary git repositories."""

from __future__ import annotations

import json
import os
from pathlib import Path
from types import SimpleNamespace

import pytest
from fake_github import REPOSITORY, WRITE_TOKEN, FakeGitHub, zip_bytes
from fake_metrics import three_classes
from helpers import add_training_commit, git

from reporting.baseline import no_baseline_note
from reporting.cli import main
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from reporting.github_baseline import Unavailable, baseline_files, pick_run

PREDICTIONS = "id,label,prediction,confidence\ndigits/0,0,0,0.99\n"


@pytest.fixture
def fake(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


def advance(repo: Path, count: int) -> list[str]:
    """`count` more commits on main (origin/main follows, as after a fetch); their ids, oldest first."""
    made = []
    for n in range(count):
        git(repo, "commit", "--quiet", "--allow-empty", "-m", f"change {n}")
        made.append(git(repo, "rev-parse", "HEAD"))
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    return made


def report_files(accuracy_mistakes: int = 1) -> dict[str, str]:
    """What the CML workflow uploads as `cml-report` (only metrics.json and predictions.csv are unpacked)."""
    metrics = three_classes({(0, 1): accuracy_mistakes})
    return {"metrics.json": json.dumps(metrics), "predictions.csv": PREDICTIONS, "report.md": "# report\n"}


def baseline(repo: Path, out: Path, env: dict[str, str], *extra: str, ref: str = "origin/main") -> int:
    argv = ["baseline", "--ref", ref, "--out", str(out), "--repo", str(repo), "--backoff", "0", *extra]
    return main(argv, env=env)


def test_the_base_branchs_run_artifact_is_used_and_says_where_it_came_from(repo: Path, tmp_path: Path, fake):
    """auto with a token: the artifact of main's run for its head commit becomes the baseline (no training:
    this repository has no training code) with the run it came from; predictions.csv lands beside it."""
    (head,) = advance(repo, 1)
    run = fake.add_run(head, files=report_files())
    out = tmp_path / "baseline" / "metrics.json"

    code = baseline(repo, out, fake.env())

    made = json.loads(out.read_text())
    assert code == EXIT_OK
    assert made["accuracy"] == json.loads(report_files()["metrics.json"])["accuracy"]
    assert made["baseline_source"] == {
        "kind": "github",
        "ref": "main",
        "commit": head,
        "run_id": run["id"],
        "run_number": 1,
        "run_url": run["html_url"],
        "head_commit": head,
        "commits_behind": 0,
    }
    assert (out.parent / "predictions.csv").read_text() == PREDICTIONS
    assert sorted(path.name for path in out.parent.iterdir()) == ["metrics.json", "predictions.csv"]


def test_the_runs_model_and_report_files_land_beside_the_baseline(repo: Path, tmp_path: Path, fake):
    """model.pt, the text report and the PNGs of the run's artifact are kept beside metrics.json, so a run that
    changes nothing training reads can take the whole set (training.reuse); report.md is not taken."""
    (head,) = advance(repo, 1)
    extras = {"model.pt": b"\x80weights", "classification_report.txt": "report", "confusion_matrix.png": b"png"}
    fake.add_run(head, files=report_files() | extras)
    out = tmp_path / "baseline" / "metrics.json"

    baseline(repo, out, fake.env())

    assert (out.parent / "model.pt").read_bytes() == b"\x80weights"
    assert (out.parent / "confusion_matrix.png").read_bytes() == b"png"
    assert sorted(path.name for path in out.parent.iterdir()) == [
        "classification_report.txt",
        "confusion_matrix.png",
        "metrics.json",
        "model.pt",
        "predictions.csv",
    ]


def test_the_token_goes_to_the_api_only_never_to_the_redirect_target(repo: Path, tmp_path: Path, fake):
    """The API's 302 to the storage URL is followed without the Authorization header."""
    (head,) = advance(repo, 1)
    fake.add_run(head, files=report_files())

    baseline(repo, tmp_path / "metrics.json", fake.env())

    assert fake.count("GET", r"/actions/artifacts/\d+/zip$") == 1
    assert fake.storage_auth == [None]


def test_a_run_for_an_older_commit_is_used_and_says_how_far_behind(repo: Path, tmp_path: Path, fake):
    """With no run for main's head (still running, or failed), the closest older commit's run is used, and the
    baseline records how many commits behind the head it is; runs for commits not in main's history are skipped."""
    older, _newer, head = advance(repo, 3)
    fake.add_run(git(repo, "rev-parse", "HEAD~3"), files=report_files())
    fake.add_run(older, files=report_files())
    fake.add_run("f" * 40, files=report_files())  # a force-pushed commit, no longer in main's history
    out = tmp_path / "metrics.json"

    code = baseline(repo, out, fake.env())

    source = json.loads(out.read_text())["baseline_source"]
    assert code == EXIT_OK
    assert (source["commit"], source["commits_behind"], source["head_commit"]) == (older, 2, head)


def test_a_push_to_main_compares_with_its_parents_run(repo: Path, tmp_path: Path, fake):
    """On a push to main (ref HEAD~1, branch from GITHUB_REF_NAME) the parent's run is the baseline, so main's
    own report says what the push changed."""
    parent, head = advance(repo, 2)
    fake.add_run(parent, files=report_files())
    fake.add_run(head, files=report_files())
    out = tmp_path / "metrics.json"

    code = baseline(repo, out, fake.env(GITHUB_REF_NAME="main"), ref="HEAD~1")

    source = json.loads(out.read_text())["baseline_source"]
    assert code == EXIT_OK
    assert (source["ref"], source["commit"], source["commits_behind"]) == ("main", parent, 0)


def test_5xx_answers_are_retried(repo: Path, tmp_path: Path, fake):
    """502s from the API and 500s from storage are retried; the baseline is still the run artifact."""
    (head,) = advance(repo, 1)
    fake.add_run(head, files=report_files())
    fake.fail("GET", r"/workflows/.*/runs$", 502, times=2)
    fake.fail("GET", r"/zip$", 503)
    fake.fail("GET", r"^/storage/", 500, times=2)
    out = tmp_path / "metrics.json"

    code = baseline(repo, out, fake.env(), "--retries", "3")

    assert code == EXIT_OK
    assert json.loads(out.read_text())["baseline_source"]["kind"] == "github"
    assert fake.count("GET", r"/workflows/.*/runs$") == 3
    assert len(fake.storage_auth) == 3


def _no_run(fake: FakeGitHub, head: str) -> None:
    fake.add_run(head, files=report_files(), branch="feature")  # another branch's runs do not count


def _failed_run(fake: FakeGitHub, head: str) -> None:
    fake.add_run(head, files=report_files(), conclusion="failure")


def _expired(fake: FakeGitHub, head: str) -> None:
    fake.add_run(head, files=report_files(), expired=True)


def _expired_at_download(fake: FakeGitHub, head: str) -> None:
    fake.add_run(head, files=report_files())
    fake.fail("GET", r"/zip$", 410, message="Artifact has expired")  # expired since it was listed


def _missing(fake: FakeGitHub, head: str) -> None:
    fake.add_run(head, files=None)


def _download_fails(fake: FakeGitHub, head: str) -> None:
    fake.add_run(head, files=report_files())
    fake.fail("GET", r"^/storage/", 500, times=10)


def _no_metrics_inside(fake: FakeGitHub, head: str) -> None:
    fake.add_run(head, files={"report.md": "# report\n"})


@pytest.mark.parametrize(
    ("arrange", "reason"),
    [
        (_no_run, "no successful cml.yaml run on main for {head} or an older commit"),
        (_failed_run, "no successful cml.yaml run on main for {head} or an older commit"),
        (_expired, "no CML run artifact for {head}, expired"),
        (_expired_at_download, "no CML run artifact for {head}, expired"),
        (_missing, "no CML run artifact for {head}, missing"),
        (_download_fails, "artifact download failed (500 after 2 retries)"),
        (_no_metrics_inside, "the CML run artifact holds no metrics.json"),
    ],
    ids=["no-run", "failed-run", "expired", "expired-at-download", "missing", "download-fails", "no-metrics-inside"],
)
def test_auto_retrains_when_github_has_no_usable_artifact(
    repo: Path, tmp_path: Path, fake, capsys: pytest.CaptureFixture, arrange, reason: str
):
    """auto never fails for a missing baseline run: it says why and retrains the ref (here: a ref without
    training code, so the report is told there is no baseline)."""
    (head,) = advance(repo, 1)
    arrange(fake, head)
    out = tmp_path / "metrics.json"

    code = baseline(repo, out, fake.env(), "--retries", "2")

    err = capsys.readouterr().err
    assert code == EXIT_OK
    assert f"reporting: {reason.format(head=head[:7])}: retraining origin/main instead" in err
    assert "has no training code yet" in no_baseline_note(out).read_text()


def test_github_source_fails_with_the_reason_when_there_is_no_artifact(
    repo: Path, tmp_path: Path, fake, capsys: pytest.CaptureFixture
):
    """--source github does not fall back: exit 1 with the reason, noted for the report; an older baseline's
    files are removed, so no report compares with them."""
    (head,) = advance(repo, 1)
    _expired(fake, head)
    out = tmp_path / "metrics.json"
    for stale in (out, tmp_path / "predictions.csv"):
        stale.write_text("from an older run\n")

    code = baseline(repo, out, fake.env(), "--source", "github")

    assert code == EXIT_FAILED
    assert f"no baseline from GitHub: no CML run artifact for {head[:7]}, expired" in capsys.readouterr().err
    assert no_baseline_note(out).read_text().startswith("no baseline could be made: no baseline from GitHub")
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == ["metrics.none.txt"]


@pytest.mark.parametrize(
    ("env", "extra", "reason"),
    [
        ({}, (), "no GitHub token and repository to fetch the CML run artifact"),
        ({"GITHUB_TOKEN": WRITE_TOKEN, "GITHUB_REPOSITORY": REPOSITORY}, ("--epochs", "2"), "--epochs given"),
    ],
    ids=["no-token", "override-given"],
)
def test_auto_retrains_without_asking_github_when_it_cannot_or_must_not(
    repo: Path, tmp_path: Path, fake, capsys: pytest.CaptureFixture, env: dict, extra: tuple, reason: str
):
    """Without a token (`invoke ci` on a laptop) or with a training override, auto retrains at once."""
    advance(repo, 1)

    code = baseline(repo, tmp_path / "metrics.json", {**env, "GITHUB_API_URL": fake.api_url}, *extra)

    assert code == EXIT_OK
    assert f"reporting: {reason}: retraining origin/main instead" in capsys.readouterr().err
    assert fake.requests == []


def test_github_source_refuses_training_overrides(repo: Path, tmp_path: Path, fake, capsys: pytest.CaptureFixture):
    """--source github with --epochs is a contradiction: exit 2, one line."""

    code = baseline(repo, tmp_path / "metrics.json", fake.env(), "--source", "github", "--epochs", "3")

    assert code == EXIT_BAD_INPUT
    assert "need a retrained baseline" in capsys.readouterr().err


@pytest.mark.slow
def test_expired_artifact_retrains_the_base_branch_and_records_why(repo: Path, tmp_path: Path, fake):
    """The artifact of main's run has expired: main is retrained (its own invoke.yaml: 1 epoch) and the baseline
    records the reason for the report's headline."""
    head = add_training_commit(repo, epochs=1)
    git(repo, "update-ref", "refs/remotes/origin/main", "HEAD")
    _expired(fake, head)
    out = tmp_path / "metrics.json"

    code = baseline(repo, out, {**os.environ, **fake.env()})

    made = json.loads(out.read_text())
    assert code == EXIT_OK
    assert made["run"]["epochs"] == 1
    assert made["baseline_source"] == {
        "kind": "train",
        "ref": "main",
        "git_ref": "origin/main",
        "commit": head,
        "retrain_reason": f"no CML run artifact for {head[:7]}, expired",
    }


def test_pick_run_prefers_the_exact_commit_then_the_closest_ancestor():
    """The run for the wanted commit wins at once; otherwise the fewest commits behind; None when none fits."""
    runs = [SimpleNamespace(head_sha=sha) for sha in ("far", "near", "other", "exact", "late")]
    distances = {"far": 5, "near": 1, "exact": 0, "late": 0}

    picked = pick_run(runs, distances.get)
    without_exact = pick_run(runs[:3], distances.get)
    unrelated = pick_run(runs[2:3], distances.get)

    assert picked == (runs[3], 0)
    assert without_exact == (runs[1], 1)
    assert unrelated is None


def test_only_the_baseline_files_are_taken_from_the_archive_by_exact_name():
    """Paths in the zip decide nothing: ../ names and other files are ignored; a bad metrics.json is refused."""
    metrics = three_classes()
    archive = zip_bytes({"metrics.json": json.dumps(metrics), "../predictions.csv": "x", "model.pt": b"\0"})

    found, predictions = baseline_files(archive)

    assert (found, predictions) == (metrics, None)
    with pytest.raises(Unavailable, match=r"metrics\.json is unusable: missing accuracy"):
        baseline_files(zip_bytes({"metrics.json": "{}"}))
    with pytest.raises(Unavailable, match="unreadable"):
        baseline_files(b"not a zip")
