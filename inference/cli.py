"""`python -m inference`: predict labels for images with a trained checkpoint.

Torch is imported only once the arguments and the input have been checked, so
`--help` and bad input answer at once.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping
from pathlib import Path

from core.argtypes import at_least
from core.atomic import probe_writable_dir
from core.preprocess import IMAGE_SUFFIXES
from inference.inputs import InputError, resolve_input
from inference.output import OUTPUT_SUFFIXES, format_table, prediction_rows, write_predictions

EXIT_OK = 0
EXIT_SKIPPED = 1  # some images could not be read; the rest were predicted
EXIT_USAGE = 2  # bad flags or bad input: nothing predicted

# --model's default: the first of these paths (separated by os.pathsep, ":" as in PATH) that is a file. The
# inference image sets CML_MODEL=/artifacts/model.pt:/opt/model/model.pt: a mounted model, else its baked one.
MODEL_ENV = "CML_MODEL"
FALLBACK_MODEL = "artifacts/model.pt"  # without CML_MODEL: where `invoke train` writes

DESCRIPTION = """\
Predict labels for images with a model trained by `python -m training`.

--input is one image, a folder of images (sorted; sub-folders only with --recursive)
or a .npy array of shape (N, H, W), (N, C, H, W) or (N, H, W, C) with C = 1 or 3,
holding uint8 0..255 or floats 0..1. Images are brought to the model's channels
(colour to grayscale or grayscale to RGB, noted once on stderr) and resized to its
input size exactly as training prepared its data. Grayscale models expect
bright ink on a dark background, like MNIST and scikit-learn's digits; invert
dark-on-light scans first.
"""

EPILOG = f"""\
image types: {" ".join(IMAGE_SUFFIXES)}
output: a table on stdout; --output FILE.csv (columns input,prediction,confidence,
  then top2,top2_confidence,... with --top-k) or FILE.json (a list of objects with the same keys).
model: --model PATH; without it the first file among CML_MODEL's paths (":"-separated, as PATH), else
  artifacts/model.pt. The inference image sets CML_MODEL=/artifacts/model.pt:/opt/model/model.pt: a model
  mounted at /artifacts wins over the one built into the image.
exit status: 0 all predicted; 1 some images were unreadable (each named in a warning,
  the rest predicted and written); 2 bad flags or input (one-line error, nothing predicted).
"""


class UsageError(Exception):
    """A problem the user can fix; printed as one line, exit status 2."""


class _OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the whole usage block
        self.exit(EXIT_USAGE, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(
        prog="python -m inference",
        description=DESCRIPTION,
        epilog=EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--input", required=True, metavar="PATH", help="an image, a folder of images, or a .npy array")
    parser.add_argument("--model", metavar="PATH", help=f"checkpoint (default: {default_model_help()})")
    parser.add_argument("--output", metavar="FILE", help="also write the predictions to FILE (.csv or .json)")
    parser.add_argument("--batch-size", type=at_least(1), default=256, metavar="N", help="images per forward pass")
    parser.add_argument("--top-k", type=at_least(1), default=1, metavar="K", help="also list the K-1 runners-up")
    parser.add_argument("--recursive", action="store_true", help="include images in sub-folders of --input")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return run(args)
    except (UsageError, InputError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("interrupted: nothing written", file=sys.stderr)
        return 130


def model_candidates(environ: Mapping[str, str] = os.environ) -> list[str]:
    """The paths --model defaults to, in order: CML_MODEL's, else artifacts/model.pt."""
    return [path for path in environ.get(MODEL_ENV, "").split(os.pathsep) if path] or [FALLBACK_MODEL]


def default_model(environ: Mapping[str, str] = os.environ) -> str:
    """The first candidate that is a file; the first one when none is (its error then names it)."""
    candidates = model_candidates(environ)
    return next((path for path in candidates if Path(path).is_file()), candidates[0])


