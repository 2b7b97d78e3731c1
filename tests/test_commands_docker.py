"""commands.docker and the docker tasks: the exact docker commands they run."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from unittest.mock import call

import pytest
from helpers import ROOT, project_context
from invoke import Exit, Result

import tasks
from commands.docker import (
    Mount,
    build_command,
    buildx_missing_message,
    buildx_version_command,
    docker_info_command,
    engine_unreachable_message,
    git_commit,
    git_short_sha,
    image_label_command,
    image_ref,
    push_command,
    push_target_problem,
    retag_remote_command,
    run_infer_command,
    run_train_command,
    tag_command,
)
from delivery.image import file_sha256, release_image_tags

ANSI_COLOUR = re.compile(r"\x1b\[[0-9;]*m")
NO_ENGINE = "Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
USER = f"{os.getuid()}:{os.getgid()}"


@pytest.fixture
def fixed_sha(monkeypatch):
    """The tasks tag images with this commit instead of the checkout's."""
    monkeypatch.setattr(tasks, "git_short_sha", lambda: "abc1234")


def test_docker_info_command():
    """The engine check asks the engine for its version: it fails fast when none answers."""
    assert docker_info_command() == "docker info --format '{{.ServerVersion}}'"


@pytest.mark.parametrize(
    ("stderr", "expected"),
    [
        (
            f"Client:\n Version: 28.2.2\n\n{NO_ENGINE}\n",
            f"No Docker engine answers `docker info` ({NO_ENGINE}). Start Docker (or set DOCKER_HOST) and retry.",
        ),
        ("", "No Docker engine answers `docker info`. Start Docker (or set DOCKER_HOST) and retry."),
    ],
    ids=["daemon-down", "no-detail"],
)
def test_engine_unreachable_message_is_one_line_with_dockers_reason(stderr, expected):
    """The error names the failed check, docker's own last line of complaint, and what to do."""
    assert engine_unreachable_message(stderr) == expected


def test_git_short_sha_is_the_checkouts_commit():
    """In a git checkout the default tag is `git rev-parse --short HEAD`."""
    expected = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True)

    sha = git_short_sha(cwd=str(ROOT))

    assert sha == (expected.stdout.strip() or "local")


def test_git_short_sha_outside_a_checkout_is_local(tmp_path):
    """Outside a git checkout (a source tarball) images are tagged `local`."""
    assert git_short_sha(cwd=str(tmp_path)) == "local"


