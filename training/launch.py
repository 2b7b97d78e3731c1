"""`python -m training.launch ARGS`: torchrun (`python -m torch.distributed.run ARGS`), with Ctrl-C as one line.

On Ctrl-C (or SIGTERM) torchrun's elastic agent stops the workers, then raises SignalException
out of its main: two log warnings and a 25-line traceback, exit status 1. Here the agent still
stops the workers the same way; then one line, and 130 (143 for SIGTERM) as a shell reports a
signal. The ranks stay quiet (training.cli), so the line is said once. Everything else, worker
failures included, is torchrun's own behaviour.
"""

from __future__ import annotations

import logging
import signal
import sys

from training.interrupts import run_until_interrupted

# The agent's loggers that narrate a shutdown by signal ("Received 2 death signal", "Sending process
# ... closing signal SIGINT"); their other warnings still show.
AGENT_LOGGERS = ("torch.distributed.elastic.agent.server.api", "torch.distributed.elastic.multiprocessing.api")


def _not_about_signals(record: logging.LogRecord) -> bool:
    return "signal" not in record.getMessage()


def _torchrun(argv: list[str] | None) -> int:
    # Imported here: a Ctrl-C during torch's slow import is an interrupt like any other.
    from torch.distributed.elastic.multiprocessing.api import SignalException
    from torch.distributed.run import main as torchrun

    for name in AGENT_LOGGERS:
        logging.getLogger(name).addFilter(_not_about_signals)
    try:
        torchrun(argv)
    except SignalException as exc:
        return 128 + int(exc.sigval)
    return 0


def main(argv: list[str] | None = None) -> int:
    code = run_until_interrupted(lambda: _torchrun(argv))
    if code is None or code > 128:
        signal_number = code - 128 if code else signal.SIGINT
        print(f"interrupted ({signal.Signals(signal_number).name}): every process stopped", file=sys.stderr)
        return code or 128 + signal.SIGINT
    return code


if __name__ == "__main__":
    sys.exit(main())
