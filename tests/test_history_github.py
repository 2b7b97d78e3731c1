"""`invoke history` from GitHub releases, against the local fake of the API: bounded requests, the warm path,
missing and broken releases skipped, 5xx retried, and the PR report built from what it fetched."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from fake_github import REPOSITORY, WRITE_TOKEN, FakeGitHub
from history_runs import crafted_run

from delivery.history import INDEX, read_history
from delivery.history_cli import main
from delivery.history_github import fetch_history
from reporting.github_comment import RetryPolicy

ASSETS = ("metrics.json", "predictions.csv")
POLICY = RetryPolicy(retries=3, backoff=0)


@pytest.fixture(scope="module")
def run_files(trained_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """The four release assets of one real run (model.pt and the card stand in: the history never fetches them)."""
    run = crafted_run(trained_checkpoint, tmp_path_factory.mktemp("release-run"), 0)
    files = {name: (run / name).read_bytes() for name in ASSETS}
    return {"model.pt": b"weights " * 4096, **files, "model-card.md": b"# card\n"}


@pytest.fixture
def fake(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


def commit(number: int) -> str:
    return f"{number:07x}" + "a" * 33


def add_releases(fake: FakeGitHub, files: dict[str, bytes], numbers, **options) -> None:
    for number in numbers:
        fake.add_release(f"model-v{number}", commit(number), assets=files, **options)


def fetch(fake: FakeGitHub, out: Path, limit: int = 20, **env: str) -> int:
    return fetch_history(out, limit=limit, env=fake.env(**env), policy=POLICY)


def requests_made(fake: FakeGitHub) -> dict[str, int]:
    return {
        "list": fake.count("GET", r"/releases$"),
        "asset": fake.count("GET", r"/releases/assets/\d+$"),
        "storage": fake.count("GET", r"^/storage/"),
        "all": len(fake.requests),
    }


def test_cold_fetch_of_20_releases_is_one_page_and_two_assets_each(
    fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """24 releases, history.releases 20: one list request and the latest release, then metrics.json and
    predictions.csv of the newest 20 (an API request and its storage redirect each): 82 requests; model.pt is
    never fetched."""
    add_releases(fake, run_files, range(1, 25))

    code = fetch(fake, tmp_path / "history")

    history = read_history(tmp_path / "history")
    assert code == 0
    assert [entry.label for entry in history.entries] == [f"model-v{n}" for n in range(5, 25)]
    assert requests_made(fake) == {"list": 1, "asset": 40, "storage": 40, "all": 82}
    assert set(fake.storage_auth) == {None}  # the token never goes to storage
    newest = history.entries[-1].facts
    assert newest["commit"] == commit(24) and newest["promoted"] is True and newest["production"] is True
    assert newest["release_url"] == f"https://github.example/{REPOSITORY}/releases/tag/model-v24"
    assert newest["commit_url"] == f"https://github.example/{REPOSITORY}/commit/{commit(24)}"
    assert newest["created_at"] == "2025-01-01T00:23:00Z"
    assert (history.entries[-1].folder / "predictions.csv").read_bytes() == run_files["predictions.csv"]
    assert capsys.readouterr().err == (
        f"history: 20 releases of {REPOSITORY} in {tmp_path / 'history'}/ (20 downloaded, 0 already there, 0 skipped)\n"
    )


def test_warm_fetch_makes_one_request_and_refreshes_the_facts(
    fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path
) -> None:
    """With history/ filled, the same 20 releases cost the list and the latest release; a release moved to
    pre-release since shows as not promoted."""
    add_releases(fake, run_files, range(1, 21))
    fetch(fake, tmp_path / "history")
    fake.requests.clear()
    fake.release("model-v20")["prerelease"] = True

    code = fetch(fake, tmp_path / "history")

    assert code == 0
    assert requests_made(fake) == {"list": 1, "asset": 0, "storage": 0, "all": 2}
    history = read_history(tmp_path / "history")
    assert len(history.entries) == 20
    assert history.entries[-1].promoted is False and history.entries[-1].facts["accuracy"] > 0.9


def test_a_new_release_fetches_only_its_own_files_and_drops_the_oldest(
    fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path
) -> None:
    """One release more: its two assets (4 requests) and the list; model-v1 leaves history/."""
    add_releases(fake, run_files, range(1, 21))
    fetch(fake, tmp_path / "history")
    fake.requests.clear()
    add_releases(fake, run_files, [21])

    fetch(fake, tmp_path / "history")

    assert requests_made(fake) == {"list": 1, "asset": 2, "storage": 2, "all": 6}
    assert not (tmp_path / "history" / "model-v1").exists()
    assert read_history(tmp_path / "history").entries[-1].label == "model-v21"


def test_missing_and_broken_releases_are_skipped_with_one_line_each(
    fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A release without predictions.csv, one whose metrics.json is not JSON, and a tag that is not a model
    release: the first two are named and skipped, the third is not the history's; the others are kept."""
    add_releases(fake, run_files, [1])
    fake.add_release("model-v2", commit(2), assets={"metrics.json": run_files["metrics.json"]})
    fake.add_release("model-v3", commit(3), assets={**run_files, "metrics.json": b"{oops"})
    fake.add_release("docs-2025", commit(9), assets=run_files)
    add_releases(fake, run_files, [4])

    code = fetch(fake, tmp_path / "history")

    assert code == 0
    assert [entry.label for entry in read_history(tmp_path / "history").entries] == ["model-v1", "model-v4"]
    err = capsys.readouterr().err.splitlines()
    assert err[:2] == [
        "history: model-v2 skipped: no predictions.csv asset",
        "history: model-v3 skipped: model-v3: metrics.json is not JSON",
    ]
    assert err[2].endswith("(2 downloaded, 0 already there, 2 skipped)")


