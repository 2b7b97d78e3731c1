"""`invoke dashboard`: the history's static page, checked as written and in a real headless Chromium.

The browser tests need Playwright for Python (`pip install playwright`) and Debian's `chromium` package
(/usr/bin/chromium: Playwright cannot download its own browsers here); without them they are skipped.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import threading
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from fake_github import FakeGitHub
from helpers import ROOT
from history_runs import crafted_run, release_history, seed_runs_once
from pytest_httpserver import HTTPServer

from delivery.history import read_history
from delivery.history_cli import main
from delivery.history_site import points_of

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
NEW_DATA = {"dataset_fingerprint": "d" * 64, "data_version": {"source": "dvc", "md5": "feedbeef" * 4}}
RELEASES = 12
OLD_DATA = 3  # model-v1..v3 trained on an older data version
PRE_RELEASE = 8


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """The page of 12 releases in a local fake of GitHub, fetched by `invoke history`: real 10-epoch digits runs
    (seeds 0..11), model-v1..v3 on an older data version, model-v8 a pre-release."""
    scratch = tmp_path_factory.mktemp("dashboard")
    seeds = seed_runs_once(tmp_path_factory, RELEASES)
    server = HTTPServer(host="127.0.0.1", port=0)
    server.start()
    try:
        fake = FakeGitHub(server)
        for index, seed in enumerate(seeds):
            run = crafted_run(seed, scratch / "runs" / seed.name, 0, run_changes=NEW_DATA if index < OLD_DATA else None)
            assets = {name: (run / name).read_bytes() for name in ("metrics.json", "predictions.csv")}
            number = index + 1
            fake.add_release(
                f"model-v{number}", f"{number:07x}" + "0" * 33, assets=assets, prerelease=number == PRE_RELEASE
            )
        env = fake.env(GITHUB_SERVER_URL="https://github.example")
        assert main(["history", "--out", str(scratch / "history"), "--releases", "20"], env=env) == 0
    finally:
        server.stop()
    assert main(["dashboard", "--history", str(scratch / "history"), "--out", str(scratch / "site")]) == 0
    yield scratch / "site"


def test_the_page_is_self_contained(site: Path) -> None:
    """No script, no outside stylesheet, image or font: the only files it loads are its own; links go to GitHub."""
    page = (site / "index.html").read_text()

    assert sorted(path.name for path in site.iterdir()) == ["index.html", "style.css"]
    assert "<script" not in page and "src=" not in page and "@import" not in (site / "style.css").read_text()
    hrefs = re.findall(r'href="([^"]*)"', page)
    assert hrefs[:2] == ["style.css", "data:,"]  # the stylesheet; an empty icon, so no /favicon.ico is asked for
    assert all(href.startswith("https://github.example/octo/cml/") for href in hrefs[2:])
    assert len(hrefs) == 2 + 1 + 2 * RELEASES  # production in the header; each release and its commit


def test_segments_follow_the_data(site: Path, tmp_path: Path) -> None:
    """The releases before the data version changed form their own segment; the change is named."""
    history = read_history(site.parent / "history")

    points = points_of(history)

    assert [point.segment for point in points] == [0] * OLD_DATA + [1] * (RELEASES - OLD_DATA)
    assert points[OLD_DATA].changed.startswith("the dataset digits changed (fingerprint dddddddddddd → ")


def test_dashboard_without_a_history_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line naming the missing index."""
    code = main(["dashboard", "--history", str(tmp_path / "none"), "--out", str(tmp_path / "site")])

    assert code == 2
    assert f"{tmp_path / 'none' / 'index.json'}: no such file" in capsys.readouterr().err


@pytest.fixture
def served(site: Path) -> Iterator[str]:
    """The site folder over HTTP on 127.0.0.1 (as GitHub Pages serves it), quietly."""

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(site)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def browser():
    sync_api = pytest.importorskip("playwright.sync_api", reason="Playwright for Python is not installed")
    if not CHROMIUM.is_file():
        pytest.skip("no /usr/bin/chromium (Debian's chromium package)")
    with sync_api.sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.mark.slow
def test_the_page_in_chromium(browser, served: str, tmp_path: Path) -> None:
    """What a person sees: one point per release, one line per data version (nine on the current one), the
    data change marked, the heatmap and the table; no console error, and no request to any other host."""
    from playwright.sync_api import expect

    page = browser.new_page(viewport={"width": 1040, "height": 900})
    errors, hosts = [], []
    page.on("console", lambda message: errors.append(message.text) if message.type == "error" else None)
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.on("request", lambda request: hosts.append(urlsplit(request.url).netloc))

    page.goto(served)

    expect(page.get_by_role("heading", name="Model history")).to_be_visible()
    chart = page.locator("#accuracy-chart")
    expect(chart).to_be_visible()
    expect(chart.locator("circle.point")).to_have_count(RELEASES)
    expect(chart.locator("circle.point.current")).to_have_count(RELEASES - OLD_DATA)
    expect(chart.locator("polyline.line")).to_have_count(2)
    expect(chart.locator(".data-change")).to_have_count(1)
    expect(chart.locator("circle.point.pre-release")).to_have_attribute("data-release", f"model-v{PRE_RELEASE}")
    expect(page.locator("#f1-heatmap rect.cell")).to_have_count(10 * RELEASES)
    table = page.get_by_role("table")
    expect(table.locator("tbody tr")).to_have_count(RELEASES)
    newest = table.locator("tbody tr").first
    expect(newest.get_by_role("link", name=f"model-v{RELEASES}")).to_have_attribute(
        "href", f"https://github.example/octo/cml/releases/tag/model-v{RELEASES}"
    )
    expect(table.locator("tbody tr").nth(RELEASES - OLD_DATA - 1)).to_contain_text("data changed")
    # The stylesheet applied: the band of the current data is drawn, not a black default fill.
    band = chart.locator("polygon.band.current")
    assert band.evaluate("element => getComputedStyle(element).fill") == "rgba(9, 105, 218, 0.16)"
    page.screenshot(path=str(tmp_path / "history.png"), full_page=True)
    if os.environ.get("UPDATE_DOCS_SCREENSHOT"):
        shutil.copy(tmp_path / "history.png", ROOT / "docs" / "history.png")

    assert errors == []
    assert set(hosts) == {urlsplit(served).netloc}
    assert (tmp_path / "history.png").stat().st_size > 10_000


@pytest.mark.slow
def test_the_page_from_a_file_makes_no_request_but_its_own(browser, site: Path, tmp_path: Path) -> None:
    """Opened from disk (file://), it loads index.html and style.css and nothing else."""
    copy = tmp_path / "site"
    shutil.copytree(site, copy)
    page = browser.new_page()
    requests = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto((copy / "index.html").as_uri())

    page.get_by_role("table").wait_for()
    assert sorted(requests) == sorted([(copy / "index.html").as_uri(), (copy / "style.css").as_uri()])


def test_a_history_with_one_release_draws(trained_checkpoint: Path, tmp_path: Path) -> None:
    """One release: one point, its interval as a short bar, one table row."""
    run = crafted_run(trained_checkpoint, tmp_path / "run", 0)
    release_history(tmp_path / "history", [run])

    assert main(["dashboard", "--history", str(tmp_path / "history"), "--out", str(tmp_path / "site")]) == 0

    page = (tmp_path / "site" / "index.html").read_text()
    assert page.count('<circle class="point') == 1 and page.count("<tr><td>") == 1
