"""invoke tasks: each builds one command (see `commands/`) and runs it, echoed.

`invoke --list` shows them; `invoke --dry TASK` prints the commands without running.
No torch import here, so listing stays instant.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import sys
import tempfile
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path

from invoke import Context, Exit, UnexpectedExit

from commands.bench import bench_commands
from commands.checks import lint_commands, test_command
from commands.comment import comment_command, publish_problem
from commands.data import NOTHING_TRACKED, dvc_tracking_files, gcs_key_to_write, pull_command
from commands.docker import (
    build_command,
    buildx_missing_message,
    buildx_version_command,
    docker_info_command,
    engine_unreachable_message,
    git_commit,
    git_short_sha,
    image_inspect_command,
    image_label_command,
    image_missing_message,
    image_ref,
    push_command,
    push_target_problem,
    retag_remote_command,
    run_infer_command,
    run_train_command,
    tag_command,
)
from commands.flags import float_flag, int_flag
from commands.history import dashboard_command, history_command
from commands.lock import lock_command
from commands.predict import default_model, predict_command
from commands.release import image_repository, production_command, promote_command, release_command
from commands.report import baseline_command, report_command
from commands.samples import sample_model_command
from commands.train import EXIT_RETRAIN, reuse_check_command, torchrun_env, train_command
from commands.typed_tasks import adapt_invoke, task
from commands.verify import verify_command
from delivery.image import (
    NOT_PUBLISHED,
    NOTHING_NEW,
    RECORD_NAME,
    UNRELEASED,
    VERSION_LABEL,
    file_sha256,
    image_labels,
    read_release_record,
)

# The interpreter invoke runs under: `venv/bin/invoke train` trains with the venv's packages
# even when the venv is not activated (a bare `python` would be whatever PATH finds first).
PYTHON = sys.executable

adapt_invoke()  # typed flags and INVOKE_* settings in --help and errors (see commands.typed_tasks)


@contextlib.contextmanager
def usage_errors(task_name: str) -> Iterator[None]:
    """A ValueError inside (from a flag, a setting or a command builder) stops the task: exit 2, one line."""
    try:
        yield
    except ValueError as exc:
        raise Exit(f"invoke {task_name}: {exc}", code=2) from None


def run_checked(c: Context, task_name: str, build: Callable[[], str]) -> None:
    """Build a command and run it, echoed; a ValueError from the builder is a bad flag: exit 2 with its message."""
    with usage_errors(task_name):
        command = build()
    c.run(command, echo=True, pty=False)


# No invoke.yaml default for --remote: DVC's own config names the default remote (`dvc remote default NAME`).
@task(help={"remote": "DVC remote to pull from (default: the one the repository's DVC config names)"})
def data(c: Context, remote: str = "") -> None:
    """Fetch the datasets this repository versions with DVC (`dvc pull`); one line and nothing else without DVC."""
    tracking = dvc_tracking_files(Path(__file__).parent)
    try:
        command = pull_command(tracking_files=tracking, remote=remote, dvc=shutil.which("dvc"))
    except ValueError as exc:
        raise Exit(f"invoke data: {exc}", code=2) from None
    if not command:
        print(f"invoke data: {NOTHING_TRACKED}", flush=True)
        return
    key = gcs_key_to_write(os.environ)
    # A Google Cloud key from a CI secret goes into a file in a folder only this user may read (mode 0700),
    # deleted straight after the pull.
    with tempfile.TemporaryDirectory() as folder:
        env = {}
        if key:
            env["GOOGLE_APPLICATION_CREDENTIALS"] = str(Path(folder) / "gcs-key.json")
            Path(env["GOOGLE_APPLICATION_CREDENTIALS"]).write_text(key)
        c.run(command, echo=True, pty=False, env=env)


@task(
    help={
        "epochs": "training epochs (default: the dataset's own default)",
        "seed": "random seed; the same seed and thread count give identical weights",
        "split_seed": "seed of the train/val/test split, kept fixed so runs are tested on the same samples "
        "(default from invoke.yaml)",
        "dataset": "digits (bundled, no download) | mnist | fashion-mnist | cifar10 | folder:PATH",
        "model": "cnn | resnet18 | module:function, your own factory (default from invoke.yaml: cnn)",
        "artifacts": "artifact directory to write (default from invoke.yaml: artifacts/)",
        "lr": "peak learning rate (default from invoke.yaml; null: the training code's, 3e-3)",
        "batch_size": "images per optimiser step (default from invoke.yaml; null: the training code's, 64)",
        "image_size": "side folder images are resized to (default from invoke.yaml; null: the training code's, 28)",
        "threads": "torch CPU threads per process (default from invoke.yaml; null or 0: picked for the image size)",
        "device": "auto | cpu | cuda (default from invoke.yaml: auto, CUDA when there is a GPU)",
        "nproc": "processes per node; more than 1 runs torchrun with DistributedDataParallel (default: 1)",
        "nnodes": "machines in a multi-node run; run the same task on each (default: 1)",
        "node_rank": "this machine's rank, 0 .. nnodes-1 (multi-node only)",
        "rdzv_endpoint": "HOST:PORT of node 0, where the nodes meet (multi-node only)",
        "reuse": "auto: take the baseline's run (the folder of baseline.out) instead of training when nothing "
        "training reads changed since it; never: always train (default from invoke.yaml: never; CI: auto)",
    },
)
def train(
    c: Context,
    epochs: int | None = None,
    seed: int | None = None,
    dataset: str = "",
    model: str = "",
    artifacts: str = "",
    lr: float | None = None,
    batch_size: int | None = None,
    image_size: int | None = None,
    threads: int | None = None,
    device: str = "",
    split_seed: int | None = None,
    nproc: int | None = None,
    nnodes: int | None = None,
    node_rank: int | None = None,
    rdzv_endpoint: str = "",
    reuse: str = "",
) -> None:
    """Train on the dataset and write the artifacts (model.pt, metrics.json, report files)."""
    cfg = c.config
    with usage_errors("train"):
        processes = int_flag("nproc", nproc, cfg, "train.nproc")
        nodes = int_flag("nnodes", nnodes, cfg, "train.nnodes")
        thread_count = int_flag("threads", threads, cfg, "train.threads")
        train_options = dict(
            dataset=dataset or cfg.train.dataset,
            seed=int_flag("seed", seed, cfg, "train.seed"),
            out=artifacts or cfg.artifacts,
            epochs=int_flag("epochs", epochs, cfg, "train.epochs"),
            split_seed=int_flag("split-seed", split_seed, cfg, "train.split_seed"),
            lr=float_flag("lr", lr, cfg, "train.lr"),
            batch_size=int_flag("batch-size", batch_size, cfg, "train.batch_size"),
            image_size=int_flag("image-size", image_size, cfg, "train.image_size"),
            threads=thread_count,
            device=device or cfg.train.device,
            model=model or cfg.train.model,
            nproc=processes,
            nnodes=nodes,
            node_rank=int_flag("node-rank", node_rank, cfg, "train.node_rank"),
            rdzv_endpoint=rdzv_endpoint or cfg.train.rdzv_endpoint,
            python=PYTHON,
        )
        command = train_command(**train_options)
        check = reuse_check_command(
            mode=reuse or cfg.train.reuse,
            baseline_out=cfg.baseline.out,
            train_options=train_options,
            world_size=processes * nodes,
        )
    if check:
        # Exit 0: the baseline's run was taken as this one; EXIT_RETRAIN: it said what differs, so train.
        done = c.run(check, echo=True, pty=False, warn=True)
        if done is not None and done.ok:
            return
        if done is not None and done.exited != EXIT_RETRAIN:
            raise Exit(f"invoke train: the reuse check failed (exit code {done.exited})", code=done.exited)
    env = torchrun_env(
        nproc=processes, nnodes=nodes, threads=thread_count, cpus=os.cpu_count() or 1, inherited=os.environ
    )
    # A terminal gets a pty, so training sees one and shows its progress bar; logs get plain lines.
    c.run(command, echo=True, pty=sys.stdout.isatty(), env=env)


@task(
    help={
        "input": "an image, a folder of images, or a .npy array (N, H, W) or (N, C, H, W) (required)",
        "model": "checkpoint (default from invoke.yaml; empty: <artifacts>/model.pt)",
        "output": "also write the predictions to this .csv or .json file",
        "batch_size": "images per forward pass (default from invoke.yaml)",
        "top_k": "also list the K-1 most likely other labels (default from invoke.yaml: 1)",
        "recursive": "include images in sub-folders of --input",
    }
)
def predict(
    c: Context,
    # A default, so --input is a flag: without one invoke makes it positional, and `invoke predict --help`
    # would predict on a file called --help.
    input: str = "",
    model: str = "",
    output: str = "",
    batch_size: int | None = None,
    top_k: int | None = None,
    recursive: bool = False,
) -> None:
    """Predict labels for an image, a folder of images or a .npy array with the trained model."""
    cfg = c.config
    run_checked(
        c,
        "predict",
        lambda: predict_command(
            input_path=input,
            model=model or cfg.predict.model or default_model(cfg.artifacts),
            output=output,
            batch_size=int_flag("batch-size", batch_size, cfg, "predict.batch_size"),
            top_k=int_flag("top-k", top_k, cfg, "predict.top_k"),
            recursive=recursive,
            python=PYTHON,
        ),
    )


@task(
    help={
        "artifacts": "artifact directory holding metrics.json; report.md goes there (default from invoke.yaml)",
        "baseline": "the base branch's metrics.json, which must exist (default: invoke.yaml's baseline.out "
        "when that file exists, else no baseline)",
        "min_accuracy": "gate: fail below this test accuracy, e.g. 0.95 (default from invoke.yaml; 0 turns it off)",
        "max_drop": "gate: fail when accuracy fell more than this vs the baseline, 0.01 = 1 point, and the fall "
        "is significant (default from invoke.yaml; 1 turns it off)",
        "alpha": "gate: significance level of the paired test for --max-drop (default from invoke.yaml: 0.05)",
        "allow_interrupted": "gate: accept an interrupted training run (default from invoke.yaml: fail it)",
        "max_drift": "gate: fail when accuracy is more than this below one of the history's recent releases, and "
        "significantly so (default from invoke.yaml: report.max_drift; 1 turns it off)",
    }
)
def report(
    c: Context,
    artifacts: str = "",
    baseline: str = "",
    min_accuracy: float | None = None,
    max_drop: float | None = None,
    alpha: float | None = None,
    allow_interrupted: bool = False,
    max_drift: float | None = None,
) -> None:
    """Write <artifacts>/report.md, compared with the baseline, and apply the quality gate (exit 3 when it fails)."""
    cfg = c.config
    run_checked(
        c,
        "report",
        lambda: report_command(
            artifacts=artifacts or cfg.artifacts,
            title=cfg.report.title,
            baseline=baseline,
            baseline_if_exists="" if baseline else cfg.baseline.out,
            min_accuracy=float_flag("min-accuracy", min_accuracy, cfg, "report.min_accuracy"),
            max_drop=float_flag("max-drop", max_drop, cfg, "report.max_drop"),
            alpha=float_flag("alpha", alpha, cfg, "report.alpha"),
            allow_interrupted=allow_interrupted or cfg.report.allow_interrupted,
            production_if_exists=cfg.production.out,
            release_max_drop=float_flag("max-drop", None, cfg, "release.max_drop"),
            history_if_exists=cfg.history.out,
            max_drift=float_flag("max-drift", max_drift, cfg, "report.max_drift"),
            drift_window=int_flag("drift-window", None, cfg, "report.drift_window"),
            python=PYTHON,
        ),
    )


@task(
    help={
        "ref": "git ref to compare with (default from invoke.yaml: origin/main)",
        "out": "where to write its metrics.json (default from invoke.yaml: baseline/metrics.json)",
        "source": "github (the base branch's CML run artifact) | train (retrain REF) | auto (github when a token "
        "is set, else or on no usable artifact train) (default from invoke.yaml: auto)",
        "epochs": "retrain with these epochs instead of REF's own invoke.yaml setting (the report says so)",
        "seed": "retrain with this seed instead of REF's own",
        "dataset": "retrain on this dataset instead of REF's own",
    }
)
def baseline(
    c: Context,
    ref: str = "",
    out: str = "",
    source: str = "",
    epochs: int | None = None,
    seed: int | None = None,
    dataset: str = "",
) -> None:
    """The base branch's metrics.json: from its last CML run on GitHub, or REF retrained with its own config."""
    cfg = c.config
    run_checked(
        c,
        "baseline",
        lambda: baseline_command(
            ref=ref or cfg.baseline.ref,
            out=out or cfg.baseline.out,
            source=source or cfg.baseline.source,
            workflow=cfg.baseline.workflow,
            artifact=cfg.baseline.artifact,
            # Never train.*: the ref trains with its own invoke.yaml, unless baseline.* or a flag overrides it.
            dataset=dataset or cfg.baseline.dataset,
            seed=int_flag("seed", seed, cfg, "baseline.seed"),
            epochs=int_flag("epochs", epochs, cfg, "baseline.epochs"),
            python=PYTHON,
        ),
    )