def test_server_errors_are_retried(fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path) -> None:
    """A 502 on the list, a 500 on an asset and a 503 from storage are each retried; nothing is skipped."""
    add_releases(fake, run_files, range(1, 4))
    fake.fail("GET", r"/releases$", 502)
    fake.fail("GET", r"/releases/assets/\d+$", 500)
    fake.fail("GET", r"^/storage/", 503)

    code = fetch(fake, tmp_path / "history")

    assert code == 0
    assert len(read_history(tmp_path / "history").entries) == 3
    assert requests_made(fake) == {"list": 2, "asset": 7, "storage": 7, "all": 17}


def test_a_storage_that_keeps_failing_skips_that_release(
    fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Storage failing past the retries for one release: that release is skipped with one line, the rest kept."""
    add_releases(fake, run_files, range(1, 3))
    fake.fail("GET", r"^/storage/", 500, times=4)

    code = fetch(fake, tmp_path / "history")

    assert code == 0
    assert [entry.label for entry in read_history(tmp_path / "history").entries] == ["model-v2"]
    assert capsys.readouterr().err.startswith(
        "history: model-v1 skipped: cannot download metrics.json from release model-v1: storage answered 500"
    )


def test_github_unreachable_leaves_the_history_as_it_was(
    fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The list failing past the retries: exit 1, one line, history/ untouched."""
    add_releases(fake, run_files, [1])
    fetch(fake, tmp_path / "history")
    index = (tmp_path / "history" / INDEX).read_bytes()
    capsys.readouterr()
    fake.fail("GET", r"/releases$", 500, times=10)

    code = fetch(fake, tmp_path / "history")

    assert code == 1
    assert (tmp_path / "history" / INDEX).read_bytes() == index
    err = capsys.readouterr().err
    assert err.startswith("history: GitHub refused to list the releases of octo/cml (500")
    assert WRITE_TOKEN not in err


def test_without_a_token_it_says_how_to_build_one_locally(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """No GITHUB_TOKEN: exit 2, naming the variable and `--from`."""
    code = main(["history", "--out", str(tmp_path / "history")], env={"GITHUB_REPOSITORY": REPOSITORY})

    assert code == 2
    assert capsys.readouterr().err == (
        "history: no GitHub token: set GITHUB_TOKEN or REPO_TOKEN (in a workflow step: `env: GITHUB_TOKEN: "
        "${{ secrets.GITHUB_TOKEN }}`); or build it from local runs with `invoke history --from DIR`\n"
    )


def test_more_releases_than_a_page(fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path) -> None:
    """history.releases above 100: two list pages, and no more."""
    add_releases(fake, run_files, range(1, 106))

    fetch(fake, tmp_path / "history", limit=102)

    assert requests_made(fake)["list"] == 2
    history = read_history(tmp_path / "history")
    assert [entry.label for entry in history.entries][:1] == ["model-v4"] and len(history.entries) == 102


def test_the_pr_report_from_a_fetched_history(
    fake: FakeGitHub, run_files: dict[str, bytes], trained_checkpoint: Path, tmp_path: Path
) -> None:
    """Fetched releases reach the report: model-v3 lost its assets (skipped), model-v6 is on another data version
    (marked, not drawn); the chart, the table and the drift rule come from the others."""
    add_releases(fake, run_files, range(1, 6))
    metrics = json.loads(run_files["metrics.json"])
    metrics["run"] |= {"dataset_fingerprint": "d" * 64}
    fake.release("model-v3")["assets"].clear()
    fake.add_release("model-v6", commit(6), assets={**run_files, "metrics.json": json.dumps(metrics).encode()})
    fetch(fake, tmp_path / "history")
    artifacts = crafted_run(trained_checkpoint, tmp_path / "artifacts", 2)
    from reporting.cli import main as reporting_main

    code = reporting_main(
        [
            "render",
            "--artifacts",
            str(artifacts),
            "--history-if-exists",
            str(tmp_path / "history"),
            "--max-drift",
            "0.01",
        ]
    )

    report = (artifacts / "report.md").read_text()
    assert code == 0
    assert 'x-axis "release" ["model-v1", "model-v2", "model-v4", "model-v5", "this run"]' in report
    assert "Data changed at model-v6: the dataset `digits` changed (fingerprint `6c5e0e47c6d4` → `dddddddddddd`)" in (
        report
    )
    assert "-0.56 pp against model-v1 (main @ `0000001`), the most significant fall of the last 4" in report


def test_after_a_rollback_production_is_github_s_latest_release_not_the_newest(
    fake: FakeGitHub, run_files: dict[str, bytes], tmp_path: Path
) -> None:
    """`invoke promote --release model-v2` moves GitHub's latest flag back: the history marks model-v2 as
    production (and model-v5 not), and the page's summary names model-v2."""
    from delivery import promote_cli
    from delivery.history_site import write_site

    add_releases(fake, run_files, range(1, 6))
    assert promote_cli.main(["--release", "model-v2"], env=fake.env()) == 0

    assert fetch(fake, tmp_path / "history") == 0

    entries = {entry.label: entry.facts for entry in read_history(tmp_path / "history").entries}
    assert [label for label, facts in entries.items() if facts["production"]] == ["model-v2"]
    write_site(read_history(tmp_path / "history"), tmp_path / "site")
    assert "production: <a href" in (page := (tmp_path / "site" / "index.html").read_text())
    assert ">model-v2</a> (" in page.split("production: ", 1)[1].split("·")[0]
