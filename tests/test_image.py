"""delivery.image: the release image's tags and labels, and reading release.json."""

from __future__ import annotations

import hashlib
import json

import pytest
from fake_metrics import diagonal_matrix, make_metrics

from delivery.image import (
    MODEL_EXTENSION_LABELS,
    UNRELEASED,
    ReleaseRecordError,
    data_version_value,
    file_sha256,
    image_labels,
    nothing_new,
    read_release_record,
    release_image_tags,
)

COMMIT = "abc1234def5678901234567890abcdef01234567"
SHA256 = "5cc3720e" + "0" * 56
# The OCI annotation keys (opencontainers/image-spec, annotations.md) and the CNCF model-spec's
# (CloudNativeAI/model-spec, docs/annotations.md) that the labels use.
OCI_KEYS = {"created", "source", "version", "revision", "title", "description"}
MODEL_SPEC_KEYS = {"version", "architecture", "format"}


def digits_metrics() -> dict:
    """A cnn's metrics.json on the digits: 358 of 360 test samples right (99.44%)."""
    matrix = diagonal_matrix(10, 36, {(3, 5): 1, (8, 1): 1})
    matrix[3][3] -= 1
    matrix[8][8] -= 1
    metrics = make_metrics(matrix)
    metrics["run"]["model"] = "cnn"
    metrics["run"]["data_version"] = {"source": "scikit-learn", "name": "digits", "version": "1.7.2"}
    return metrics


def labels(metrics: dict | None = None, **overrides: str) -> dict[str, str]:
    facts = {
        "release_tag": "model-v3",
        "model_sha256": SHA256,
        "source": "https://github.com/octo/cml",
        "revision": COMMIT,
        "created": "2026-01-01T00:00:00Z",
    }
    return image_labels(digits_metrics() if metrics is None else metrics, **{**facts, **overrides})


@pytest.mark.parametrize(
    ("promoted", "expected"),
    [(True, ["model-v3", "abc1234", "latest"]), (False, ["model-v3", "abc1234"])],
    ids=["production", "pre-release"],
)
def test_release_image_tags_are_the_tag_the_short_sha_and_latest_when_promoted(promoted, expected):
    """model-v<N>, the commit's 7-digit short sha, and `latest` only for a release that became production."""
    assert release_image_tags("model-v3", COMMIT, promoted) == expected


@pytest.mark.parametrize("commit", ["", "abc12", "not-a-commit-hash"], ids=["empty", "short", "not-hex"])
def test_release_image_tags_refuse_what_is_not_a_commit(commit):
    """A commit tag is made only from a git hash, never from a truncated or foreign string."""
    with pytest.raises(ValueError, match="not a git commit hash"):
        release_image_tags("model-v3", commit, True)


def test_image_labels_say_which_release_and_model_the_image_serves():
    """The OCI labels from the git facts, and the model's release tag, sha256, accuracy and data by name."""
    assert labels() == {
        "org.opencontainers.image.title": "cml-infer",
        "org.opencontainers.image.description": "cml-infer serving model-v3: cnn on digits, test accuracy 99.44%",
        "org.opencontainers.image.version": "model-v3",
        "org.opencontainers.image.revision": COMMIT,
        "org.opencontainers.image.source": "https://github.com/octo/cml",
        "org.opencontainers.image.created": "2026-01-01T00:00:00Z",
        "org.cnai.model.version": "model-v3",
        "org.cnai.model.architecture": "cnn",
        "org.cnai.model.format": "pytorch",
        "org.cnai.model.sha256": SHA256,
        "org.cnai.model.accuracy": "0.994444",
        "org.cnai.model.dataset": "digits",
        "org.cnai.model.dataset.version": "scikit-learn-1.7.2",
    }


def test_every_label_name_is_the_oci_specs_the_model_specs_or_documented_here():
    """No label name is made up silently: each is an OCI or CNCF model-spec key, or one MODEL_EXTENSION_LABELS
    describes."""
    names = set(labels())

    unexplained = {
        name
        for name in names
        if name.removeprefix("org.opencontainers.image.") not in OCI_KEYS
        and name.removeprefix("org.cnai.model.") not in MODEL_SPEC_KEYS
        and name not in MODEL_EXTENSION_LABELS
    }

    assert unexplained == set()


