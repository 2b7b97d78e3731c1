"""delivery.model_facts and delivery.model_card: the release's model-card.md, from a real run's files."""

from __future__ import annotations

import copy
import hashlib
import json
import re
from collections.abc import Callable
from pathlib import Path

import pytest
from helpers import ROOT

from core.checkpoint import load_checkpoint
from delivery.model_card import ModelCardError, card_summary, model_card
from delivery.model_facts import ModelFactsError, model_facts
from reporting.stats import wilson_interval

TAG = "model-v3"
IMAGE = "ghcr.io/octo/cml/cml-infer:model-v3"


@pytest.fixture(scope="module")
def run(digits_runs: Callable[..., Path]) -> Path:
    """The artifact dir of a real 1-epoch digits run (trained once per session, shared with other modules)."""
    return digits_runs("--epochs", "1", "--device", "cpu")


@pytest.fixture(scope="module")
def metrics(run: Path) -> dict:
    return json.loads((run / "metrics.json").read_text())


@pytest.fixture(scope="module")
def facts(run: Path) -> dict:
    return model_facts(run / "model.pt")


def card(metrics: dict, facts: dict) -> str:
    return model_card(metrics, facts, tag=TAG, image=IMAGE, commit_url="https://github.com/octo/cml/commit/abc")


def test_card_names_the_sha256_of_its_model_pt(
    run: Path, metrics: dict, facts: dict, untrained_checkpoint: Path
) -> None:
    """The card shows model.pt's own sha256, and another model.pt gives another one."""
    digest = hashlib.sha256((run / "model.pt").read_bytes()).hexdigest()
    other = hashlib.sha256(untrained_checkpoint.read_bytes()).hexdigest()

    text = card(metrics, facts)
    other_text = card(metrics, model_facts(untrained_checkpoint))

    assert facts["sha256"] == digest
    assert f"`{digest}`" in text
    assert f"`{other}`" in other_text
    assert digest not in other_text


def test_parameter_count_is_the_built_models(run: Path, metrics: dict, facts: dict) -> None:
    """The parameter count is sum(p.numel()) of the model rebuilt from the checkpoint, and the card shows it."""
    model = load_checkpoint(run / "model.pt").build_model()
    expected = sum(p.numel() for p in model.parameters())

    text = card(metrics, facts)

    assert facts["parameters"] == expected
    assert f"**Parameters:** {expected:,}" in text


def test_accuracy_interval_is_wilson_over_the_confusion_diagonal(metrics: dict, facts: dict) -> None:
    """The accuracy's 95% interval is the Wilson interval of the matrix's diagonal sum over its total."""
    matrix = metrics["confusion_matrix"]
    right, total = sum(matrix[i][i] for i in range(len(matrix))), sum(map(sum, matrix))
    low, high = wilson_interval(right, total)

    text = card(metrics, facts)

    assert f"95% Wilson interval {low * 100:.1f}-{high * 100:.1f}%: {right} of {total} test samples" in text
    assert f"95% CI {low * 100:.1f}-{high * 100:.1f}%, {right} of {total}" in card_summary(metrics, facts, tag=TAG)


def test_per_class_table_has_one_row_per_label(metrics: dict, facts: dict) -> None:
    """The per-class table has exactly one row per label, in label order, with its support."""
    results = card(metrics, facts).split("## Results", 1)[1].split("\n## ", 1)[0]

    rows = [line for line in results.splitlines() if re.match(r"\| `", line)]

    assert [row.split(" | ")[0] for row in rows] == [f"| `{label}`" for label in metrics["labels"]]
    assert [row.split(" | ")[-1] for row in rows] == [
        f"{metrics['per_class'][label]['support']} |" for label in metrics["labels"]
    ]


def test_docker_run_line_names_the_image(metrics: dict, facts: dict) -> None:
    """How to run it gives the docker run line for the release's inference image, and the python line."""
    text = card(metrics, facts)

    assert f'docker run --rm -v "$PWD/images:/inputs:ro" {IMAGE}\n' in text
    assert "python -m inference --model model.pt --input images/\n" in text


def test_summary_is_the_cards_first_paragraph(metrics: dict, facts: dict) -> None:
    """card_summary is the paragraph under the title: the tag, the model and its test accuracy."""
    summary = card_summary(metrics, facts, tag=TAG)

    assert card(metrics, facts).split("\n\n")[1] == summary
    assert "\n" not in summary
    assert TAG in summary
    assert f"{metrics['accuracy'] * 100:.2f}%" in summary


def test_format_1_checkpoint_gives_facts() -> None:
    """samples/model.pt (format 1: no model name, one mean/std) gives the default CNN's facts."""
    path = ROOT / "samples" / "model.pt"

    facts = model_facts(path)

    assert facts["model"] == "cnn"
    assert facts["builtin"] is True
    assert facts["labels"] == [str(digit) for digit in range(10)]
    assert (facts["input_size"], facts["channels"]) == ([8, 8], 1)
    assert facts["parameters"] > 0
    assert facts["sha256"] == hashlib.sha256(path.read_bytes()).hexdigest()
    json.dumps(facts)  # plain data


def test_user_model_facts_name_its_factory(digits_runs: Callable[..., Path]) -> None:
    """A model trained with --model module:function is named by it, as the user's own, with its class."""
    out = digits_runs("--epochs", "1", "--model", "examples.my_model:build", "--device", "cpu")

    facts = model_facts(out / "model.pt")

    assert (facts["model"], facts["builtin"], facts["model_class"]) == ("examples.my_model:build", False, "Sequential")
    assert "(this repository's own factory, which builds a `Sequential`)" in card(
        json.loads((out / "metrics.json").read_text()), facts
    )


@pytest.mark.parametrize(
    ("make", "reason"),
    [
        (lambda path: None, "no such checkpoint file"),
        (lambda path: path.write_bytes(b"not a checkpoint"), "not a valid checkpoint"),
    ],
    ids=["missing", "not-a-checkpoint"],
)
def test_bad_file_is_a_one_line_error_naming_it(tmp_path: Path, make: Callable[[Path], object], reason: str) -> None:
    """A missing or unreadable model.pt is one ModelFactsError line that names the file."""
    path = tmp_path / "release" / "model.pt"
    path.parent.mkdir()
    make(path)

    with pytest.raises(ModelFactsError) as caught:
        model_facts(path)

    message = str(caught.value)
    assert "\n" not in message
    assert str(path) in message
    assert reason in message


def test_old_metrics_without_newer_fields_still_render(metrics: dict, facts: dict) -> None:
    """A metrics.json from before data versions, fingerprints and the resolved config renders without them."""
    old = copy.deepcopy(metrics)
    for key in ("data_version", "test_fingerprint", "dataset_fingerprint", "config", "inputs_digest", "split_seed"):
        old["run"].pop(key, None)
    old.pop("best_epoch", None)

    text = card(old, facts)

    assert "## Data" in text
    assert "## Results" in text
    assert "Data version" not in text
    assert "fingerprint" not in text
    assert "Resolved config" not in text
    assert "**Seeds:** training 0" in text


def test_metrics_of_another_model_are_refused(metrics: dict, facts: dict) -> None:
    """A metrics.json whose labels differ from model.pt's is not carded as that model."""
    other = {**metrics, "labels": ["cat", "dog"]}

    with pytest.raises(ModelCardError, match="not from the same run"):
        card(other, facts)
