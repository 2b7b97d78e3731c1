"""The report's history section: main's released models' accuracy as a mermaid chart with this run as the last
point, and a short table of the last releases. Pure: from the history folder's files to markdown.

Only releases tested on this run's data and test split are drawn on the line (what `reporting.compare` calls
comparable: the same dataset fingerprint, labels and test split); the others are in the table, marked, and
the note says where the data changed.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from delivery.history import Entry, History, history_if_exists, summary
from delivery.history_drift import check_max_drift, measure_drift
from reporting.compare import not_comparable_reason
from reporting.curves import number, sample_indices
from reporting.gate import RuleResult
from reporting.markdown import cell, code, percent, table

MAX_CHART_POINTS = 40  # releases on the chart (the history keeps `history.releases`, 20 by default)
MAX_TABLE_ROWS = 10  # the newest releases in the table; the page (`invoke dashboard`) has them all
THIS_RUN = "this run"


@dataclass(frozen=True)
class Row:
    entry: Entry
    not_comparable: str  # why it is not drawn with this run (markdown); "" when it is
    changed: str  # why it is not comparable with the entry before it (the data changed there); "" otherwise


def rows(metrics: dict, history: History) -> list[Row]:
    """Every entry, oldest first, with its comparability with this run and with the entry before it."""
    loaded = [(entry, entry.metrics()) for entry in history.entries]
    result = []
    for index, (entry, entry_metrics) in enumerate(loaded):
        before = loaded[index - 1][1] if index else None
        result.append(
            Row(
                entry=entry,
                not_comparable=not_comparable_reason(metrics, entry_metrics),
                changed=not_comparable_reason(entry_metrics, before) if before is not None else "",
            )
        )
    return result


def chart_label(text: str) -> str:
    """A category name mermaid reads inside double quotes: no quotes, brackets or commas."""
    return "".join(ch if ch.isalnum() or ch in "._-+@/ " else "_" for ch in text)[:24] or "?"


def accuracy_chart(labels: list[str], accuracies: list[float]) -> str:
    values = [accuracy * 100 for accuracy in accuracies]
    low = max(0, math.floor(min(values) - 0.5))
    high = min(100, math.ceil(max(values) + 0.5))
    body = [
        "xychart-beta",
        '    title "Test accuracy of the releases, then this run"',
        f'    x-axis "release" [{", ".join(f"{chr(34)}{chart_label(label)}{chr(34)}" for label in labels)}]',
        f'    y-axis "accuracy (%)" {number(low)} --> {number(high)}',
        f"    line [{', '.join(number(value) for value in values)}]",
    ]
    return "```mermaid\n" + "\n".join(body) + "\n```"


def link(text: str, url: object) -> str:
    return f"[{text}]({url})" if isinstance(url, str) and url.startswith(("https://", "http://")) else text


def interval_text(facts: dict) -> str:
    low, high = facts.get("interval") or (None, None)
    accuracy = percent(facts["accuracy"])
    if low is None or high is None:
        return accuracy
    return f"{accuracy} ({low * 100:.1f}-{high * 100:.1f}%)"


def promoted_text(promoted: bool | None, production: bool = False) -> str:
    if promoted is None:
        return "—"
    return ("yes" if promoted else "no (pre-release)") + (", **production**" if production else "")


def history_table(metrics: dict, shown: list[Row]) -> str:
    """This run, then the newest releases first."""
    notes = any(row.not_comparable for row in shown)
    header = ["release", "commit", "accuracy (95% CI)", "promoted", *(["not drawn"] if notes else [])]
    run = metrics.get("run") or {}
    commit = str(run.get("commit") or "")
    lines = [
        [
            f"**{THIS_RUN}**",
            code(commit[:7]) if commit else "—",
            f"**{interval_text(summary(metrics))}**",
            "—",
            *([""] if notes else []),
        ]
    ]
    for row in reversed(shown):
        facts = row.entry.facts
        sha = row.entry.commit
        lines.append(
            [
                link(cell(row.entry.label), facts.get("release_url")),
                link(code(sha[:7]), facts.get("commit_url")) if sha else "—",
                interval_text(facts),
                promoted_text(row.entry.promoted, bool(facts.get("production"))),
                *([row.not_comparable or ""] if notes else []),
            ]
        )
    return table(header, lines, ["l", "l", "r", "l", *(["l"] if notes else [])])


def pages_url(env: Mapping[str, str]) -> str:
    """Where the release job deploys the history page: CML_HISTORY_URL when set, else GitHub Pages' address
    for the repository on github.com (https://OWNER.github.io/REPO/); "" when unknown (GitHub Enterprise)."""
    if env.get("CML_HISTORY_URL"):
        return env["CML_HISTORY_URL"]
    owner, _, repo = env.get("GITHUB_REPOSITORY", "").partition("/")
    server = env.get("GITHUB_SERVER_URL", "https://github.com").rstrip("/")
    if not owner or not repo or server != "https://github.com":
        return ""
    return f"https://{owner.lower()}.github.io/{repo}/"


def history_markdown(metrics: dict, history: History, page_url: str = "") -> str:
    """'### History' with the chart, a line on what is (not) drawn and where the data changed, and the table."""
    if not history.entries:
        return "### History\n\nThe history folder holds no release yet."
    every = rows(metrics, history)
    drawn = [row for row in every if not row.not_comparable]
    picked = [drawn[i] for i in sample_indices(len(drawn), MAX_CHART_POINTS)] if drawn else []
    labels = [row.entry.label for row in picked] + [THIS_RUN]
    accuracies = [float(row.entry.facts["accuracy"]) for row in picked] + [float(metrics["accuracy"])]
    parts = ["### History", accuracy_chart(labels, accuracies)]
    notes = [
        f"One point per release tested on this run's data and test split, oldest first; the last point is this run "
        f"({len(picked)} of {len(every)} releases drawn)."
    ]
    changes = [row for row in every if row.changed]
    for row in changes[-3:]:
        notes.append(f"Data changed at {cell(row.entry.label)}: {row.changed}.")
    hidden = [row for row in every if row.not_comparable]
    if hidden:
        names = ", ".join(cell(row.entry.label) for row in hidden[:8]) + (" and more" if len(hidden) > 8 else "")
        notes.append(f"Not drawn, tested on other data than this run: {names} ({hidden[-1].not_comparable}).")
    if page_url:
        notes.append(f"Every release, per class and over time: [the history page]({page_url}).")
    parts.append(" ".join(notes))
    parts.append(history_table(metrics, every[-MAX_TABLE_ROWS:]))
    if len(every) > MAX_TABLE_ROWS:
        newest = f"The newest {MAX_TABLE_ROWS} of {len(every)} releases"
        parts.append(f"<sub>{newest}; `invoke dashboard` draws them all.</sub>")
    if history.problems:
        parts.append("<sub>Left out of the history: " + "; ".join(cell(p) for p in history.problems[:5]) + "</sub>")
    return "\n\n".join(parts)


def history_for_report(
    metrics: dict,
    predictions: dict[str, tuple[str, str]] | None,
    folder: str | None,
    *,
    max_drift: float | None,
    window: int,
    alpha: float,
    page_url: str = "",
) -> tuple[RuleResult | None, str]:
    """What `python -m reporting render` adds from `folder` (the history, when it exists): the drift rule's
    outcome (None when the rule was not asked for) and the report's history section ("" when
    there is no history)."""
    history = history_if_exists(folder)
    section = history_markdown(metrics, history, page_url=page_url) if history is not None else ""
    if max_drift is None:
        return None, section
    drift = measure_drift(metrics, predictions, history, window=window, alpha=alpha) if history is not None else None
    return check_max_drift(drift, max_drift, has_predictions=predictions is not None), section
