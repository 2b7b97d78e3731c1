""" "What changed" between a baseline run and this one: training config, data, split, model, where it ran, and
library versions, read from each metrics.json's `run` section."""

from __future__ import annotations

import json

# Config keys that say where files went, not how the model was trained; `epochs` and `threads` come resolved
# from the run itself (the config's 0 means "the default").
NOT_SETTINGS = {"out", "data_dir", "epochs", "threads", "dataset"}


def run_settings(metrics: dict) -> dict[str, object]:
    """Every setting one run recorded that can explain a difference in its results, by display name."""
    run = metrics.get("run") or {}
    config = run.get("config") or {}
    settings: dict[str, object] = {key: value for key, value in config.items() if key not in NOT_SETTINGS}
    for key in ("epochs", "seed", "split_seed", "model"):
        if key in run:
            settings[key] = run[key]
    settings["dataset"] = run.get("dataset")
    if run.get("dataset_fingerprint"):
        settings["dataset fingerprint"] = str(run["dataset_fingerprint"])[:12]
    if "data_version" in run:
        settings["data version"] = data_version_label(run["data_version"] or {}) or None
    for name, count in (run.get("split") or {}).items():
        settings[f"{name} samples"] = count
    for key in ("device", "world_size", "threads"):
        if key in run:
            settings[key.replace("_", " ")] = run[key]
    for library, version in (run.get("versions") or {}).items():
        settings[library] = version
    return {key: value for key, value in settings.items() if value is not None}


def what_changed(metrics: dict, baseline: dict) -> list[tuple[str, str, str]]:
    """(setting, baseline value, this run's value) for every setting both runs recorded and that differs;
    a setting only one of them recorded (an older baseline) is left out rather than shown as a change."""
    now, before = run_settings(metrics), run_settings(baseline)
    return [
        (key, shown(before[key]), shown(value))
        for key, value in now.items()
        if key in before and shown(before[key]) != shown(value)
    ]


def shown(value: object) -> str:
    if isinstance(value, float):
        return f"{value:g}"
    if isinstance(value, dict | list):
        return json.dumps(value, sort_keys=True)
    return str(value)


def data_version_label(version: dict) -> str:
    """A folder dataset's version in short: "dvc:<DVC's md5>" or "sha256:<content fingerprint>", 7 hex digits;
    "" for a built-in dataset, which its name already identifies."""
    if version.get("source") == "dvc" and version.get("md5"):
        return f"dvc:{str(version['md5'])[:7]}"
    if version.get("source") == "fingerprint" and version.get("sha256"):
        return f"sha256:{str(version['sha256'])[:7]}"
    return ""
