"""Commands for `invoke verify-infer`: the check itself, and serving the exported test samples with an image."""

from __future__ import annotations

import shlex

from commands.docker import INPUTS_IN_IMAGE, OUTPUT_IN_IMAGE, Mount, run_command

SERVED_NAME = "served.csv"  # inference's answers, in the output folder


def verify_command(*, python: str, artifacts: str, model: str = "", tag: str = "") -> str:
    """`python -m delivery.verify_cli`: predict the run's test split through inference (or the image) and compare."""
    if not artifacts:
        raise ValueError("--artifacts is required (the run's artifact dir, with metrics.json and predictions.csv)")
    if model and tag:
        raise ValueError("--model and --tag exclude each other (the image serves its own model)")
    command = [python, "-m", "delivery.verify_cli", "--artifacts", artifacts]
    if model:
        command += ["--model", model]
    if tag:
        command += ["--tag", tag]
    return shlex.join(command)


def serve_in_image_command(*, image: str, inputs: str, input_name: str, output_dir: str, user: str = "") -> str:
    """Run `image` on the exported samples: `inputs` (an absolute host folder) read-only at /inputs, `output_dir`
    writable at /output, and no model mounted: the image's entrypoint names its baked-in model."""
    mounts = [Mount(inputs, INPUTS_IN_IMAGE, readonly=True), Mount(output_dir, OUTPUT_IN_IMAGE)]
    input_in_image = INPUTS_IN_IMAGE if input_name == "." else f"{INPUTS_IN_IMAGE}/{input_name}"
    args = ["--input", input_in_image, "--output", f"{OUTPUT_IN_IMAGE}/{SERVED_NAME}"]
    if input_name == ".":
        args.append("--recursive")
    return run_command(image=image, args=args, mounts=mounts, user=user)
