"""training.interrupts: Ctrl-C ends a process with one known outcome, wherever it lands."""

from __future__ import annotations

import os
import signal
from collections.abc import Iterator

import pytest

from training import interrupts


@pytest.fixture(autouse=True)
def fresh_handler(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """Each test starts with no interrupt seen, and gets Python's own Ctrl-C handler back afterwards."""
    monkeypatch.setattr(interrupts, "_received", [])
    yield
    signal.signal(signal.SIGINT, signal.default_int_handler)


def ctrl_c() -> None:
    os.kill(os.getpid(), signal.SIGINT)


def test_a_body_that_finishes_gives_its_exit_code() -> None:
    """Without an interrupt the body's own exit code comes back."""
    assert interrupts.run_until_interrupted(lambda: 3) == 3


def test_an_interrupt_that_surfaces_as_another_error_still_counts() -> None:
    """SIGINT inside an import can end as, say, a RecursionError: it is still reported as the interrupt."""

    def body() -> int:
        try:
            ctrl_c()
        except KeyboardInterrupt:
            raise RecursionError("half-imported module") from None
        return 0

    assert interrupts.run_until_interrupted(body) is None


def test_errors_without_an_interrupt_propagate() -> None:
    """A real failure is not mistaken for an interrupt."""
    with pytest.raises(ValueError, match="bug"):
        interrupts.run_until_interrupted(lambda: int("bug"))


def test_a_rank_ignores_the_repeated_interrupt() -> None:
    """With ignore_repeats (a torchrun rank), the agent's forwarded second SIGINT changes nothing."""

    def body() -> int:
        try:
            ctrl_c()
        except KeyboardInterrupt:
            ctrl_c()  # ignored: no second KeyboardInterrupt
            return 130
        return 0

    assert interrupts.run_until_interrupted(body, ignore_repeats=True) == 130
    assert signal.getsignal(signal.SIGINT) == signal.SIG_IGN