def test_image_labels_leave_out_what_is_unknown_rather_than_write_it_empty():
    """No source outside GitHub, no revision outside git, an old metrics.json without model or data version: those
    labels are absent, the rest stay; an unreleased model says so."""
    metrics = make_metrics(diagonal_matrix(3, 20))

    found = labels(metrics, release_tag=UNRELEASED, source="", revision="")

    assert "org.opencontainers.image.source" not in found and "org.opencontainers.image.revision" not in found
    assert "org.cnai.model.architecture" not in found and "org.cnai.model.dataset.version" not in found
    assert found["org.opencontainers.image.version"] == "unreleased"
    assert found["org.opencontainers.image.description"] == (
        "cml-infer serving an unreleased model: digits, test accuracy 100.00%"
    )
    assert all(found.values())


@pytest.mark.parametrize(
    ("version", "expected"),
    [
        ({"source": "dvc", "md5": "d41d8cd98f00b204e9800998ecf8427e.dir", "path": "data/x"}, "dvc:d41d8cd9"),
        ({"source": "fingerprint", "sha256": "ab" * 32, "path": "data/x"}, "sha256:abab"),
        ({"source": "torchvision", "name": "mnist", "version": "0.29.1"}, "torchvision-0.29.1"),
        ({}, ""),
    ],
    ids=["dvc", "fingerprint", "built-in", "unknown"],
)
def test_data_version_value_is_one_word_naming_the_data(version, expected):
    """DVC's md5 or the folder's fingerprint in full, or the library that ships a built-in dataset."""
    value = data_version_value(version)

    assert value.startswith(expected) and (value == "") is (expected == "")
    assert " " not in value


def test_file_sha256_is_the_hash_of_the_bytes(tmp_path):
    """The model's sha256 as sha256sum prints it, the same value release.json records."""
    path = tmp_path / "model.pt"
    path.write_bytes(b"weights" * 1000)

    assert file_sha256(path) == hashlib.sha256(b"weights" * 1000).hexdigest()


def write_record(tmp_path, record) -> object:
    path = tmp_path / "release.json"
    path.write_text(record if isinstance(record, str) else json.dumps(record))
    return path


PUBLISHED = {
    "tag": "model-v3",
    "commit": COMMIT,
    "promoted": True,
    "status": "published",
    "model": "artifacts/model.pt",
    "model_sha256": SHA256,
    "image": {"tags": ["model-v3", "abc1234", "latest"], "labels": {}},
    "url": "https://github.com/octo/cml/releases/tag/model-v3",
}


def test_read_release_record_returns_a_published_record(tmp_path):
    """A release.json as `invoke release` writes it reads back as it is."""
    path = write_record(tmp_path, PUBLISHED)

    record = read_release_record(path)

    assert record == PUBLISHED and not nothing_new(record)


@pytest.mark.parametrize("status", ["already released", "unchanged"])
def test_a_record_of_nothing_new_needs_no_image_or_model(tmp_path, status):
    """`already released` and `unchanged` records hold only the tag and status, and say nothing new was released."""
    path = write_record(tmp_path, {"tag": "model-v2", "commit": COMMIT, "status": status, "promoted": False})

    assert nothing_new(read_release_record(path))


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "release.json: no such file (`invoke release` writes it)"),
        ("{not json", "release.json: not JSON (Expecting property name enclosed in double quotes, line 1)"),
        ("[]", "release.json: not a JSON object"),
        ({**PUBLISHED, "tag": ""}, "release.json: no release tag (`tag`)"),
        ({**PUBLISHED, "status": "done"}, "release.json: status 'done' is none of published, planned, dry"),
        ({**PUBLISHED, "image": {}}, "release.json: no image tags (`image.tags`, a list of strings)"),
        ({**PUBLISHED, "model": None}, "release.json: no model file (`model`)"),
    ],
    ids=["missing", "not-json", "not-an-object", "no-tag", "unknown-status", "no-image-tags", "no-model"],
)
def test_read_release_record_errors_are_one_line_naming_the_file(tmp_path, content, message):
    """Whatever is wrong, one line that starts with the file's path and says what."""
    path = tmp_path / "release.json" if content is None else write_record(tmp_path, content)

    with pytest.raises(ReleaseRecordError) as failed:
        read_release_record(path)

    assert str(failed.value).startswith(f"{tmp_path}/{message}")
    assert "\n" not in str(failed.value)