def test_git_commit_is_the_full_hash_and_empty_outside_a_checkout(tmp_path):
    """The revision label is `git rev-parse HEAD` in full; outside a checkout there is none to give."""
    expected = subprocess.run(["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True)

    assert git_commit(cwd=str(ROOT)) == expected.stdout.strip()
    assert git_commit(cwd=str(tmp_path)) == ""


@pytest.mark.parametrize(
    ("registry", "namespace", "expected"),
    [
        ("ghcr.io", "", "cml-train:abc1234"),
        ("ghcr.io", "Octo-Org/CML-Template", "ghcr.io/octo-org/cml-template/cml-train:abc1234"),
        ("", "me", "me/cml-train:abc1234"),
    ],
    ids=["local", "ghcr-lowercased", "docker-hub"],
)
def test_image_ref(registry, namespace, expected):
    """registry/namespace/name:tag, lowercased for the registry; no namespace means a local name."""
    assert image_ref(registry=registry, namespace=namespace, name="cml-train", tag="abc1234") == expected


def test_build_command_loads_the_image_by_default():
    """A plain build loads the image into the local engine so `invoke run-*` can run it."""
    command = build_command(dockerfile="Dockerfile.train", image="cml-train:abc1234")

    assert command == "docker buildx build --file Dockerfile.train --tag cml-train:abc1234 --load ."


def test_build_command_with_every_option():
    """Platform, build args and cache flags are passed through; --push replaces --load."""
    command = build_command(
        dockerfile="Dockerfile.infer",
        image="ghcr.io/o/r/cml-infer:abc1234",
        context="ctx",
        platform="linux/amd64,linux/arm64",
        push=True,
        cache_from="type=gha,scope=infer",
        cache_to="type=gha,mode=max,scope=infer",
        build_args={"TORCH_INDEX_URL": "https://download.pytorch.org/whl/cu128"},
    )

    assert command == (
        "docker buildx build --file Dockerfile.infer --tag ghcr.io/o/r/cml-infer:abc1234"
        " --platform linux/amd64,linux/arm64"
        " --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128"
        " --cache-from type=gha,scope=infer --cache-to type=gha,mode=max,scope=infer --push ctx"
    )


def test_build_command_with_more_tags_a_named_context_and_labels():
    """Every tag is a --tag, a named context replaces the stage of that name, and the labels come in key order
    (the same command every time), quoted where they hold spaces."""
    command = build_command(
        dockerfile="Dockerfile.infer",
        image="r/cml-infer:abc1234",
        extra_tags=["r/cml-infer:model-v3", "r/cml-infer:latest"],
        build_contexts={"model": "artifacts/.model-context"},
        labels={"org.opencontainers.image.version": "model-v3", "org.cnai.model.accuracy": "0.99", "b": "two words"},
    )

    assert command == (
        "docker buildx build --file Dockerfile.infer --tag r/cml-infer:abc1234 --tag r/cml-infer:model-v3"
        " --tag r/cml-infer:latest --build-context model=artifacts/.model-context"
        " --label 'b=two words' --label org.cnai.model.accuracy=0.99 --label org.opencontainers.image.version=model-v3"
        " --load ."
    )


def test_tag_command_names_a_local_image_again():
    """`docker tag SOURCE TARGET`: the built image gets its registry name, nothing is built or pulled."""
    assert tag_command("cml-infer:abc1234", "ghcr.io/o/r/cml-infer:model-v3") == (
        "docker tag cml-infer:abc1234 ghcr.io/o/r/cml-infer:model-v3"
    )


def test_retag_remote_command_moves_a_registry_tag_without_a_rebuild():
    """A rollback points `latest` at the pushed model-v<N> image registry-side: imagetools create, target first."""
    command = retag_remote_command("ghcr.io/o/r/cml-infer:model-v2", "ghcr.io/o/r/cml-infer:latest")

    assert command == (
        "docker buildx imagetools create --tag ghcr.io/o/r/cml-infer:latest ghcr.io/o/r/cml-infer:model-v2"
    )


def test_image_label_command_prints_one_label_of_a_local_image():
    """The label is read with a Go template that indexes the label map (dots in the key need `index`)."""
    command = image_label_command("cml-infer:abc1234", "org.opencontainers.image.version")

    assert command == (
        "docker image inspect --format '{{ index .Config.Labels \"org.opencontainers.image.version\" }}'"
        " cml-infer:abc1234"
    )


@pytest.mark.parametrize(
    ("mount", "expected"),
    [
        (Mount("/home/me/art", "/artifacts"), "type=bind,source=/home/me/art,target=/artifacts"),
        (
            Mount("/m/model.pt", "/artifacts/model.pt", readonly=True),
            "type=bind,source=/m/model.pt,target=/artifacts/model.pt,readonly",
        ),
        (Mount("/a,b", "/inputs/a,b"), 'type=bind,"source=/a,b","target=/inputs/a,b"'),
    ],
    ids=["writable", "readonly", "comma-in-path"],
)
def test_mount_option(mount, expected):
    """--mount values are CSV as docker parses them, so a comma in a path stays in the path."""
    assert mount.option() == expected


TORCHVISION_LOADS = (
    "docker run --rm --network none --read-only --tmpfs /tmp --entrypoint python cml-train:abc1234 -c"
    " 'import torch, torchvision; torchvision.ops.nms(torch.zeros(1, 4), torch.ones(1), 0.5)'"
)


@pytest.mark.parametrize(
    ("epochs", "expected_args"),
    [(1, "--out /artifacts --epochs 1"), (0, "--out /artifacts")],
    ids=["smoke", "dataset-default"],
)
def test_run_train_command(epochs, expected_args):
    """torchvision's compiled ops load in the image; then the host folder is mounted at /artifacts, where the
    training writes; no network, read-only but for /tmp, the caller's uid."""
    command = run_train_command(
        image="cml-train:abc1234", out_dir="/w/artifacts/docker", epochs=epochs, user="1001:121"
    )

    assert command == (
        f"{TORCHVISION_LOADS} && "
        "docker run --rm --network none --read-only --tmpfs /tmp --user 1001:121"
        " --mount type=bind,source=/w/artifacts/docker,target=/artifacts"
        f" cml-train:abc1234 {expected_args}"
    )


def test_run_infer_command_mounts_model_and_inputs_read_only():
    """Model and inputs are mounted read-only under /artifacts and /inputs and passed by those paths."""
    command = run_infer_command(image="cml-infer:abc1234", model="/w/run/model.pt", inputs="/w/samples/digits")

    assert command == (
        "docker run --rm --network none --read-only --tmpfs /tmp"
        " --mount type=bind,source=/w/run/model.pt,target=/artifacts/model.pt,readonly"
        " --mount type=bind,source=/w/samples/digits,target=/inputs/digits,readonly"
        " cml-infer:abc1234 --model /artifacts/model.pt --input /inputs/digits"
    )


def test_run_infer_command_mounts_the_output_folder_writable():
    """With an output file its folder is mounted at /output and the predictions written there."""
    command = run_infer_command(
        image="cml-infer:abc1234", model="/w/model.pt", inputs="/w/x.npy", output="/w/out/preds.csv", user="1:2"
    )

    assert command == (
        "docker run --rm --network none --read-only --tmpfs /tmp --user 1:2"
        " --mount type=bind,source=/w/model.pt,target=/artifacts/model.pt,readonly"
        " --mount type=bind,source=/w/x.npy,target=/inputs/x.npy,readonly"
        " --mount type=bind,source=/w/out,target=/output"
        " cml-infer:abc1234 --model /artifacts/model.pt --input /inputs/x.npy --output /output/preds.csv"
    )


def test_docker_available_passes_when_the_engine_answers():
    """The check runs `docker info` quietly through c.run (so --dry prints it) and returns."""
    c = project_context(Result(stdout="28.2.2\n"))

    tasks.docker_available(c)

    c.run.assert_called_once_with(docker_info_command(), echo=True, hide=True, warn=True, pty=False)


def test_docker_available_stops_with_a_clear_message_without_an_engine():
    """No engine: the task stops with docker's reason and what to do, not a traceback."""
    c = project_context(Result(exited=1, stderr=NO_ENGINE))

    with pytest.raises(Exit) as stopped:
        tasks.docker_available(c)

    assert stopped.value.message == engine_unreachable_message(NO_ENGINE)
    assert stopped.value.code == 1


@pytest.mark.parametrize(
    "task",
    [
        tasks.build_train,
        tasks.build_infer,
        tasks.run_train,
        tasks.run_infer,
        tasks.push_train,
        tasks.push_infer,
        tasks.push_release,
    ],
    ids=lambda t: t.name,
)
def test_docker_tasks_check_the_engine_first(task):
    """Every docker task runs `docker-available` before anything else."""
    assert task.pre[0] == tasks.docker_available


@pytest.mark.parametrize("task", [tasks.build_train, tasks.build_infer], ids=lambda t: t.name)
def test_build_tasks_check_for_buildx_next(task):
    """The build tasks then check for the buildx plugin, before `docker buildx build` could misfire."""
    assert task.pre == [tasks.docker_available, tasks.buildx_available]


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (tasks.build_train, "docker buildx build --file Dockerfile.train --tag cml-train:abc1234 --load ."),
        (tasks.build_infer, "docker buildx build --file Dockerfile.infer --tag cml-infer:abc1234 --load ."),
    ],
    ids=["train", "infer"],
)
def test_build_tasks_default_to_the_local_image_tagged_with_the_commit(fixed_sha, task, expected):
    """With invoke.yaml's defaults an image is built as <name>:<git short sha> and loaded locally."""
    c = project_context()

    task(c)

    c.run.assert_called_once_with(expected, echo=True, pty=False)


