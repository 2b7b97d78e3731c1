"""commands.checks and commands.bench: the test, lint and benchmark commands."""

from __future__ import annotations

from commands import checks
from commands.bench import bench_commands


def test_test_command_runs_pytest_and_can_skip_slow_tests() -> None:
    """`invoke test` runs the whole suite; --quick deselects the slow marker; extra args pass through."""
    assert checks.test_command() == "python -m pytest"
    assert (
        checks.test_command(quick=True, pytest_args="-x tests/test_data.py")
        == "python -m pytest -m 'not slow' -x tests/test_data.py"
    )


def test_lint_runs_ruff_check_and_format_check_first() -> None:
    """ruff's lint and format check lead the linters."""
    assert checks.lint_commands()[:2] == ["ruff check .", "ruff format --check ."]


def test_bench_trains_then_benchmarks_inference_on_that_model() -> None:
    """The inference benchmark uses the model the training benchmark left in the scratch dir."""
    assert bench_commands(runs=3, out=".bench") == [
        "python benchmarks/bench_train.py --runs 3 --out .bench",
        "python benchmarks/bench_inference.py --model .bench/ours/model.pt",
    ]
