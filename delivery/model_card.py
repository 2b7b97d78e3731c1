"""`model-card.md` for a release: what the model is, its data, its results with their uncertainty, how it
was trained and how to run it, laid out like Hugging Face's model card template.

Pure functions from data to markdown: `metrics` is the run's metrics.json, `facts` is
`delivery.model_facts.model_facts(model.pt)`. Every number comes from those two; the card is rendered, never
edited. No torch here. Fields an older metrics.json lacks are left out of the card.
"""

from __future__ import annotations

import json
import shlex

from reporting.confusion import largest_confusions
from reporting.markdown import cell, code, fenced, percent, table
from reporting.render import MAX_LISTED, accuracy_interval, duration, times
from reporting.stats import CONFIDENCE, wilson_interval

DOCKER_MOUNT = '-v "$PWD/images:/inputs:ro"'  # the inference image reads the images in /inputs


class ModelCardError(ValueError):
    """metrics.json and model.pt that cannot be from the same run (their labels differ)."""


def model_card(metrics: dict, facts: dict, *, tag: str, image: str, commit_url: str = "") -> str:
    """The whole card; `image` is the inference image that serves this model, `commit_url` links the commit."""
    check_same_run(metrics, facts)
    sections = [
        f"# Model card: {cell(tag)}",
        card_summary(metrics, facts, tag=tag),
        model_section(facts),
        data_section(metrics.get("run") or {}),
        results_section(metrics),
        training_section(metrics, commit_url),
        files_section(facts),
        usage_section(image),
        "<sub>Rendered from metrics.json and model.pt by `delivery.model_card`; not edited by hand.</sub>",
    ]
    return "\n\n".join(section for section in sections if section) + "\n"


def card_summary(metrics: dict, facts: dict, *, tag: str) -> str:
    """One paragraph: what the model is, what it was trained on, and its test accuracy with its interval."""
    run = metrics.get("run") or {}
    labels = facts.get("labels") or metrics.get("labels") or []
    what = f"**{cell(tag)}** is a {architecture(facts)} image classifier"
    if facts.get("parameters") is not None:
        what += f" ({parameters(facts['parameters'])} parameters)"
    what += f" for {len(labels)} classes"
    if facts.get("input_size"):
        what += f" of {input_shape(facts)} images"
    if run.get("dataset"):
        what += f", trained on {code(run['dataset'])}"
        if run.get("epochs") is not None:
            what += f" for {plural(run['epochs'], 'epoch')}"
    if run.get("commit"):
        what += f" at commit `{cell(run['commit'])[:7]}`"
    result = f"On held-out test data its accuracy is **{percent(metrics['accuracy'])}**"
    matrix = metrics.get("confusion_matrix")
    if matrix:
        result += f" ({accuracy_interval(matrix)} test samples)"
    if metrics.get("macro_f1") is not None:
        result += f", macro F1 {percent(metrics['macro_f1'])}"
    return f"{what}. {result}."


def check_same_run(metrics: dict, facts: dict) -> None:
    """Refuse a card whose metrics.json and model.pt disagree on the classes: they come from different runs."""
    trained = [str(label) for label in facts.get("labels") or []]
    measured = [str(label) for label in metrics.get("labels") or []]
    if trained and measured and trained != measured:
        raise ModelCardError(
            f"metrics.json and {facts.get('file', 'model.pt')} are not from the same run: "
            f"their labels differ ({len(measured)} vs {len(trained)} classes)"
        )


def model_section(facts: dict) -> str:
    lines = [f"- **Architecture:** {architecture(facts, detail=True)}"]
    if facts.get("model_config"):
        config = ", ".join(code(f"{key}={compact(value)}") for key, value in facts["model_config"].items())
        lines.append(f"- **Model config:** {config}")
    if facts.get("parameters") is not None:
        count = facts["parameters"]
        trainable = facts.get("trainable_parameters", count)
        note = "all trainable" if trainable == count else f"{parameters(trainable)} trainable"
        lines.append(f"- **Parameters:** {parameters(count)} ({note})")
    if facts.get("input_size"):
        line = f"- **Input:** {input_shape(facts)} images"
        if facts.get("channels") == 1 and facts.get("polarity"):
            line += f", {cell(facts['polarity'])}"
        line += "; any other size is resized to this, as training did"
        lines.append(line)
    labels = facts.get("labels") or []
    if labels:
        lines.append(f"- **Labels ({len(labels)}):** " + ", ".join(code(label) for label in labels))
    return "## Model\n\n" + "\n".join(lines)