def test_build_task_flags_and_ci_settings(fixed_sha):
    """CI's namespace and torch index come from invoke.yaml keys; cache, platform and push from flags."""
    c = project_context()
    c.config.docker.namespace = "Octo/Repo"
    c.config.docker.torch_index_url = "https://download.pytorch.org/whl/cu128"

    tasks.build_infer(
        c, push=True, platform="linux/arm64", cache_from="type=gha,scope=infer", cache_to="type=gha,scope=infer"
    )

    c.run.assert_called_once_with(
        "docker buildx build --file Dockerfile.infer --tag ghcr.io/octo/repo/cml-infer:abc1234 --platform linux/arm64"
        " --build-arg TORCH_INDEX_URL=https://download.pytorch.org/whl/cu128"
        " --cache-from type=gha,scope=infer --cache-to type=gha,scope=infer --push .",
        echo=True,
        pty=False,
    )


def test_run_train_task_smoke_runs_into_the_docker_artifact_dir(fixed_sha, tmp_path, monkeypatch):
    """By default a 1-epoch run writes to artifacts/docker, created first so that it belongs to the caller."""
    monkeypatch.chdir(tmp_path)
    c = project_context(repeat=True)

    tasks.run_train(c)

    assert c.run.call_args_list[0] == call(INSPECT.format("cml-train"), echo=True, hide=True, warn=True, pty=False)
    assert c.run.call_args_list[1] == call(
        f"{TORCHVISION_LOADS} && "
        f"docker run --rm --network none --read-only --tmpfs /tmp --user {USER}"
        f" --mount type=bind,source={tmp_path}/artifacts/docker,target=/artifacts"
        " cml-train:abc1234 --out /artifacts --epochs 1",
        echo=True,
        pty=False,
    )
    assert (tmp_path / "artifacts" / "docker").is_dir()


