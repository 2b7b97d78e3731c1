"""Commands for the two container images: check that an engine answers, build, run, push.

The builders are pure (strings in, a shell command out); the tasks gather the
inputs (paths, the git commit, the user id) and run the commands.
"""

from __future__ import annotations

import csv
import io
import shlex
import subprocess
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import PurePath

# Where the images expect their mounts (see Dockerfile.train and Dockerfile.infer).
ARTIFACTS_IN_IMAGE = "/artifacts"
INPUTS_IN_IMAGE = "/inputs"
OUTPUT_IN_IMAGE = "/output"

# Tag for images built outside a git checkout (e.g. from a source tarball).
UNVERSIONED_TAG = "local"

# Loads torchvision's compiled ops: a torchvision built for another torch fails here ("operator
# torchvision::nms does not exist") while `pip check` passes it. Dockerfile.train runs it at
# build time, `invoke run-train` in the built image (training on the digits never imports torchvision).
TORCHVISION_CHECK = "import torch, torchvision; torchvision.ops.nms(torch.zeros(1, 4), torch.ones(1), 0.5)"


def docker_info_command() -> str:
    """`docker info`: exits non-zero when the CLI cannot reach a Docker engine."""
    return shlex.join(["docker", "info", "--format", "{{.ServerVersion}}"])


def engine_unreachable_message(detail: str) -> str:
    """The one-line error the docker tasks stop with when `docker info` fails."""
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    reason = f" ({lines[-1]})" if lines else ""
    return f"No Docker engine answers `docker info`{reason}. Start Docker (or set DOCKER_HOST) and retry."


def buildx_version_command() -> str:
    """`docker buildx version`: fails when the buildx plugin, which the build tasks use, is missing."""
    return shlex.join(["docker", "buildx", "version"])


def buildx_missing_message(detail: str) -> str:
    """The one-line error the build tasks stop with when `docker buildx version` fails.

    Without the plugin, docker reads `buildx build --file ...` as the legacy `docker build` and
    answers `unknown flag: --file` with its usage: say what is missing instead.
    """
    lines = [line.strip() for line in detail.splitlines() if line.strip()]
    reason = f" ({lines[0]})" if lines else ""
    return (
        f"The docker buildx plugin is missing: `docker buildx version` failed{reason}. Install it: the "
        "docker-buildx package (Debian/Ubuntu docker.io) or docker-buildx-plugin (Docker's own packages), "
        "or see https://github.com/docker/buildx#installing"
    )


def image_inspect_command(image: str) -> str:
    """`docker image inspect`: fails when `image` is not in the local engine."""
    return shlex.join(["docker", "image", "inspect", "--format", "{{.Id}}", image])


def image_missing_message(image: str, build_task: str) -> str:
    """The one-line error the run tasks stop with rather than let `docker run` pull from Docker Hub."""
    return f"Image {image} is not in the local Docker engine: build it first with `invoke {build_task}` (or pass --tag)"


def git_short_sha(cwd: str | None = None) -> str:
    """The checkout's short commit hash, or `local` outside a git checkout (the default image tag)."""
    try:
        result = subprocess.run(
            ["git", "rev-parse", "--short", "HEAD"], cwd=cwd, capture_output=True, text=True, check=False
        )
    except OSError:  # no git at all
        return UNVERSIONED_TAG
    sha = result.stdout.strip()
    return sha if result.returncode == 0 and sha else UNVERSIONED_TAG


def git_commit(cwd: str | None = None) -> str:
    """The checkout's full commit hash (an image's `revision` label), or "" outside a git checkout."""
    try:
        result = subprocess.run(["git", "rev-parse", "HEAD"], cwd=cwd, capture_output=True, text=True, check=False)
    except OSError:  # no git at all
        return ""
    return result.stdout.strip() if result.returncode == 0 else ""


def image_ref(*, registry: str, namespace: str, name: str, tag: str) -> str:
    """`registry/namespace/name:tag`; with no namespace the image is local only: `name:tag`.

    Registries want lowercase repository names, and GitHub owners may have capitals.
    """
    parts = [registry, namespace, name] if namespace else [name]
    repository = "/".join(part.strip("/") for part in parts if part).lower()
    return f"{repository}:{tag}"


def build_command(
    *,
    dockerfile: str,
    image: str,
    context: str = ".",
    platform: str = "",
    push: bool = False,
    cache_from: str = "",
    cache_to: str = "",
    build_args: Mapping[str, str] | None = None,
    extra_tags: Iterable[str] = (),
    build_contexts: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
) -> str:
    """`docker buildx build` of one Dockerfile.

    Without `push` the image is loaded into the local engine (`--load`) so it can be
    run next; buildx's container driver, which CI uses for the GitHub Actions cache,
    would otherwise keep it in its build cache only.

    `extra_tags` name the same image again (`--tag` each); `build_contexts` ({name: folder}) replace the
    Dockerfile's stage of that name (`--build-context name=path`: Dockerfile.infer's `model`); `labels` are set
    on the image (`--label key=value`, in key order so the command reads the same every time).
    """
    args = ["docker", "buildx", "build", "--file", dockerfile, "--tag", image]
    for extra in extra_tags:
        args += ["--tag", extra]
    if platform:
        args += ["--platform", platform]
    for name, path in (build_contexts or {}).items():
        args += ["--build-context", f"{name}={path}"]
    for key, value in (build_args or {}).items():
        args += ["--build-arg", f"{key}={value}"]
    for key, value in sorted((labels or {}).items()):
        args += ["--label", f"{key}={value}"]
    if cache_from:
        args += ["--cache-from", cache_from]
    if cache_to:
        args += ["--cache-to", cache_to]
    args.append("--push" if push else "--load")
    args.append(context)
    return shlex.join(args)


