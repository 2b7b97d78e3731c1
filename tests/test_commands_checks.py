"""commands.checks and commands.bench: the test, lint and benchmark commands."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path

import pytest

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


def test_linters_are_the_ones_installed_beside_the_interpreter(tmp_path: Path) -> None:
    """An unactivated virtualenv's linters run from its bin/ folder; one not installed there is looked up on PATH."""
    bin_dir = tmp_path / "venv dir" / "bin"
    bin_dir.mkdir(parents=True)
    for name in ("python", "ruff", "zizmor"):
        (bin_dir / name).write_text("")

    commands = checks.lint_commands(str(bin_dir / "python"))

    ruff = shlex.quote(str(bin_dir / "ruff"))
    assert commands[:2] == [f"{ruff} check .", f"{ruff} format --check ."]
    assert commands[2].startswith("hadolint ")
    assert commands[3].startswith("check-jsonschema ") and commands[4].startswith("check-jsonschema ")
    assert commands[5].startswith(shlex.quote(str(bin_dir / "zizmor")) + " ")


def test_bench_trains_then_benchmarks_inference_on_that_model() -> None:
    """The inference benchmark uses the model the training benchmark left in the scratch dir."""
    assert bench_commands(runs=3, out=".bench", python=sys.executable, case="digits") == [
        f"{shlex.quote(sys.executable)} benchmarks/bench_train.py --runs 3 --out .bench",
        f"{shlex.quote(sys.executable)} benchmarks/bench_inference.py --model .bench/ours/model.pt",
    ]


def test_bench_folder_case_runs_the_folder_benchmark_alone() -> None:
    """--case folder runs only the folder-cache benchmark, on the given number of generated images."""
    assert bench_commands(runs=3, out="scratch dir", case="folder", folder_images=500) == [
        "python benchmarks/bench_folder.py --images 500 --out 'scratch dir'"
    ]


def test_bench_all_ends_with_the_folder_case_and_rejects_unknown_cases() -> None:
    """The default runs every case, the folder one last; an unknown case names the flag."""
    assert bench_commands(runs=1, out=".bench")[-1].startswith("python benchmarks/bench_folder.py")
    with pytest.raises(ValueError, match="--case gpu"):
        bench_commands(runs=1, out=".bench", case="gpu")


def test_bench_setup_case_runs_the_set_up_benchmark_alone_and_all_leaves_it_out() -> None:
    """--case setup times the README's install line (venvs of several GB), so the default "all" does not."""
    assert bench_commands(runs=3, out=".bench", case="setup") == ["python benchmarks/bench_setup.py --out .bench"]
    assert not [command for command in bench_commands(runs=1, out=".bench") if "bench_setup" in command]


def test_bench_pr_loop_case_runs_the_pr_loop_benchmark_alone_and_all_leaves_it_out() -> None:
    """--case pr-loop runs the report job's benchmark (docs-only PR against a code change) in its own scratch
    clone; the default "all" does not."""
    assert bench_commands(runs=3, out=".bench", python=sys.executable, case="pr-loop") == [
        f"{shlex.quote(sys.executable)} benchmarks/bench_pr_loop.py"
    ]
    assert not [command for command in bench_commands(runs=1, out=".bench") if "bench_pr_loop" in command]
