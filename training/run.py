"""One training run, start to finish: data, model, loop, test-split evaluation, artifacts."""

from __future__ import annotations

import os
import platform
import subprocess
import sys
import time
from dataclasses import asdict
from pathlib import Path

import torch

from core.atomic import write_json
from core.checkpoint import Checkpoint, save_checkpoint
from core.models import build_model
from core.network import ModelConfig
from core.preprocess import Preprocessing
from training.batches import standardise_splits
from training.config import TrainConfig, UsageError
from training.data import Splits
from training.data_version import data_version
from training.distributed import SINGLE, World, join_world, leave_world
from training.inputs import inputs_digest, loaded_modules, run_inputs
from training.loop import EpochStats, TrainResult, evaluate, train_model
from training.sidecar import ForkedSidecar, InProcessSidecar

EXIT_INTERRUPTED = 130


def pick_threads(requested: int, input_size: tuple[int, int]) -> int:
    """`requested`, or for 0: one thread for tiny images, where hand-offs between threads cost
    more than they save (measured on the 8x8 digits), torch's default otherwise."""
    if requested:
        return requested
    return 1 if input_size[0] * input_size[1] <= 16 * 16 else torch.get_num_threads()


def seed_everything(seed: int, threads: int, device: torch.device) -> torch.Generator:
    """Make the run reproducible: seeded RNGs, deterministic kernels; returns the data-order generator."""
    torch.set_num_threads(threads)
    torch.manual_seed(seed)
    if device.type == "cuda":
        # cuBLAS needs the workspace setting before its first call to be deterministic. On the CPU
        # every kernel this model uses is already deterministic for a fixed thread count (the tests
        # check bit-identical weights), and the switch would import torch's compiler stack (~0.9 s).
        os.environ.setdefault("CUBLAS_WORKSPACE_CONFIG", ":4096:8")
        torch.use_deterministic_algorithms(True)
        torch.backends.cudnn.benchmark = False
    return torch.Generator().manual_seed(seed)


def device_type(name: str) -> str:
    """`--device` resolved to "cpu" or "cuda"; asking for CUDA where there is none is a usage error."""
    available = torch.cuda.is_available()
    if name == "cuda" and not available:
        raise UsageError("--device cuda: no CUDA device is available here (use --device cpu)")
    return "cuda" if name == "cuda" or (name == "auto" and available) else "cpu"


def pick_device(kind: str, local_rank: int = 0) -> torch.device:
    """This rank's device: the GPU of its local rank on CUDA (torchrun starts one process per GPU)."""
    if kind == "cpu":
        return torch.device("cpu")
    if local_rank >= torch.cuda.device_count():
        raise UsageError(
            f"process {local_rank} on this node has no GPU of its own: {torch.cuda.device_count()} GPU(s) here; "
            "use at most that many --nproc, or --device cpu"
        )
    return torch.device("cuda", local_rank)


def epoch_logger(total: int, world: World = SINGLE):
    """A tqdm bar on a terminal; one plain line per epoch otherwise (CI logs); only rank 0 logs."""
    if not world.is_main:
        return lambda stats: None
    if sys.stderr.isatty():
        from tqdm import tqdm

        bar = tqdm(total=total, unit="epoch", file=sys.stderr, leave=True)

        def on_epoch(stats: EpochStats) -> None:
            bar.set_postfix(loss=f"{stats.train_loss:.4f}", val_acc=f"{stats.val_accuracy:.4f}")
            bar.update(1)
            if stats.epoch == total:
                bar.close()

        return on_epoch

    def on_epoch(stats: EpochStats) -> None:
        print(
            f"epoch {stats.epoch}/{total}  train_loss {stats.train_loss:.4f}  val_loss {stats.val_loss:.4f}  "
            f"val_acc {stats.val_accuracy:.4f}  lr {stats.lr:.2e}  {stats.seconds:.2f}s",
            file=sys.stderr,
            flush=True,
        )

    return on_epoch


def current_commit() -> str | None:
    if os.environ.get("GITHUB_SHA"):
        return os.environ["GITHUB_SHA"]
    try:
        done = subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() or None


def library_versions() -> dict[str, str]:
    # Package metadata, not imports: scikit-learn is the sidecar's, and importing it here costs time.
    from importlib.metadata import version

    return {
        "python": platform.python_version(),
        "torch": str(torch.__version__),
        "numpy": version("numpy"),
        "sklearn": version("scikit-learn"),
    }


def run(config: TrainConfig, sidecar: ForkedSidecar | InProcessSidecar, device_name: str = "auto") -> int:
    """Train with `config` and write the artifacts into `config.out`; returns the exit code.

    `sidecar` loads the data and writes the reports (see training.sidecar). Under torchrun every
    rank runs this; only rank 0 logs and writes the artifacts.
    """
    kind = device_type(device_name)
    world = join_world(kind)
    code = _run(config, sidecar, pick_device(kind, world.local_rank), world)
    # Only after a normal end: a rank stopped by Ctrl-C or an error must not wait at a barrier that
    # the others, still in a training collective or already gone, never reach (torchrun would
    # then kill it after 30 s).
    leave_world(world)
    return code


