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
import sys
import traceback
from dataclasses import dataclass, replace

from training.config import DataError

POLL_SECONDS = 0.5  # how often a waiting parent checks that the sidecar still runs


class InProcessSidecar:
    """The sidecar's steps, run in this process as they are asked for."""

    def __init__(self, load_kwargs: dict) -> None:
        self._load_kwargs = load_kwargs
        self._job: dict | None = None
        self.loaded: list[tuple[str, str]] = []  # the same process: its modules are in sys.modules already

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
        # Not a daemon: a daemonic process may not start processes, and the sidecar decodes folder
        # datasets with a pool. close() (always called) lets it go; it also exits when the pipe closes.
        self._process = context.Process(
            target=_serve, args=(child_conn, self._conn, load_kwargs), name="training-sidecar", daemon=False
        )
        self._process.start()
        child_conn.close()
        self.loaded: list[tuple[str, str]] = []  # (name, file) of the child's modules, sent with the reports

    def splits(self):
        return mapped_again(self._receive())

    def request_reports(self, **job) -> None:
        self._conn.send(job)

    def reports(self) -> dict:
        metrics, self.loaded = self._receive()
        return metrics

    def close(self) -> None:
        """Let the child go (it exits when the pipe closes); never leave it behind."""
        self._conn.close()
        self._process.join(timeout=10)
        if self._process.is_alive():
            self._process.terminate()

    def _receive(self):
        try:
            # Poll, not a bare recv: processes the child forked (its decoding pool) hold copies of its
            # end of the pipe, so a child that dies does not always close it.
            while not self._conn.poll(POLL_SECONDS):
                if not self._process.is_alive():
                    raise EOFError
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
    # SIGTERM exits through `finally` blocks: an interrupted folder decode removes its partial cache.
    signal.signal(signal.SIGTERM, lambda signum, frame: sys.exit(128 + signum))
    try:
        from training.data import load_splits
        from training.reports import warm_up, write_reports

        conn.send(("ok", by_reference(load_splits(**load_kwargs))))
        warm_up()
        job = conn.recv()
        metrics = write_reports(**job)
        # What this process imported (the data and report code) counts as a training input too: training.inputs.
        from training.inputs import loaded_modules

        conn.send(("ok", (metrics, loaded_modules())))
    except (EOFError, BrokenPipeError, ConnectionResetError):
        pass  # the training process needs no (more) from us: another rank, an interrupted run, an early error
    except DataError as exc:
        conn.send(("data-error", str(exc)))
    except Exception:
        conn.send(("error", traceback.format_exc()))
    finally:
        conn.close()


@dataclass(frozen=True)
class MappedImages:
    """A memory-mapped image array passed by its file name: pickling the memmap would copy its bytes
    through the pipe and into this process's memory."""

    path: str
    shape: tuple[int, ...]

    def open(self):
        from training.folder_cache import open_images

        images = open_images(self.path)
        if images.shape != self.shape:
            raise RuntimeError(f"{self.path}: expected images of shape {self.shape}, found {images.shape}")
        return images


def by_reference(splits):
    """`splits` with each memmap-backed split's images replaced by a MappedImages."""
    import numpy as np

    def portable(split):
        if isinstance(split.images, np.memmap) and split.images.filename:
            return replace(split, images=MappedImages(str(split.images.filename), tuple(split.images.shape)))
        return split

    return replace(splits, train=portable(splits.train), val=portable(splits.val), test=portable(splits.test))


def mapped_again(splits):
    """The inverse of by_reference, in the receiving process: map the same files."""

    def opened(split):
        return replace(split, images=split.images.open()) if isinstance(split.images, MappedImages) else split

    return replace(splits, train=opened(splits.train), val=opened(splits.val), test=opened(splits.test))
