"""What the released inference image is called and says about itself: its tags, its labels, and the release
record (release.json) they come from. Pure: no docker, no torch, no network (the tasks run docker).

Labels: the OCI image annotations (`org.opencontainers.image.*`, as docker/metadata-action fills them) for the
image, and for the model inside it the CNCF model-spec's annotation names where the spec has one
(`org.cnai.model.version`, `.architecture`, `.format`: CloudNativeAI/model-spec, docs/annotations.md, "Model-common"
and "Model-specific" keys). The spec has no name for the other facts a release pins, so they take names in the same
style (MODEL_EXTENSION_LABELS below). `docker image inspect` or `docker buildx imagetools inspect` then says which
model an image serves without running it.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path

from training.inputs import sha256_file

TITLE = "cml-infer"
UNRELEASED = "unreleased"  # the version label of an image built around a model no release names (yet)
SHORT_SHA = 7  # the commit tag's length, as `git rev-parse --short` gives it
LATEST = "latest"
RECORD_NAME = "release.json"  # in the bundle folder `invoke release` writes

# release.json's status: what `invoke release` did.
PUBLISHED = "published"  # a new release: its image is pushed
NOT_PUBLISHED = ("planned", "dry")  # looked up or rehearsed: nothing was released, so nothing is pushed
NOTHING_NEW = ("already released", "unchanged")  # this commit (or the model it reused) has its release already
STATUSES = (PUBLISHED, *NOT_PUBLISHED, *NOTHING_NEW)

OCI = "org.opencontainers.image"
VERSION_LABEL = f"{OCI}.version"  # the release tag: what `invoke push-release` compares with release.json's
MODEL = "org.cnai.model"  # the CNCF model-spec's annotation prefix
# Facts the model-spec names no key for, in its style: documented here and in docs/containers.md.
MODEL_EXTENSION_LABELS = {
    f"{MODEL}.sha256": "sha256 of the model.pt inside the image (hex), as release.json's model_sha256",
    f"{MODEL}.accuracy": "accuracy on the held-out test split, 0..1, as metrics.json's accuracy",
    f"{MODEL}.dataset": "the dataset it was trained on, as --dataset names it (metrics.json run.dataset)",
    f"{MODEL}.dataset.version": "that data's version (run.data_version): dvc:<md5>, sha256:<hex> or the library's",
}


class ReleaseRecordError(ValueError):
    """A release.json that is missing or cannot be read; the one-line message names the file."""


def release_image_tags(tag: str, commit: str, promoted: bool) -> list[str]:
    """The image tags of release `tag` on `commit`: the tag itself, the short commit, and `latest` when it is
    production."""
    if len(commit) < SHORT_SHA or any(char not in "0123456789abcdef" for char in commit.lower()):
        raise ValueError(f"commit {commit!r}: not a git commit hash")
    return [tag, commit[:SHORT_SHA].lower(), *([LATEST] if promoted else [])]


def image_labels(
    metrics: Mapping, *, release_tag: str, model_sha256: str, source: str, revision: str, created: str
) -> dict[str, str]:
    """The labels of the image serving the model `metrics` (its metrics.json) describes as release `release_tag`.

    `source` (the repository's URL), `revision` (the built commit) and `created` (RFC 3339) are the OCI ones; an
    empty one, or a fact metrics.json lacks, is left out rather than written empty.
    """
    run = metrics.get("run") or {}
    accuracy = metrics.get("accuracy")
    labels = {
        f"{OCI}.title": TITLE,
        f"{OCI}.description": description(metrics, release_tag),
        VERSION_LABEL: release_tag,
        f"{OCI}.revision": revision,
        f"{OCI}.source": source,
        f"{OCI}.created": created,
        f"{MODEL}.version": release_tag,
        f"{MODEL}.architecture": str(run.get("model") or ""),
        f"{MODEL}.format": "pytorch",
        f"{MODEL}.sha256": model_sha256,
        f"{MODEL}.accuracy": f"{accuracy:g}" if isinstance(accuracy, int | float) else "",
        f"{MODEL}.dataset": str(run.get("dataset") or ""),
        f"{MODEL}.dataset.version": data_version_value(run.get("data_version") or {}),
    }
    return {key: value for key, value in labels.items() if value}


def description(metrics: Mapping, release_tag: str) -> str:
    """One line: "cml-infer serving model-v3: cnn on digits, test accuracy 99.44%"."""
    run = metrics.get("run") or {}
    what = " on ".join(str(part) for part in (run.get("model"), run.get("dataset")) if part) or "a model"
    serving = "an unreleased model" if release_tag == UNRELEASED else release_tag
    accuracy = metrics.get("accuracy")
    score = f", test accuracy {accuracy * 100:.2f}%" if isinstance(accuracy, int | float) else ""
    return f"{TITLE} serving {serving}: {what}{score}"


def data_version_value(version: Mapping) -> str:
    """metrics.json's run.data_version in one word: dvc:<md5>, sha256:<hex>, or <library>-<version> for a
    built-in dataset (its name is the dataset label); "" when unknown."""
    source = version.get("source")
    if source == "dvc" and version.get("md5"):
        return f"dvc:{version['md5']}"
    if source == "fingerprint" and version.get("sha256"):
        return f"sha256:{version['sha256']}"
    if source and version.get("version"):
        return f"{source}-{version['version']}"
    return ""


file_sha256 = sha256_file  # the sha256 of a file's bytes, hex (what `sha256sum` prints): the model label's value


def read_release_record(path: str | Path) -> dict:
    """release.json as `invoke release` wrote it, checked: `tag` and a known `status`; and, when something was
    (or would be) released, the `model` file and `image.tags`. ReleaseRecordError (one line) otherwise."""
    path = Path(path)
    try:
        record = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise ReleaseRecordError(f"{path}: no such file (`invoke release` writes it)") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise ReleaseRecordError(f"{path}: cannot read it ({getattr(exc, 'strerror', None) or exc})") from None
    except json.JSONDecodeError as exc:
        raise ReleaseRecordError(f"{path}: not JSON ({exc.msg}, line {exc.lineno})") from None
    if not isinstance(record, dict):
        raise ReleaseRecordError(f"{path}: not a JSON object")
    if not isinstance(record.get("tag"), str) or not record["tag"]:
        raise ReleaseRecordError(f"{path}: no release tag (`tag`)")
    if record.get("status") not in STATUSES:
        raise ReleaseRecordError(f"{path}: status {record.get('status')!r} is none of {', '.join(STATUSES)}")
    if record["status"] in NOTHING_NEW:
        return record
    tags = (record.get("image") or {}).get("tags") if isinstance(record.get("image"), dict) else None
    if not tags or not isinstance(tags, list) or not all(isinstance(tag, str) and tag for tag in tags):
        raise ReleaseRecordError(f"{path}: no image tags (`image.tags`, a list of strings)")
    if not isinstance(record.get("model"), str) or not record["model"]:
        raise ReleaseRecordError(f"{path}: no model file (`model`)")
    return record


def nothing_new(record: Mapping) -> bool:
    """Whether the record says no new release was made: this commit, or the model it reused, has one already."""
    return record.get("status") in NOTHING_NEW