def test_run_infer_task_predicts_the_samples_with_the_committed_sample_model(fixed_sha, tmp_path, monkeypatch):
    """By default samples/model.pt (no training image needed) predicts samples/digits; --output's folder is created
    and mounted."""
    monkeypatch.chdir(tmp_path)
    c = project_context(repeat=True)

    tasks.run_infer(c, output="out/preds.csv")

    assert c.run.call_args_list[0] == call(INSPECT.format("cml-infer"), echo=True, hide=True, warn=True, pty=False)
    assert c.run.call_args_list[1] == call(
        f"docker run --rm --network none --read-only --tmpfs /tmp --user {USER}"
        f" --mount type=bind,source={tmp_path}/samples/model.pt,target=/artifacts/model.pt,readonly"
        f" --mount type=bind,source={tmp_path}/samples/digits,target=/inputs/digits,readonly"
        f" --mount type=bind,source={tmp_path}/out,target=/output"
        " cml-infer:abc1234 --model /artifacts/model.pt --input /inputs/digits --output /output/preds.csv",
        echo=True,
        pty=False,
    )
    assert (tmp_path / "out").is_dir()


INSPECT = "docker image inspect --format '{{{{.Id}}}}' {}:abc1234"


@pytest.mark.parametrize(("task", "build"), [(tasks.run_train, "build-train"), (tasks.run_infer, "build-infer")])
def test_run_tasks_stop_when_the_image_was_never_built(fixed_sha, task, build, tmp_path, monkeypatch):
    """No local image: one line saying which `invoke build-*` to run, exit 2, no `docker run` (that would pull)."""
    monkeypatch.chdir(tmp_path)
    c = project_context(Result(exited=1, stderr="Error: No such image: x"))

    with pytest.raises(Exit) as stopped:
        task(c)

    assert stopped.value.code == 2
    assert stopped.value.message.startswith("Image cml-") and f"`invoke {build}`" in stopped.value.message
    assert "docker run" not in str(c.run.call_args_list) and not (tmp_path / "artifacts").exists()


def test_buildx_available_stops_with_how_to_install_it():
    """No buildx plugin: one line saying what is missing and how to get it, exit 2, instead of `unknown flag`."""
    c = project_context(Result(exited=1, stderr="docker: 'buildx' is not a docker command.\nSee 'docker --help'"))

    with pytest.raises(Exit) as stopped:
        tasks.buildx_available(c)

    c.run.assert_called_once_with(buildx_version_command(), echo=True, hide=True, warn=True, pty=False)
    assert stopped.value.code == 2
    assert stopped.value.message == buildx_missing_message("docker: 'buildx' is not a docker command.")
    assert "docker-buildx" in stopped.value.message and "https://github.com/docker/buildx#installing" in (
        stopped.value.message
    )


