"""The production model as a folder (what `invoke production` fetches for the PR report), and the report's
paragraph about it: which release is production, and whether this run would replace it after merging."""

from __future__ import annotations

import json
from pathlib import Path

from delivery.promotion import Production, decide, production_line
from reporting.metrics import MetricsError, load_metrics
from reporting.predictions import load_predictions

RECORD = "release.json"  # {"tag", "commit", "url"}: which release the folder's files came from


def read_production(folder: Path) -> Production | None:
    """The production release saved in `folder`, or None when the folder holds none (no release yet, no token)."""
    record_path = folder / RECORD
    if not record_path.is_file():
        return None
    try:
        record = json.loads(record_path.read_text(encoding="utf-8"))
        tag, commit = str(record["tag"]), str(record["commit"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise MetricsError(f"{record_path}: not a production record ({exc})") from None
    predictions_path = folder / "predictions.csv"
    return Production(
        tag=tag,
        commit=commit,
        metrics=load_metrics(folder / "metrics.json"),
        predictions=load_predictions(predictions_path) if predictions_path.is_file() else None,
    )


def production_paragraph(
    metrics: dict,
    predictions: dict[str, tuple[str, str]] | None,
    production: Production,
    *,
    max_drop: float,
    alpha: float,
    commit_link: str = "",
) -> str:
    """'Production: model-v6 (main @ `abc1234`, 99.44%)', and a warning when this run would not be promoted."""
    line = production_line(production, commit_link)
    decision = decide(metrics, predictions, production, max_drop=max_drop, alpha=alpha)
    if decision.promote:
        return line
    why = decision.reason.removeprefix("not promoted: ")
    return f"{line}\n\n> [!WARNING]\n> After merging, this model would not be promoted: {why}."