def data_section(run: dict) -> str:
    lines = []
    if run.get("dataset"):
        lines.append(f"- **Dataset:** {code(run['dataset'])}")
    version = data_version(run.get("data_version") or {})
    if version:
        lines.append(f"- **Data version:** {version}")
    split = run.get("split") or {}
    if split:
        total = sum(count for count in split.values() if isinstance(count, int))
        sizes = ", ".join(f"{cell(name)} {count}" for name, count in split.items())
        lines.append(f"- **Split:** {sizes} ({total} samples)")
    seeds = [f"{name} {run[key]}" for key, name in (("split_seed", "split"), ("seed", "training")) if key in run]
    if seeds:
        lines.append("- **Seeds:** " + ", ".join(seeds))
    if run.get("test_fingerprint"):
        lines.append(
            f"- **Test-split fingerprint:** `{cell(run['test_fingerprint'])}` (sha256 of the test samples: "
            "runs with the same fingerprint were tested on the same samples)"
        )
    if run.get("dataset_fingerprint"):
        lines.append(f"- **Dataset fingerprint:** `{cell(run['dataset_fingerprint'])}`")
    return "## Data\n\n" + "\n".join(lines) if lines else ""


def data_version(version: dict) -> str:
    """The data version in full: a DVC md5, a folder's content sha256, or the library a built-in ships with."""
    source = version.get("source")
    if source == "dvc" and version.get("md5"):
        return f"DVC md5 `{cell(version['md5'])}`" + (f" of {code(version['path'])}" if version.get("path") else "")
    if source == "fingerprint" and version.get("sha256"):
        return f"content sha256 `{cell(version['sha256'])}`"
    if source and version.get("version"):
        name = f"{code(version['name'])} " if version.get("name") else ""
        return f"{name}from {cell(source)} {cell(version['version'])}"
    return ", ".join(f"{cell(key)} {code(value)}" for key, value in version.items())


def results_section(metrics: dict) -> str:
    parts = ["## Results", accuracy_lines(metrics)]
    labels = [str(label) for label in metrics.get("labels") or []]
    per_class = metrics.get("per_class") or {}
    if labels and per_class:
        parts.append(per_class_table(per_class, labels))
    matrix = metrics.get("confusion_matrix")
    if matrix and labels:
        parts.append(confusions_line(matrix, labels))
    return "\n\n".join(parts)


def accuracy_lines(metrics: dict) -> str:
    line = f"- **Accuracy:** {percent(metrics['accuracy'])}"
    matrix = metrics.get("confusion_matrix")
    if matrix:
        right, total = test_outcome(matrix)
        low, high = wilson_interval(right, total)
        line += (
            f" ({CONFIDENCE:.0%} Wilson interval {low * 100:.1f}-{high * 100:.1f}%: "
            f"{right} of {total} test samples right)"
        )
    lines = [line]
    if metrics.get("macro_f1") is not None:
        lines.append(f"- **Macro F1:** {percent(metrics['macro_f1'])}")
    return "\n".join(lines)


def test_outcome(matrix: list[list[int]]) -> tuple[int, int]:
    """(test samples classified right, all test samples): the confusion matrix's diagonal and its total."""
    return sum(matrix[i][i] for i in range(len(matrix))), sum(map(sum, matrix))


def per_class_table(per_class: dict, labels: list[str]) -> str:
    rows = []
    for label in labels:
        stats = per_class.get(label)
        if stats is None:
            continue
        rows.append(
            [
                code(label),
                percent(stats["precision"]),
                percent(stats["recall"]),
                percent(stats["f1"]),
                str(stats["support"]),
            ]
        )
    return table(["class", "precision", "recall", "F1", "support"], rows)