def push_command(image: str) -> str:
    """`docker push` of an image already in the local engine: exactly the one that was built and run.

    Pushing what `invoke run-*` just ran, rather than building again with `--push`, means the
    registry gets the image that passed its smoke run, not one that should be the same.
    """
    return shlex.join(["docker", "push", image])


def tag_command(source: str, target: str) -> str:
    """`docker tag`: one more name for an image already in the local engine (nothing is built or pulled)."""
    return shlex.join(["docker", "tag", source, target])


def retag_remote_command(source_ref: str, target_ref: str) -> str:
    """Point the registry tag `target_ref` at the image `source_ref` already names there: no rebuild, no pull.

    `docker buildx imagetools create` works registry-side: the moved tag serves the very image that was pushed
    (same layers, config and labels). For a single-platform image it writes a one-entry manifest list, so
    `latest` gets a digest of its own whose one entry is the release's manifest (checked on buildx 0.13.1).
    """
    return shlex.join(["docker", "buildx", "imagetools", "create", "--tag", target_ref, source_ref])


def image_label_command(image: str, label: str) -> str:
    """`docker image inspect` printing one label of a local image (docker prints `<no value>` when it is unset)."""
    return shlex.join(["docker", "image", "inspect", "--format", f'{{{{ index .Config.Labels "{label}" }}}}', image])


def push_target_problem(image: str) -> str:
    """Why `image` cannot be pushed as it is named, or "" when it can.

    A name with no registry or namespace (`cml-train:abc1234`) would go to Docker Hub's
    `library/`, which holds only official images: say so before trying.
    """
    if "/" not in image.split("@", 1)[0]:  # a tag never holds "/": any "/" is in the name
        return (
            f"cannot push {image}: a name without registry or namespace. Build and push with "
            "INVOKE_DOCKER_NAMESPACE=owner/repo (<registry>/owner/repo/<name>:<sha>), or pass --tag"
        )
    return ""


@dataclass(frozen=True)
class Mount:
    """A bind mount. `--mount` (unlike `-v`) fails when the host path is missing instead of creating it."""

    source: str
    target: str
    readonly: bool = False

    def option(self) -> str:
        """The `--mount` value: CSV, as docker parses it, so a comma in a path stays in the path."""
        fields = ["type=bind", f"source={self.source}", f"target={self.target}"]
        if self.readonly:
            fields.append("readonly")
        line = io.StringIO()
        csv.writer(line, lineterminator="").writerow(fields)
        return line.getvalue()


def run_command(
    *, image: str, args: Iterable[str] = (), mounts: Iterable[Mount] = (), user: str = "", entrypoint: str = ""
) -> str:
    """`docker run --rm` without network, on a read-only root file system with a fresh /tmp: the smoke
    runs prove the images need no downloads and write nothing but their mounts and /tmp.

    `user` ("uid:gid") makes files written to the mounts belong to the caller, not the image's user.
    """
    command = ["docker", "run", "--rm", "--network", "none", "--read-only", "--tmpfs", "/tmp"]  # noqa: S108 (in the container)
    if user:
        command += ["--user", user]
    if entrypoint:
        command += ["--entrypoint", entrypoint]
    for mount in mounts:
        command += ["--mount", mount.option()]
    command += [image, *args]
    return shlex.join(command)


def run_train_command(*, image: str, out_dir: str, epochs: int = 0, user: str = "") -> str:
    """Check that torchvision loads in the image, then train in it, writing the artifacts to `out_dir`
    (an absolute host path).

    `epochs=0` leaves the dataset's default to the training code.
    """
    args = ["--out", ARTIFACTS_IN_IMAGE]
    if epochs:
        args += ["--epochs", str(epochs)]
    mounts = [Mount(out_dir, ARTIFACTS_IN_IMAGE)]
    check = run_command(image=image, args=["-c", TORCHVISION_CHECK], entrypoint="python")
    return f"{check} && {run_command(image=image, args=args, mounts=mounts, user=user)}"


def run_infer_command(*, image: str, model: str, inputs: str, output: str = "", user: str = "") -> str:
    """Predict in the container: `model` and `inputs` (absolute host paths) mounted read-only.

    With `output` (an absolute host file) its folder is mounted writable and the
    predictions are written there; otherwise they are only printed.
    """
    model_path = PurePath(model)
    inputs_path = PurePath(inputs)
    model_in_image = f"{ARTIFACTS_IN_IMAGE}/{model_path.name}"
    inputs_in_image = f"{INPUTS_IN_IMAGE}/{inputs_path.name}"
    mounts = [Mount(model, model_in_image, readonly=True), Mount(inputs, inputs_in_image, readonly=True)]
    args = ["--model", model_in_image, "--input", inputs_in_image]
    if output:
        output_path = PurePath(output)
        mounts.append(Mount(str(output_path.parent), OUTPUT_IN_IMAGE))
        args += ["--output", f"{OUTPUT_IN_IMAGE}/{output_path.name}"]
    return run_command(image=image, args=args, mounts=mounts, user=user)
