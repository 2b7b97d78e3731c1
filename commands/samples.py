"""The committed sample checkpoint, samples/model.pt: a small trained model for runs that need one
without training first (the inference image's smoke run in docker-infer.yaml, `invoke run-infer`).

It is regenerated, never edited: a short training on the bundled digits with a fixed seed and
one thread, whose model.pt is byte-identical on the same torch build (core.checkpoint), so a
regenerated file shows up in `git diff` only when the training or the checkpoint format changed.
"""

from __future__ import annotations

import shlex

SAMPLE_MODEL = "samples/model.pt"
# A few epochs: about 150 KB, and it reads every image in samples/digits correctly.
SAMPLE_TRAINING = ("--dataset", "digits", "--epochs", "5", "--seed", "0", "--threads", "1")


def sample_model_command(
    *, out: str = SAMPLE_MODEL, scratch: str = "artifacts/sample-model", python: str = "python"
) -> str:
    """Train the sample model into `scratch` (every artifact, for a look at its metrics), then copy its model.pt
    to `out`."""
    train = shlex.join([python, "-m", "training", *SAMPLE_TRAINING, "--out", scratch])
    return f"{train} && {shlex.join(['cp', f'{scratch}/model.pt', out])}"
