"""`python -m delivery.verify_cli --artifacts DIR [--model PATH | --tag IMAGE]`: does serving predict the run's
test split as training reported in predictions.csv? One line; exit 0 when it does, 1 when not, 2 when it cannot
tell (the line names the file or flag)."""

from __future__ import annotations

import argparse
import os
import shlex
import subprocess
import sys
import tempfile
from pathlib import Path

from commands.docker import INPUTS_IN_IMAGE
from commands.predict import predict_command
from commands.verify import SERVED_NAME, serve_in_image_command
from delivery.verify import VerifyError, compare, export_test_samples, read_served, read_trained, run_data_options


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m delivery.verify_cli", description=__doc__)
    parser.add_argument("--artifacts", required=True, metavar="DIR", help="the run: metrics.json, predictions.csv")
    served = parser.add_mutually_exclusive_group()
    served.add_argument("--model", metavar="PATH", help="checkpoint to serve with python -m inference (DIR/model.pt)")
    served.add_argument("--tag", metavar="IMAGE", help="inference image to serve with its own baked-in model")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    artifacts = Path(args.artifacts)
    try:
        trained = read_trained(artifacts / "predictions.csv")
        options = run_data_options(artifacts)
        with tempfile.TemporaryDirectory(prefix="verify-") as scratch:
            inputs, output = Path(scratch, "inputs"), Path(scratch, "output")
            inputs.mkdir()
            output.mkdir()
            export = export_test_samples(options, inputs)
            if args.tag:
                command = shlex.split(
                    serve_in_image_command(
                        image=args.tag,
                        inputs=str(inputs.resolve()),
                        input_name=export.name,
                        output_dir=str(output.resolve()),
                        user=f"{os.getuid()}:{os.getgid()}",
                    )
                )
                prefix = INPUTS_IN_IMAGE
            else:
                model = args.model or str(artifacts / "model.pt")
                command = shlex.split(
                    predict_command(
                        input_path=str(inputs / export.name),
                        model=model,
                        output=str(output / SERVED_NAME),
                        recursive=not export.is_array,
                        python=sys.executable,
                    )
                )
                prefix = str(inputs)
            done = subprocess.run(command, capture_output=True, text=True)
            if done.returncode != 0:
                raise VerifyError(f"{shlex.join(command[:3])} failed: {_last_line(done.stderr or done.stdout)}")
            served = read_served(output / SERVED_NAME, export, prefix)
    except VerifyError as exc:
        print(f"verify-infer: {exc}", file=sys.stderr)
        return 2
    outcome = compare(trained, served)
    print(outcome.message(), flush=True)
    return 1 if outcome.differing else 0


def _last_line(text: str) -> str:
    # inference ends on its one-line error; anything before it is progress.
    lines = [line for line in text.strip().splitlines() if line.strip()]
    return lines[-1] if lines else "no output"


if __name__ == "__main__":
    raise SystemExit(main())
