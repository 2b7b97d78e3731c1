"""The two statistics the report relies on: a confidence interval for an accuracy and the exact McNemar test.

scipy comes with scikit-learn in the training environment; it is imported inside the functions so that
`python -m reporting comment`, which runs where only requirements-report.txt is installed, never needs it.
"""

from __future__ import annotations

CONFIDENCE = 0.95


def wilson_interval(successes: int, total: int, confidence: float = CONFIDENCE) -> tuple[float, float]:
    """The Wilson score interval for a proportion of successes/total (it stays inside 0..1 and behaves
    at 0% and 100%, unlike the normal approximation)."""
    if total == 0:
        return 0.0, 1.0
    from scipy.stats import binomtest

    interval = binomtest(successes, total).proportion_ci(confidence_level=confidence, method="wilson")
    return float(interval.low), float(interval.high)


def mcnemar_p(fixed: int, broken: int) -> float:
    """Two-sided p-value of the exact McNemar test on paired outcomes: under "no change" a sample that changed
    is equally likely to have been fixed or broken, so the discordant counts follow Binomial(n, 1/2)."""
    if fixed + broken == 0:
        return 1.0
    from scipy.stats import binomtest

    return float(binomtest(fixed, fixed + broken, 0.5).pvalue)
