"""commands.report and the `invoke report` / `invoke baseline` tasks: the exact commands they run."""

from __future__ import annotations

import pytest
from helpers import PY, project_context
from invoke import Exit

import tasks
from commands.report import baseline_command, report_command


@pytest.mark.parametrize(
    ("options", "expected"),
    [
        ({}, "python -m reporting render --artifacts artifacts --title 'CML report'"),
        (
            {"baseline": "old/metrics.json", "min_accuracy": 0.95, "max_drop": 0.01},
            "python -m reporting render --artifacts artifacts --title 'CML report' --baseline old/metrics.json"
            " --min-accuracy 0.95 --max-drop 0.01",
        ),
        (
            {"baseline_if_exists": "baseline/metrics.json", "max_drop": 0.0},
            "python -m reporting render --artifacts artifacts --title 'CML report'"
            " --baseline-if-exists baseline/metrics.json --max-drop 0",
        ),
    ],
    ids=["no-gate", "explicit-baseline", "optional-baseline-zero-drop"],
)
def test_report_command(options: dict, expected: str) -> None:
    """Only the flags given are passed; a max drop of 0 is a rule (no drop at all), not an absent one."""

    command = report_command(artifacts="artifacts", title="CML report", **options)

    assert command == expected


@pytest.mark.parametrize(
    ("epochs", "expected_tail"),
    [(None, "--seed 0"), (5, "--seed 0 --epochs 5")],
    ids=["dataset-default-epochs", "explicit-epochs"],
)
def test_baseline_command(epochs: int | None, expected_tail: str) -> None:
    """The baseline trains with the same dataset, seed and epochs flags as `invoke train`."""

    command = baseline_command(ref="origin/main", out="baseline/metrics.json", dataset="digits", seed=0, epochs=epochs)

    expected = "python -m reporting baseline --ref origin/main --out baseline/metrics.json --dataset digits "
    assert command == expected + expected_tail


def test_report_task_defaults_come_from_invoke_yaml() -> None:
    """`invoke report` reads the artifact dir, the gate and the optional baseline path from invoke.yaml."""
    c = project_context()

    tasks.report(c)

    c.run.assert_called_once_with(
        f"{PY} -m reporting render --artifacts artifacts --title 'CML report'"
        " --baseline-if-exists baseline/metrics.json --min-accuracy 0.9 --max-drop 0.01 --alpha 0.05",
        echo=True,
        pty=False,
    )


def test_report_task_flags_override_the_defaults() -> None:
    """An explicit --baseline must exist (no 'if exists'), and the gate flags (alpha, allowing an interrupted run)
    replace the configured ones."""
    c = project_context()

    tasks.report(
        c,
        artifacts="out",
        baseline="old/metrics.json",
        min_accuracy=0.0,
        max_drop=0.02,
        alpha="0.01",
        allow_interrupted=True,
    )

    c.run.assert_called_once_with(
        f"{PY} -m reporting render --artifacts out --title 'CML report' --baseline old/metrics.json"
        " --min-accuracy 0 --max-drop 0.02 --alpha 0.01 --allow-interrupted",
        echo=True,
        pty=False,
    )


def test_report_task_leaves_out_rules_set_to_null() -> None:
    """A gate rule set to null in invoke.yaml is not applied."""
    c = project_context()
    c.config.report.min_accuracy = None
    c.config.report.max_drop = None

    tasks.report(c)

    c.run.assert_called_once_with(
        f"{PY} -m reporting render --artifacts artifacts --title 'CML report'"
        " --baseline-if-exists baseline/metrics.json --alpha 0.05",
        echo=True,
        pty=False,
    )


def test_baseline_task_uses_the_train_config() -> None:
    """`invoke baseline` trains the configured ref with invoke.yaml's train settings."""
    c = project_context()

    tasks.baseline(c)

    c.run.assert_called_once_with(
        f"{PY} -m reporting baseline --ref origin/main --out baseline/metrics.json --dataset digits --seed 0"
        " --split-seed 0",
        echo=True,
        pty=False,
    )


def test_baseline_task_flags_override_the_defaults() -> None:
    """Ref, output and the training flags can all be given on the command line."""
    c = project_context()

    tasks.baseline(c, ref="v1.0", out="b/m.json", epochs="3", seed="7", dataset="mnist", split_seed="2")

    c.run.assert_called_once_with(
        f"{PY} -m reporting baseline --ref v1.0 --out b/m.json --dataset mnist --seed 7 --split-seed 2 --epochs 3",
        echo=True,
        pty=False,
    )


def test_baseline_task_passes_any_number_given_on_to_be_checked() -> None:
    """A typed --epochs 0 is passed on (`python -m reporting baseline` refuses it), never swapped for the default."""
    c = project_context(train={"epochs": 5})

    tasks.baseline(c, epochs="0")

    assert c.run.call_args.args[0].endswith("--seed 0 --split-seed 0 --epochs 0")


def test_baseline_task_refuses_a_flag_that_is_not_a_number() -> None:
    """`invoke baseline --epochs x` stops with exit 2 and a line naming the flag, running nothing."""
    c = project_context()

    with pytest.raises(Exit) as caught:
        tasks.baseline(c, epochs="x")

    assert caught.value.code == 2
    assert "--epochs expects a whole number" in str(caught.value.message)
    c.run.assert_not_called()


def test_report_task_passes_a_typed_negative_through_for_the_gate_to_refuse() -> None:
    """`--max-drop -1` reaches python -m reporting (which refuses it) instead of becoming the default."""
    c = project_context()

    tasks.report(c, max_drop="-1")

    assert "--max-drop -1" in c.run.call_args.args[0]
