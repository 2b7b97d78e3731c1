"""delivery.verify / `invoke verify-infer`: serving predicts the run's test split as training reported it."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT

from commands.verify import serve_in_image_command, verify_command
from delivery.verify import Outcome, compare, export_test_samples, run_data_options

DIGITS_TEST = 360


def verify(artifacts: Path, *args: str, env: dict | None = None) -> subprocess.CompletedProcess:
    return subprocess.run(
        [sys.executable, "-m", "delivery.verify_cli", "--artifacts", str(artifacts), *args],
        cwd=ROOT,
        capture_output=True,
        text=True,
        env=env,
    )


@pytest.fixture(scope="module")
def rgb_folder_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A resnet18 run on a folder of RGB PNGs (three colour classes), trained for 1 epoch at 32x32."""
    from PIL import Image

    root = tmp_path_factory.mktemp("rgb-run")
    rng = np.random.default_rng(0)
    colours = {"red": (200, 30, 30), "green": (30, 200, 30), "blue": (30, 30, 200)}
    for name, colour in colours.items():
        (root / "images" / name).mkdir(parents=True)
        for index in range(20):
            noise = rng.integers(-40, 40, size=(40, 40, 3))
            pixels = np.clip(np.array(colour) + noise, 0, 255).astype("uint8")
            Image.fromarray(pixels, "RGB").save(root / "images" / name / f"{index}.png")
    done = subprocess.run(
        [
            *(sys.executable, "-m", "training", "--dataset", f"folder:{root / 'images'}", "--model", "resnet18"),
            *("--image-size", "32", "--epochs", "1", "--device", "cpu", "--out", str(root / "out")),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stderr[-2000:]
    return root / "out"


def test_a_digits_run_is_served_exactly_as_trained(digits_runs):
    """All 360 test samples: the same label, confidences within 1e-4, through python -m inference."""
    run = digits_runs("--epochs", "30")

    done = verify(run)

    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == f"serving matches training on {DIGITS_TEST} of {DIGITS_TEST} test samples"


def test_another_checkpoint_is_caught_with_the_count(digits_runs):
    """Serving a 3-epoch model against a 30-epoch run's predictions: exit 1, one line with the count."""
    run, other = digits_runs("--epochs", "30"), digits_runs("--epochs", "3")

    done = verify(run, "--model", str(other / "model.pt"))

    assert done.returncode == 1
    line = done.stdout.strip()
    assert line.startswith("serving differs from training on ") and f" of {DIGITS_TEST} test samples (first: " in line
    assert int(line.split()[5]) > 0


def test_a_skewed_inference_is_caught(digits_runs, tmp_path):
    """Inference whose normalisation differs from training's (pixels scaled by 0.8) fails the check."""
    run = digits_runs("--epochs", "30")
    (tmp_path / "sitecustomize.py").write_text(
        "from core.preprocess import Preprocessing\n"
        "_standardise = Preprocessing.standardise\n"
        "Preprocessing.standardise = lambda self, pixels: _standardise(self, pixels * 0.8)\n"
    )
    env = {**__import__("os").environ, "PYTHONPATH": f"{tmp_path}:{ROOT}"}

    done = verify(run, env=env)

    assert done.returncode == 1, done.stdout + done.stderr
    assert done.stdout.startswith("serving differs from training on ")


def test_a_folder_run_is_served_through_its_own_png_files(folder_run, tmp_path):
    """A folder dataset's test images are exported as the dataset's own files, byte for byte, at their ids."""
    images, run = folder_run
    export = export_test_samples(run_data_options(run), tmp_path)

    assert export.name == "."
    for sample_id in export.ids:
        assert (tmp_path / sample_id).read_bytes() == (images / sample_id).read_bytes()
    assert verify(run).returncode == 0


@pytest.mark.slow
def test_an_rgb_folder_run_with_resnet18_is_served_exactly(rgb_folder_run):
    """resnet18 on RGB PNGs at 32x32: the served predictions of every test file match training's."""
    done = verify(rgb_folder_run)

    assert done.returncode == 0, done.stderr
    assert done.stdout.startswith("serving matches training on ")


def test_missing_predictions_is_one_line_naming_the_file(tmp_path):
    """An artifact dir without predictions.csv: exit 2, the line names the file."""
    done = verify(tmp_path)

    assert done.returncode == 2
    assert done.stderr.strip().splitlines() == [
        f"verify-infer: {tmp_path / 'predictions.csv'}: cannot read (No such file or directory)"
    ]


def test_compare_reports_label_and_confidence_differences_in_file_order():
    """A changed label and a confidence off by more than 1e-4 both count; 1e-5 does not."""
    trained = {"digits/1": ("3", 0.9), "digits/2": ("5", 0.8), "digits/3": ("7", 0.7)}
    served = {"digits/1": ("3", 0.90001), "digits/2": ("6", 0.8), "digits/3": ("7", 0.71)}

    outcome = compare(trained, served)

    assert outcome == Outcome(
        total=3, differing=["sample 2: trained 5, served 6", "sample 3: trained 7 at 0.700000, served at 0.710000"]
    )
    assert (
        outcome.message()
        == "serving differs from training on 2 of 3 test samples (first: sample 2: trained 5, served 6)"
    )


def test_verify_command_runs_the_check_with_the_model_or_the_image():
    """--model and --tag reach the check; both at once is a usage error."""
    assert verify_command(python="python", artifacts="artifacts", tag="cml-infer:abc1234") == (
        "python -m delivery.verify_cli --artifacts artifacts --tag cml-infer:abc1234"
    )
    with pytest.raises(ValueError, match="exclude each other"):
        verify_command(python="python", artifacts="a", model="m.pt", tag="t")


def test_the_image_is_run_on_the_exported_samples_with_no_model_mounted():
    """The image serves its own baked-in model: only the inputs (read-only) and the output folder are mounted."""
    command = serve_in_image_command(
        image="cml-infer:abc", inputs="/tmp/in", input_name="test.npy", output_dir="/tmp/out"
    )

    assert "target=/inputs,readonly" in command and "target=/output" in command
    assert "/artifacts" not in command
    assert command.endswith("cml-infer:abc --input /inputs/test.npy --output /output/served.csv")
