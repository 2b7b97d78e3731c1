"""invoke tasks whose number flags are typed by their annotations, and typed INVOKE_* settings.

invoke types a flag by its default value: `epochs: int | None = None` would reach the task as
text and show as `--epochs=STRING` in `--help`, and a bad number would end in a traceback. Here
the annotation decides: `--epochs=INT`, `--lr=FLOAT`, and `--epochs x` stops with one line and
exit status 2, as every other bad input does. Auto short flags are off: one letter meant
different flags in different tasks (`-t` was `--title` in one and `--target` in another). And
when stdout is no terminal (a CI log), commands are echoed plain, without invoke's bold codes.
"""

from __future__ import annotations

import inspect
import sys
import types
import typing
from typing import Any

import invoke
from invoke import Config, Context, Exit, Task
from invoke.env import Environment
from invoke.parser import ParserContext

from commands.flags import NOUNS, setting_problem

EXIT_USAGE = 2
METAVARS = {int: "INT", float: "FLOAT"}
BOLD_ECHO = Config.global_defaults()["run"]["echo_format"]  # "\033[1;37m{command}\033[0m"
PLAIN_ECHO = "{command}"


class NumberFlag:
    """An argument `kind` for invoke's parser: parses one flag's text as int or float, or exits 2 naming it."""

    def __init__(self, kind: type, flag: str) -> None:
        self.kind = kind
        self.flag = flag
        self.metavar = METAVARS[kind]
        self.__name__ = kind.__name__  # invoke's debug output names an argument's kind

    def __call__(self, text: str) -> int | float:
        try:
            return self.kind(text)
        except ValueError:
            raise Exit(f"{self.flag} expects {NOUNS[self.kind]}, got {text!r}", code=EXIT_USAGE) from None


def echo_format(terminal: bool) -> str:
    """How commands are echoed: invoke's bold on a terminal, plain text in a log (no raw ANSI codes)."""
    return BOLD_ECHO if terminal else PLAIN_ECHO


def number_kind(annotation: Any) -> type | None:
    """int or float for an annotation `int`, `float`, `int | None`, `Optional[float]`; None for anything else."""
    if isinstance(annotation, types.UnionType) or typing.get_origin(annotation) is typing.Union:
        kinds = [arg for arg in typing.get_args(annotation) if arg is not type(None)]
        annotation = kinds[0] if len(kinds) == 1 else None
    return annotation if annotation in METAVARS else None


class TypedTask(Task):
    """A Task whose int and float flags are parsed as such (see the module docstring); no auto short flags."""

    def __init__(self, *args: Any, auto_shortflags: bool = False, **kwargs: Any) -> None:
        super().__init__(*args, auto_shortflags=auto_shortflags, **kwargs)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        context = args[0] if args else None
        if isinstance(context, Context) and context.config.run.echo_format == BOLD_ECHO:
            # invoke's own default only: an echo_format set in invoke.yaml or INVOKE_RUN_ECHO_FORMAT stays.
            context.config.run.echo_format = echo_format(sys.stdout.isatty())
        return super().__call__(*args, **kwargs)

    def arg_opts(self, name: str, default: Any, taken_names: set[str]) -> dict[str, Any]:
        opts = super().arg_opts(name, default, taken_names)
        kind = number_kind(self._annotations().get(name))
        if kind is not None:
            opts["kind"] = NumberFlag(kind, "--" + opts["names"][0])
            if default is not inspect.Signature.empty:
                opts["default"] = default
        return opts

    def _annotations(self) -> dict[str, Any]:
        try:
            return typing.get_type_hints(self.body)
        except NameError:  # an annotation naming what only a type checker imports: leave typing to invoke
            return {}


def task(*args: Any, **kwargs: Any) -> Any:
    """invoke's `@task` (with or without arguments), making TypedTasks."""
    return invoke.task(*args, klass=TypedTask, **kwargs)


def adapt_invoke() -> None:
    """Teach invoke's help and its INVOKE_* reader about typed values (idempotent).

    invoke 3 hard-codes `=STRING`/`=INT` in task help and lets a bad `INVOKE_TRAIN_SEED=x` end in a
    ValueError traceback; both are wrapped, not replaced, so everything else stays invoke's.
    tests/test_tasks.py pins both, so an invoke upgrade that moves them fails there first.
    """
    if getattr(ParserContext.help_for, "adapted", False):
        return
    plain_help_for = ParserContext.help_for
    plain_path_set = Environment._path_set

    def help_for(self: ParserContext, flag: str) -> tuple[str, str]:
        names, text = plain_help_for(self, flag)
        metavar = getattr(self.flags[flag].kind, "metavar", None)
        if metavar:  # invoke shows a kind it does not know like a switch: no value at all
            names = ", ".join(f"{name}={metavar}" for name in names.split(", "))
        return names, text

    def path_set(self: Environment, key_path: list[str], value: str) -> None:
        try:
            plain_path_set(self, key_path, value)
        except ValueError:  # invoke casts with the default's type: int("x")
            kind = type(self._path_get(key_path))
            raise Exit(setting_problem(".".join(key_path), value, kind), code=EXIT_USAGE) from None

    help_for.adapted = True
    ParserContext.help_for = help_for
    Environment._path_set = path_set
