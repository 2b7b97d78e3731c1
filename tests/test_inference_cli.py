"""`python -m inference`: predictions, exit codes and one-line errors for every bad input."""

from __future__ import annotations

import csv
import json
import pickle
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from PIL import Image

from core.checkpoint import load_checkpoint, save_checkpoint
from inference.cli import default_model, main, model_candidates

ROOT = Path(__file__).resolve().parents[1]


class CreatesFileWhenUnpickled:
    """A pickle payload whose unpickling opens (creates) `marker`: what a hostile model.pt would do."""

    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return (open, (str(self.marker), "w"))


def booby_trapped_checkpoint(path: Path, marker: Path, kind: str) -> Path:
    payload = {"format": "cml-checkpoint", "format_version": 1, "labels": CreatesFileWhenUnpickled(marker)}
    if kind == "torch-save":
        torch.save(payload, path)
    else:
        path.write_bytes(pickle.dumps(payload))
    return path


def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    try:
        code = main([str(arg) for arg in argv])
    except SystemExit as exit_:  # argparse: --help and flag errors
        code = exit_.code
    out, err = capsys.readouterr()
    return code, out, err


def write_digit_pngs(folder: Path, images: np.ndarray, names: list[str]) -> list[Path]:
    """8x8 digits (0..16) upscaled 4x nearest-neighbour to 32x32 PNGs, bright ink on dark as in the data."""
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for image, name in zip(images, names, strict=True):
        pixels = np.rint(image * 255 / 16).astype(np.uint8).repeat(4, axis=0).repeat(4, axis=1)
        paths.append(folder / f"{name}.png")
        Image.fromarray(pixels).save(paths[-1])
    return paths


@pytest.fixture
def digit_folder(tmp_path: Path) -> Path:
    from sklearn.datasets import load_digits

    digits = load_digits()
    write_digit_pngs(tmp_path / "digits", digits.images[:6], [f"{i:02d}" for i in range(6)])
    return tmp_path / "digits"


def test_folder_prints_a_table_and_exits_0(capsys, digit_folder, untrained_checkpoint):
    """A folder of good images: one table line per image on stdout, a summary on stderr, exit 0."""
    code, out, err = run_cli(capsys, "--input", digit_folder, "--model", untrained_checkpoint)

    assert code == 0
    lines = out.splitlines()
    assert lines[0].split() == ["input", "prediction", "confidence"]
    assert [line.split()[0] for line in lines[1:]] == [str(digit_folder / f"{i:02d}.png") for i in range(6)]
    assert err.strip() == "predicted 6 images"


@pytest.mark.parametrize(("tty", "shown"), [(True, True), (False, False)], ids=["terminal", "piped"])
def test_progress_bar_only_for_a_watched_terminal(capsys, monkeypatch, digit_folder, untrained_checkpoint, tty, shown):
    """More images than one batch: a progress bar on stderr when it is a terminal, none in logs or pipes."""
    monkeypatch.setattr(sys.stderr, "isatty", lambda: tty)

    code, _, err = run_cli(capsys, "--input", digit_folder, "--model", untrained_checkpoint, "--batch-size", "2")

    assert code == 0
    assert ("predicting: 100%" in err and "6/6" in err) is shown


def test_corrupt_image_is_named_skipped_and_the_rest_written(capsys, tmp_path, digit_folder, untrained_checkpoint):
    """An unreadable image in a folder: a warning naming it, the others predicted and written, exit 1."""
    (digit_folder / "03.png").write_bytes(b"\x89PNG\r\n\x1a\n truncated")
    output = tmp_path / "preds.csv"

    code, out, err = run_cli(capsys, "--input", digit_folder, "--model", untrained_checkpoint, "--output", output)

    assert code == 1
    assert f"warning: {digit_folder / '03.png'}: cannot read image" in err
    with output.open(newline="") as handle:
        written = [row["input"] for row in csv.DictReader(handle)]
    assert written == [str(digit_folder / f"{i:02d}.png") for i in (0, 1, 2, 4, 5)]
    assert "03.png" not in out


def test_npy_input_is_predicted_by_index_into_json(capsys, tmp_path, untrained_checkpoint):
    """A .npy array is predicted row by row; JSON `input` is the array index."""
    array = tmp_path / "images.npy"
    np.save(array, np.random.default_rng(0).random((4, 1, 8, 8), dtype=np.float32))
    output = tmp_path / "preds.json"

    code, _, _ = run_cli(capsys, "--input", array, "--model", untrained_checkpoint, "--output", output, "--top-k", "3")

    assert code == 0
    data = json.loads(output.read_text())
    assert [item["input"] for item in data] == [0, 1, 2, 3]
    assert set(data[0]) == {"input", "prediction", "confidence", "top2", "top2_confidence", "top3", "top3_confidence"}


