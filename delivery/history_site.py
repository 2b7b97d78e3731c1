"""The history's page: `site/index.html` and its stylesheet, drawn from `history/` as inline SVG.

Self-contained: no script, no font, no image and no stylesheet from any other host (the page makes no request
but for its own style.css), so it works from a file, from GitHub Pages, and offline. What it shows, oldest
release on the left:

- accuracy over the releases, each with its 95% interval as a band; releases on other data (another dataset
  fingerprint, label set or test split, as `reporting.compare` decides) are a separate line, and a dashed
  rule marks where the data changed;
- per-class F1 over the releases, as a heatmap;
- training time per release;
- a table of the releases, linking each GitHub release and commit.
"""

from __future__ import annotations

import html
import math
from dataclasses import dataclass
from pathlib import Path

from core.atomic import write_text
from delivery.history import Entry, History, HistoryError
from reporting.compare import not_comparable_reason

STYLE = "style.css"
WIDTH = 960
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 28, 64  # plot margins inside each SVG


@dataclass(frozen=True)
class Point:
    entry: Entry
    segment: int  # entries with the same number were tested on the same data; a new number: the data changed
    changed: str  # why the data differs from the entry before ("" when it does not), plain text


def escape(text: object) -> str:
    return html.escape(str(text), quote=True)


def plain(markdown: str) -> str:
    """compare's markdown reasons as plain text (its only markup is code spans)."""
    return markdown.replace("`", "")


def points_of(history: History) -> list[Point]:
    """Each entry with its data segment: a new segment wherever an entry is not comparable with the one before."""
    result: list[Point] = []
    before: dict | None = None
    segment = 0
    for entry in history.entries:
        metrics = entry.metrics()
        changed = plain(not_comparable_reason(metrics, before)) if before is not None else ""
        if changed:
            segment += 1
        result.append(Point(entry, segment, changed))
        before = metrics
    return result


def url(value: object) -> str | None:
    return value if isinstance(value, str) and value.startswith(("https://", "http://")) else None


def link(text: str, href: object) -> str:
    target = url(href)
    return f'<a href="{escape(target)}">{escape(text)}</a>' if target else escape(text)


def x_of(index: int, count: int) -> float:
    inner = WIDTH - LEFT - RIGHT
    return LEFT + (inner * (index + 0.5) / count)


def x_labels(points: list[Point], height: int) -> list[str]:
    """Release names under the x axis, slanted; every one when they fit, else evenly thinned."""
    step = max(1, math.ceil(len(points) / 30))
    labels = []
    for index, point in enumerate(points):
        if index % step and index != len(points) - 1:
            continue
        x, y = x_of(index, len(points)), height - BOTTOM + 14
        labels.append(
            f'<text class="x-label" x="{x:.1f}" y="{y}" transform="rotate(-35 {x:.1f} {y})" '
            f'text-anchor="end">{escape(point.entry.label)}</text>'
        )
    return labels


def change_rules(points: list[Point], height: int, top: int = TOP) -> list[str]:
    """A dashed vertical rule before each entry where the data changed, labelled."""
    rules = []
    for index, point in enumerate(points):
        if not point.changed:
            continue
        x = (x_of(index - 1, len(points)) + x_of(index, len(points))) / 2
        rules.append(
            f'<g class="data-change"><title>data changed at {escape(point.entry.label)}: {escape(point.changed)}'
            f'</title><line x1="{x:.1f}" x2="{x:.1f}" y1="{top - 14}" y2="{height - BOTTOM}"/>'
            f'<text x="{x + 4:.1f}" y="{top - 4}">data changed</text></g>'
        )
    return rules


def tick_step(low: float, high: float) -> float:
    """A round grid step (0.1, 0.2, 0.5, 1, 2, 5, 10 or 20 points) giving at most 8 lines over low..high."""
    for step in (0.001, 0.002, 0.005, 0.01, 0.02, 0.05, 0.1, 0.2):
        if (high - low) / step <= 8:
            return step
    return 0.25