@task(
    help={
        "report": "markdown report to publish (default: <artifacts>/report.md)",
        "title": "report title; one comment is kept per title and target (default from invoke.yaml: report.title)",
        "target": "pr/NUMBER or commit/SHA (default: the PR of a pull_request event, else the commit GITHUB_SHA)",
        "strict": "fail when the token may not write comments (default from invoke.yaml: warn and exit 0)",
    }
)
def comment(c: Context, report: str = "", title: str = "", target: str = "", strict: bool = False) -> None:
    """Publish the report as one sticky PR comment (a commit comment on push) and in the job summary."""
    cfg = c.config
    c.run(
        comment_command(
            report=report or os.path.join(cfg.artifacts, "report.md"),
            title=title or cfg.report.title,
            target=target,
            strict=strict or cfg.comment.strict,
            python=PYTHON,
        ),
        echo=True,
        pty=False,
    )


@task(
    help={
        "artifacts": "the run to release: model.pt, metrics.json, predictions.csv (default from invoke.yaml)",
        "out": "the bundle folder: the assets, notes.md, release.json (default from invoke.yaml: release)",
        "plan": "look up the next tag and the promotion decision and write the bundle; publish nothing",
        "dry": "publish nothing: write the bundle and say what would be published (also without a token)",
        "max_drop": "promotion: largest drop vs production that is still promoted when significant "
        "(default from invoke.yaml: release.max_drop)",
        "alpha": "promotion: significance level of the paired test (default from invoke.yaml: report.alpha)",
    }
)
def release(
    c: Context,
    artifacts: str = "",
    out: str = "",
    plan: bool = False,
    dry: bool = False,
    max_drop: float | None = None,
    alpha: float | None = None,
) -> None:
    """Publish the run as GitHub release model-v<N>, production unless worse than production (docs/releases.md)."""
    cfg = c.config
    run_checked(
        c,
        "release",
        lambda: release_command(
            python=PYTHON,
            artifacts=artifacts or cfg.artifacts,
            out=out or cfg.release.out,
            image=image_repository(
                registry=cfg.docker.registry, namespace=cfg.docker.namespace, name=cfg.docker.infer_image
            ),
            max_drop=float_flag("max-drop", max_drop, cfg, "release.max_drop"),
            alpha=float_flag("alpha", alpha, cfg, "report.alpha"),
            plan=plan,
            dry=dry,
        ),
    )


