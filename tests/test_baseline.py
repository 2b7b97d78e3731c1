"""Tests for reporting/baseline.py via `python -m reporting baseline`, on real temporary git repositories."""

from __future__ import annotations

import json
import re
import sys
from pathlib import Path

import pytest
import yaml
from dvc_repo import needs_dvc, run, stripes_folder, template_repo, track_with_dvc
from helpers import add_training_commit, git, set_epochs

from reporting.baseline import (
    BaselineError,
    checkout_data,
    commits_behind,
    link_downloads,
    no_baseline_note,
    temporary_worktree,
    training_command,
    training_env,
)
from reporting.cli import main
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK


def baseline(repo: Path, ref: str, out: Path, *extra: str) -> int:
    return main(["baseline", f"--ref={ref}", "--out", str(out), "--repo", str(repo), "--source", "train", *extra])


def test_ref_without_training_code_writes_no_metrics_but_notes_why(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """A base branch from before the training code is not an error: no metrics, exit 0, a message saying so,
    and the reason noted beside OUT for the report."""
    out = tmp_path / "baseline" / "metrics.json"
    commit = git(repo, "rev-parse", "HEAD")

    code = baseline(repo, "main", out)

    assert code == EXIT_OK
    assert not out.exists()
    assert no_baseline_note(out) == tmp_path / "baseline" / "metrics.none.txt"
    assert no_baseline_note(out).read_text() == f"main at {commit[:7]} has no training code yet\n"
    assert "has no training code yet: no baseline written" in capsys.readouterr().err


def test_stale_baseline_is_removed_when_none_can_be_made(repo: Path, tmp_path: Path) -> None:
    """An older baseline file would be compared with by mistake, so it goes when the ref has no training code."""
    out = tmp_path / "metrics.json"
    out.write_text("{}")

    baseline(repo, "main", out)

    assert not out.exists()


@pytest.mark.parametrize("ref", ["origin/main", "--help"], ids=["not-fetched", "option-like"])
def test_unknown_ref_is_a_one_line_error(repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture, ref: str) -> None:
    """A ref that does not exist (e.g. not fetched in CI) is bad input: exit 2 naming it and how to fix it,
    and the note for the report says no baseline could be made."""
    out = tmp_path / "metrics.json"

    code = baseline(repo, ref, out)

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT == 2
    assert err.startswith(f"python -m reporting baseline: error: ref {ref!r} not found")
    assert "fetch" in err and err.count("\n") == 1
    assert not out.exists()
    assert no_baseline_note(out).read_text().startswith(f"no baseline could be made: ref {ref!r} not found")


@pytest.mark.parametrize(
    ("flags", "message"),
    [(["--epochs", "0"], "argument --epochs: must be at least 1, got 0"), (["--seed", "-1"], "argument --seed")],
    ids=["zero-epochs", "negative-seed"],
)
def test_training_flags_are_checked_as_python_m_training_does(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture, flags: list[str], message: str
) -> None:
    """--epochs below 1 or a negative --seed is a usage error (exit 2, one line) before anything is checked out."""

    with pytest.raises(SystemExit) as caught:
        baseline(repo, "main", tmp_path / "metrics.json", *flags)

    err = capsys.readouterr().err
    assert caught.value.code == EXIT_BAD_INPUT
    assert err.startswith("python -m reporting baseline: error: ") and message in err and err.count("\n") == 1


def test_training_command_runs_the_refs_own_invoke_train_with_only_the_overrides_given() -> None:
    """The baseline runs the ref's own `invoke train` with this interpreter; only flags given become flags."""

    plain = training_command({})
    overridden = training_command({"epochs": 3, "seed": 7})

    assert plain == [sys.executable, "-m", "invoke", "train"]
    assert overridden == [*plain, "--epochs", "3", "--seed", "7"]


def test_training_env_keeps_this_checkouts_settings_out(tmp_path: Path) -> None:
    """INVOKE_* settings of this checkout (and this PR's GITHUB_SHA, the token and the DVC remote's credentials) do
    not reach the ref's training; its artifacts go to the scratch folder through INVOKE_ARTIFACTS, whatever the
    ref calls its flag; its `python` is this interpreter."""
    env = {"PATH": "/bin", "INVOKE_TRAIN_EPOCHS": "3", "INVOKE_ARTIFACTS": "mine", "GITHUB_SHA": "0" * 40}
    env |= {"GITHUB_TOKEN": "ghs_secret", "REPO_TOKEN": "ghp_secret"}
    env |= {"AWS_ACCESS_KEY_ID": "AKIA", "AWS_SECRET_ACCESS_KEY": "s3cret", "GOOGLE_APPLICATION_CREDENTIALS_JSON": "{}"}

    made = training_env(env, tmp_path)

    assert made == {"PATH": f"{Path(sys.executable).parent}:/bin", "INVOKE_ARTIFACTS": str(tmp_path)}


@pytest.mark.slow
def test_a_pr_changing_its_epochs_gets_the_base_branchs_own_result(
    repo: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The bug of issue 10: a PR that sets train.epochs in invoke.yaml (and in INVOKE_TRAIN_EPOCHS) is compared
    with main trained by main's own invoke.yaml, not with main trained the PR's way."""
    main_commit = add_training_commit(repo, epochs=2)
    git(repo, "switch", "--quiet", "-c", "pr")
    set_epochs(repo, 1)
    git(repo, "commit", "--quiet", "-am", "train for 1 epoch")
    monkeypatch.setenv("INVOKE_TRAIN_EPOCHS", "1")
    out = tmp_path / "baseline" / "metrics.json"

    code = baseline(repo, "main", out)

    made = json.loads(out.read_text())
    assert code == EXIT_OK
    assert made["run"]["epochs"] == 2
    assert made["baseline_source"] == {"kind": "train", "ref": "main", "git_ref": "main", "commit": main_commit}


def test_commits_behind_counts_from_an_ancestor_only(repo: Path) -> None:
    """0 for the same commit, N for an ancestor N commits back, None for a commit that is not an ancestor."""
    first = git(repo, "rev-parse", "HEAD")
    for n in range(2):
        git(repo, "commit", "--quiet", "--allow-empty", "-m", f"empty {n}")
    head = git(repo, "rev-parse", "HEAD")

    counts = [commits_behind(repo, first, head), commits_behind(repo, head, head), commits_behind(repo, head, first)]

    assert counts == [2, 0, None]


def test_training_that_fails_at_the_ref_is_exit_1_and_noted(
    repo: Path, tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    """Training code that fails at the ref is a runtime failure (exit 1), not bad input; an older baseline goes
    and the note for the report says why there is none."""
    (repo / "training").mkdir()
    (repo / "training" / "__main__.py").write_text("raise SystemExit(5)\n")
    (repo / "tasks.py").write_text(
        "from invoke import task\n\n\n@task\ndef train(c):\n    c.run('python -m training')\n"
    )
    git(repo, "add", "training", "tasks.py")
    git(repo, "commit", "--quiet", "-m", "broken training")
    out = tmp_path / "metrics.json"
    out.write_text("{}")

    code = baseline(repo, "main", out)

    assert code == EXIT_FAILED
    assert "python -m reporting baseline: error: training " in capsys.readouterr().err
    assert not out.exists()
    assert "failed (exit code 5)" in no_baseline_note(out).read_text()


def test_outside_a_repository_is_a_one_line_error(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """Run outside any git repository, the command says so instead of failing in git."""
    outside = tmp_path / "plain"
    outside.mkdir()

    code = baseline(outside, "main", tmp_path / "metrics.json")

    assert code == EXIT_BAD_INPUT
    assert "is not inside a git repository" in capsys.readouterr().err


@pytest.mark.slow
def test_baseline_reproduces_the_refs_training_exactly(
    repo: Path, tmp_path: Path, trained_checkpoint: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Training the ref in a worktree gives the very metrics of a direct run of the same code and flags (given
    on the command line: they override the ref's invoke.yaml, and the baseline records them), records the
    ref and commit it came from, and leaves no worktree behind."""
    commit = add_training_commit(repo)
    direct = json.loads((trained_checkpoint / "metrics.json").read_text())
    epochs, seed = direct["run"]["epochs"], direct["run"]["seed"]
    out = tmp_path / "baseline" / "metrics.json"
    no_baseline_note(out).parent.mkdir()
    no_baseline_note(out).write_text("from an earlier run\n")
    monkeypatch.setenv("GITHUB_SHA", "0" * 40)  # in CI this names the PR's commit, never the baseline's

    code = baseline(repo, "main", out, "--epochs", str(epochs), "--seed", str(seed))

    made = json.loads(out.read_text())
    assert code == EXIT_OK
    assert made["baseline_source"]["commit"] == commit
    assert made["baseline_source"]["overrides"] == {"seed": seed, "epochs": epochs}
    assert not no_baseline_note(out).exists()
    assert made["run"]["commit"] == commit
    for key in ("accuracy", "macro_f1", "per_class", "confusion_matrix", "best_epoch"):
        assert made[key] == direct[key], key
    assert [row["val_loss"] for row in made["history"]] == [row["val_loss"] for row in direct["history"]]
    assert git(repo, "worktree", "list").count("\n") == 0


def test_a_ref_tracking_dvc_data_without_dvc_installed_is_a_one_line_error(tmp_path: Path) -> None:
    """Retraining a ref that tracks data with DVC, with no dvc command: a BaselineError saying what to install."""
    source = tmp_path / "src"
    (source / ".dvc").mkdir(parents=True)
    (source / "data").mkdir()
    (source / "data" / "stripes.dvc").write_text("outs: []\n")
    (tmp_path / "bin").mkdir()

    with pytest.raises(BaselineError, match=r"^abcdef1 tracks data with DVC but dvc is not installed: pip install"):
        checkout_data(tmp_path, source, "abcdef1" + "0" * 33, {"PATH": str(tmp_path / "bin")})


def test_a_ref_without_dvc_data_needs_no_dvc(tmp_path: Path) -> None:
    """Nothing tracked with DVC: nothing to check out, and no dvc command needed."""
    (tmp_path / "src").mkdir()

    checkout_data(tmp_path, tmp_path / "src", "0" * 40, {"PATH": ""})


@pytest.mark.slow
@needs_dvc
def test_a_retrained_baseline_trains_on_its_own_commits_dvc_data(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A PR that changes a DVC-tracked dataset, in a fresh clone holding only the PR's data: the retrained
    baseline of main pulls and trains on main's version (metrics.json names it), the PR's data stays."""
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site-cache"))
    monkeypatch.setenv("DVC_NO_ANALYTICS", "1")
    origin = template_repo(tmp_path / "origin")
    settings = {"dataset": "folder:data/stripes", "epochs": "2", "image_size": "16", "batch_size": "16"}
    config = (origin / "invoke.yaml").read_text()
    for key, value in settings.items():
        config = re.sub(rf"(?m)^  {key}: \S+", f"  {key}: {value}", config, count=1)
    (origin / "invoke.yaml").write_text(config)
    stripes_folder(origin / "data" / "stripes", per_class=20)
    track_with_dvc(origin, "data/stripes", tmp_path / "remote", "train on data/stripes, versioned with DVC")
    run(origin, "git", "switch", "--quiet", "--create", "pr")
    stripes_folder(origin / "data" / "stripes", per_class=20, seed=1)  # same names, other pixels
    run(origin, "dvc", "add", "--quiet", "data/stripes")
    run(origin, "git", "commit", "--quiet", "--all", "--message", "new stripes")
    run(origin, "dvc", "push", "--quiet")
    versions = {
        branch: yaml.safe_load(run(origin, "git", "show", f"{branch}:data/stripes.dvc").stdout)["outs"][0]["md5"]
        for branch in ("main", "pr")
    }
    run(tmp_path, "git", "clone", "--quiet", "--branch", "pr", str(origin), "clone")
    clone = tmp_path / "clone"
    run(clone, sys.executable, "-m", "invoke", "data")
    pr_pixels = (clone / "data" / "stripes" / "vertical" / "000.png").read_bytes()
    out = tmp_path / "baseline" / "metrics.json"

    code = main(["baseline", "--ref=origin/main", "--out", str(out), "--repo", str(clone), "--source", "train"])

    assert code == EXIT_OK
    assert versions["main"] != versions["pr"]
    assert json.loads(out.read_text())["run"]["data_version"]["md5"] == versions["main"]
    assert (clone / "data" / "stripes" / "vertical" / "000.png").read_bytes() == pr_pixels


def test_downloaded_datasets_are_linked_into_the_worktree_not_downloaded_again(tmp_path: Path) -> None:
    """MNIST and CIFAR-10 folders of this checkout's data/ appear in the worktree's; folders the worktree has
    (tracked in git) and datasets never downloaded are left alone."""
    root, source = tmp_path / "checkout", tmp_path / "worktree"
    (root / "data" / "MNIST" / "raw").mkdir(parents=True)
    (root / "data" / "cifar-10-batches-py").mkdir(parents=True)
    (root / "data" / "FashionMNIST").mkdir(parents=True)
    (source / "data" / "FashionMNIST").mkdir(parents=True)  # the ref's own

    linked = link_downloads(root, source)

    assert linked == ["MNIST", "cifar-10-batches-py"]
    assert (source / "data" / "MNIST").resolve() == (root / "data" / "MNIST").resolve()
    assert (source / "data" / "MNIST" / "raw").is_dir()
    assert not (source / "data" / "FashionMNIST").is_symlink()


def test_removing_the_worktree_keeps_the_linked_datasets(repo: Path, tmp_path: Path) -> None:
    """The worktree goes after the retrain; the downloads it linked stay in this checkout, whole."""
    (repo / "data" / "MNIST" / "raw").mkdir(parents=True)
    (repo / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"pixels")

    with temporary_worktree(repo, git(repo, "rev-parse", "HEAD"), tmp_path / "worktree") as source:
        link_downloads(repo, source)
        assert (source / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").read_bytes() == b"pixels"

    assert not (tmp_path / "worktree").exists()
    assert (repo / "data" / "MNIST" / "raw" / "train-images-idx3-ubyte").read_bytes() == b"pixels"


def test_the_parent_of_the_first_commit_is_named_as_such_not_as_a_missing_fetch(repo: Path) -> None:
    """HEAD~1 of a repository's only commit (a fork made from the template): the error says there is no parent,
    not "fetch it first"; an unknown ref still says to fetch."""
    from reporting.baseline import BaselineInputError, find_commit

    with pytest.raises(
        BaselineInputError, match=r"^ref 'HEAD~1': HEAD is the repository's first commit, with no parent$"
    ):
        find_commit(repo, "HEAD~1")
    with pytest.raises(BaselineInputError, match="fetch it first"):
        find_commit(repo, "origin/main")