def accuracy_svg(points: list[Point]) -> str:
    """Accuracy per release with its 95% interval as a band, one line per data segment."""
    height = 340
    lows = [float((p.entry.facts.get("interval") or [p.entry.facts["accuracy"]] * 2)[0]) for p in points]
    highs = [float((p.entry.facts.get("interval") or [p.entry.facts["accuracy"]] * 2)[1]) for p in points]
    step = tick_step(min(lows), max(highs))
    bottom = max(0.0, math.floor(min(lows) / step) * step)
    top = min(1.0, math.ceil(max(highs) / step) * step)
    if top - bottom < step:
        bottom = max(0.0, top - step)
    span = top - bottom

    def y_of(value: float) -> float:
        return TOP + (height - TOP - BOTTOM) * (top - value) / span

    parts = [
        f'<svg id="accuracy-chart" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-label="Test accuracy per release, with its 95% interval">'
    ]
    digits = 0 if step >= 0.01 else 1
    for i in range(round(span / step) + 1):
        value = bottom + step * i
        y = y_of(value)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(
            f'<text class="y-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{value:.{digits}%}</text>'
        )
    newest = points[-1].segment
    for segment in sorted({p.segment for p in points}):
        members = [(i, p) for i, p in enumerate(points) if p.segment == segment]
        kind = "current" if segment == newest else "other-data"
        upper = [f"{x_of(i, len(points)):.1f},{y_of(highs[i]):.1f}" for i, _ in members]
        lower = [f"{x_of(i, len(points)):.1f},{y_of(lows[i]):.1f}" for i, _ in reversed(members)]
        if len(members) == 1:  # a band needs width: a short bar stands for the interval
            i = members[0][0]
            x = x_of(i, len(points))
            upper = [f"{x - 6:.1f},{y_of(highs[i]):.1f}", f"{x + 6:.1f},{y_of(highs[i]):.1f}"]
            lower = [f"{x + 6:.1f},{y_of(lows[i]):.1f}", f"{x - 6:.1f},{y_of(lows[i]):.1f}"]
        parts.append(f'<polygon class="band {kind}" points="{" ".join(upper + lower)}"/>')
        line = " ".join(f"{x_of(i, len(points)):.1f},{y_of(float(p.entry.facts['accuracy'])):.1f}" for i, p in members)
        parts.append(f'<polyline class="line {kind}" points="{line}"/>')
    for i, p in enumerate(points):
        facts = p.entry.facts
        kind = "current" if p.segment == newest else "other-data"
        state = {True: "promoted", False: "pre-release", None: "run"}[p.entry.promoted]
        tip = f"{p.entry.label}: {facts['accuracy']:.2%} (95% CI {lows[i]:.1%}-{highs[i]:.1%}), {state}"
        parts.append(
            f'<circle class="point {kind} {state}" data-release="{escape(p.entry.label)}" '
            f'cx="{x_of(i, len(points)):.1f}" cy="{y_of(float(facts["accuracy"])):.1f}" r="5">'
            f"<title>{escape(tip)}</title></circle>"
        )
    parts += change_rules(points, height)
    parts += x_labels(points, height)
    parts.append("</svg>")
    return "\n".join(parts)


# ColorBrewer's YlGnBu: pale yellow (the lowest F1 shown), teal, dark blue (100%); dark is good, pale catches the eye.
HEAT_STOPS = ((255, 255, 204), (65, 182, 196), (12, 44, 132))


def heat_colour(f1: float, low: float) -> str:
    t = 1.0 if low >= 1 else max(0.0, min(1.0, (f1 - low) / (1 - low)))
    half = 0 if t <= 0.5 else 1
    u = t * 2 - half
    start, end = HEAT_STOPS[half], HEAT_STOPS[half + 1]
    r, g, b = (round(a + (z - a) * u) for a, z in zip(start, end, strict=True))
    return f"#{r:02x}{g:02x}{b:02x}"


def heatmap_svg(points: list[Point]) -> str:
    """Per-class F1: one row per class, one column per release."""
    labels: list[str] = []
    for p in points:
        labels += [label for label in p.entry.facts.get("per_class_f1", {}) if label not in labels]
    labels = labels[:60]
    row = 18
    height = TOP + row * len(labels) + BOTTOM
    values = [v for p in points for v in p.entry.facts.get("per_class_f1", {}).values()]
    low = math.floor(min(values, default=0.0) * 10) / 10
    width = (WIDTH - LEFT - RIGHT) / len(points)
    parts = [
        f'<svg id="f1-heatmap" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-label="Per-class F1 per release">'
    ]
    for r, label in enumerate(labels):
        y = TOP + r * row
        parts.append(f'<text class="y-label" x="{LEFT - 6}" y="{y + 13}" text-anchor="end">{escape(label)}</text>')
        for i, p in enumerate(points):
            f1 = p.entry.facts.get("per_class_f1", {}).get(label)
            x = LEFT + i * width
            if f1 is None:
                parts.append(
                    f'<rect class="cell missing" x="{x:.1f}" y="{y}" width="{width - 1:.1f}" height="{row - 1}"/>'
                )
                continue
            parts.append(
                f'<rect class="cell" x="{x:.1f}" y="{y}" width="{width - 1:.1f}" height="{row - 1}" '
                f'fill="{heat_colour(float(f1), low)}"><title>{escape(p.entry.label)}, class {escape(label)}: '
                f"F1 {float(f1):.1%}</title></rect>"
            )
    parts += change_rules(points, height)
    parts += x_labels(points, height)
    parts.append("</svg>")
    legend = (
        f'<p class="legend"><span class="swatch" style="background:{heat_colour(low, low)}"></span> F1 {low:.0%} '
        f'<span class="swatch" style="background:{heat_colour((1 + low) / 2, low)}"></span> {(1 + low) / 2:.0%} '
        f'<span class="swatch" style="background:{heat_colour(1.0, low)}"></span> 100%</p>'
    )
    return "\n".join(parts) + "\n" + legend


