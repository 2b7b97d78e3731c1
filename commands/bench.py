"""Commands for the benchmarks."""

from __future__ import annotations

import shlex

CASES = ("all", "digits", "folder", "setup", "pr-loop")


def bench_commands(
    *, runs: int, out: str, python: str = "python", case: str = "all", folder_images: int = 20_000
) -> list[str]:
    """The benchmark commands of `case`: "digits" (training against the bare script, then inference against a
    bare loop on the model just trained), "folder" (training through the folder cache against torchvision's
    ImageFolder + DataLoader on a generated RGB folder), "all" of those two, "setup" (the README's install
    line in fresh venvs, pip against uv, cold and warm: several GB of venvs, so only when asked for), or
    "pr-loop" (cml.yaml's report job in a clone against a local fake of GitHub: a docs-only PR against a code
    change with reuse auto, and the base run downloaded against retrained; its own scratch dir, one run each)."""
    if case not in CASES:
        raise ValueError(f"--case {case}: choose from {', '.join(CASES)}")
    commands = []
    if case in ("all", "digits"):
        commands += [
            shlex.join([python, "benchmarks/bench_train.py", "--runs", str(runs), "--out", out]),
            shlex.join([python, "benchmarks/bench_inference.py", "--model", f"{out}/ours/model.pt"]),
        ]
    if case in ("all", "folder"):
        commands.append(
            shlex.join([python, "benchmarks/bench_folder.py", "--images", str(folder_images), "--out", out])
        )
    if case == "setup":
        commands.append(shlex.join([python, "benchmarks/bench_setup.py", "--out", out]))
    if case == "pr-loop":
        commands.append(shlex.join([python, "benchmarks/bench_pr_loop.py"]))
    return commands
