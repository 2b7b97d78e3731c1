"""training.launch: torchrun whose Ctrl-C is one line and exit 130, run for real through `invoke train --nproc 2`."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import pytest
from helpers import ROOT


@pytest.mark.slow
def test_ctrl_c_under_torchrun_is_one_line_and_exit_130(tmp_path: Path) -> None:
    """Ctrl-C (SIGINT to the terminal's whole process group) during a 2-process run: exit 130, one line, no banner."""
    env = {key: value for key, value in os.environ.items() if key != "OMP_NUM_THREADS"}
    command = [sys.executable, "-m", "invoke", "train", "--nproc", "2", "--epochs", "500", "--artifacts", str(tmp_path)]
    with subprocess.Popen(
        command,
        cwd=ROOT,
        env=env,
        stdin=subprocess.PIPE,  # open, as a terminal's: invoke passes Ctrl-C on through it
        stderr=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
        start_new_session=True,
    ) as process:
        before = []
        for line in process.stderr:
            before.append(line)
            if line.startswith("epoch 1/"):
                os.killpg(process.pid, signal.SIGINT)  # what a terminal's Ctrl-C does
                break
        after = process.stderr.read()
        code = process.wait(timeout=120)

    assert code == 130, after
    assert after == "interrupted (SIGINT): every process stopped\n"
    assert "OMP_NUM_THREADS" not in "".join(before)  # torchrun's banner
    assert not (tmp_path / "metrics.json").exists()