def duration_svg(points: list[Point]) -> str:
    """Training time per release, as bars."""
    height = 220
    seconds = [float(p.entry.facts.get("duration_s") or 0) for p in points]
    top = nice_ceiling(max(seconds, default=0))
    width = (WIDTH - LEFT - RIGHT) / len(points)

    def y_of(value: float) -> float:
        return TOP + (height - TOP - BOTTOM) * (top - value) / top

    parts = [
        f'<svg id="duration-chart" class="chart" viewBox="0 0 {WIDTH} {height}" role="img" '
        'aria-label="Training time per release">'
    ]
    for i in range(5):
        value = top * i / 4
        y = y_of(value)
        parts.append(f'<line class="grid" x1="{LEFT}" x2="{WIDTH - RIGHT}" y1="{y:.1f}" y2="{y:.1f}"/>')
        parts.append(f'<text class="y-label" x="{LEFT - 6}" y="{y + 4:.1f}" text-anchor="end">{duration(value)}</text>')
    for i, p in enumerate(points):
        x, y = LEFT + i * width + width * 0.2, y_of(seconds[i])
        parts.append(
            f'<rect class="bar" x="{x:.1f}" y="{y:.1f}" width="{width * 0.6:.1f}" height="{height - BOTTOM - y:.1f}">'
            f"<title>{escape(p.entry.label)}: trained in {duration(seconds[i])}</title></rect>"
        )
    parts += change_rules(points, height)
    parts += x_labels(points, height)
    parts.append("</svg>")
    return "\n".join(parts)