def test_push_command_pushes_the_local_image_as_it_is():
    """A push is `docker push` of the tag already in the engine: no build step that could change it."""
    assert push_command("ghcr.io/o/r/cml-train:abc1234") == "docker push ghcr.io/o/r/cml-train:abc1234"


@pytest.mark.parametrize(
    ("image", "pushable"),
    [
        ("cml-train:abc1234", False),
        ("cml-train@sha256:" + "0" * 64, False),
        ("ghcr.io/octo/repo/cml-train:abc1234", True),
        ("me/cml-train:abc1234", True),
        ("localhost:5000/cml-train:abc1234", True),
    ],
    ids=["local-name", "local-digest", "ghcr", "docker-hub-user", "registry-with-port"],
)
def test_push_target_problem_flags_only_names_without_registry_or_namespace(image, pushable):
    """Only a bare `name:tag` (it would go to Docker Hub's official library/) is refused, naming the image."""
    problem = push_target_problem(image)

    assert (problem == "") is pushable
    if not pushable:
        assert image in problem and "INVOKE_DOCKER_NAMESPACE" in problem and "\n" not in problem


@pytest.mark.parametrize(
    ("task", "expected"),
    [
        (tasks.push_train, "docker push ghcr.io/octo/repo/cml-train:abc1234"),
        (tasks.push_infer, "docker push ghcr.io/octo/repo/cml-infer:abc1234"),
    ],
    ids=["train", "infer"],
)
def test_push_tasks_push_the_tag_the_build_tasks_give(fixed_sha, task, expected):
    """With CI's namespace the push names the image exactly as `invoke build-*` tagged it."""
    c = project_context()
    c.config.docker.namespace = "Octo/Repo"

    task(c)

    c.run.assert_called_once_with(expected, echo=True, pty=False)


def test_push_task_pushes_the_given_tag():
    """--tag pushes that image instead."""
    c = project_context()

    tasks.push_infer(c, tag="registry.example/team/cml-infer:v1")

    c.run.assert_called_once_with("docker push registry.example/team/cml-infer:v1", echo=True, pty=False)


def test_push_task_without_a_namespace_stops_before_pushing(fixed_sha):
    """With invoke.yaml's local names the push stops with exit 2 and one line, and runs nothing."""
    c = project_context()

    with pytest.raises(Exit) as stopped:
        tasks.push_train(c)

    assert stopped.value.code == 2
    assert stopped.value.message == push_target_problem("cml-train:abc1234")
    c.run.assert_not_called()


# The release image: `invoke build-infer --model [--release]` and `invoke push-release`.
COMMIT = "abc1234" + "0" * 33
IMAGE = "ghcr.io/octo/repo/cml-infer"
RELEASE_ENV = {"SOURCE_DATE_EPOCH": "1767225600", "GITHUB_REPOSITORY": "octo/repo", "GITHUB_SERVER_URL": ""}


@pytest.fixture
def release_facts(fixed_sha, monkeypatch):
    """The commit, build time and repository the release image's labels name, fixed."""
    monkeypatch.setattr(tasks, "git_commit", lambda: COMMIT)
    for name, value in RELEASE_ENV.items():
        monkeypatch.setenv(name, value)


def write_run(folder: Path, *, model_name: str = "model.pt") -> Path:
    """A run folder with a (stand-in) checkpoint and its metrics.json: a cnn on the digits, 99.44% on 360."""
    folder.mkdir(parents=True, exist_ok=True)
    model = folder / model_name
    model.write_bytes(b"not really a checkpoint")
    metrics = {"accuracy": 0.994444, "run": {"dataset": "digits", "model": "cnn"}}
    (folder / "metrics.json").write_text(json.dumps(metrics))
    return model


def write_release(folder: Path, model: Path, *, tag: str = "model-v3", commit: str = COMMIT) -> Path:
    """release.json as `invoke release` writes it: published, `tag` on `commit`, promoted."""
    folder.mkdir(parents=True, exist_ok=True)
    record = {
        "tag": tag,
        "commit": commit,
        "promoted": True,
        "status": "published",
        "model": str(model),
        "model_sha256": file_sha256(model),
        "image": {"tags": release_image_tags(tag, commit, promoted=True), "labels": {}},
    }
    (folder / "release.json").write_text(json.dumps(record))
    return folder


