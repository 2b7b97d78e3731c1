"""delivery.history: the history folder's format, `invoke history --from DIR`, and the tasks' commands."""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path

import pytest
from helpers import PY, project_context
from history_runs import crafted_run

import tasks
from commands.history import dashboard_command, history_command
from delivery.history import (
    INDEX,
    HistoryError,
    NewEntry,
    read_history,
    runs_from_folder,
    safe_name,
    write_history,
)
from delivery.history_cli import main


@pytest.fixture(scope="module")
def runs(trained_checkpoint: Path, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A folder of three runs (copies of one real run, 0, 2 and 4 samples broken), trained in the order b, c, a."""
    folder = tmp_path_factory.mktemp("runs")
    for name, broken, when in (("b", 0, 1000), ("c", 2, 2000), ("a", 4, 3000)):
        run = crafted_run(trained_checkpoint, folder / name, broken)
        os.utime(run / "metrics.json", (1_700_000_000 + when,) * 2)
    return folder


def test_runs_are_ordered_by_when_they_were_trained(runs: Path) -> None:
    """--from orders the runs by the time their metrics were written, not by name; the last N are kept."""
    entries, skipped = runs_from_folder(runs, limit=2)

    assert [entry.facts["name"] for entry in entries] == ["c", "a"]
    assert skipped == []
    assert entries[0].facts["created_at"] == "2023-11-14T22:46:40Z"


def test_a_recorded_training_time_wins_over_the_file_time(runs: Path, tmp_path: Path) -> None:
    """A run whose metrics record when it finished is placed by that time."""
    folder = tmp_path / "runs"
    shutil.copytree(runs, folder)
    metrics = json.loads((folder / "a" / "metrics.json").read_text())
    metrics["run"]["finished_at"] = "2001-01-01T00:00:00Z"
    (folder / "a" / "metrics.json").write_text(json.dumps(metrics))

    entries, _ = runs_from_folder(folder)

    assert [entry.facts["name"] for entry in entries] == ["a", "b", "c"]


def test_a_folder_without_usable_files_is_skipped_with_one_line(runs: Path, tmp_path: Path) -> None:
    """A sub-folder without predictions.csv, or with a broken metrics.json, is skipped and named."""
    folder = tmp_path / "runs"
    shutil.copytree(runs, folder)
    (folder / "b" / "predictions.csv").unlink()
    (folder / "c" / "metrics.json").write_text("{")
    (folder / "notes").mkdir()

    entries, skipped = runs_from_folder(folder)

    assert [entry.facts["name"] for entry in entries] == ["a"]
    assert skipped == [
        "b: no predictions.csv, skipped",
        f"c: {folder / 'c' / 'metrics.json'}: not valid JSON (Expecting property name enclosed in double quotes: "
        "line 1 column 2 (char 1)), skipped",
        "notes: no metrics.json, skipped",
    ]


def test_history_from_a_folder_writes_an_index_and_one_folder_per_run(runs: Path, tmp_path: Path) -> None:
    """`history --from` writes index.json (oldest first, with each run's summary) and each run's two files."""
    out = tmp_path / "history"

    code = main(["history", "--from", str(runs), "--out", str(out), "--releases", "20"])

    index = json.loads((out / INDEX).read_text())
    assert code == 0
    assert index["format"] == 1 and index["source"] == f"folder:{runs}"
    assert [entry["name"] for entry in index["entries"]] == ["b", "c", "a"]
    first = index["entries"][0]
    assert first["correct"] == round(first["accuracy"] * 360) and first["total"] == 360
    assert first["interval"][0] < first["accuracy"] < first["interval"][1]
    assert set(first["per_class_f1"]) == {str(digit) for digit in range(10)}
    assert first["dataset"] == "digits" and len(first["test_fingerprint"]) == 64
    assert first["promoted"] is None and first["tag"] is None
    assert sorted(path.name for path in out.iterdir()) == ["a", "b", "c", INDEX]
    assert sorted(path.name for path in (out / "a").iterdir()) == ["metrics.json", "predictions.csv"]
    assert (out / "a" / "predictions.csv").read_bytes() == (runs / "a" / "predictions.csv").read_bytes()


def test_rewriting_the_history_removes_entries_it_no_longer_names(runs: Path, tmp_path: Path) -> None:
    """Keeping the last 1 after the last 3: the two older folders go, the index names one entry."""
    out = tmp_path / "history"
    main(["history", "--from", str(runs), "--out", str(out)])
    (out / "mine.txt").write_text("not the history's")

    main(["history", "--from", str(runs), "--out", str(out), "--releases", "1"])

    assert sorted(path.name for path in out.iterdir()) == ["a", INDEX, "mine.txt"]
    assert [entry.name for entry in read_history(out).entries] == ["a"]


def test_an_entry_whose_files_are_gone_is_left_out_with_a_line(runs: Path, tmp_path: Path) -> None:
    """read_history names an entry whose folder lost predictions.csv, and keeps the others."""
    out = tmp_path / "history"
    main(["history", "--from", str(runs), "--out", str(out)])
    (out / "c" / "predictions.csv").unlink()

    history = read_history(out)

    assert [entry.name for entry in history.entries] == ["b", "a"]
    assert history.problems == [f"c: predictions.csv missing from {out / 'c'}, left out"]


def test_broken_files_are_refused_before_anything_is_written(tmp_path: Path) -> None:
    """A release whose metrics.json is not a training run's is refused, naming it."""
    entry = NewEntry({"name": "model-v1"}, b'{"accuracy": 2}', b"id,label,prediction\n")

    with pytest.raises(HistoryError, match=r"model-v1: metrics\.json is unusable: missing macro_f1"):
        write_history(tmp_path / "history", [entry], source="test")


@pytest.mark.parametrize(
    ("text", "expected"),
    [("model-v3", "model-v3"), ("../../etc", "etc"), ("a b/c", "a_b_c"), ("..", "entry")],
    ids=["tag", "climbs", "spaces", "dots"],
)
def test_names_are_safe_folder_names(text: str, expected: str) -> None:
    """A tag never names a folder outside the history."""
    assert safe_name(text) == expected


def test_history_from_a_missing_folder_exits_2(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """One line naming the folder, exit 2."""
    code = main(["history", "--from", str(tmp_path / "nope"), "--out", str(tmp_path / "history")])

    assert code == 2
    assert capsys.readouterr().err == (
        f"python -m delivery.history_cli history: error: {tmp_path / 'nope'}: no such folder\n"
    )


def test_history_command() -> None:
    """The history command names the folder, the count and, with --from, the runs."""
    assert history_command(out="history", releases=20) == (
        "python -m delivery.history_cli history --out history --releases 20"
    )
    assert history_command(out="h", releases=3, source="runs dir") == (
        "python -m delivery.history_cli history --out h --releases 3 --from 'runs dir'"
    )
    with pytest.raises(ValueError, match="--releases must be at least 1"):
        history_command(out="h", releases=0)


def test_history_task_defaults_come_from_invoke_yaml() -> None:
    """`invoke history` keeps history.releases entries in history.out; --from and --releases override."""
    c = project_context(repeat=True)

    tasks.history(c)
    tasks.history(c, from_="runs", releases=5, out="h")

    assert [call.args[0] for call in c.run.call_args_list] == [
        f"{PY} -m delivery.history_cli history --out history --releases 20",
        f"{PY} -m delivery.history_cli history --out h --releases 5 --from runs",
    ]


def test_dashboard_task_defaults_come_from_invoke_yaml() -> None:
    """`invoke dashboard` draws history.out into history.site."""
    c = project_context()

    tasks.dashboard(c)

    c.run.assert_called_once_with(
        f"{PY} -m delivery.history_cli dashboard --history history --out site", echo=True, pty=False
    )
    assert dashboard_command(history="h", out="s") == "python -m delivery.history_cli dashboard --history h --out s"


def test_report_task_passes_the_history_and_the_drift_rule() -> None:
    """`invoke report` reads history.out when it exists, with report.max_drift and report.drift_window;
    --max-drift overrides the allowance."""
    c = project_context()

    tasks.report(c, max_drift=0.02)

    command = c.run.call_args.args[0]
    assert command.endswith(" --history-if-exists history --max-drift 0.02 --drift-window 10")