def default_model_help(environ: Mapping[str, str] = os.environ) -> str:
    if MODEL_ENV not in environ:
        return f"{FALLBACK_MODEL}; {MODEL_ENV}=PATH{os.pathsep}PATH... names others, the first that exists wins"
    return f"the first that exists of {MODEL_ENV}'s {', '.join(model_candidates(environ))}"


def run(args: argparse.Namespace) -> int:
    if args.output:
        check_output(args.output)
    source = resolve_input(args.input, recursive=args.recursive)
    model = args.model or default_model()
    if not Path(model).is_file():
        candidates = model_candidates()
        if args.model is None and len(candidates) > 1:
            raise UsageError(
                f"no checkpoint at any of {', '.join(candidates)} ({MODEL_ENV}): mount one or pass --model"
            )
        raise UsageError(f"{model}: no such checkpoint file (train one with `invoke train`, or pass --model)")

    predictor = _load_predictor(model)
    if args.top_k > len(predictor.labels):
        raise UsageError(f"--top-k {args.top_k}: the model knows only {len(predictor.labels)} labels")
    samples = _noting_conversions(source.samples(predictor.input_size, predictor.channels))
    samples = _with_progress(samples, total=len(source), batch_size=args.batch_size)

    from inference.predict import predict_samples

    outcome = predict_samples(predictor, samples, batch_size=args.batch_size, top_k=args.top_k)
    for sample in outcome.skipped:
        print(f"warning: {sample.name}: {sample.problem}; skipped", file=sys.stderr)
    if not outcome.predictions:
        raise UsageError(f"{args.input}: none of the {len(source)} images could be read")

    rows = prediction_rows(outcome.predictions, args.top_k)
    sys.stdout.write(format_table(rows, args.top_k))
    if args.output:
        try:
            write_predictions(args.output, rows, args.top_k)
        except OSError as exc:
            raise UsageError(f"--output {args.output}: cannot write ({exc.strerror or exc})") from None
    print(_summary(len(outcome.predictions), len(outcome.skipped), args.output), file=sys.stderr)
    return EXIT_SKIPPED if outcome.skipped else EXIT_OK


def check_output(output: str) -> None:
    """Refuse an --output that could not be written, before anything is loaded or predicted."""
    path = Path(output)
    if path.suffix.lower() not in OUTPUT_SUFFIXES:
        raise UsageError(f"--output {output}: must end in {' or '.join(OUTPUT_SUFFIXES)}")
    if path.is_dir():
        raise UsageError(f"--output {output}: is a folder; name a file in it")
    try:
        probe_writable_dir(path.parent)
    except OSError as exc:
        raise UsageError(f"--output {output}: cannot write there ({exc.strerror or exc})") from None


def _load_predictor(model: str):
    from core.checkpoint import CheckpointError  # imports torch
    from core.models import ModelError
    from inference.predict import load_predictor

    try:
        return load_predictor(model)
    except CheckpointError as exc:
        raise UsageError(str(exc)) from None
    except ModelError as exc:
        raise UsageError(f"{model}: {exc}") from None


def _noting_conversions(samples):
    """Pass the samples on; say once, on stderr, how inputs were converted to the model's channels."""
    noted = set()
    for sample in samples:
        if sample.conversion and sample.conversion not in noted:
            noted.add(sample.conversion)
            print(f"note: {sample.conversion}", file=sys.stderr)
        yield sample


def _with_progress(samples, *, total: int, batch_size: int):
    """A progress bar on stderr for inputs larger than one batch, only when someone watches the terminal."""
    if total <= batch_size or not sys.stderr.isatty():
        return samples
    from tqdm import tqdm

    return tqdm(samples, total=total, unit="img", desc="predicting", file=sys.stderr)


def _summary(predicted: int, skipped: int, output: str | None) -> str:
    text = f"predicted {predicted} image{'s' if predicted != 1 else ''}"
    if skipped:
        text += f", skipped {skipped} unreadable"
    if output:
        text += f"; wrote {output}"
    return text
