"""Ctrl-C that ends a process with one known outcome, wherever it lands.

A KeyboardInterrupt raised inside an import can surface as another exception (a half-imported
module fails later in odd ways): so SIGINT is remembered, and any exception after it counts as
the interrupt. Under torchrun a rank gets SIGINT twice, from the terminal and forwarded by the
agent: a rank ignores the repeats.
"""

from __future__ import annotations

import signal
from collections.abc import Callable

_received: list[int] = []


def _remember(signum: int, frame: object) -> None:
    _received.append(signum)
    raise KeyboardInterrupt


def _remember_first_only(signum: int, frame: object) -> None:
    signal.signal(signum, signal.SIG_IGN)
    _remember(signum, frame)


def run_until_interrupted(body: Callable[[], int], *, ignore_repeats: bool = False) -> int | None:
    """`body()`'s exit code, or None when SIGINT stopped it, whatever exception the interrupt became."""
    signal.signal(signal.SIGINT, _remember_first_only if ignore_repeats else _remember)
    try:
        return body()
    except BaseException:
        if _received:
            return None
        raise