@pytest.mark.parametrize("kind", ["torch-save", "plain-pickle"], ids=["torch-save", "plain-pickle"])
def test_booby_trap_is_armed(tmp_path, kind):
    """The hostile checkpoint used below really creates its file when loaded unsafely."""
    marker = tmp_path / "pwned"
    path = booby_trapped_checkpoint(tmp_path / "model.pt", marker, kind)

    loaded = torch.load(path, weights_only=False) if kind == "torch-save" else pickle.loads(path.read_bytes())
    loaded["labels"].close()  # the file object the payload opened

    assert marker.exists()


@pytest.mark.parametrize("kind", ["torch-save", "plain-pickle"], ids=["torch-save", "plain-pickle"])
def test_booby_trapped_checkpoint_is_refused_and_runs_no_code(capsys, tmp_path, digit_folder, kind):
    """A checkpoint that would run code when unpickled: refused as not valid, its file never created."""
    marker = tmp_path / "pwned"
    model = booby_trapped_checkpoint(tmp_path / "model.pt", marker, kind)

    code, out, err = run_cli(capsys, "--input", digit_folder, "--model", model)

    assert code == 2
    assert err == f"error: {model}: not a valid checkpoint (refused to load: not a file of plain tensors and data)\n"
    assert out == ""
    assert not marker.exists()


# Each bad-input case: the flags it changes from a good run (given tmp_path), and the error it must give.


def missing_model(tmp_path: Path) -> dict:
    return {"--model": tmp_path / "missing.pt"}


def text_model(tmp_path: Path) -> dict:
    (tmp_path / "model.pt").write_text("hello")
    return {"--model": tmp_path / "model.pt"}


def not_our_checkpoint(tmp_path: Path) -> dict:
    torch.save({"weights": torch.zeros(3)}, tmp_path / "other.pt")
    return {"--model": tmp_path / "other.pt"}


def missing_input(tmp_path: Path) -> dict:
    return {"--input": tmp_path / "nothing-here"}


def empty_folder(tmp_path: Path) -> dict:
    (tmp_path / "empty").mkdir()
    return {"--input": tmp_path / "empty"}


def unsupported_file(tmp_path: Path) -> dict:
    (tmp_path / "images.zip").write_bytes(b"PK")
    return {"--input": tmp_path / "images.zip"}


def wrong_shaped_array(tmp_path: Path) -> dict:
    np.save(tmp_path / "flat.npy", np.zeros((4, 64), dtype=np.float32))
    return {"--input": tmp_path / "flat.npy"}


def all_images_corrupt(tmp_path: Path) -> dict:
    folder = tmp_path / "corrupt"
    folder.mkdir()
    for name in ("a.png", "b.jpg"):
        (folder / name).write_bytes(b"garbage")
    return {"--input": folder}


def bad_output_suffix(tmp_path: Path) -> dict:
    return {"--output": tmp_path / "preds.txt"}


def output_under_a_file(tmp_path: Path) -> dict:
    (tmp_path / "notes").write_text("x")
    return {"--output": tmp_path / "notes" / "preds.csv"}


def output_is_a_folder(tmp_path: Path) -> dict:
    (tmp_path / "preds.json").mkdir()
    return {"--output": tmp_path / "preds.json"}


def top_k_too_large(tmp_path: Path) -> dict:
    return {"--top-k": 11}


def batch_size_zero(tmp_path: Path) -> dict:
    return {"--batch-size": 0}


@pytest.mark.parametrize(
    ("make_case", "message"),
    [
        (missing_model, "missing.pt: no such checkpoint file"),
        (text_model, "model.pt: not a valid checkpoint"),
        (not_our_checkpoint, "other.pt: not a valid checkpoint (not written by this project's training)"),
        (missing_input, "nothing-here: no such file or folder"),
        (empty_folder, "empty: no images in this folder"),
        (unsupported_file, "images.zip: unsupported file type '.zip'"),
        (wrong_shaped_array, "flat.npy: array of shape (4, 64); expected (N, H, W), or (N, C, H, W)"),
        (all_images_corrupt, "corrupt: none of the 2 images could be read"),
        (bad_output_suffix, "preds.txt: must end in .csv or .json"),
        (output_under_a_file, "notes/preds.csv: cannot write there (a file, not a folder)"),
        (output_is_a_folder, "preds.json: is a folder; name a file in it"),
        (top_k_too_large, "--top-k 11: the model knows only 10 labels"),
        (batch_size_zero, "argument --batch-size: must be at least 1, got 0"),
    ],
    ids=[
        "missing-model",
        "text-model",
        "not-our-checkpoint",
        "missing-input",
        "empty-folder",
        "unsupported-file",
        "wrong-shaped-array",
        "all-images-corrupt",
        "bad-output-suffix",
        "output-under-a-file",
        "output-is-a-folder",
        "top-k-too-large",
        "batch-size-zero",
    ],
)
def test_bad_input_is_one_line_exit_2_and_writes_nothing(
    capsys, tmp_path, digit_folder, untrained_checkpoint, make_case, message
):
    """Every user error: exit 2, one line on stderr naming the path or flag, no traceback, no output file."""
    output = tmp_path / "preds.csv"
    flags = {"--input": digit_folder, "--model": untrained_checkpoint, "--output": output} | make_case(tmp_path)

    code, out, err = run_cli(capsys, *(str(part) for flag in flags.items() for part in flag))

    error_lines = [line for line in err.splitlines() if not line.startswith("warning:")]
    assert code == 2
    assert len(error_lines) == 1
    assert message in error_lines[0]
    assert "Traceback" not in err
    assert out == ""
    assert not output.exists()
    assert not (tmp_path / "preds.txt").exists()