def release_labels(model: Path, version: str) -> str:
    """The --label flags build-infer gives the image of `model` (write_run's) as release `version`."""
    serving = "an unreleased model" if version == "unreleased" else version
    return (
        f" --label org.cnai.model.accuracy=0.994444 --label org.cnai.model.architecture=cnn"
        f" --label org.cnai.model.dataset=digits --label org.cnai.model.format=pytorch"
        f" --label org.cnai.model.sha256={file_sha256(model)} --label org.cnai.model.version={version}"
        f" --label org.opencontainers.image.created=2026-01-01T00:00:00Z"
        f" --label 'org.opencontainers.image.description=cml-infer serving {serving}: cnn on digits,"
        " test accuracy 99.44%'"
        f" --label org.opencontainers.image.revision={COMMIT}"
        " --label org.opencontainers.image.source=https://github.com/octo/repo"
        f" --label org.opencontainers.image.title=cml-infer --label org.opencontainers.image.version={version}"
    )


def test_build_infer_with_a_model_builds_it_in_labelled_as_unreleased(release_facts, tmp_path):
    """--model PATH (any file name): a copy named model.pt in a folder of its own replaces the `model` stage, and
    the labels come from the metrics.json beside it; without --release, version `unreleased`, one tag."""
    model = write_run(tmp_path / "run", model_name="best.pt")
    c = project_context()
    c.config.docker.namespace = "Octo/Repo"

    tasks.build_infer(c, model=str(model))

    context = tmp_path / "run" / ".model-context"
    c.run.assert_called_once_with(
        f"docker buildx build --file Dockerfile.infer --tag {IMAGE}:abc1234 --build-context model={context}"
        f"{release_labels(model, 'unreleased')} --load .",
        echo=True,
        pty=False,
    )
    assert sorted(path.name for path in context.iterdir()) == ["model.pt"]
    assert (context / "model.pt").read_bytes() == model.read_bytes()


def test_build_infer_with_a_release_tags_and_labels_it_as_that_release(release_facts, tmp_path):
    """--release DIR: the version label is release.json's tag, and its image tags are added to the commit's
    (each once)."""
    model = write_run(tmp_path / "artifacts")
    release = write_release(tmp_path / "release", model)
    c = project_context()
    c.config.docker.namespace = "Octo/Repo"

    tasks.build_infer(c, model=str(model), release=str(release))

    c.run.assert_called_once_with(
        f"docker buildx build --file Dockerfile.infer --tag {IMAGE}:abc1234 --tag {IMAGE}:model-v3"
        f" --tag {IMAGE}:latest --build-context model={tmp_path}/artifacts/.model-context"
        f"{release_labels(model, 'model-v3')} --load .",
        echo=True,
        pty=False,
    )


def test_build_infer_refuses_a_model_the_release_does_not_name(release_facts, tmp_path):
    """A --model whose sha256 is not release.json's stops with exit 2 and one line: no image labelled as a release
    it does not serve."""
    release = write_release(tmp_path / "release", write_run(tmp_path / "released"))
    other = write_run(tmp_path / "other")
    other.write_bytes(b"another checkpoint")
    c = project_context()

    with pytest.raises(Exit) as stopped:
        tasks.build_infer(c, model=str(other), release=str(release))

    assert stopped.value.code == 2 and "is not the model model-v3 releases" in stopped.value.message
    c.run.assert_not_called()


def test_dry_build_infer_with_model_and_release_prints_tags_and_labels(tmp_path):
    """`invoke --dry build-infer --model PATH --release DIR`, as the release job runs it, prints the one build with
    every tag and label, and copies nothing."""
    model = write_run(tmp_path / "artifacts")
    head, short = git_commit(cwd=str(ROOT)), git_short_sha(cwd=str(ROOT))
    release = write_release(tmp_path / "release", model, commit=head)

    done = run_invoke(
        "--dry",
        "build-infer",
        "--model",
        str(model),
        "--release",
        str(release),
        INVOKE_DOCKER_NAMESPACE="Octo/Repo",
        **RELEASE_ENV,
    )

    assert done.returncode == 0, done.stderr
    build = ANSI_COLOUR.sub("", done.stdout).splitlines()[-1]
    assert build == (
        f"docker buildx build --file Dockerfile.infer --tag {IMAGE}:{short} --tag {IMAGE}:model-v3"
        f" --tag {IMAGE}:latest --build-context model={tmp_path}/artifacts/.model-context"
        f"{release_labels(model, 'model-v3').replace(COMMIT, head)} --load ."
    )
    assert not (tmp_path / "artifacts" / ".model-context").exists()


