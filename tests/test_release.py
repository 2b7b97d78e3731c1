"""`invoke release` / delivery.release_cli and delivery.promote_cli against a local fake of GitHub's releases API:
numbering, the four assets, promotion and pre-releases, the same commit twice, a race for N, rollback."""

from __future__ import annotations

import csv
import hashlib
import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fake_github import WRITE_TOKEN, FakeGitHub
from fake_metrics import make_metrics
from helpers import ROOT

from delivery import promote_cli, release_cli
from delivery.github_releases import Releases

ASSETS = {"model.pt", "metrics.json", "predictions.csv", "model-card.md"}
FIRST, SECOND, THIRD = ("1" * 40, "2" * 40, "3" * 40)
IMAGE = "ghcr.io/octo/cml/cml-infer"


@pytest.fixture
def fake(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


def release(fake: FakeGitHub, artifacts: Path, commit: str, out: Path, *flags: str, env: dict | None = None) -> int:
    argv = ["--artifacts", str(artifacts), "--out", str(out), "--commit", commit, "--image", IMAGE, *flags]
    return release_cli.main(argv, env=fake.env() if env is None else env)


def record(out: Path) -> dict:
    return json.loads((out / "release.json").read_text())


def breaking(source: Path, folder: Path, count: int) -> Path:
    """A copy of a run whose predictions get `count` more of its correct test samples wrong (and metrics to match)."""
    shutil.copytree(source, folder)
    with (source / "predictions.csv").open(newline="") as stream:
        rows = list(csv.DictReader(stream))
    labels = json.loads((source / "metrics.json").read_text())["labels"]
    broken = 0
    for row in rows:
        if broken < count and row["prediction"] == row["label"]:
            row["prediction"] = next(label for label in labels if label != row["label"])
            broken += 1
    with (folder / "predictions.csv").open("w", newline="") as stream:
        writer = csv.DictWriter(stream, fieldnames=list(rows[0]))
        writer.writeheader()
        writer.writerows(rows)
    index = {label: i for i, label in enumerate(labels)}
    matrix = [[0] * len(labels) for _ in labels]
    for row in rows:
        matrix[index[row["label"]]][index[row["prediction"]]] += 1
    original = json.loads((source / "metrics.json").read_text())
    metrics = make_metrics(matrix, labels) | {"run": original["run"], "history": original["history"]}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return folder


def test_two_pushes_release_v1_then_v2_as_production_each_with_its_four_assets(fake, digits_runs, tmp_path):
    """model-v1, then model-v2 (better) on the next commit: v2 is latest; each has the four assets, its model card
    names the sha256 of its own model.pt, and release.json holds the image tags and labels."""
    first, second = digits_runs("--epochs", "10"), digits_runs("--epochs", "30")

    assert release(fake, first, FIRST, tmp_path / "r1") == 0
    assert release(fake, second, SECOND, tmp_path / "r2") == 0

    assert [item["tag_name"] for item in fake.releases] == ["model-v1", "model-v2"]
    assert fake.latest_tag() == "model-v2"
    for tag, run in (("model-v1", first), ("model-v2", second)):
        assets = fake.assets(tag)
        assert set(assets) == ASSETS
        assert assets["model.pt"] == (run / "model.pt").read_bytes()
        assert hashlib.sha256(assets["model.pt"]).hexdigest() in assets["model-card.md"].decode()
    second_record = record(tmp_path / "r2")
    assert second_record["tag"] == "model-v2" and second_record["promoted"] and second_record["status"] == "published"
    assert second_record["image"]["tags"] == ["model-v2", "2222222", "latest"]
    labels = second_record["image"]["labels"]
    assert labels["org.opencontainers.image.version"] == "model-v2"
    assert labels["org.opencontainers.image.revision"] == SECOND
    assert labels["org.cnai.model.sha256"] == hashlib.sha256((second / "model.pt").read_bytes()).hexdigest()
    notes = fake.release("model-v2")["body"]
    assert "**promoted: +" in notes and "against model-v1" in notes
    build, push = (
        dry_invoke(*task, "--release", str(tmp_path / "r2"))
        for task in (("build-infer", "--model", str(second / "model.pt")), ("push-release",))
    )
    assert all(f"--tag {IMAGE}:{tag}" in build for tag in ("model-v2", "latest"))
    assert f"--label org.cnai.model.sha256={labels['org.cnai.model.sha256']}" in build
    assert "--label org.opencontainers.image.version=model-v2" in build
    assert [line.split()[-1] for line in push.splitlines() if line.startswith("docker push")] == [
        f"{IMAGE}:model-v2",
        f"{IMAGE}:2222222",
        f"{IMAGE}:latest",
    ]


def dry_invoke(*args: str) -> str:
    """What `invoke --dry ARGS` would run (its echoed commands), with the image named as CI names it."""
    env = {**os.environ, "INVOKE_DOCKER_NAMESPACE": "octo/cml"}
    done = subprocess.run(
        [sys.executable, "-m", "invoke", "--dry", *args], cwd=ROOT, env=env, capture_output=True, text=True
    )
    assert done.returncode == 0, done.stderr
    return done.stdout + done.stderr


def test_six_broken_is_a_pre_release_with_counts_and_p_value_then_promote_rolls_back(fake, digits_runs, tmp_path):
    """A run breaking 6 of production's correct samples and fixing none: a pre-release, not latest, its notes
    giving 0 fixed, 6 broken, p = 0.031. `promote --release model-v1` makes v1 latest again and says what was."""
    good = digits_runs("--epochs", "30")
    worse = breaking(good, tmp_path / "worse", 6)
    assert release(fake, good, FIRST, tmp_path / "r1") == 0

    assert release(fake, worse, SECOND, tmp_path / "r2") == 0

    v2 = fake.release("model-v2")
    assert v2["prerelease"] and fake.latest_tag() == "model-v1"
    assert "not promoted: -1.67 pp against model-v1 (0 fixed, 6 broken, McNemar p = 0.031)" in v2["body"]
    assert record(tmp_path / "r2")["image"]["tags"] == ["model-v2", "2222222"]

    fake.add_release("model-v3", THIRD, assets={"metrics.json": b"{}"})  # a later production, to roll back from
    assert fake.latest_tag() == "model-v3"
    assert promote_cli.main(["--release", "model-v1"], env=fake.env()) == 0
    assert fake.latest_tag() == "model-v1"


def test_promote_names_what_production_was(fake, capsys):
    """The rollback's one line says production before and after."""
    fake.add_release("model-v1", FIRST)
    fake.add_release("model-v2", SECOND)

    assert promote_cli.main(["--release", "model-v1"], env=fake.env()) == 0

    assert capsys.readouterr().out.strip() == "promote: production model-v2 → model-v1 (1111111)"


@pytest.mark.parametrize("tag", ["v1", "model-v", "model-v1; rm -rf /", "model-v01", "latest"])
def test_promote_rejects_anything_but_a_release_tag_before_any_request(fake, tag, capsys):
    """--release must be model-v<N>: exit 2 and one line, and nothing reaches GitHub."""
    assert promote_cli.main(["--release", tag], env=fake.env()) == 2

    assert "must be a release tag model-v<N>" in capsys.readouterr().err
    assert fake.requests == []


def test_promote_of_a_missing_release_fails_in_one_line(fake, capsys):
    """An unknown tag: exit 1, naming it; production stays."""
    fake.add_release("model-v1", FIRST)

    assert promote_cli.main(["--release", "model-v9"], env=fake.env()) == 1

    assert "no release model-v9" in capsys.readouterr().err and fake.latest_tag() == "model-v1"


def test_the_same_commit_twice_releases_nothing_new(fake, digits_runs, tmp_path, capsys):
    """A rerun on a released commit: exit 0, "already released as model-v1", no second release."""
    run = digits_runs("--epochs", "10")
    assert release(fake, run, FIRST, tmp_path / "r1") == 0
    capsys.readouterr()

    assert release(fake, run, FIRST, tmp_path / "again") == 0

    assert capsys.readouterr().out.strip() == "already released as model-v1"
    assert len(fake.releases) == 1 and record(tmp_path / "again")["status"] == "already released"


def test_a_reused_run_releases_nothing_and_production_stays(fake, digits_runs, tmp_path, capsys):
    """A merge that changed nothing training reads took its parent's run: "model unchanged", no new release."""
    run = digits_runs("--epochs", "10")
    assert release(fake, run, FIRST, tmp_path / "r1") == 0
    reused = tmp_path / "reused"
    shutil.copytree(run, reused)
    metrics = json.loads((reused / "metrics.json").read_text())
    metrics["run"]["reused_from"] = {"commit": FIRST, "run_id": 57, "url": "https://github.example/run/57"}
    (reused / "metrics.json").write_text(json.dumps(metrics))
    capsys.readouterr()

    assert release(fake, reused, SECOND, tmp_path / "r2") == 0

    assert capsys.readouterr().out.strip() == "model unchanged: model-v1 stays production"
    assert len(fake.releases) == 1 and record(tmp_path / "r2")["status"] == "unchanged"


def test_the_loser_of_a_race_for_n_takes_the_next_number(fake, digits_runs, tmp_path, monkeypatch, capsys):
    """Another merge creates model-v2 after this one listed the releases: GitHub refuses the tag, and this
    release becomes model-v3, its bundle renumbered."""
    run = digits_runs("--epochs", "10")
    fake.add_release("model-v1", FIRST, assets={"metrics.json": (run / "metrics.json").read_bytes()})
    listed = Releases.list

    def stale_once(self, limit=100):
        found = listed(self, limit)
        if not any(item.tag == "model-v2" for item in fake_tags()):
            fake.add_release("model-v2", "9" * 40, latest=False)  # the other merge, just after our list
        return found

    def fake_tags():
        return [type("R", (), {"tag": item["tag_name"]}) for item in fake.releases]

    monkeypatch.setattr(Releases, "list", stale_once)

    assert release(fake, run, THIRD, tmp_path / "r") == 0

    assert [item["tag_name"] for item in fake.releases] == ["model-v1", "model-v2", "model-v3"]
    assert fake.release("model-v3")["target_commitish"] == THIRD
    assert "model-v2 was taken meanwhile; taking model-v3" in capsys.readouterr().out
    assert record(tmp_path / "r")["tag"] == "model-v3" and "model-v3" in (tmp_path / "r" / "model-card.md").read_text()


def test_a_failing_upload_is_retried_and_leaves_one_asset(fake, digits_runs, tmp_path):
    """A 502 on the model.pt upload that left a half-written asset: retried, one complete model.pt."""
    run = digits_runs("--epochs", "10")
    fake.fail("POST", r".*/assets", 502, apply_anyway=True)

    assert release(fake, run, FIRST, tmp_path / "r") == 0

    assert fake.assets("model-v1")["model.pt"] == (run / "model.pt").read_bytes()
    assert len(fake.release("model-v1")["assets"]) == 4


def test_without_a_token_the_bundle_is_written_and_nothing_published(fake, digits_runs, tmp_path, capsys):
    """Local is CI: no token, the bundle (four assets, notes, release.json) lands in the out folder and the
    output says what would be published; no request is made."""
    run = digits_runs("--epochs", "10")
    env = {key: value for key, value in fake.env().items() if key != "GITHUB_TOKEN"}

    assert release(fake, run, FIRST, tmp_path / "bundle", env=env) == 0

    assert {path.name for path in (tmp_path / "bundle").iterdir()} >= ASSETS | {"notes.md", "release.json"}
    assert record(tmp_path / "bundle")["status"] == "dry"
    out = capsys.readouterr().out
    assert "would publish model-v1 (latest)" in out and WRITE_TOKEN not in out
    assert fake.requests == []


def test_dry_with_a_token_looks_up_but_publishes_nothing(fake, digits_runs, tmp_path):
    """--dry numbers and decides against the real releases, and creates none."""
    run = digits_runs("--epochs", "10")
    fake.add_release("model-v4", FIRST, assets={"metrics.json": (run / "metrics.json").read_bytes()})

    assert release(fake, run, SECOND, tmp_path / "bundle", "--dry") == 0

    assert record(tmp_path / "bundle")["tag"] == "model-v5" and len(fake.releases) == 1


def test_a_run_on_another_split_is_promoted_on_its_gate_alone(fake, digits_runs, tmp_path):
    """Production tested on other samples: not comparable, promoted, and the notes say so."""
    run = digits_runs("--epochs", "10")
    other = make_metrics([[5, 0], [0, 5]], ["a", "b"])
    fake.add_release("model-v1", FIRST, assets={"metrics.json": json.dumps(other).encode()})

    assert release(fake, run, SECOND, tmp_path / "r") == 0

    assert fake.latest_tag() == "model-v2"
    assert "promoted on its gate alone: not comparable with model-v1" in fake.release("model-v2")["body"]


def test_a_missing_model_is_one_line_naming_the_file(fake, tmp_path, capsys):
    """An artifact dir without model.pt: exit 2, the file named, nothing published."""
    assert release(fake, tmp_path, FIRST, tmp_path / "r") == 2

    assert f"{tmp_path / 'model.pt'}: no such file" in capsys.readouterr().err
    assert fake.releases == []


def test_the_plan_tells_the_workflow_whether_there_is_anything_to_release(fake, digits_runs, tmp_path):
    """GITHUB_OUTPUT gets status=planned for a new model, and status=already released for a released commit, so
    the release job builds and pushes an image only when there is a new release."""
    run = digits_runs("--epochs", "10")
    output = tmp_path / "github_output"
    env = fake.env(GITHUB_OUTPUT=str(output))

    assert release(fake, run, FIRST, tmp_path / "plan", "--plan", env=env) == 0
    assert release(fake, run, FIRST, tmp_path / "r", env=env) == 0
    assert release(fake, run, FIRST, tmp_path / "again", "--plan", env=env) == 0

    assert output.read_text().splitlines() == ["status=planned", "status=published", "status=already released"]
