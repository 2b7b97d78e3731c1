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
    ("options", "expected_tail"),
    [
        ({}, "--source auto"),
        ({"source": "train", "epochs": 5, "seed": 0}, "--source train --seed 0 --epochs 5"),
        (
            {"source": "github", "workflow": "cml.yaml", "artifact": "r"},
            "--source github --workflow cml.yaml --artifact r",
        ),
    ],
    ids=["auto-no-overrides", "train-overrides", "github-workflow"],
)
def test_baseline_command(options: dict, expected_tail: str) -> None:
    """Only the training flags given are passed (they override the ref's own invoke.yaml); seed 0 is a value."""

    command = baseline_command(ref="origin/main", out="baseline/metrics.json", **options)

    assert command == "python -m reporting baseline --ref origin/main --out baseline/metrics.json " + expected_tail


def test_baseline_command_refuses_an_unknown_source() -> None:
    """A --source other than auto, github or train is a ValueError naming the flag (the task exits 2)."""

    with pytest.raises(ValueError, match="--source must be one of auto, github, train"):
        baseline_command(ref="origin/main", out="b.json", source="gitlab")


# What every `invoke report` passes after the gate flags: the production release's folder and the promotion rule
# (its "Production:" line), then the history folder and the drift rule (delivery.history_section), from invoke.yaml.
LATER_FLAGS = (
    " --production-if-exists production --release-max-drop 0"
    " --history-if-exists history --max-drift 0.01 --drift-window 10"
)


def test_report_task_defaults_come_from_invoke_yaml() -> None:
    """`invoke report` reads the artifact dir, the gate and the optional baseline path from invoke.yaml."""
    c = project_context()

    tasks.report(c)

    c.run.assert_called_once_with(
        f"{PY} -m reporting render --artifacts artifacts --title 'CML report'"
        " --baseline-if-exists baseline/metrics.json --min-accuracy 0.9 --max-drop 0.01 --alpha 0.05" + LATER_FLAGS,
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
        " --min-accuracy 0 --max-drop 0.02 --alpha 0.01 --allow-interrupted" + LATER_FLAGS,
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
        " --baseline-if-exists baseline/metrics.json --alpha 0.05" + LATER_FLAGS,
        echo=True,
        pty=False,
    )


def test_baseline_task_leaves_the_training_config_to_the_ref() -> None:
    """`invoke baseline` passes none of this checkout's train settings (the bug of issue 10: a PR setting
    train.epochs got a baseline trained its way); source, workflow and artifact come from invoke.yaml."""
    c = project_context(train={"epochs": 3, "seed": 5, "dataset": "mnist"})

    tasks.baseline(c)

    c.run.assert_called_once_with(
        f"{PY} -m reporting baseline --ref origin/main --out baseline/metrics.json --source auto"
        " --workflow cml.yaml --artifact cml-report",
        echo=True,
        pty=False,
    )


def test_baseline_task_flags_override_the_defaults() -> None:
    """Ref, output, source and the training overrides can all be given on the command line."""
    c = project_context()

    tasks.baseline(c, ref="v1.0", out="b/m.json", source="train", epochs="3", seed="7", dataset="mnist")

    c.run.assert_called_once_with(
        f"{PY} -m reporting baseline --ref v1.0 --out b/m.json --source train --workflow cml.yaml"
        " --artifact cml-report --dataset mnist --seed 7 --epochs 3",
        echo=True,
        pty=False,
    )


def test_baseline_task_passes_any_number_given_on_to_be_checked() -> None:
    """A typed --epochs 0 is passed on (`python -m reporting baseline` refuses it), never swapped for the default."""
    c = project_context(train={"epochs": 5})

    tasks.baseline(c, epochs="0")

    assert c.run.call_args.args[0].endswith("--epochs 0")


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