def confusions_line(matrix: list[list[int]], labels: list[str]) -> str:
    confusions = largest_confusions(matrix, labels, MAX_LISTED)
    if not confusions:
        return "No confusions: every test sample was classified correctly."
    listed = "; ".join(
        f"{code(c.true_label)} taken for {code(c.predicted_label)} {times(c.count)} "
        f"({percent(c.share, 1)} of {code(c.true_label)})"
        for c in confusions
    )
    return f"**Largest confusions:** {listed}."


def training_section(metrics: dict, commit_url: str) -> str:
    run = metrics.get("run") or {}
    lines = []
    if run.get("epochs") is not None:
        line = f"- **Epochs:** {run['epochs']}"
        if run.get("interrupted"):
            line += f" planned, interrupted after {run.get('epochs_completed', '?')}"
        if metrics.get("best_epoch") is not None:
            line += f" (weights from the best, epoch {metrics['best_epoch']})"
        lines.append(line)
    if isinstance(run.get("duration_s"), int | float):
        lines.append(f"- **Duration:** {duration(run['duration_s'])}")
    if run.get("device"):
        lines.append(f"- **Device:** {cell(run['device'])}")
    if run.get("world_size") is not None:
        lines.append(f"- **World size:** {run['world_size']} process{'' if run['world_size'] == 1 else 'es'}")
    versions = run.get("versions") or {}
    if versions:
        lines.append("- **Libraries:** " + ", ".join(f"{cell(name)} {cell(v)}" for name, v in versions.items()))
    if run.get("commit"):
        commit = f"`{cell(run['commit'])}`"
        lines.append(f"- **Commit:** [{commit}]({commit_url})" if commit_url else f"- **Commit:** {commit}")
    reused = run.get("reused_from") or {}
    if reused:
        lines.append(
            f"- **Not retrained:** nothing training reads changed since commit `{cell(reused.get('commit', '?'))[:7]}`"
            ", whose artifacts these are"
        )
    if run.get("inputs_digest"):
        lines.append(f"- **Training inputs digest:** `{cell(run['inputs_digest'])}`")
    parts = ["## Training", "\n".join(lines)] if lines else ["## Training"]
    if run.get("config"):
        parts.append("Resolved config:\n\n" + fenced(json.dumps(run["config"], indent=2), "json"))
    return "\n\n".join(parts) if len(parts) > 1 else ""


def files_section(facts: dict) -> str:
    if not facts.get("sha256"):
        return ""
    name = facts.get("file") or "model.pt"
    size = f"{facts['size_bytes']:,}" if facts.get("size_bytes") is not None else ""
    rows = [[code(name), f"`{cell(facts['sha256'])}`", size]]
    return (
        "## Files\n\n"
        + table(["file", "sha256", "bytes"], rows, ["l", "l", "r"])
        + f"\n\nCheck a download with `sha256sum {name}`."
    )


def usage_section(image: str) -> str:
    docker = f"docker run --rm {DOCKER_MOUNT} {shlex.quote(image)}"
    python = "python -m inference --model model.pt --input images/"
    return (
        "## How to run it\n\n"
        f"With the inference image {code(image)}, on the images in `images/`:\n\n"
        + fenced(docker, "sh")
        + "\n\nOr from a checkout of this repository at the commit above, with this release's model.pt:\n\n"
        + fenced(python, "sh")
    )


def architecture(facts: dict, detail: bool = False) -> str:
    """'`cnn`', or with detail '`cnn` (built in: `core.network:ConvNet`)' / '`pkg.mod:build` (your own ...)'."""
    name = facts.get("model") or "cnn"
    if not detail:
        return code(name)
    if facts.get("builtin", True):
        return f"{code(name)} (built in: {code(facts.get('factory', name))})"
    made = f", which builds a {code(facts['model_class'])}" if facts.get("model_class") else ""
    return f"{code(name)} (this repository's own factory{made})"


def input_shape(facts: dict) -> str:
    """'8x8 grayscale' or '32x32 RGB' (the channels are read from the checkpoint's preprocessing)."""
    height, width = facts["input_size"]
    channels = facts.get("channels")
    kind = {1: "grayscale", 3: "RGB"}.get(channels, f"{channels}-channel" if channels else "")
    return f"{height}x{width} {kind}".rstrip()


def parameters(count: int) -> str:
    return f"{count:,}"


def compact(value: object) -> str:
    return json.dumps(value) if isinstance(value, list | dict) else str(value)


def plural(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"
