"""training.inputs: what a run read is measured after the run, and any difference in it is named."""

from __future__ import annotations

import json
from pathlib import Path

from training.inputs import input_differences, inputs_digest, repository_file, summary


def recorded(**overrides: object) -> dict:
    base = {
        "files": {"training/loop.py": "aa", "core/network.py": "bb"},
        "distributions": {"torch": "2.14.1"},
        "config": {"epochs": 30, "seed": 0},
        "data_version": {"source": "scikit-learn", "name": "digits", "version": "1.9.1"},
        "lock": "cc",
        "torch": "2.14.1+cpu",
        "device": "cpu",
        "world_size": 1,
        "threads": 1,
    }
    return base | overrides


def test_a_run_records_every_repository_file_it_loaded_including_a_user_model(digits_runs) -> None:
    """run.inputs lists training/, core/ and the --model module:function file outside them, with their sha256,
    and nothing of the tests or installed packages; the digest is over that section."""
    out = digits_runs("--epochs", "1", "--model", "examples.my_model:build", "--device", "cpu")

    run = json.loads((out / "metrics.json").read_text())["run"]

    files = run["inputs"]["files"]
    assert {"training/loop.py", "training/data.py", "core/network.py", "examples/my_model.py"} <= set(files)
    assert not [path for path in files if path.startswith(("tests/", ".venv"))]
    root = Path(__file__).resolve().parents[1]
    import hashlib

    assert files["examples/my_model.py"] == hashlib.sha256((root / "examples/my_model.py").read_bytes()).hexdigest()
    assert "torch" in run["inputs"]["distributions"] and "+" in run["inputs"]["torch"]
    assert run["inputs"]["config"]["epochs"] == 1 and "out" not in run["inputs"]["config"]
    assert run["inputs_digest"] == inputs_digest(run["inputs"])


def test_repository_file_leaves_out_installed_code_and_other_folders(tmp_path: Path) -> None:
    """A module inside the checkout counts; a venv in the checkout, site-packages and other folders do not."""
    root = tmp_path / "repo"

    assert repository_file(root / "training" / "loop.py", root) == "training/loop.py"
    assert repository_file(root / ".venv" / "lib" / "site-packages" / "x.py", root) is None
    assert repository_file(root / "lib" / "site-packages" / "x.py", root) is None
    assert repository_file(tmp_path / "elsewhere.py", root) is None


def test_differences_name_each_changed_deleted_file_setting_and_build() -> None:
    """A changed and a deleted file, a config value and another torch build are each named; equal inputs give none."""
    before = recorded()
    now = recorded(
        files={"training/loop.py": "a2"},
        config={"epochs": 5, "seed": 0},
        torch="2.14.1+cu130",
    )

    found = input_differences(before, now)

    assert found == [
        "`core/network.py` deleted",
        "`training/loop.py` changed",
        "`epochs` 30 → 5",
        "torch `2.14.1+cpu` → `2.14.1+cu130`",
    ]
    assert input_differences(before, recorded()) == []


def test_the_digest_moves_with_any_one_value() -> None:
    """One thread more, one file byte, or one config value gives another digest; the same inputs the same one."""
    digest = inputs_digest(recorded())

    assert inputs_digest(recorded()) == digest
    assert inputs_digest(recorded(threads=2)) != digest
    assert inputs_digest(recorded(files={"training/loop.py": "ab", "core/network.py": "bb"})) != digest
    assert inputs_digest(recorded(config={"epochs": 30, "seed": 1})) != digest


def test_summary_names_five_and_counts_the_rest() -> None:
    """Long lists of differences stay one readable line."""
    assert summary([f"`f{i}.py` changed" for i in range(7)]).endswith("`f4.py` changed and 2 more")
