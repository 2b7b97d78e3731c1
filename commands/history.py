"""Commands for `invoke history` (fill `history/` from the releases or a folder of runs) and `invoke dashboard`
(draw its page)."""

from __future__ import annotations

import shlex


def history_command(*, out: str, releases: int, source: str = "", python: str = "python") -> str:
    """`python -m delivery.history_cli history`: the last `releases` GitHub releases into `out`, or the last
    `releases` runs of the folder `source` when one is given (no token needed)."""
    if releases < 1:
        raise ValueError(f"--releases must be at least 1, got {releases}")
    args = [python, "-m", "delivery.history_cli", "history", "--out", out, "--releases", str(releases)]
    if source:
        args += ["--from", source]
    return shlex.join(args)


def dashboard_command(*, history: str, out: str, python: str = "python") -> str:
    """`python -m delivery.history_cli dashboard`: the static page of `history` written into `out`."""
    return shlex.join([python, "-m", "delivery.history_cli", "dashboard", "--history", history, "--out", out])
