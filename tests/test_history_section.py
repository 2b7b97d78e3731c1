"""The report's history section: the chart of the releases with this run last, the table, data changes marked."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pytest
from history_runs import crafted_run, release_history

from delivery.history import read_history
from delivery.history_section import MAX_TABLE_ROWS, history_markdown
from reporting.cli import main
from reporting.render import render_report

OTHER_SPLIT = {"test_fingerprint": "f" * 64, "split_seed": 1}


@pytest.fixture(scope="module")
def releases(trained_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """model-v1 on another test split, then model-v2..v4 on this run's (0, 1 and 3 samples broken; v3 a
    pre-release)."""
    scratch = tmp_path_factory.mktemp("section-runs")
    runs = [crafted_run(trained_checkpoint, scratch / "v1", 0, run_changes=OTHER_SPLIT)]
    runs += [crafted_run(trained_checkpoint, scratch / f"v{n}", broken) for n, broken in ((2, 0), (3, 1), (4, 3))]
    return release_history(scratch / "history", runs, not_promoted=[3])


def chart_of(markdown: str) -> tuple[list[str], list[float]]:
    labels = re.search(r'x-axis "release" \[(.*)\]', markdown)[1]
    values = re.search(r"line \[(.*)\]", markdown)[1]
    return [label.strip().strip('"') for label in labels.split(",")], [float(v) for v in values.split(",")]


def test_the_chart_draws_comparable_releases_then_this_run(trained_checkpoint: Path, releases: Path) -> None:
    """One point per release on this run's test split, oldest first, and this run last; model-v1 is left out."""
    metrics = json.loads((trained_checkpoint / "metrics.json").read_text())

    markdown = history_markdown(metrics, read_history(releases))

    labels, values = chart_of(markdown)
    accuracy = metrics["accuracy"] * 100
    assert labels == ["model-v2", "model-v3", "model-v4", "this run"]
    assert values == pytest.approx([accuracy, accuracy - 100 / 360, accuracy - 300 / 360, accuracy], abs=0.006)
    assert "(3 of 4 releases drawn)" in markdown
    assert "Data changed at model-v2: tested on other samples (split seed 1 → 0)." in markdown
    assert "Not drawn, tested on other data than this run: model-v1 (tested on other samples (split seed 1 → 0))." in (
        markdown
    )


def test_the_table_lists_this_run_then_the_newest_releases(trained_checkpoint: Path, releases: Path) -> None:
    """Release (linked), commit (linked), accuracy with its 95% interval, promoted or not; model-v1 marked."""
    metrics = json.loads((trained_checkpoint / "metrics.json").read_text())

    markdown = history_markdown(metrics, read_history(releases))

    table = [line for line in markdown.splitlines() if line.startswith("| ")]
    assert table[0] == "| release | commit | accuracy (95% CI) | promoted | not drawn |"
    assert table[2].startswith("| **this run** | `")
    assert [row.split(" | ")[0].removeprefix("| ") for row in table[3:]] == [
        f"[model-v{n}](https://github.example/octo/cml/releases/tag/model-v{n})" for n in (4, 3, 2, 1)
    ]
    v3 = table[4].split(" | ")
    assert v3[1] == "[`0000003`](https://github.example/octo/cml/commit/0000003" + "0" * 33 + ")"
    assert re.fullmatch(r"\d+\.\d\d% \(\d+\.\d-\d+\.\d%\)", v3[2])
    assert v3[3] == "no (pre-release)"
    assert table[5].split(" | ")[3] == "yes"
    assert table[6].endswith("| tested on other samples (split seed 1 → 0) |")


