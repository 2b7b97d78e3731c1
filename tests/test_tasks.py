"""tasks.py as a whole: what every task shares (interpreter, settings from invoke.yaml, flags)."""

from __future__ import annotations

import pytest
from helpers import PY, project_context

import tasks

PYTHON_TASKS = {
    "train": {},
    "predict": {"input": "samples/digits"},
    "report": {},
    "baseline": {},
    "comment": {},
    "test": {},
    "bench": {},
}


@pytest.mark.parametrize(("name", "flags"), PYTHON_TASKS.items(), ids=PYTHON_TASKS.keys())
def test_python_tasks_run_the_interpreter_invoke_runs_under(name: str, flags: dict) -> None:
    """`venv/bin/invoke TASK` runs venv/bin/python, not whatever `python` PATH finds (an unactivated venv works)."""
    c = project_context(repeat=True)

    getattr(tasks, name)(c, **flags)

    commands = [call.args[0] for call in c.run.call_args_list]
    assert commands and all(command.startswith(f"{PY} ") for command in commands)


def test_torchrun_runs_under_the_same_interpreter() -> None:
    """`invoke train --nproc 2` starts torchrun as a module of that interpreter, not a `torchrun` from PATH."""
    c = project_context()

    tasks.train(c, nproc=2)

    assert c.run.call_args.args[0].startswith(f"{PY} -m torch.distributed.run --standalone ")