def _run(config: TrainConfig, sidecar: ForkedSidecar | InProcessSidecar, device: torch.device, world: World) -> int:
    started = time.perf_counter()
    epochs = config.resolved_epochs()
    splits = sidecar.splits().as_tensors()
    # Every rank draws the same initial weights; augmentation and dropout differ per rank.
    generator = seed_everything(config.seed, pick_threads(config.threads, splits.input_size), device)
    preprocessing = standardise_splits(splits)
    sizes = splits.sizes()
    if world.is_main:
        backend = f" ({world.backend})" if world.distributed else ""
        print(
            f"dataset {config.dataset}: train {sizes['train']}, val {sizes['val']}, test {sizes['test']}; "
            f"model {config.model}, {epochs} epochs on {device.type}, world size {world.world_size}{backend}",
            file=sys.stderr,
        )
    model_config = ModelConfig(
        in_channels=splits.channels, input_size=splits.input_size, num_classes=len(splits.labels)
    )
    model = build_model(config.model, model_config).to(device)
    trained = model
    if world.distributed:
        from torch.nn.parallel import DistributedDataParallel

        torch.manual_seed(config.seed + world.rank)
        generator.manual_seed(config.seed + world.rank)
        trained = DistributedDataParallel(model, device_ids=[device.index] if device.type == "cuda" else None)
    result = train_model(
        trained,
        splits.train,
        splits.val,
        epochs=epochs,
        batch_size=config.batch_size,
        lr=config.lr,
        weight_decay=config.weight_decay,
        shift=config.shift,
        preprocessing=preprocessing,
        generator=generator,
        seed=config.seed,
        world=world,
        on_epoch=epoch_logger(epochs, world),
    )
    if not result.history:
        print("interrupted before the first epoch finished: nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    model.load_state_dict(result.best_state)
    y_true, y_pred, confidence, _ = evaluate(model, splits.test, preprocessing, world)
    if world.is_main:
        history = [stats.as_dict() for stats in result.history]
        sidecar.request_reports(
            out=config.out,
            y_true=y_true.numpy(),
            y_pred=y_pred.numpy(),
            labels=splits.labels,
            history=history,
            ids=splits.test.ids,
            confidence=confidence.numpy(),
        )
        versions = library_versions()
        save_model(config, model, model_config, splits.labels, preprocessing, versions)
        metrics = sidecar.reports()
        metrics |= {"history": history, "best_epoch": result.best_epoch}
        duration_s = time.perf_counter() - started
        metrics["run"] = run_facts(config, splits, result, epochs, world, device, versions, duration_s)
        metrics["run"]["inputs"] = measured_inputs(config, epochs, metrics["run"], sidecar.loaded)
        metrics["run"]["inputs_digest"] = inputs_digest(metrics["run"]["inputs"])
        write_json(Path(config.out) / "metrics.json", metrics)  # last: its presence means a complete set
        print(
            f"test accuracy {metrics['accuracy']:.4f}, macro F1 {metrics['macro_f1']:.4f} "
            f"(best epoch {result.best_epoch}); artifacts in {config.out}/",
            file=sys.stderr,
        )
    return EXIT_INTERRUPTED if result.interrupted else 0


def measured_inputs(config: TrainConfig, epochs: int, facts: dict, sidecar_modules: list[tuple[str, str]]) -> dict:
    """`run.inputs`: what this process and the sidecar loaded, and the resolved settings (see training.inputs).
    Where the artifacts go is no input; the epochs are the resolved count, not 0 for "the default"."""
    resolved = {key: value for key, value in asdict(config).items() if key != "out"} | {"epochs": epochs}
    return run_inputs(
        modules=[*loaded_modules(), *sidecar_modules],
        config=resolved,
        data_version=facts["data_version"],
        torch_build=str(torch.__version__),
        device=facts["device"],
        world_size=facts["world_size"],
        threads=facts["threads"],
    )


def save_model(
    config: TrainConfig,
    model: torch.nn.Module,
    model_config: ModelConfig,
    labels: list[str],
    preprocessing: Preprocessing,
    versions: dict[str, str],
) -> None:
    save_checkpoint(
        Path(config.out) / "model.pt",
        Checkpoint(
            model_name=config.model,
            model_config=model_config,
            model_state=model.state_dict(),
            labels=labels,
            preprocessing=preprocessing,
            # Where the files went is no part of the model: leaving it out keeps model.pt byte-identical
            # for the same training written to another folder (a host's artifacts/, an image's /artifacts).
            train_config={key: value for key, value in asdict(config).items() if key != "out"},
            versions=versions,
        ),
    )


def run_facts(
    config: TrainConfig,
    splits: Splits,
    result: TrainResult,
    epochs: int,
    world: World,
    device: torch.device,
    versions: dict[str, str],
    duration_s: float,
) -> dict:
    """The `run` section of metrics.json: what was trained, how, where and with which versions."""
    return {
        "dataset": config.dataset,
        "data_version": data_version(config.dataset),
        "model": config.model,
        "split": splits.sizes(),
        "seed": config.seed,
        "split_seed": config.split_seed,
        "dataset_fingerprint": splits.dataset_fingerprint,
        "test_fingerprint": splits.test_fingerprint(),
        "epochs": epochs,
        "epochs_completed": len(result.history),
        "interrupted": result.interrupted,
        "duration_s": round(duration_s, 3),
        "commit": current_commit(),
        "world_size": world.world_size,
        "device": device.type,
        "threads": torch.get_num_threads(),
        "versions": versions,
        "config": asdict(config),
    }
