"""A helper process that takes scikit-learn and matplotlib off the training process's critical path.

Most of a short run's wall time is imports: torch and its optimiser machinery (about 2 s) in the
training process, scikit-learn and matplotlib (about 1 s) for the data and the reports. The
sidecar is forked before torch is imported: it loads and splits the dataset while the training
process imports torch, imports the plotting code while it trains, and at the end writes the
reports from the predictions while the training process saves the checkpoint. Where `fork` is
not available the same steps run in-process, one after the other.
"""

from __future__ import annotations

import multiprocessing
import signal
import traceback

from training.config import DataError


class InProcessSidecar:
    """The sidecar's steps, run in this process as they are asked for."""

    def __init__(self, load_kwargs: dict) -> None:
        self._load_kwargs = load_kwargs
        self._job: dict | None = None

    def splits(self):
        from training.data import load_splits

        return load_splits(**self._load_kwargs)

    def request_reports(self, **job) -> None:
        self._job = job

    def reports(self) -> dict:
        from training.reports import write_reports

        return write_reports(**self._job)

    def close(self) -> None:
        pass


class ForkedSidecar:
    """The sidecar's steps in a forked child process, talking over a pipe."""

    def __init__(self, load_kwargs: dict) -> None:
        context = multiprocessing.get_context("fork")
        self._conn, child_conn = context.Pipe()
        self._process = context.Process(
            target=_serve, args=(child_conn, self._conn, load_kwargs), name="training-sidecar", daemon=True
        )
        self._process.start()
        child_conn.close()

    def splits(self):
        return self._receive()

    def request_reports(self, **job) -> None:
        self._conn.send(job)

    def reports(self) -> dict:
        return self._receive()

    def close(self) -> None:
        """Let the child go (it exits when the pipe closes); never leave it behind."""
        self._conn.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()

    def _receive(self):
        try:
            status, value = self._conn.recv()
        except EOFError:
            self._process.join(timeout=5)
            raise RuntimeError(f"the sidecar process died (exit code {self._process.exitcode})") from None
        if status == "data-error":
            raise DataError(value)
        if status == "error":
            raise RuntimeError(f"the sidecar process failed:\n{value}")
        return value


def start_sidecar(load_kwargs: dict) -> ForkedSidecar | InProcessSidecar:
    """A forked sidecar where the platform can fork, else the in-process one."""
    if "fork" in multiprocessing.get_all_start_methods():
        return ForkedSidecar(load_kwargs)
    return InProcessSidecar(load_kwargs)


def _serve(conn, parent_end, load_kwargs: dict) -> None:
    # The fork copied the parent's end of the pipe: close it, or we would never see the parent close.
    parent_end.close()
    # Ctrl-C and SIGTERM are for the training process to handle; it closes the pipe, we exit.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    try:
        from training.data import load_splits
        from training.reports import warm_up, write_reports

        conn.send(("ok", load_splits(**load_kwargs)))
        warm_up()
        job = conn.recv()
        conn.send(("ok", write_reports(**job)))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the training process needs no (more) from us: another rank, an interrupted run, an early error
    except DataError as exc:
        conn.send(("data-error", str(exc)))
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()
