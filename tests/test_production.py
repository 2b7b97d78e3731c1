"""The PR report names the production release and warns when this run would not be promoted after merging
(delivery.production, `invoke production` against a local fake of GitHub's releases)."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from fake_github import FakeGitHub
from test_promotion import run as two_class_run

from delivery import production_cli
from reporting.cli import main as reporting_main

COMMIT = "abc1234" + "0" * 33


@pytest.fixture
def fake(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


def write_run(folder: Path, wrong: set[int]) -> Path:
    metrics, predictions = two_class_run(wrong)
    folder.mkdir(parents=True)
    (folder / "metrics.json").write_text(json.dumps(metrics))
    with (folder / "predictions.csv").open("w", newline="") as stream:
        writer = csv.writer(stream)
        writer.writerow(["id", "label", "prediction", "confidence"])
        writer.writerows([sample_id, label, predicted, "0.9"] for sample_id, (label, predicted) in predictions.items())
    return folder


def render(artifacts: Path, production: Path) -> str:
    code = reporting_main(["render", "--artifacts", str(artifacts), "--production-if-exists", str(production)])
    assert code == 0
    return (artifacts / "report.md").read_text()


def fetched_production(fake: FakeGitHub, source: Path, out: Path) -> Path:
    assets = {name: (source / name).read_bytes() for name in ("metrics.json", "predictions.csv")}
    fake.add_release("model-v6", COMMIT, assets=assets)
    assert production_cli.main(["--out", str(out)], env=fake.env()) == 0
    return out


def test_the_report_names_production_and_an_equal_model_gets_no_warning(fake, tmp_path):
    """'Production: model-v6 (main @ `abc1234`, 99.44%)', fetched from the latest release; no warning."""
    production = fetched_production(fake, write_run(tmp_path / "prod", {1, 2}), tmp_path / "production")
    artifacts = write_run(tmp_path / "run", {1, 2})

    report = render(artifacts, production)

    assert "Production: model-v6 (main @ `abc1234`, 99.44%)" in report
    assert "would not be promoted" not in report


def test_a_model_that_would_not_be_promoted_is_warned_about(fake, tmp_path):
    """Six more test samples wrong than production, none fixed: the report warns before the merge."""
    production = fetched_production(fake, write_run(tmp_path / "prod", set()), tmp_path / "production")
    artifacts = write_run(tmp_path / "run", {10, 11, 12, 13, 14, 15})

    report = render(artifacts, production)

    assert "After merging, this model would not be promoted: -1.67 pp against model-v6 (0 fixed, 6 broken" in report


def test_no_release_and_no_token_leave_no_production_folder(fake, tmp_path, capsys):
    """Before the first release, or without a token, there is no production model, and the report names none."""
    out = tmp_path / "production"
    out.mkdir()
    (out / "release.json").write_text("{}")  # a stale one from an earlier run goes

    assert production_cli.main(["--out", str(out)], env=fake.env()) == 0
    assert not out.exists()
    no_token = {key: value for key, value in fake.env().items() if key != "GITHUB_TOKEN"}
    assert production_cli.main(["--out", str(out)], env=no_token) == 0
    assert not out.exists()
    artifacts = write_run(tmp_path / "run", set())
    assert "Production:" not in render(artifacts, out)
    assert "no release yet" in capsys.readouterr().out