@task(help={"out": "where to save them (default from invoke.yaml: production.out)"})
def production(c: Context, out: str = "") -> None:
    """The production release's metrics.json and predictions.csv, for the report's "Production:" line."""
    c.run(production_command(python=PYTHON, out=out or c.config.production.out), echo=True, pty=False)


@task(
    help={
        "release": "the release tag to make production again, model-v<N>",
        "dry": "say what would move; move nothing",
    }
)
def promote(c: Context, release: str = "", dry: bool = False) -> None:
    """Rollback without retraining: release model-v<N> becomes production, and its image the `latest` tag."""
    cfg = c.config.docker
    with usage_errors("promote"):
        if not release:
            raise ValueError("--release is required, e.g. --release model-v6")
        command = promote_command(python=PYTHON, release=release, dry=dry)
    c.run(command, echo=True, pty=False)
    if not dry:
        repository = image_repository(registry=cfg.registry, namespace=cfg.namespace, name=cfg.infer_image)
        # The image that release was pushed as, unchanged: only the tag moves (no rebuild, no pull).
        c.run(retag_remote_command(f"{repository}:{release}", f"{repository}:latest"), echo=True, pty=False)


@task(
    help={
        "artifacts": "the run: metrics.json and predictions.csv (default from invoke.yaml)",
        "model": "checkpoint to serve with python -m inference (default: ARTIFACTS/model.pt)",
        "tag": "serve with this inference image instead (its baked-in model; the samples mounted at /inputs)",
        "in_image": "serve with the image `invoke build-infer` built for this commit (name:short sha)",
    }
)
def verify_infer(c: Context, artifacts: str = "", model: str = "", tag: str = "", in_image: bool = False) -> None:
    """Serving matches training: predict the run's test split through inference, compare with predictions.csv."""
    cfg = c.config
    run_checked(
        c,
        "verify-infer",
        lambda: verify_command(
            python=PYTHON,
            artifacts=artifacts or cfg.artifacts,
            model=model,
            tag=tag or (_image(c, cfg.docker.infer_image, "") if in_image else ""),
        ),
    )


