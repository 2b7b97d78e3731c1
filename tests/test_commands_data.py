"""commands.data and the `invoke data` task: `dvc pull` exactly when the repository tracks data with DVC."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from dvc_repo import needs_dvc, run, stripes_folder, template_repo, track_with_dvc
from helpers import project_context

import tasks
from commands.data import GCS_KEY_JSON, dvc_tracking_files, gcs_key_to_write, pull_command


def touch(path: Path, text: str = "") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def test_tracking_files_are_the_dvc_files_and_pipelines_of_a_dvc_repository(tmp_path: Path) -> None:
    """.dvc files and dvc.yaml anywhere but in hidden folders count, in a folder that has .dvc/."""
    for name in (".dvc/config", "data/shapes.dvc", "models/dvc.yaml", "data/shapes/a/1.png", ".venv/x/y.dvc"):
        touch(tmp_path / name)

    assert dvc_tracking_files(tmp_path) == ["data/shapes.dvc", "models/dvc.yaml"]


def test_dvc_files_without_a_dvc_folder_track_nothing(tmp_path: Path) -> None:
    """Without .dvc/ the folder is no DVC repository, whatever files it holds."""
    touch(tmp_path / "data" / "shapes.dvc")

    assert dvc_tracking_files(tmp_path) == []


@pytest.mark.parametrize(
    ("kwargs", "expected"),
    [
        ({"tracking_files": [], "dvc": None}, ""),
        ({"tracking_files": ["data/x.dvc"], "dvc": "/usr/bin/dvc"}, "dvc pull"),
        (
            {"tracking_files": ["data/x.dvc"], "remote": "s3 store", "dvc": "/usr/bin/dvc"},
            "dvc pull --remote 's3 store'",
        ),
    ],
    ids=["nothing-tracked-nothing-to-run-even-without-dvc", "default-remote", "named-remote-quoted"],
)
def test_pull_command(kwargs: dict, expected: str) -> None:
    """`dvc pull` (with --remote when one is named) when something is tracked; nothing otherwise."""
    assert pull_command(**kwargs) == expected


def test_tracked_data_without_dvc_says_how_to_install_it() -> None:
    """Tracked data and no dvc command: the message names the tracking files and requirements-dvc.txt."""
    files = ["a.dvc", "b.dvc", "c.dvc", "d.dvc", "e.dvc"]

    with pytest.raises(ValueError, match=r"\(a.dvc, b.dvc, c.dvc and 2 more\).*pip install -r requirements-dvc.txt"):
        pull_command(tracking_files=files, dvc=None)


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, ""),
        ({GCS_KEY_JSON: ' {"type": "service_account"}\n'}, '{"type": "service_account"}'),
        ({GCS_KEY_JSON: "{}", "GOOGLE_APPLICATION_CREDENTIALS": "/keys/k.json"}, ""),
    ],
    ids=["no-key", "key-from-secret", "key-file-already-named"],
)
def test_gcs_key_to_write(environ: dict, expected: str) -> None:
    """A key passed as JSON text is written for dvc, unless a key file is already named."""
    assert gcs_key_to_write(environ) == expected


def test_data_task_pulls_with_the_gcs_key_in_a_file_then_deletes_it(monkeypatch: pytest.MonkeyPatch) -> None:
    """With a key in GOOGLE_APPLICATION_CREDENTIALS_JSON, `dvc pull` runs with a key file that is gone afterwards."""
    seen = {}

    def fake_run(command: str, **kwargs) -> None:
        key_file = Path(kwargs["env"]["GOOGLE_APPLICATION_CREDENTIALS"])
        seen.update(command=command, key=json.loads(key_file.read_text()), file=key_file)
        seen["mode"] = key_file.parent.stat().st_mode & 0o777

    monkeypatch.setattr(tasks, "dvc_tracking_files", lambda root: ["data/x.dvc"])
    monkeypatch.setattr(tasks.shutil, "which", lambda name: f"/usr/bin/{name}")
    monkeypatch.setenv(GCS_KEY_JSON, '{"type": "service_account"}')
    monkeypatch.delenv("GOOGLE_APPLICATION_CREDENTIALS", raising=False)
    c = project_context()
    monkeypatch.setattr(c, "run", fake_run)

    tasks.data(c)

    assert seen["command"] == "dvc pull"
    assert seen["key"] == {"type": "service_account"}
    assert seen["mode"] == 0o700
    assert not seen["file"].exists()


def invoke_data(repo: Path, path: str) -> subprocess.CompletedProcess:
    """`invoke data` in `repo`, with PATH set to `path` (an empty folder: no dvc command)."""
    return subprocess.run(
        [sys.executable, "-m", "invoke", "data"],
        cwd=repo,
        capture_output=True,
        text=True,
        env={**os.environ, "PATH": path},
    )


def test_invoke_data_without_dvc_in_the_repository_prints_one_line_and_succeeds(tmp_path: Path) -> None:
    """In the template as it comes (no DVC, no dvc command), `invoke data` says so in one line and exits 0."""
    repo = template_repo(tmp_path / "repo")
    (tmp_path / "bin").mkdir()

    done = invoke_data(repo, str(tmp_path / "bin"))

    assert done.returncode == 0
    assert done.stdout.splitlines() == [
        "invoke data: no data tracked with DVC here (no .dvc/ folder with .dvc files or dvc.yaml): nothing to pull"
    ]


def test_invoke_data_with_tracked_data_and_no_dvc_fails_in_one_line(tmp_path: Path) -> None:
    """A repository that tracks data but has no dvc command: exit 2 and one line saying what to install."""
    repo = template_repo(tmp_path / "repo")
    touch(repo / ".dvc" / "config")
    touch(repo / "data" / "stripes.dvc")
    (tmp_path / "bin").mkdir()

    done = invoke_data(repo, str(tmp_path / "bin"))

    assert done.returncode == 2
    assert done.stderr.strip() == (
        "invoke data: this repository tracks data with DVC (data/stripes.dvc) but dvc is not installed: "
        "pip install -r requirements-dvc.txt"
    )


@pytest.mark.slow
@needs_dvc
def test_dvc_round_trip_from_a_fresh_clone_trains_and_reports_the_data_version(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """dvc add + push in one clone; in a fresh clone `invoke data` pulls the images, `invoke train` trains on them
    (past the quality gate) and metrics.json and report.md name the version DVC recorded."""
    monkeypatch.setenv("DVC_SITE_CACHE_DIR", str(tmp_path / "dvc-site-cache"))
    origin = template_repo(tmp_path / "origin")
    stripes_folder(origin / "data" / "stripes", per_class=40)
    recorded = track_with_dvc(origin, "data/stripes", tmp_path / "remote", "data/stripes with DVC")
    run(tmp_path, "git", "clone", "--quiet", str(origin), "clone")
    clone = tmp_path / "clone"
    assert not (clone / "data" / "stripes").exists()

    pulled = run(clone, sys.executable, "-m", "invoke", "data")
    train = ["train", "--dataset", "folder:data/stripes", "--epochs", "3", "--image-size", "16", "--batch-size", "16"]
    run(clone, sys.executable, "-m", "invoke", *train)
    run(clone, sys.executable, "-m", "invoke", "report")

    assert "dvc pull" in pulled.stdout
    assert len(list((clone / "data" / "stripes").rglob("*.png"))) == 80
    metrics = json.loads((clone / "artifacts" / "metrics.json").read_text())
    assert metrics["run"]["data_version"] == {
        "source": "dvc",
        "md5": recorded,
        "path": "data/stripes",
        "dvc_file": "data/stripes.dvc",
    }
    assert f"data `dvc:{recorded[:7]}`" in (clone / "artifacts" / "report.md").read_text()