def label_result(version: str) -> dict:
    """A MockContext `run` answering the version-label inspect with `version`; every other command succeeds."""
    return {re.compile(r"docker image inspect .*"): Result(stdout=f"{version}\n"), re.compile(r".*"): Result()}


def pushes(image: str, tags: list[str]) -> list:
    """The `docker tag` then `docker push` of `image` under each of `tags`, in order."""
    calls = []
    for tag in tags:
        calls += [
            call(f"docker tag {image} {IMAGE}:{tag}", echo=True, pty=False),
            call(f"docker push {IMAGE}:{tag}", echo=True, pty=False),
        ]
    return calls


def test_push_release_tags_and_pushes_the_verified_image_under_each_release_tag(release_facts, tmp_path):
    """The image built (and verified) here, labelled model-v3, is tagged model-v3, the short sha and latest and
    each pushed; nothing is rebuilt."""
    release = write_release(tmp_path / "release", write_run(tmp_path / "artifacts"))
    c = project_context(label_result("model-v3"), repeat=True)
    c.config.docker.namespace = "Octo/Repo"

    tasks.push_release(c, release=str(release))

    inspect = image_label_command(f"{IMAGE}:abc1234", "org.opencontainers.image.version")
    assert c.run.call_args_list == [
        call(inspect, echo=True, hide=True, warn=True, pty=False),
        *pushes(f"{IMAGE}:abc1234", ["model-v3", "abc1234", "latest"]),
    ]


def test_push_release_rebuilds_with_the_right_labels_when_the_release_took_another_number(
    release_facts, tmp_path, capsys
):
    """Built as model-v3, released as model-v4 (a merge took 3 meanwhile): rebuild with model-v4's labels, say
    so, then tag and push."""
    model = write_run(tmp_path / "artifacts")
    release = write_release(tmp_path / "release", model, tag="model-v4")
    c = project_context(label_result("model-v3"), repeat=True)
    c.config.docker.namespace = "Octo/Repo"

    tasks.push_release(c, release=str(release))

    commands = [entry.args[0] for entry in c.run.call_args_list]
    assert commands[1:3] == [
        buildx_version_command(),
        f"docker buildx build --file Dockerfile.infer --tag {IMAGE}:abc1234 --tag {IMAGE}:model-v4"
        f" --tag {IMAGE}:latest --build-context model={tmp_path}/artifacts/.model-context"
        f"{release_labels(model, 'model-v4')} --load .",
    ]
    assert c.run.call_args_list[3:] == pushes(f"{IMAGE}:abc1234", ["model-v4", "abc1234", "latest"])
    assert "labelled model-v3, the release is model-v4: rebuilding" in capsys.readouterr().out


@pytest.mark.parametrize(
    ("status", "said"),
    [
        ("already released", "already released as model-v3: nothing new released, so nothing pushed"),
        ("unchanged", "unchanged as model-v3: nothing new released, so nothing pushed"),
        ("dry", "model-v3 is dry, not published: nothing pushed"),
    ],
    ids=["already-released", "unchanged", "dry"],
)
def test_push_release_pushes_nothing_when_nothing_was_released(fixed_sha, tmp_path, capsys, status, said):
    """A release.json that says nothing new was published: one line saying so, no docker command at all."""
    record = {"tag": "model-v3", "commit": COMMIT, "status": status}
    if status == "dry":  # a rehearsal writes the whole record, image tags included
        record |= {"model": "artifacts/model.pt", "image": {"tags": ["model-v3", "abc1234"]}}
    (tmp_path / "release.json").write_text(json.dumps(record))
    c = project_context()
    c.config.docker.namespace = "Octo/Repo"

    tasks.push_release(c, release=str(tmp_path))

    c.run.assert_not_called()
    assert capsys.readouterr().out == f"push-release: {said}\n"