@task(
    help={
        "from_": "build it from this folder of run artifact folders (one per run, as `invoke train --artifacts` "
        "writes them), ordered by when they were trained: no token needed (default: the GitHub releases)",
        "out": "the history folder (default from invoke.yaml: history.out)",
        "releases": "how many of the last releases (or runs) to keep (default from invoke.yaml: history.releases)",
    }
)
def history(c: Context, from_: str = "", out: str = "", releases: int | None = None) -> None:
    """Fetch main's last releases' metrics and predictions into history/ (for the report's history and drift rule)."""
    cfg = c.config
    run_checked(
        c,
        "history",
        lambda: history_command(
            out=out or cfg.history.out,
            releases=int_flag("releases", releases, cfg, "history.releases"),
            source=from_,
            python=PYTHON,
        ),
    )


@task(
    help={
        "history": "the history folder to draw (default from invoke.yaml: history.out)",
        "out": "where the page goes (default from invoke.yaml: history.site)",
    }
)
def dashboard(c: Context, history: str = "", out: str = "") -> None:
    """Write the history's static page (site/index.html): accuracy, per-class F1, training time, the releases."""
    cfg = c.config
    c.run(
        dashboard_command(history=history or cfg.history.out, out=out or cfg.history.site, python=PYTHON),
        echo=True,
        pty=False,
    )