def nice_ceiling(value: float) -> float:
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten at or above `value` (a round axis top)."""
    if value <= 0:
        return 1.0
    power = 10 ** math.floor(math.log10(value))
    return next(m * power for m in (1, 2, 2.5, 5, 10) if m * power >= value)


def duration(seconds: float) -> str:
    if seconds < 60:
        return f"{seconds:.0f} s" if seconds >= 10 else f"{seconds:.1f} s"
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s"


def releases_table(points: list[Point]) -> str:
    """Newest first: release, date, commit, accuracy and interval, macro F1, data, training time, promoted."""
    head = ["release", "date", "commit", "accuracy (95% CI)", "macro F1", "data", "trained in", "promoted"]
    rows = []
    for p in reversed(points):
        facts = p.entry.facts
        low, high = facts.get("interval") or (facts["accuracy"], facts["accuracy"])
        data = " ".join(filter(None, [str(facts.get("dataset") or ""), str(facts.get("data_version") or "")]))
        fingerprint = str(facts.get("test_fingerprint") or "")[:7]
        data += f" · test {fingerprint}" if fingerprint else ""
        changed = f'<span class="changed" title="{escape(p.changed)}">data changed</span>' if p.changed else ""
        state = {True: "yes", False: "pre-release", None: "—"}[p.entry.promoted]
        state += " (production)" if p.entry.facts.get("production") else ""
        commit = p.entry.commit
        cells = [
            link(p.entry.label, facts.get("release_url")),
            escape(str(facts.get("created_at") or "")[:10]),
            f"<code>{link(commit[:7], facts.get('commit_url'))}</code>" if commit else "—",
            f"{facts['accuracy']:.2%} <small>({float(low):.1%}-{float(high):.1%})</small>",
            f"{float(facts.get('macro_f1') or 0):.2%}",
            f"{escape(data)} {changed}",
            escape(duration(float(facts.get("duration_s") or 0))),
            escape(state),
        ]
        rows.append("<tr>" + "".join(f"<td>{cell}</td>" for cell in cells) + "</tr>")
    header = "".join(f'<th scope="col">{escape(name)}</th>' for name in head)
    return (
        f'<table id="releases"><caption>Releases, newest first</caption><thead><tr>{header}</tr></thead>'
        f"<tbody>{''.join(rows)}</tbody></table>"
    )


def summary_line(points: list[Point]) -> str:
    newest = points[-1]
    # GitHub's latest release when the history knows it (a rollback moves it back), else the newest promoted.
    production = next((p for p in points if p.entry.facts.get("production")), None) or next(
        (p for p in reversed(points) if p.entry.promoted), None
    )
    parts = [f"{len(points)} releases, {escape(points[0].entry.label)} to {escape(newest.entry.label)}"]
    if production is not None:
        parts.append(
            f"production: {link(production.entry.label, production.entry.facts.get('release_url'))} "
            f"({production.entry.facts['accuracy']:.2%})"
        )
    changes = [p for p in points if p.changed]
    if changes:
        parts.append("data changed at " + ", ".join(escape(p.entry.label) for p in changes))
    return " · ".join(parts)


def render_index(history: History, title: str = "Model history") -> str:
    """The whole page; `history` must hold at least one entry."""
    points = points_of(history)
    sections = [
        "<h2>Test accuracy</h2>",
        '<p class="note">Each point is a release, its band the 95% interval of its test accuracy. Filled: promoted '
        "to production; hollow: a pre-release. A dashed rule marks a data change: the releases on either side "
        "were tested on other samples, so they are drawn as separate lines and never compared.</p>",
        accuracy_svg(points),
        "<h2>Per-class F1</h2>",
        heatmap_svg(points),
        "<h2>Training time</h2>",
        duration_svg(points),
        "<h2>Releases</h2>",
        releases_table(points),
    ]
    source = escape(history.source or "history/")
    return "\n".join(
        [
            "<!doctype html>",
            '<html lang="en">',
            "<head>",
            '<meta charset="utf-8">',
            '<meta name="viewport" content="width=device-width, initial-scale=1">',
            # Nothing but this page's own files, ever: no script at all, styles and images from here only.
            "<meta http-equiv=\"Content-Security-Policy\" content=\"default-src 'none'; style-src 'self' "
            "'unsafe-inline'; img-src 'self' data:\">",
            f"<title>{escape(title)}</title>",
            f'<link rel="stylesheet" href="{STYLE}">',
            '<link rel="icon" href="data:,">',  # else the browser asks the host for /favicon.ico
            "</head>",
            "<body>",
            f"<header><h1>{escape(title)}</h1><p>{summary_line(points)}</p></header>",
            "<main>",
            *sections,
            "</main>",
            f"<footer>Drawn by <code>invoke dashboard</code> from {source}.</footer>",
            "</body>",
            "</html>",
            "",
        ]
    )


CSS = """\
:root { color-scheme: light; --ink: #1f2328; --muted: #59636e; --line: #0969da; --band: rgba(9, 105, 218, .16);
  --other: #8c959f; --other-band: rgba(140, 149, 159, .18); --change: #bc4c00; }
* { box-sizing: border-box; }
body { margin: 0 auto; max-width: 1000px; padding: 16px 20px 40px; color: var(--ink);
  font: 14px/1.5 system-ui, -apple-system, "Segoe UI", Helvetica, Arial, sans-serif; }
h1 { font-size: 24px; margin: 8px 0 4px; } h2 { font-size: 18px; margin: 28px 0 6px; }
header p, .note, footer, .legend { color: var(--muted); }
.chart { width: 100%; height: auto; display: block; }
.chart text { font-size: 11px; fill: var(--muted); }
.grid { stroke: #d0d7de; stroke-width: 1; }
.band.current { fill: var(--band); } .band.other-data { fill: var(--other-band); }
.line { fill: none; stroke-width: 2; } .line.current { stroke: var(--line); } .line.other-data { stroke: var(--other); }
.point { stroke-width: 2; fill: #fff; }
.point.current { stroke: var(--line); } .point.other-data { stroke: var(--other); }
.point.current.promoted, .point.current.run { fill: var(--line); }
.point.other-data.promoted, .point.other-data.run { fill: var(--other); }
.data-change line { stroke: var(--change); stroke-dasharray: 5 4; stroke-width: 1.5; }
.data-change text { fill: var(--change); font-weight: 600; }
.bar { fill: #57606a; } .cell.missing { fill: #f6f8fa; }
.swatch { display: inline-block; width: 14px; height: 10px; border: 1px solid #d0d7de; vertical-align: middle; }
table { border-collapse: collapse; width: 100%; font-size: 13px; }
caption { text-align: left; color: var(--muted); padding-bottom: 4px; }
th, td { border-bottom: 1px solid #d0d7de; padding: 5px 8px; text-align: left; white-space: nowrap; }
td:nth-child(4), td:nth-child(5), td:nth-child(7) { text-align: right; }
.changed { color: var(--change); font-weight: 600; }
a { color: #0969da; }
"""


def write_site(history: History, out: Path) -> Path:
    """Write `out/index.html` and `out/style.css`; return the page's path."""
    if not history.entries:
        raise HistoryError("the history holds no release: run `invoke history` first")
    write_text(out / STYLE, CSS)
    page = out / "index.html"
    write_text(page, render_index(history))
    return page
