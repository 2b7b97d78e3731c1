"""commands.lock and `invoke lock`: requirements.lock pins everything and a stale one fails here."""

from __future__ import annotations

import importlib.metadata
import sys

import pytest
from helpers import ROOT, project_context
from packaging.requirements import Requirement

import tasks
from commands.lock import (
    LOCK_FILE,
    LOCK_SOURCES,
    expected_header_command,
    lock_command,
    lock_problems,
    normalise,
    requirement_pins,
)

# `invoke lock` leaves these out (--no-emit-package): installers bring their own.
INSTALLER_PACKAGES = {"pip", "setuptools"}


def lock_text() -> str:
    return (ROOT / LOCK_FILE).read_text()


def requirement_texts() -> dict[str, str]:
    return {name: (ROOT / name).read_text() for name in LOCK_SOURCES}


def test_the_committed_lock_fits_the_requirement_files():
    """requirements.lock was made by `invoke lock` from today's requirement files: same pins, nothing left over."""
    assert lock_problems(lock_text(), requirement_texts()) == []


def test_the_lock_pins_every_transitive_dependency_of_the_requirements():
    """Every package the requirements need on this machine, directly or not, has an exact pin in the lock."""
    locked = requirement_pins(lock_text())
    pending = [name for text in requirement_texts().values() for name in requirement_pins(text)]
    needed: set[str] = set()
    while pending:
        name = pending.pop()
        if name in needed:
            continue
        needed.add(name)
        for line in importlib.metadata.requires(name) or []:
            requirement = Requirement(line)
            if requirement.marker is None or requirement.marker.evaluate({"extra": ""}):
                pending.append(normalise(requirement.name))

    assert needed - INSTALLER_PACKAGES - set(locked) == set()
    assert {"scipy", "joblib", "fonttools", "sympy", "networkx"} <= set(locked)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (("requirements.txt", "tqdm==4.70.1", "tqdm==4.71.0"), "requirements.txt pins tqdm==4.71.0, "),
        (("requirements.txt", "tqdm==4.70.1", "tqdm==4.70.1\nrich==14.0.0"), "pins rich==14.0.0, "),
        (("requirements.txt", "tqdm==4.70.1\n", ""), "still has tqdm for requirements.txt, which no longer names it"),
        (("requirements-dev.txt", "ruff==0.17.5", "ruff==0.18.0"), "requirements-dev.txt pins ruff==0.18.0"),
        ((LOCK_FILE, "--python-version 3.11 ", ""), "was made by `uv pip compile --output-file=requirements.lock "),
        ((LOCK_FILE, "#    uv pip compile", "#    pip-compile"), "was made by `pip-compile --output-file"),
    ],
    ids=["bumped", "added", "removed", "dev-bumped", "other-options", "pip-compile"],
)
def test_a_lock_that_no_longer_fits_is_named_with_what_changed(change, expected):
    """A bumped, added or removed requirement, or a lock made with other options, is a problem naming it."""
    file, old, new = change
    texts = {LOCK_FILE: lock_text(), **requirement_texts()}
    assert old in texts[file]
    texts[file] = texts[file].replace(old, new, 1)

    problems = lock_problems(texts.pop(LOCK_FILE), texts)

    assert [problem for problem in problems if expected in problem], problems
    assert problems[-1] == "run `invoke lock` and commit requirements.lock"


def test_lock_command_compiles_both_requirement_files_with_the_options_its_header_records():
    """`invoke lock` runs the interpreter's uv quietly on both files, for CI's platform; the header it leaves is
    what the check expects."""
    assert lock_command() == (
        "python -m uv pip compile --quiet --output-file=requirements.lock --python-version 3.11"
        " --python-platform x86_64-manylinux_2_28 --no-emit-package pip --no-emit-package setuptools"
        " requirements-dev.txt requirements.txt"
    )
    assert expected_header_command() == lock_command().replace("python -m uv pip compile --quiet", "uv pip compile")
    assert f"#    {expected_header_command()}\n" in lock_text()


def test_lock_task_passes_the_upgrade_flags_through():
    """`invoke lock --upgrade` re-resolves everything; --upgrade-package moves one package."""
    c = project_context(repeat=True)

    tasks.lock(c, upgrade=True, upgrade_package="numpy")

    c.run.assert_called_once_with(
        lock_command(upgrade=True, upgrade_package="numpy", python=sys.executable), echo=True, pty=False
    )
    assert lock_command(upgrade=True, upgrade_package="numpy").startswith(
        "python -m uv pip compile --quiet --upgrade --upgrade-package numpy --output-file=requirements.lock"
    )
