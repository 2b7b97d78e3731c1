"""tasks.py as a whole: what every task shares (interpreter, settings from invoke.yaml, flags)."""

from __future__ import annotations

import inspect
import os
import subprocess
import sys
import typing
from pathlib import Path

import pytest
from helpers import PY, ROOT, project_context
from invoke import Collection, Config, Exit, MockContext, Result, Task
from invoke.parser import ParserContext
from ruamel.yaml import YAML

import tasks
from commands.flags import setting
from commands.typed_tasks import BOLD_ECHO, number_kind

PYTHON_TASKS = {
    "train": {},
    "predict": {"input": "samples/digits"},
    "report": {},
    "baseline": {},
    "comment": {},
    "test": {},
    "bench": {},
    "lock": {},
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

    assert c.run.call_args.args[0].startswith(f"{PY} -m training.launch --standalone ")


def invoke_yaml_keys() -> list[str]:
    """Every leaf key of the project's invoke.yaml, dotted (train.epochs), whoever added it."""

    def leaves(mapping: dict, prefix: str = "") -> list[str]:
        keys = []
        for name, value in mapping.items():
            key = f"{prefix}{name}"
            keys += leaves(value, f"{key}.") if isinstance(value, dict) else [key]
        return keys

    return leaves(YAML(typ="safe", pure=True).load(ROOT / "invoke.yaml"))


# A value (and companion settings it needs to matter) where the generic one would not do.
SAMPLES = {
    "train.device": ("cpu", {}),
    "baseline.source": ("train", {}),
    "train.nnodes": ("2", {"INVOKE_TRAIN_RDZV_ENDPOINT": "10.0.0.1:29400"}),
    "train.node_rank": ("1", {"INVOKE_TRAIN_NNODES": "2", "INVOKE_TRAIN_RDZV_ENDPOINT": "10.0.0.1:29400"}),
    "train.rdzv_endpoint": ("10.0.0.1:29400", {"INVOKE_TRAIN_NNODES": "2"}),
    "docker.registry": ("registry.example", {"INVOKE_DOCKER_NAMESPACE": "owner/repo"}),
    "bench.case": ("folder", {}),
    "train.reuse": ("auto", {}),
}
# Flags a task cannot run without.
REQUIRED_FLAGS = {"predict": {"input": "samples/digits"}}
# Tasks that only run other tasks.
COMPOSITE_TASKS = {"ci"}


def sample_value(default: object) -> str:
    """An INVOKE_* value unlike the default, of the default's type (a whole number for a null one)."""
    if isinstance(default, bool):
        return "0" if default else "1"
    if isinstance(default, int | float):
        return str(default * 2 + 3)
    if default is None:
        return "3"
    return f"{default}-set-by-env" if default else "set-by-env"


def task_outcomes(monkeypatch: pytest.MonkeyPatch, env: dict[str, str]) -> tuple[list[str], set[str]]:
    """Everything every task runs (commands with their run options), and which tasks stop with an error, under `env`."""
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    config = Config(project_location=str(ROOT), overrides={"run": {"dry": True}})  # dry: run-* create no folders
    config.load_project()
    config.load_shell_env()
    ran, errors = [], set()
    for name, body in vars(tasks).items():
        if isinstance(body, Task) and name not in COMPOSITE_TASKS:
            c = MockContext(config=config, run=Result(), repeat=True)
            try:
                body(c, **REQUIRED_FLAGS.get(name, {}))
            except Exit as stopped:
                ran.append(f"{name} stopped: {stopped.message}")
                errors.add(name)
            ran += [f"{name}: {call}" for call in c.run.call_args_list]
    for name in env:
        monkeypatch.delenv(name)
    return ran, errors


@pytest.mark.parametrize("key", invoke_yaml_keys())
def test_every_invoke_yaml_key_can_be_set_by_its_invoke_variable(
    key: str, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """INVOKE_<SECTION>_<KEY> changes what the tasks run, with no new error (null defaults included)."""
    default = setting(YAML(typ="safe", pure=True).load(ROOT / "invoke.yaml"), key)
    value, companions = SAMPLES.get(key, (sample_value(default), {}))
    if key == "train.reuse":
        # --reuse auto checks only where a baseline run lies beside baseline.out.
        (tmp_path / "metrics.json").write_text("{}")
        companions = {"INVOKE_BASELINE_OUT": str(tmp_path / "metrics.json")}
    variable = "INVOKE_" + key.replace(".", "_").upper()
    before, errors_before = task_outcomes(monkeypatch, companions)

    after, errors_after = task_outcomes(monkeypatch, {**companions, variable: value})

    assert after != before, f"{variable}={value} changed nothing the tasks run"
    assert errors_after <= errors_before, f"{variable}={value} stopped {errors_after - errors_before}: {after}"


def parser_contexts() -> dict[str, ParserContext]:
    """How `invoke` parses each task's flags, as the command line sees them."""
    return {context.name: context for context in Collection.from_module(tasks).to_contexts()}


def invoke_cli(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=ROOT, capture_output=True, text=True, env={**os.environ, **env}
    )


def test_number_flags_show_their_type_in_help() -> None:
    """Every flag annotated int or float shows as =INT or =FLOAT in `invoke --help TASK`, never =STRING."""
    contexts = parser_contexts()
    checked = 0
    for name, body in vars(tasks).items():
        if not isinstance(body, Task):
            continue
        hints = typing.get_type_hints(body.body)
        context = contexts[name.replace("_", "-")]
        for parameter in list(inspect.signature(body.body).parameters)[1:]:
            metavar = {int: "INT", float: "FLOAT"}.get(number_kind(hints.get(parameter)))
            if metavar:
                flag = "--" + parameter.replace("_", "-")
                assert context.help_for(flag)[0] == f"{flag}={metavar}"
                checked += 1

    assert checked >= 10


def test_help_output_names_the_types() -> None:
    """`invoke --help train` as a user sees it: =INT, =FLOAT and =STRING where each belongs."""
    shown = invoke_cli("--help", "train").stdout

    assert "--epochs=INT" in shown and "--lr=FLOAT" in shown and "--dataset=STRING" in shown


def test_no_task_has_short_flags() -> None:
    """Auto short flags are off: one letter never means different flags in different tasks."""
    for context in parser_contexts().values():
        assert all(flag.startswith("--") for flag in context.flags), context.name


def test_no_task_takes_a_positional_argument() -> None:
    """Every argument is a --flag: a positional one would swallow the next word, so `invoke predict --help`
    predicted on a file called --help instead of showing the help."""
    for context in parser_contexts().values():
        assert context.positional_args == [], context.name


def test_task_help_after_the_task_name_shows_the_help() -> None:
    """`invoke predict --help` (the order a newcomer types) prints the task's flags and runs nothing."""
    shown = invoke_cli("predict", "--help")

    assert shown.returncode == 0
    assert shown.stdout.startswith("Usage: inv[oke] [--core-opts] predict") and "--input=STRING" in shown.stdout


def test_predict_without_input_is_one_line_and_exit_2() -> None:
    """`invoke predict` with no --input names the flag, exit 2, nothing run."""
    done = invoke_cli("--dry", "predict")

    assert done.returncode == 2
    assert done.stderr == "invoke predict: --input is required: an image, a folder of images, or a .npy array\n"
    assert done.stdout == ""


def test_the_artifact_folder_is_artifacts_in_every_task_that_uses_it() -> None:
    """train, report and run-train all call the artifact folder --artifacts; none calls it --out."""
    contexts = parser_contexts()

    for name in ("train", "report", "run-train"):
        assert "--artifacts" in contexts[name].flags and "--out" not in contexts[name].flags


@pytest.mark.parametrize(
    ("args", "env", "message"),
    [
        (["train", "--epochs", "x"], {}, "--epochs expects a whole number, got 'x'"),
        (["report", "--max-drop", "1%"], {}, "--max-drop expects a number, got '1%'"),
        (["train"], {"INVOKE_TRAIN_SEED": "x"}, "train.seed (invoke.yaml, or INVOKE_TRAIN_SEED)"),
        (["train"], {"INVOKE_TRAIN_EPOCHS": "five"}, "train.epochs (invoke.yaml, or INVOKE_TRAIN_EPOCHS)"),
        (["train"], {"INVOKE_TRAIN_DEVICE": "gpu"}, "--device must be one of auto, cpu, cuda, got 'gpu'"),
    ],
    ids=["flag", "float-flag", "variable-with-a-default", "variable-with-a-null-default", "device"],
)
def test_bad_numbers_stop_with_one_line_and_exit_2(args: list[str], env: dict, message: str) -> None:
    """A bad flag or INVOKE_* value: one line naming it, exit status 2, no traceback, nothing run."""
    done = invoke_cli("--dry", *args, **env)

    assert done.returncode == 2
    assert message in done.stderr and done.stderr.count("\n") == 1
    assert done.stdout == ""


def test_a_variable_for_a_null_default_reaches_the_command() -> None:
    """invoke.yaml's own example, INVOKE_TRAIN_EPOCHS=5 invoke train, trains 5 epochs (it crashed with a TypeError)."""
    done = invoke_cli("--dry", "train", INVOKE_TRAIN_EPOCHS="5", INVOKE_TRAIN_LR="0.01")

    assert done.returncode == 0, done.stderr
    assert "--epochs 5 --lr 0.01" in done.stdout


@pytest.mark.parametrize(("terminal", "expected"), [(True, BOLD_ECHO), (False, "{command}")], ids=["tty", "log"])
def test_commands_are_echoed_plain_when_stdout_is_no_terminal(
    monkeypatch: pytest.MonkeyPatch, terminal: bool, expected: str
) -> None:
    """A CI log gets the echoed command without invoke's bold ANSI codes; a terminal keeps them."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    c = project_context()

    tasks.train(c)

    assert c.config.run.echo_format == expected


def test_a_configured_echo_format_is_kept(monkeypatch: pytest.MonkeyPatch) -> None:
    """run.echo_format set by the user (invoke.yaml, INVOKE_RUN_ECHO_FORMAT) wins over the plain default."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: False)
    c = project_context(repeat=True)
    c.config.run.echo_format = "+ {command}"

    tasks.lint(c)

    assert c.config.run.echo_format == "+ {command}"


def test_invoke_output_in_a_log_has_no_ansi_codes() -> None:
    """`invoke --dry train` into a pipe, as in CI, prints the command as plain text."""
    done = invoke_cli("--dry", "train")

    assert done.stdout == f"{PY} -m training --dataset digits --seed 0 --out artifacts --split-seed 0\n"


@pytest.mark.parametrize("terminal", [True, False], ids=["tty", "log"])
def test_train_gets_a_pty_only_on_a_terminal(monkeypatch: pytest.MonkeyPatch, terminal: bool) -> None:
    """On a terminal training runs in a pty (so its progress bar shows); in a log it writes plain lines."""
    monkeypatch.setattr(sys.stdout, "isatty", lambda: terminal)
    c = project_context()

    tasks.train(c)

    assert c.run.call_args.kwargs["pty"] is terminal
