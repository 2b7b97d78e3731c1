"""Main's memory: the `history/` folder, its format, and how it is made from a folder of runs.

`history/` holds the last releases (or runs), oldest first:

    history/index.json           {"format": 1, "source": ..., "entries": [one summary per entry, oldest first]}
    history/<name>/metrics.json  the entry's own files, as training wrote them
    history/<name>/predictions.csv

Each index entry carries where it came from (release tag, id and page, commit, date, promoted or not) and a
summary of its metrics (accuracy with its 95% interval, macro F1, per-class F1, dataset, data version,
fingerprints, training time), so the report and the page read one small file; the comparisons read the
entry's own metrics.json and predictions.csv. No GitHub here: `delivery.history_github` fills it from the
releases, `runs_from_folder` from a folder of `invoke train --artifacts` runs.
"""

from __future__ import annotations

import json
import re
import shutil
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from core.atomic import atomic_path, write_json
from reporting.changes import data_version_label
from reporting.metrics import MetricsError, find_problem, load_metrics
from reporting.predictions import COLUMNS, load_predictions
from reporting.stats import wilson_interval

FORMAT = 1
INDEX = "index.json"
METRICS = "metrics.json"
PREDICTIONS = "predictions.csv"
FILES = (METRICS, PREDICTIONS)  # an entry is usable only with both: the drift rule pairs test samples
DEFAULT_LIMIT = 20
_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


class HistoryError(Exception):
    """A history that cannot be read or written; one line naming the file."""


@dataclass(frozen=True)
class Entry:
    """One release (or run) of the history: its index facts and the folder holding its files."""

    facts: dict
    folder: Path

    @property
    def name(self) -> str:
        return str(self.facts["name"])

    @property
    def label(self) -> str:
        """How the report and the page name it: the release tag, else the run folder's name."""
        return str(self.facts.get("tag") or self.facts["name"])

    @property
    def commit(self) -> str:
        return str(self.facts.get("commit") or "")

    @property
    def promoted(self) -> bool | None:
        """True production (not a pre-release), False a pre-release, None a run that was never released."""
        return self.facts.get("promoted")

    def metrics(self) -> dict:
        return load_metrics(self.folder / METRICS)

    def predictions(self) -> dict[str, tuple[str, str]]:
        return load_predictions(self.folder / PREDICTIONS)


@dataclass(frozen=True)
class History:
    entries: list[Entry]  # oldest first
    source: str = ""
    problems: list[str] = field(default_factory=list)  # entries left out while reading, one line each

    def last(self, count: int) -> list[Entry]:
        return self.entries[-count:] if count > 0 else []


def safe_name(text: str) -> str:
    """A folder name from a tag or run name: letters, digits, '.', '_', '-' only, never '.' or '..'."""
    name = _UNSAFE.sub("_", text).strip("._") or "entry"
    return name[:100]


def summary(metrics: dict) -> dict:
    """The facts of one run that the index keeps: what the chart, the table and the page show."""
    run = metrics.get("run") or {}
    matrix = metrics["confusion_matrix"]
    correct, total = sum(matrix[i][i] for i in range(len(matrix))), sum(map(sum, matrix))
    low, high = wilson_interval(correct, total)
    return {
        "accuracy": metrics["accuracy"],
        "correct": correct,
        "total": total,
        "interval": [low, high],
        "macro_f1": metrics["macro_f1"],
        "per_class_f1": {str(label): metrics["per_class"][str(label)]["f1"] for label in metrics["labels"]},
        "dataset": run.get("dataset"),
        "data_version": data_version_label(run.get("data_version") or {}) or None,
        "dataset_fingerprint": run.get("dataset_fingerprint"),
        "test_fingerprint": run.get("test_fingerprint"),
        "split_seed": run.get("split_seed"),
        "seed": run.get("seed"),
        "epochs": run.get("epochs"),
        "duration_s": run.get("duration_s"),
        "trained_commit": run.get("commit"),
    }


@dataclass(frozen=True)
class NewEntry:
    """An entry to write: its facts (name, tag, commit, created_at, promoted, urls) and its two files."""

    facts: dict
    metrics: bytes
    predictions: bytes


def parse_entry_files(metrics: bytes, predictions: bytes, where: str) -> dict:
    """The metrics of a release's (or run's) two files, checked as the report would read them; HistoryError
    names `where` when either is unusable."""
    try:
        data = json.loads(metrics)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise HistoryError(f"{where}: metrics.json is not JSON") from None
    problem = find_problem(data)
    if problem:
        raise HistoryError(f"{where}: metrics.json is unusable: {problem}")
    try:
        header = predictions.decode("utf-8").splitlines()[0]
    except (UnicodeDecodeError, IndexError):
        raise HistoryError(f"{where}: predictions.csv is empty or not text") from None
    if not set(COLUMNS) <= {column.strip() for column in header.split(",")}:
        raise HistoryError(f"{where}: predictions.csv has no id, label and prediction columns")
    return data