def test_push_release_without_a_release_record_is_one_line_naming_it(tmp_path):
    """No release.json in the folder: exit 2 with the file's path, nothing run."""
    c = project_context()

    with pytest.raises(Exit) as stopped:
        tasks.push_release(c, release=str(tmp_path))

    assert stopped.value.code == 2
    assert (
        stopped.value.message
        == f"invoke push-release: {tmp_path}/release.json: no such file (`invoke release` writes it)"
    )
    c.run.assert_not_called()


def test_push_release_stops_when_the_image_was_never_built(fixed_sha, tmp_path):
    """No local image to push: the one-line message naming the build to run, exit 2, no tag or push."""
    release = write_release(tmp_path / "release", write_run(tmp_path / "artifacts"))
    c = project_context(Result(exited=1, stderr="Error: No such image"))
    c.config.docker.namespace = "Octo/Repo"

    with pytest.raises(Exit) as stopped:
        tasks.push_release(c, release=str(release))

    assert stopped.value.code == 2
    assert stopped.value.message.startswith(f"Image {IMAGE}:abc1234 is not in the local Docker engine")
    assert "invoke build-infer --model" in stopped.value.message


def run_invoke(*args: str, **env_vars: str) -> subprocess.CompletedProcess[str]:
    """`invoke ARGS` in the repository (plus `env_vars`), with docker pointed at an engine that cannot exist."""
    env = {**os.environ, **env_vars, "DOCKER_HOST": "unix:///nonexistent/docker.sock"}
    return subprocess.run(
        [sys.executable, "-m", "invoke", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=60
    )


def test_dry_build_prints_the_check_and_the_build_without_an_engine():
    """`invoke --dry build-train` prints both commands and succeeds with no engine to answer."""
    tag = f"cml-train:{git_short_sha(cwd=str(ROOT))}"

    done = run_invoke("--dry", "build-train")

    assert done.returncode == 0, done.stderr
    assert ANSI_COLOUR.sub("", done.stdout).splitlines() == [
        docker_info_command(),
        buildx_version_command(),
        f"docker buildx build --file Dockerfile.train --tag {tag} --load .",
    ]


def test_dry_run_infer_needs_neither_engine_nor_training_image():
    """`invoke --dry run-infer` prints the engine check, the image check and the run of the inference image only."""
    tag = f"cml-infer:{git_short_sha(cwd=str(ROOT))}"

    done = run_invoke("--dry", "run-infer")

    lines = ANSI_COLOUR.sub("", done.stdout).splitlines()
    assert done.returncode == 0, done.stderr
    assert lines[:2] == [docker_info_command(), f"docker image inspect --format '{{{{.Id}}}}' {tag}"]
    assert lines[2].startswith("docker run ") and f" {tag} " in lines[2] and "cml-train" not in done.stdout


def test_dry_push_prints_the_check_and_the_push_of_the_ci_image():
    """`invoke --dry push-infer`, as the publish job runs it, pushes ghcr.io/<owner/repo>/cml-infer:<sha>."""
    tag = f"ghcr.io/octo/repo/cml-infer:{git_short_sha(cwd=str(ROOT))}"

    done = run_invoke("--dry", "push-infer", INVOKE_DOCKER_NAMESPACE="Octo/Repo")

    assert done.returncode == 0, done.stderr
    assert ANSI_COLOUR.sub("", done.stdout).splitlines() == [docker_info_command(), f"docker push {tag}"]


def test_build_without_an_engine_stops_before_building():
    """`invoke build-infer` with no engine exits 1 with the one-line message and never starts a build."""
    done = run_invoke("build-infer")

    assert done.returncode == 1
    assert "No Docker engine answers `docker info`" in done.stderr
    assert "Traceback" not in done.stderr
    assert "buildx" not in done.stdout


def test_default_smoke_inputs_are_the_digits_their_names_say(trained_checkpoint, tmp_path):
    """samples/digits (run-infer's default input) are read as the digits in their file names by a trained model."""
    output = tmp_path / "preds.json"

    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "inference",
            "--model",
            str(trained_checkpoint / "model.pt"),
            "--input",
            str(ROOT / "samples" / "digits"),
            "--output",
            str(output),
        ],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )

    assert done.returncode == 0, done.stderr
    rows = json.loads(output.read_text())
    assert len(rows) == 10
    for row in rows:
        assert row["prediction"] == Path(row["input"]).stem.removeprefix("digit-"), row