def test_a_long_history_keeps_the_table_short(trained_checkpoint: Path, tmp_path: Path) -> None:
    """Twenty releases: twenty points, the newest ten in the table, and the section stays small."""
    run = crafted_run(trained_checkpoint, tmp_path / "run", 0)
    history = read_history(release_history(tmp_path / "history", [run] * 20))
    metrics = json.loads((run / "metrics.json").read_text())

    markdown = history_markdown(metrics, history)

    labels, _ = chart_of(markdown)
    assert len(labels) == 21
    assert len([line for line in markdown.splitlines() if line.startswith("| [model-v")]) == MAX_TABLE_ROWS
    assert f"The newest {MAX_TABLE_ROWS} of 20 releases" in markdown
    assert len(markdown) < 5_000


def test_the_section_is_dropped_before_the_report_outgrows_the_limit(trained_checkpoint: Path, releases: Path) -> None:
    """When the report must shrink, the history section gives way (after the curves) with a note."""
    metrics = json.loads((trained_checkpoint / "metrics.json").read_text())
    section = history_markdown(metrics, read_history(releases))
    full = render_report(metrics, title="CML report", history=section)

    shrunk = render_report(metrics, title="CML report", history=section, limit=len(full) - len(section) // 2)

    assert "### History" in full
    assert "### History" not in shrunk
    assert "_The history chart and table was left out to keep this report under GitHub's comment size limit._" in (
        shrunk
    )


def test_invoke_report_draws_the_history_and_checks_drift(
    trained_checkpoint: Path, releases: Path, tmp_path: Path
) -> None:
    """`reporting render --history-if-exists` adds the section and the drift rule to the gate."""
    artifacts = crafted_run(trained_checkpoint, tmp_path / "artifacts", 1)

    code = main(["render", "--artifacts", str(artifacts), "--history-if-exists", str(releases), "--max-drift", "0.01"])

    report = (artifacts / "report.md").read_text()
    assert code == 0
    assert "### History" in report and '"this run"' in report
    assert (
        "✅ -0.28 pp against model-v2 (main @ `0000002`), the most significant fall of the last 3: 0 fixed, 1 broken, "
        "McNemar p = 1.00, Holm-adjusted p = 1.00: within the allowed drift of 1.00 pp (`--max-drift 0.01`)"
    ) in report
    assert report.index("### Confusion matrix") < report.index("### History") < report.index("### Training curves")


def test_without_a_history_the_rule_is_not_checked(trained_checkpoint: Path, tmp_path: Path) -> None:
    """No history folder: ⚪ for the drift rule, and no section."""
    artifacts = crafted_run(trained_checkpoint, tmp_path / "artifacts", 0)

    code = main(
        ["render", "--artifacts", str(artifacts), "--history-if-exists", str(tmp_path / "no"), "--max-drift", "0.01"]
    )

    report = (artifacts / "report.md").read_text()
    assert code == 0
    assert "⚪ drift not checked: no history (`invoke history` makes one) (`--max-drift 0.01`)" in report
    assert "### History" not in report


def test_the_history_page_address_is_github_pages_of_the_repository_or_the_one_set():
    """https://OWNER.github.io/REPO/ on github.com, CML_HISTORY_URL when set, none on another server."""
    from delivery.history_section import pages_url

    assert pages_url({"GITHUB_REPOSITORY": "Octo/cml"}) == "https://octo.github.io/cml/"
    assert pages_url({"GITHUB_REPOSITORY": "o/r", "CML_HISTORY_URL": "https://ml.example/"}) == "https://ml.example/"
    assert pages_url({"GITHUB_REPOSITORY": "o/r", "GITHUB_SERVER_URL": "https://ghe.example"}) == ""
    assert pages_url({}) == ""


def test_the_section_links_the_history_page(trained_checkpoint: Path, releases: Path) -> None:
    """With a page address the section links it; without one it names no page."""
    metrics = json.loads((trained_checkpoint / "metrics.json").read_text())

    linked = history_markdown(metrics, read_history(releases), page_url="https://octo.github.io/cml/")

    assert "[the history page](https://octo.github.io/cml/)" in linked
    assert "history page" not in history_markdown(metrics, read_history(releases))
