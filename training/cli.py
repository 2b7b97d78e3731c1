"""`python -m training`: parse flags, train, write the artifact set. User errors exit 2 without a traceback."""

from __future__ import annotations

import argparse
import os
import signal
import sys
from dataclasses import fields
from pathlib import Path

from core.argtypes import above, at_least
from core.atomic import probe_writable_dir
from core.models import BUILTIN_MODELS, ModelError, check_model_name
from training.config import DATASETS, DEFAULT_EPOCHS, DataError, TrainConfig, UsageError, validate_dataset_name
from training.interrupts import run_until_interrupted
from training.sidecar import start_sidecar

positive_int = at_least(1)
non_negative_int = at_least(0)


def build_parser() -> argparse.ArgumentParser:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(
        prog="python -m training",
        description="Train the CNN and write model.pt, metrics.json, classification_report.txt, "
        "confusion_matrix.png and training_curves.png into --out. Metrics are measured on a held-out "
        "test split that training never sees.",
    )
    epochs_help = ", ".join(f"{name} {n}" for name, n in DEFAULT_EPOCHS.items())
    parser.add_argument(
        "--dataset",
        default=defaults.dataset,
        help=f"one of {', '.join(DATASETS)} (default: digits, bundled with scikit-learn)",
    )
    parser.add_argument(
        "--model",
        default=defaults.model,
        metavar="NAME",
        help=f"the network: {' or '.join(BUILTIN_MODELS)} (built in), or module:function, your own factory "
        "function(config) -> torch.nn.Module, importable from the current folder or PYTHONPATH "
        "(default: %(default)s)",
    )
    parser.add_argument(
        "--epochs", type=positive_int, default=None, help=f"training epochs (default per dataset: {epochs_help})"
    )
    parser.add_argument(
        "--seed",
        type=non_negative_int,
        default=defaults.seed,
        help="random seed of the weights, data order and augmentation: same seed and thread count give "
        "identical weights (default: %(default)s)",
    )
    parser.add_argument(
        "--split-seed",
        type=non_negative_int,
        default=defaults.split_seed,
        help="seed of the train/validation/test split, apart from --seed so that runs with other seeds are "
        "tested on the same samples (default: %(default)s)",
    )
    parser.add_argument("--out", default=defaults.out, help="artifact directory (default: %(default)s)")
    parser.add_argument("--batch-size", type=positive_int, default=defaults.batch_size, help="default: %(default)s")
    parser.add_argument(
        "--lr", type=above(0, float), default=defaults.lr, help="peak learning rate (default: %(default)s)"
    )
    parser.add_argument(
        "--shift",
        type=non_negative_int,
        default=defaults.shift,
        help="random shift augmentation in pixels, 0 for none (default: %(default)s)",
    )
    parser.add_argument(
        "--data-dir",
        default=defaults.data_dir,
        help="download/cache dir for mnist, fashion-mnist and cifar10 (default: %(default)s)",
    )
    parser.add_argument(
        "--image-size",
        type=positive_int,
        default=defaults.image_size,
        help="side length folder images are resized to (default: %(default)s)",
    )
    parser.add_argument(
        "--threads",
        type=non_negative_int,
        default=defaults.threads,
        help="torch CPU threads; 0: one for images of 16x16 or less, torch's default otherwise (default: %(default)s)",
    )
    parser.add_argument(
        "--device", choices=("auto", "cpu", "cuda"), default="auto", help="default: cuda when available, else cpu"
    )
    return parser


def config_from_args(args: argparse.Namespace) -> TrainConfig:
    names = {f.name for f in fields(TrainConfig)}
    values = {name: value for name, value in vars(args).items() if name in names and value is not None}
    return TrainConfig(**values)


# torchrun sets this for every worker it starts.
UNDER_TORCHRUN = "TORCHELASTIC_RUN_ID" in os.environ
EXIT_INTERRUPTED = 130


def main(argv: list[str] | None = None) -> int:
    """Train as the flags say; under torchrun an interrupt ends this rank quietly (training.launch says it once)."""
    if not UNDER_TORCHRUN:
        return _main(argv)
    code = run_until_interrupted(lambda: _main(argv), ignore_repeats=True)
    return EXIT_INTERRUPTED if code is None else code


def _main(argv: list[str] | None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        validate_dataset_name(args.dataset)
        check_model_name(args.model)
    except (DataError, ModelError) as exc:
        parser.error(str(exc))
    try:  # now, not after training: the artifacts are the last thing a run writes
        if os.environ.get("RANK", "0") == "0":  # only rank 0 writes them (and ranks probing at once would race)
            probe_writable_dir(args.out)
    except OSError as exc:
        print(f"{parser.prog}: error: --out {args.out}: cannot write there ({exc.strerror or exc})", file=sys.stderr)
        return 2
    config = config_from_args(args)
    # An earlier run's report describes other weights: `invoke comment` must never find and post it.
    try:
        (Path(config.out) / "report.md").unlink(missing_ok=True)
    except OSError as exc:
        parser.error(f"--out {config.out}: cannot remove the earlier report.md ({exc.strerror})")

    # A cancelled CI job gets SIGTERM: stop like Ctrl-C, after the last complete epoch.
    signal.signal(signal.SIGTERM, signal.default_int_handler)
    sidecar = start_sidecar(config.data_options())  # before torch is imported: see training.sidecar
    try:
        from training.run import run  # torch is imported only once the flags are valid

        return run(config, sidecar, device_name=args.device)
    except (DataError, ModelError, UsageError) as exc:
        print(f"python -m training: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:  # before the first epoch (the loop itself stops cleanly after one)
        if not UNDER_TORCHRUN:
            print("interrupted: nothing written", file=sys.stderr)
        return EXIT_INTERRUPTED
    finally:
        sidecar.close()