def test_help_explains_input_polarity_and_exit_codes(capsys):
    """--help documents the inputs, the expected polarity and the exit codes."""
    code, out, _ = run_cli(capsys, "--help")

    assert code == 0
    assert "bright ink on a dark background" in out
    assert ".npy" in out
    assert "exit status: 0" in out


@pytest.mark.parametrize(
    ("setting", "existing", "expected"),
    [
        (None, [], "artifacts/model.pt"),
        ("{d}/mounted.pt:{d}/baked.pt", ["baked.pt"], "{d}/baked.pt"),
        ("{d}/mounted.pt:{d}/baked.pt", ["mounted.pt", "baked.pt"], "{d}/mounted.pt"),
        ("{d}/mounted.pt:{d}/baked.pt", [], "{d}/mounted.pt"),
        ("{d}/only.pt:", ["only.pt"], "{d}/only.pt"),
    ],
    ids=["unset", "only-the-second-exists", "first-existing-wins", "none-exists", "empty-entry"],
)
def test_the_default_model_is_the_first_existing_file_cml_model_lists(tmp_path, setting, existing, expected):
    """Without --model: the first path in CML_MODEL (":"-separated) that is a file; the first one when none is
    (the error names it); artifacts/model.pt when CML_MODEL is unset."""
    for name in existing:
        (tmp_path / name).write_bytes(b"x")
    environ = {} if setting is None else {"CML_MODEL": setting.format(d=tmp_path)}

    assert default_model(environ) == expected.format(d=tmp_path)


def test_cml_model_picks_the_checkpoint_when_no_model_is_given(capsys, monkeypatch, tmp_path, digit_folder,
                                                               untrained_checkpoint):  # fmt: skip
    """With CML_MODEL=missing:good the good checkpoint predicts; the first existing one is taken even when a later
    one would do (CML_MODEL=bad:good fails on bad)."""
    bad = tmp_path / "bad.pt"
    bad.write_text("hello")
    monkeypatch.setenv("CML_MODEL", f"{tmp_path / 'missing.pt'}:{untrained_checkpoint}")
    code, _, _ = run_cli(capsys, "--input", digit_folder)
    monkeypatch.setenv("CML_MODEL", f"{bad}:{untrained_checkpoint}")

    bad_first, _, err = run_cli(capsys, "--input", digit_folder)

    assert code == 0
    assert bad_first == 2 and err.startswith(f"error: {bad}: not a valid checkpoint")


def test_an_explicit_model_wins_over_cml_model(capsys, monkeypatch, tmp_path, digit_folder, untrained_checkpoint):
    """--model is used as given: CML_MODEL (here naming a broken file) is then not looked at."""
    bad = tmp_path / "bad.pt"
    bad.write_text("hello")
    monkeypatch.setenv("CML_MODEL", str(bad))

    code, out, err = run_cli(capsys, "--input", digit_folder, "--model", untrained_checkpoint)

    assert code == 0, err
    assert len(out.splitlines()) == 7


def test_no_model_at_any_cml_model_path_is_one_line_naming_them(capsys, monkeypatch, tmp_path, digit_folder):
    """Nothing mounted and nothing built in: exit 2, one line listing where it looked."""
    monkeypatch.setenv("CML_MODEL", f"{tmp_path}/a.pt:{tmp_path}/b.pt")

    code, out, err = run_cli(capsys, "--input", digit_folder)

    assert (code, out) == (2, "")
    assert (
        err
        == f"error: no checkpoint at any of {tmp_path}/a.pt, {tmp_path}/b.pt (CML_MODEL): mount one or pass --model\n"
    )
    assert model_candidates({"CML_MODEL": f"{tmp_path}/a.pt:{tmp_path}/b.pt"}) == [
        f"{tmp_path}/a.pt",
        f"{tmp_path}/b.pt",
    ]