@task(help={"quick": "leave out tests marked slow", "pytest_args": "extra arguments passed to pytest"})
def test(c: Context, quick: bool = False, pytest_args: str = "") -> None:
    """Run the test suite."""
    c.run(test_command(quick=quick, pytest_args=pytest_args, python=PYTHON), echo=True, pty=False)


@task(
    help={
        "runs": "timed runs of each training command, alternating (default from invoke.yaml: 5)",
        "out": "scratch directory (default from invoke.yaml: .bench)",
        "case": "digits (training and inference), folder (the folder cache on a generated RGB folder), all (both), "
        "setup (the README's install line, pip against uv, cold and warm), or pr-loop (the CML report job against "
        "a fake GitHub: a docs-only PR against a code change, reuse auto) (default from invoke.yaml: all)",
        "folder-images": "PNGs in the folder case's generated folder (default from invoke.yaml: 20000)",
    }
)
def bench(c: Context, runs: int | None = None, out: str = "", case: str = "", folder_images: int | None = None) -> None:
    """Time training against a bare script and inference against a bare loop (or the set-up, or the PR loop)."""
    with usage_errors("bench"):
        commands = bench_commands(
            runs=int_flag("runs", runs, c.config, "bench.runs"),
            out=out or c.config.bench.out,
            python=PYTHON,
            case=case or c.config.bench.case,
            folder_images=int_flag("folder-images", folder_images, c.config, "bench.folder_images"),
        )
    for command in commands:
        c.run(command, echo=True, pty=False)


@task
def lint(c: Context) -> None:
    """Run every linter (ruff, and the Dockerfile and workflow linters)."""
    for command in lint_commands(PYTHON):
        c.run(command, echo=True, pty=False)


@task(
    help={
        "upgrade": "move every pin to the newest version that fits (default: keep the pins that still fit)",
        "upgrade_package": "move just this package (and what it needs) to its newest version",
    }
)
def lock(c: Context, upgrade: bool = False, upgrade_package: str = "") -> None:
    """Regenerate requirements.lock (every transitive dependency pinned) from requirements.txt and -dev.txt, with uv."""
    c.run(lock_command(upgrade=upgrade, upgrade_package=upgrade_package, python=PYTHON), echo=True, pty=False)


@task(help={"out": "where to write it (default from invoke.yaml: docker.smoke_model, samples/model.pt)"})
def sample_model(c: Context, out: str = "") -> None:
    """Regenerate samples/model.pt, the small trained checkpoint run-infer and docker-infer.yaml predict with."""
    c.run(sample_model_command(out=out or c.config.docker.smoke_model, python=PYTHON), echo=True, pty=False)


@task(
    help={
        "publish": "also run `invoke comment`, as CI does (needs GITHUB_TOKEN or REPO_TOKEN, and GITHUB_REPOSITORY)",
        "target": "with --publish: pr/NUMBER or commit/SHA (default: from the GitHub Actions event)",
    }
)
def ci(c: Context, publish: bool = False, target: str = "") -> None:
    """What CI runs, in order: lint, test, data, baseline, train (may reuse), production, history, report, comment."""
    problem = publish_problem(os.environ, target) if publish else ""
    if problem:  # now, not after minutes of linting, testing and training
        raise Exit(f"invoke ci: {problem}", code=2)
    lint(c)
    test(c)
    data(c)
    try:
        baseline(c)
    except UnexpectedExit:
        # As in cml.yaml (continue-on-error): a base branch that cannot be trained leaves "no baseline".
        print("invoke ci: no baseline could be made; the report will say so", flush=True)
    train(c, reuse="auto")  # as in cml.yaml: the baseline's run is taken when nothing training reads changed
    try:
        production(c)
    except UnexpectedExit:
        # As in cml.yaml (continue-on-error): without the production release the report names none.
        print("invoke ci: the production release could not be fetched; the report names none", flush=True)
    try:
        history(c)
    except UnexpectedExit:
        # As in cml.yaml (continue-on-error): no history (no token, no release): the report draws none.
        print("invoke ci: no history of releases could be fetched; the report draws none", flush=True)
    try:
        report(c)
    finally:
        # As in cml.yaml: a failed quality gate is still published, then fails the run.
        if publish and os.path.exists(os.path.join(c.config.artifacts, "report.md")):
            comment(c, target=target)


