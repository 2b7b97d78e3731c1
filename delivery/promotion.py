"""Champion and challenger: does a new model become production? Pure: from the two runs' files, no server.

A new release is promoted unless it is worse than production by more than `max_drop` *and* significantly so at
`alpha` on the same test samples: the paired comparison the PR gate makes (reporting.compare), so the gate and
promotion can never disagree about what "significantly worse" means. A release that cannot be paired with
production (another dataset, split or label set; or predictions missing) is promoted on its gate alone.
"""

from __future__ import annotations

from dataclasses import dataclass

from reporting.compare import DEFAULT_ALPHA, Comparison, compare
from reporting.gate import TOLERANCE, p_value
from reporting.markdown import percent, points

TAG_PREFIX = "model-v"


@dataclass(frozen=True)
class Production:
    """The model now in production: its release tag and commit, and the files the comparison needs."""

    tag: str
    commit: str
    metrics: dict
    predictions: dict[str, tuple[str, str]] | None  # predictions.csv rows, {id: (label, prediction)}


@dataclass(frozen=True)
class Decision:
    promote: bool
    reason: str  # one line for the release notes and the log, e.g. "not promoted: -1.67 pp against model-v6 (...)"
    comparison: Comparison | None = None  # None for the first release
    production: Production | None = None

    @property
    def comparable(self) -> bool:
        return self.comparison is not None and self.comparison.paired is not None


def decide(
    metrics: dict,
    predictions: dict[str, tuple[str, str]] | None,
    production: Production | None,
    *,
    max_drop: float = 0.0,
    alpha: float = DEFAULT_ALPHA,
) -> Decision:
    """Whether a release of `metrics` (whose gate passed) becomes production in place of `production`."""
    if production is None:
        return Decision(True, "promoted: the first release")
    comparison = compare(
        metrics, production.metrics, predictions=predictions, baseline_predictions=production.predictions, alpha=alpha
    )
    against = f"against {production.tag}"
    if comparison.paired is None:
        why = comparison.not_comparable or "no paired predictions on the same test samples"
        return Decision(
            True, f"promoted on its gate alone: not comparable with {production.tag} ({why})", comparison, production
        )
    paired = comparison.paired
    evidence = f"({paired.fixed} fixed, {paired.broken} broken, McNemar {p_value(paired.p_value)})"
    change = f"{points(comparison.accuracy_delta)} {against} {evidence}"
    worse = paired.broken > paired.fixed and paired.significant(alpha)
    if -comparison.accuracy_delta > max_drop + TOLERANCE and worse:
        return Decision(False, f"not promoted: {change}", comparison, production)
    return Decision(True, f"promoted: {change}", comparison, production)


def production_line(production: Production, commit_link: str = "") -> str:
    """'Production: model-v6 (main @ `abc1234`, 99.44%)' for the PR report; `commit_link` wraps the short sha."""
    short = production.commit[:7]
    where = f"[`{short}`]({commit_link})" if commit_link else f"`{short}`"
    return f"Production: {production.tag} (main @ {where}, {percent(production.metrics['accuracy'])})"


def release_number(tag: str) -> int | None:
    """7 for 'model-v7'; None for any other tag (a tag of someone else's, or 'model-v07')."""
    number = tag.removeprefix(TAG_PREFIX)
    if tag.startswith(TAG_PREFIX) and number.isdigit() and number == str(int(number)) and int(number) > 0:
        return int(number)
    return None


def next_tag(tags: list[str]) -> str:
    """model-v<N+1> after the highest model-v<N> among `tags` (model-v1 when there is none)."""
    numbers = [n for n in (release_number(tag) for tag in tags) if n is not None]
    return f"{TAG_PREFIX}{max(numbers, default=0) + 1}"