def test_help_names_the_model_default_as_cml_model_sets_it(capsys, monkeypatch):
    """In the image `--help` shows the paths CML_MODEL lists, in the order they are tried."""
    monkeypatch.setenv("CML_MODEL", "/artifacts/model.pt:/opt/model/model.pt")

    code, out, _ = run_cli(capsys, "--help")

    assert code == 0
    assert "the first that exists of CML_MODEL's /artifacts/model.pt, /opt/model/model.pt" in " ".join(out.split())


def imported_modules(*argv: str) -> tuple[subprocess.CompletedProcess, set[str]]:
    """Run `python -X importtime -m inference ...` and collect every module it imported."""
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "inference", *argv], cwd=ROOT, capture_output=True, text=True
    )
    modules = {line.split("|")[-1].strip() for line in done.stderr.splitlines() if line.startswith("import time:")}
    return done, modules


def test_help_does_not_import_torch():
    """`python -m inference --help` answers without importing torch (fast start)."""
    done, modules = imported_modules("--help")

    assert done.returncode == 0
    assert "inference.cli" in modules
    assert not {name for name in modules if name.split(".")[0] == "torch"}


def test_predicting_never_imports_the_training_package(digit_folder, untrained_checkpoint):
    """A full prediction imports torch and core, but nothing from `training`."""
    done, modules = imported_modules("--input", str(digit_folder), "--model", str(untrained_checkpoint))

    assert done.returncode == 0, done.stderr[-2000:]
    assert {"torch", "core.checkpoint", "inference.predict"} <= modules
    assert not {name for name in modules if name.split(".")[0] == "training"}


def test_trained_model_reads_digit_pngs_correctly(capsys, tmp_path, trained_checkpoint):
    """Held-out digits written as upscaled PNGs are predicted with accuracy >= 0.95."""
    from sklearn.datasets import load_digits

    from training.data import stratified_split

    config = load_checkpoint(trained_checkpoint / "model.pt").train_config
    digits = load_digits()
    _, _, test_idx = stratified_split(
        digits.target, seed=config["seed"], val_fraction=config["val_fraction"], test_fraction=config["test_fraction"]
    )
    names = [f"{i:04d}" for i in test_idx]
    write_digit_pngs(tmp_path / "held-out", digits.images[test_idx], names)
    output = tmp_path / "preds.csv"

    code, _, _ = run_cli(
        capsys, "--input", tmp_path / "held-out", "--model", trained_checkpoint / "model.pt", "--output", output
    )

    with output.open(newline="") as handle:
        predicted = {Path(row["input"]).stem: row["prediction"] for row in csv.DictReader(handle)}
    truth = {name: str(digits.target[i]) for name, i in zip(names, test_idx, strict=True)}
    accuracy = np.mean([predicted[name] == label for name, label in truth.items()])
    assert code == 0
    assert len(predicted) == len(test_idx) > 300
    assert accuracy >= 0.95


def test_a_model_module_that_cannot_be_imported_is_one_line_naming_it(capsys, digit_folder, untrained_checkpoint):
    """A checkpoint of a user's model whose module is not importable here: exit 2, one line naming the module."""
    checkpoint = load_checkpoint(untrained_checkpoint)
    checkpoint.model_name = "team_models_not_here.nets:build"
    save_checkpoint(untrained_checkpoint, checkpoint)

    code, out, err = run_cli(capsys, "--input", str(digit_folder), "--model", str(untrained_checkpoint))

    assert code == 2 and out == "" and err.count("\n") == 1
    assert "cannot import module team_models_not_here.nets" in err and "PYTHONPATH" in err


def test_grayscale_pngs_for_an_rgb_model_are_converted_with_one_note(capsys, tmp_path, digit_folder):
    """An RGB model predicts grayscale PNGs after converting them, and says so once for the whole folder."""
    from core.checkpoint import Checkpoint
    from core.models import build_model
    from core.network import ModelConfig
    from core.preprocess import Preprocessing

    config = ModelConfig(in_channels=3, input_size=(8, 8), num_classes=10)
    path = tmp_path / "rgb" / "model.pt"
    save_checkpoint(
        path,
        Checkpoint(
            model_config=config,
            model_state=build_model("cnn", config).state_dict(),
            labels=[str(d) for d in range(10)],
            preprocessing=Preprocessing((8, 8), mean=(0.3, 0.3, 0.3), std=(0.4, 0.4, 0.4), polarity=""),
            train_config={},
            versions={},
        ),
    )

    code, out, err = run_cli(capsys, "--input", str(digit_folder), "--model", str(path))

    assert code == 0 and len(out.strip().splitlines()) > 2
    assert err.count("converted to RGB") == 1