@task
def docker_available(c: Context) -> None:
    """Check that a Docker engine answers (the docker tasks run this first)."""
    result = c.run(docker_info_command(), echo=True, hide=True, warn=True, pty=False)
    if result.failed:
        raise Exit(engine_unreachable_message(result.stderr))


@task
def buildx_available(c: Context) -> None:
    """Check that docker has the buildx plugin (the build tasks run this after `docker-available`)."""
    result = c.run(buildx_version_command(), echo=True, hide=True, warn=True, pty=False)
    if result.failed:
        raise Exit(buildx_missing_message(result.stderr), code=2)


def _require_local_image(c: Context, image: str, build_task: str) -> None:
    """Stop with one line when `image` was never built here, instead of letting docker pull it."""
    result = c.run(image_inspect_command(image), echo=True, hide=True, warn=True, pty=False)
    if result.failed:
        raise Exit(image_missing_message(image, build_task), code=2)


def _image(c: Context, name: str, tag: str) -> str:
    """`--tag` if given, else the image name from invoke.yaml tagged with the git short SHA."""
    cfg = c.config.docker
    return tag or image_ref(registry=cfg.registry, namespace=cfg.namespace, name=name, tag=git_short_sha())


def _host_user() -> str:
    """The caller's `uid:gid`, so files a container writes to a mount belong to them (POSIX only)."""
    return f"{os.getuid()}:{os.getgid()}" if hasattr(os, "getuid") else ""


def _build(
    c: Context,
    *,
    dockerfile: str,
    name: str,
    tag: str,
    push: bool,
    platform: str,
    cache_from: str,
    cache_to: str,
    extra_tags: list[str] | None = None,
    build_contexts: dict[str, str] | None = None,
    labels: dict[str, str] | None = None,
) -> None:
    cfg = c.config.docker
    index_url = cfg.torch_index_url
    command = build_command(
        dockerfile=dockerfile,
        image=_image(c, name, tag),
        platform=platform or cfg.platform,
        push=push,
        cache_from=cache_from or cfg.cache_from,
        cache_to=cache_to or cfg.cache_to,
        build_args={"TORCH_INDEX_URL": index_url} if index_url else None,
        extra_tags=extra_tags or (),
        build_contexts=build_contexts,
        labels=labels,
    )
    c.run(command, echo=True, pty=False)


# Beside --model: the folder handed to the build as Dockerfile.infer's `model` stage, holding only model.pt.
MODEL_CONTEXT = ".model-context"


def _model_context(model: Path, dry: bool) -> Path:
    """A folder holding a copy of `model` named model.pt, and nothing else (so nothing else is sent)."""
    folder = model.parent / MODEL_CONTEXT
    if not dry:
        folder.mkdir(exist_ok=True)
        shutil.copyfile(model, folder / "model.pt")
    return folder


def _created() -> str:
    """The image's `created` label: now (UTC, RFC 3339), or SOURCE_DATE_EPOCH's time when set (reproducible builds)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH", "")
    if epoch and not epoch.isdigit():
        raise ValueError(f"SOURCE_DATE_EPOCH={epoch!r}: expected whole seconds since 1970")
    moment = datetime.fromtimestamp(int(epoch), UTC) if epoch else datetime.now(UTC)
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


def _infer_refs(c: Context, tags: list[str]) -> list[str]:
    """The inference image's full names (registry/namespace/name from invoke.yaml) with each of `tags`."""
    cfg = c.config.docker
    return [image_ref(registry=cfg.registry, namespace=cfg.namespace, name=cfg.infer_image, tag=t) for t in tags]


def _source() -> str:
    """The repository's URL for the `source` label, from GitHub's environment; "" elsewhere."""
    repository = os.environ.get("GITHUB_REPOSITORY", "")
    server = os.environ.get("GITHUB_SERVER_URL", "") or "https://github.com"
    return f"{server.rstrip('/')}/{repository}" if repository else ""


