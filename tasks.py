"""invoke tasks: each builds one command (see `commands/`) and runs it, echoed.

`invoke --list` shows them; `invoke --dry TASK` prints the commands without running.
No torch import here, so listing stays instant.
"""

from __future__ import annotations

from invoke import Context, task

from commands.checks import lint_commands, test_command
from commands.train import train_command


@task(
    help={
        "epochs": "training epochs (default: the dataset's own default)",
        "seed": "random seed; the same seed and thread count give identical weights",
        "dataset": "digits (bundled, no download) | mnist | fashion-mnist | folder:PATH",
        "out": "artifact directory to write (default from invoke.yaml: artifacts/)",
    }
)
def train(c: Context, epochs: int = -1, seed: int = -1, dataset: str = "", out: str = "") -> None:
    """Train on the dataset and write the artifacts (model.pt, metrics.json, report files)."""
    cfg = c.config
    c.run(
        train_command(
            dataset=dataset or cfg.train.dataset,
            seed=seed if seed >= 0 else cfg.train.seed,
            out=out or cfg.artifacts,
            epochs=epochs if epochs >= 0 else cfg.train.epochs,
        ),
        echo=True,
        pty=False,
    )


@task(help={"quick": "leave out tests marked slow", "pytest_args": "extra arguments passed to pytest"})
def test(c: Context, quick: bool = False, pytest_args: str = "") -> None:
    """Run the test suite."""
    c.run(test_command(quick=quick, pytest_args=pytest_args), echo=True, pty=False)


@task
def lint(c: Context) -> None:
    """Run every linter (ruff, and the Dockerfile and workflow linters)."""
    for command in lint_commands():
        c.run(command, echo=True, pty=False)
