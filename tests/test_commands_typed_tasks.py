"""commands.typed_tasks: invoke flags typed by their annotations, and plain echo in logs."""

from __future__ import annotations

from typing import TYPE_CHECKING, Optional

import pytest
from invoke import Context, Exit

from commands.typed_tasks import BOLD_ECHO, NumberFlag, echo_format, number_kind, task

if TYPE_CHECKING:
    from decimal import Decimal


@pytest.mark.parametrize(
    ("annotation", "kind"),
    [(int, int), (float, float), (int | None, int), (Optional[float], float), (str, None), (bool, None)],  # noqa: UP045
    ids=["int", "float", "int-or-none", "optional-float", "str", "bool"],
)
def test_number_kind_reads_plain_and_optional_numbers(annotation: object, kind: type | None) -> None:
    """int and float, alone or with None, are number flags; anything else is left to invoke."""
    assert number_kind(annotation) is kind


def test_number_flag_parses_or_exits_2_naming_the_flag() -> None:
    """A number flag parses its text; bad text stops with one line naming the flag, exit status 2."""
    parse = NumberFlag(float, "--lr")

    assert parse("3e-3") == 0.003
    with pytest.raises(Exit) as stopped:
        parse("fast")
    assert (stopped.value.code, stopped.value.message) == (2, "--lr expects a number, got 'fast'")


def test_task_flags_get_number_kinds_and_no_short_flags() -> None:
    """@task from this module types number flags by annotation, keeps their defaults and adds no short flags."""

    @task
    def sample(c: Context, epochs: int | None = None, lr: float = 0.1, name: str = "") -> None:
        """A sample task."""

    arguments = {argument.name: argument for argument in sample.get_arguments()}

    assert arguments["epochs"].kind.metavar == "INT" and arguments["epochs"].default is None
    assert arguments["lr"].kind.metavar == "FLOAT" and arguments["lr"].default == 0.1
    assert arguments["name"].kind is str
    assert all(len(name) > 1 for argument in arguments.values() for name in argument.names)


def test_annotations_only_a_type_checker_can_read_leave_typing_to_invoke() -> None:
    """An annotation naming a TYPE_CHECKING-only import does not break loading the tasks."""

    @task
    def sample(c: Context, amount: Decimal | None = None) -> None:
        """A sample task."""

    assert [argument.name for argument in sample.get_arguments()] == ["amount"]


def test_echo_format_is_plain_without_a_terminal() -> None:
    """Bold (invoke's default) on a terminal, the bare command in a log."""
    assert echo_format(True) == BOLD_ECHO and "\033" in BOLD_ECHO
    assert echo_format(False) == "{command}"