def _build_infer(
    c: Context, *, model: str, release: str, tag: str, push: bool, platform: str, cache_from: str, cache_to: str
) -> None:
    """Build Dockerfile.infer around `model` (its `model` stage replaced), labelled from the metrics.json beside
    it; with `release` (a bundle folder), as that release: its version label and its image tags too."""
    cfg = c.config.docker
    with usage_errors("build-infer"):
        record = read_release_record(Path(release) / RECORD_NAME) if release else {}
        model_path = Path(model or record.get("model", ""))
        if not model_path.is_file():
            raise ValueError(f"--model {model_path}: no such file (the checkpoint the image is to serve)")
        metrics_path = model_path.parent / "metrics.json"
        try:
            metrics = json.loads(metrics_path.read_text(encoding="utf-8"))
        except (OSError, ValueError) as exc:
            raise ValueError(f"{metrics_path}: cannot read it beside --model ({exc}): the image's labels") from None
        sha256 = file_sha256(model_path)
        released = record.get("model_sha256")
        if released and released != sha256:
            raise ValueError(
                f"--model {model_path} (sha256 {sha256[:12]}) is not the model {record['tag']} releases"
                f" (sha256 {released[:12]}, {Path(release) / RECORD_NAME})"
            )
        labels = image_labels(
            metrics,
            release_tag=record.get("tag", UNRELEASED),
            model_sha256=sha256,
            source=_source(),
            revision=git_commit(),
            created=_created(),
        )
    image = _image(c, cfg.infer_image, tag)
    extra = _infer_refs(c, (record.get("image") or {}).get("tags") or [])
    _build(
        c,
        dockerfile="Dockerfile.infer",
        name=cfg.infer_image,
        tag=tag,
        push=push,
        platform=platform,
        cache_from=cache_from,
        cache_to=cache_to,
        extra_tags=[ref for ref in dict.fromkeys(extra) if ref != image],
        build_contexts={"model": str(_model_context(model_path, c.config.run.dry))},
        labels=labels,
    )


BUILD_HELP = {
    "tag": "full image reference (default: registry/namespace/name from invoke.yaml, tagged with the git short SHA)",
    "push": "push to the registry (log in first) instead of loading the image into the local engine",
    "platform": "target platform(s), e.g. linux/amd64,linux/arm64 (default: the engine's own)",
    "cache_from": "buildx cache source, e.g. type=gha,scope=train (default from invoke.yaml: none)",
    "cache_to": "buildx cache destination, e.g. type=gha,mode=max,scope=train (default from invoke.yaml: none)",
}


@task(pre=[docker_available, buildx_available], help=BUILD_HELP)
def build_train(
    c: Context, tag: str = "", push: bool = False, platform: str = "", cache_from: str = "", cache_to: str = ""
) -> None:
    """Build the training image (Dockerfile.train) with docker buildx."""
    flags = {"tag": tag, "push": push, "platform": platform, "cache_from": cache_from, "cache_to": cache_to}
    _build(c, dockerfile="Dockerfile.train", name=c.config.docker.train_image, **flags)


BUILD_INFER_HELP = {
    **BUILD_HELP,
    "model": "checkpoint to build into the image, labelled from the metrics.json beside it (default: "
    "samples/model.pt, unlabelled; with --release: release.json's model)",
    "release": "bundle folder with the release.json `invoke release` wrote: the image is labelled and tagged as "
    "that release, model-v<N> (default: none, version label `unreleased`)",
}


@task(pre=[docker_available, buildx_available], help=BUILD_INFER_HELP)
def build_infer(
    c: Context,
    tag: str = "",
    push: bool = False,
    platform: str = "",
    cache_from: str = "",
    cache_to: str = "",
    model: str = "",
    release: str = "",
) -> None:
    """Build the inference image (Dockerfile.infer) with docker buildx, serving samples/model.pt or --model."""
    flags = {"tag": tag, "push": push, "platform": platform, "cache_from": cache_from, "cache_to": cache_to}
    if model or release:
        _build_infer(c, model=model, release=release, **flags)
    else:
        _build(c, dockerfile="Dockerfile.infer", name=c.config.docker.infer_image, **flags)


@task(
    pre=[docker_available],
    help={
        "tag": "image to run (default: the one `invoke build-train` builds)",
        "epochs": "training epochs (default from invoke.yaml: a 1-epoch smoke run; 0: the dataset's default)",
        "artifacts": "host folder mounted at /artifacts for the artifacts (default from invoke.yaml: artifacts/docker)",
    },
)
def run_train(c: Context, tag: str = "", epochs: int | None = None, artifacts: str = "") -> None:
    """Run the training image on the bundled digits, writing the artifacts to a mounted folder."""
    cfg = c.config.docker
    image = _image(c, cfg.train_image, tag)
    _require_local_image(c, image, "build-train")
    out_dir = Path(artifacts or cfg.artifacts).resolve()
    if not c.config.run.dry:  # docker would create a missing mount source itself, owned by root
        out_dir.mkdir(parents=True, exist_ok=True)
    run_checked(
        c,
        "run-train",
        lambda: run_train_command(
            image=image,
            out_dir=str(out_dir),
            epochs=int_flag("epochs", epochs, c.config, "docker.smoke_epochs"),
            user=_host_user(),
        ),
    )


