"""Small markdown building blocks: number formats, safe table cells, tables, fenced blocks."""

from __future__ import annotations

import html
import re


def percent(fraction: float, digits: int = 2) -> str:
    """0.98611 -> '98.61%'."""
    return f"{fraction * 100:.{digits}f}%"


def points(delta: float, digits: int = 2) -> str:
    """A change of a fraction in percentage points: 0.0056 -> '+0.56 pp'; no visible change -> '±0.00 pp'."""
    value = delta * 100
    if round(value, digits) == 0:
        return f"±{0:.{digits}f} pp"
    return f"{value:+.{digits}f} pp"


def cell(text: object) -> str:
    """Text made safe for a table cell: no HTML, no column breaks, no line breaks."""
    escaped = html.escape(str(text), quote=False).replace("|", "\\|")
    return re.sub(r"\s+", " ", escaped).strip()


def code(text: object) -> str:
    """Inline code for a user-supplied name such as a class label (escaped, so it cannot break a table)."""
    # Code spans show HTML literally, so only the column separator and backticks need care.
    flat = re.sub(r"\s+", " ", str(text)).strip().replace("`", "'").replace("|", "\\|")
    return f"`{flat}`"


def table(header: list[str], rows: list[list[str]], align: list[str] | None = None) -> str:
    """A GitHub table; `align` holds 'l' or 'r' per column (default: first left, rest right)."""
    align = align or ["l"] + ["r"] * (len(header) - 1)
    rule = ["---:" if a == "r" else ":---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(line) + " |" for line in lines)


def fenced(text: str, language: str = "") -> str:
    """A fenced code block whose fence is longer than any backtick run inside `text`."""
    longest = max((len(run) for run in re.findall(r"`+", text)), default=0)
    fence = "`" * max(3, longest + 1)
    return f"{fence}{language}\n{text.rstrip()}\n{fence}"


def details(summary: str, body: str) -> str:
    """A collapsed block; the blank lines let GitHub render markdown inside it."""
    return f"<details>\n<summary>{html.escape(summary, quote=False)}</summary>\n\n{body}\n\n</details>"