def write_history(out: Path, entries: list[NewEntry | Entry], *, source: str) -> History:
    """Write `history/`: the files of each new entry, then index.json (atomically, last, so a reader sees the
    old history or the new one); folders the new index no longer names are removed. `entries` oldest first;
    an `Entry` is one already in `out`, kept as it is (with its refreshed facts)."""
    out.mkdir(parents=True, exist_ok=True)
    facts = []
    for entry in entries:
        if isinstance(entry, NewEntry):
            metrics = parse_entry_files(entry.metrics, entry.predictions, entry.facts["name"])
            folder = out / entry.facts["name"]
            folder.mkdir(exist_ok=True)
            for name, content in ((METRICS, entry.metrics), (PREDICTIONS, entry.predictions)):
                with atomic_path(folder / name) as tmp:
                    tmp.write_bytes(content)
            facts.append({**entry.facts, **summary(metrics)})
        else:
            facts.append(entry.facts)
    names = {item["name"] for item in facts}
    if len(names) != len(facts):
        raise HistoryError("two history entries have the same name")
    previous = read_index(out)
    write_json(out / INDEX, {"format": FORMAT, "source": source, "updated_at": now(), "entries": facts})
    for item in previous:
        stale = out / safe_name(str(item.get("name", "")))
        if item.get("name") not in names and stale.is_dir() and stale.parent == out:
            shutil.rmtree(stale)
    return read_history(out)


def read_index(folder: Path) -> list[dict]:
    """The index's entries, or [] when there is no readable index yet."""
    try:
        data = json.loads((folder / INDEX).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError):
        return []
    entries = data.get("entries") if isinstance(data, dict) else None
    return (
        [item for item in entries if isinstance(item, dict) and item.get("name")] if isinstance(entries, list) else []
    )


def read_history(folder: str | Path) -> History:
    """The history in `folder`, oldest first; an entry whose files are gone is left out with one line in
    `problems`. HistoryError when index.json is missing or not a history index."""
    folder = Path(folder)
    path = folder / INDEX
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise HistoryError(f"{path}: no such file") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise HistoryError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(data, dict) or data.get("format") != FORMAT or not isinstance(data.get("entries"), list):
        raise HistoryError(f"{path}: not a history index (format {FORMAT})")
    entries, problems = [], []
    for item in data["entries"]:
        if not isinstance(item, dict) or not item.get("name") or "accuracy" not in item:
            problems.append(f"{path}: an entry without a name or accuracy, left out")
            continue
        entry = Entry(facts=item, folder=folder / safe_name(str(item["name"])))
        missing = [name for name in FILES if not (entry.folder / name).is_file()]
        if missing:
            problems.append(f"{entry.label}: {', '.join(missing)} missing from {entry.folder}, left out")
            continue
        entries.append(entry)
    return History(entries=entries, source=str(data.get("source") or ""), problems=problems)


def history_if_exists(folder: str | Path | None) -> History | None:
    """The history in `folder`, or None when there is none (no folder, or no index in it)."""
    if not folder or not (Path(folder) / INDEX).is_file():
        return None
    return read_history(folder)


def now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat().replace("+00:00", "Z")


def trained_at(metrics_path: Path, metrics: dict) -> str:
    """When a run was trained: the time its metrics recorded, if any, else when metrics.json was written."""
    run = metrics.get("run") or {}
    for key in ("finished_at", "trained_at", "created_at"):
        if isinstance(run.get(key), str) and run[key]:
            return run[key]
    stamp = datetime.fromtimestamp(metrics_path.stat().st_mtime, UTC)
    return stamp.isoformat(timespec="seconds").replace("+00:00", "Z")


def runs_from_folder(folder: str | Path, limit: int = DEFAULT_LIMIT) -> tuple[list[NewEntry], list[str]]:
    """The last `limit` runs in `folder` (one sub-folder per run, as `invoke train --artifacts` writes them),
    ordered by when they were trained (then by name); a sub-folder without usable metrics.json and
    predictions.csv is skipped with one line in the second list."""
    root = Path(folder)
    if not root.is_dir():
        raise HistoryError(f"{root}: no such folder")
    found, skipped = [], []
    for run in sorted(path for path in root.iterdir() if path.is_dir()):
        metrics_path, predictions_path = run / METRICS, run / PREDICTIONS
        if not metrics_path.is_file():
            skipped.append(f"{run.name}: no metrics.json, skipped")
            continue
        if not predictions_path.is_file():
            skipped.append(f"{run.name}: no predictions.csv, skipped")
            continue
        try:
            metrics = load_metrics(metrics_path)
        except MetricsError as exc:
            skipped.append(f"{run.name}: {exc}, skipped")
            continue
        commit = str((metrics.get("run") or {}).get("commit") or "")
        facts = {
            "name": safe_name(run.name),
            "tag": None,
            "commit": commit,
            "created_at": trained_at(metrics_path, metrics),
            "promoted": None,
            "release_id": None,
            "release_url": None,
            "commit_url": None,
            "origin": f"run {run.name}",
        }
        found.append((facts["created_at"], run.name, facts, metrics_path, predictions_path))
    found.sort(key=lambda item: (item[0], item[1]))
    chosen = found[-limit:] if limit > 0 else []
    entries = [
        NewEntry(facts, metrics.read_bytes(), predictions.read_bytes()) for _, _, facts, metrics, predictions in chosen
    ]
    names = [entry.facts["name"] for entry in entries]
    if len(set(names)) != len(names):
        raise HistoryError(f"{root}: two run folders have the same safe name")
    return entries, skipped