@task(
    pre=[docker_available],
    help={
        "tag": "image to run (default: the one `invoke build-infer` builds)",
        "model": "checkpoint to mount (default from invoke.yaml: samples/model.pt, a small committed model)",
        "input": "image, folder of images or .npy array to mount (default from invoke.yaml: samples/digits)",
        "output": "also write the predictions to this .csv or .json file (its folder is mounted)",
    },
)
def run_infer(c: Context, tag: str = "", model: str = "", input: str = "", output: str = "") -> None:
    """Run the inference image: predict the mounted --input with the mounted --model."""
    cfg = c.config.docker
    image = _image(c, cfg.infer_image, tag)
    _require_local_image(c, image, "build-infer")
    output_path = Path(output).resolve() if output else None
    if output_path and not c.config.run.dry:
        output_path.parent.mkdir(parents=True, exist_ok=True)
    command = run_infer_command(
        image=image,
        model=str(Path(model or cfg.smoke_model).resolve()),
        inputs=str(Path(input or cfg.smoke_input).resolve()),
        output=str(output_path) if output_path else "",
        user=_host_user(),
    )
    c.run(command, echo=True, pty=False)


def _push(c: Context, name: str, tag: str) -> None:
    image = _image(c, name, tag)
    problem = push_target_problem(image)
    if problem:
        raise Exit(problem, code=2)
    c.run(push_command(image), echo=True, pty=False)


PUSH_HELP = {"tag": "image to push (default: the one `invoke build-*` built, which must have a registry namespace)"}


@task(pre=[docker_available], help=PUSH_HELP)
def push_train(c: Context, tag: str = "") -> None:
    """Push the training image already built (and smoke-run) here, as it is: no rebuild (`docker login` first)."""
    _push(c, c.config.docker.train_image, tag)


@task(pre=[docker_available], help=PUSH_HELP)
def push_infer(c: Context, tag: str = "") -> None:
    """Push the inference image already built (and smoke-run) here, as it is: no rebuild (`docker login` first)."""
    _push(c, c.config.docker.infer_image, tag)


def _built_version(c: Context, image: str, build_task: str) -> str:
    """The version label `image` (a local image) was built with; "" when it has none. Stops when it is missing."""
    result = c.run(image_label_command(image, VERSION_LABEL), echo=True, hide=True, warn=True, pty=False)
    if result.failed:
        raise Exit(image_missing_message(image, build_task), code=2)
    version = result.stdout.strip()
    return "" if version == "<no value>" else version


@task(
    pre=[docker_available],
    help={"release": "bundle folder holding the release.json `invoke release` wrote (default from invoke.yaml)"},
)
def push_release(c: Context, release: str = "") -> None:
    """Push the inference image built and verified here under the release's tags: model-v<N>, the short sha, and
    latest when promoted (`docker login` first)."""
    cfg = c.config.docker
    folder = Path(release or c.config.release.out)
    with usage_errors("push-release"):
        record = read_release_record(folder / RECORD_NAME)
    tag, status = record["tag"], record["status"]
    if status in NOTHING_NEW:
        print(f"push-release: {status} as {tag}: nothing new released, so nothing pushed")
        return
    if status in NOT_PUBLISHED:
        print(f"push-release: {tag} is {status}, not published: nothing pushed")
        return
    image = _image(c, cfg.infer_image, "")
    targets = _infer_refs(c, record["image"]["tags"])
    problem = push_target_problem(targets[0])
    if problem:
        raise Exit(problem, code=2)
    built = _built_version(c, image, f"build-infer --model {record['model']} --release {folder}")
    if built != tag and not c.config.run.dry:
        # The release took another number than the build was labelled with (a merge racing for model-v<N>
        # took it), or the image was built before the release: same layers, new labels.
        print(
            f"push-release: {image} is labelled {built or 'without a version'}, the release is {tag}: rebuilding "
            "with its labels (the layers come from the build cache)"
        )
        buildx_available(c)
        flags = {"tag": "", "push": False, "platform": "", "cache_from": "", "cache_to": ""}
        _build_infer(c, model=record["model"], release=str(folder), **flags)
    for target in targets:
        c.run(tag_command(image, target), echo=True, pty=False)
        c.run(push_command(target), echo=True, pty=False)
