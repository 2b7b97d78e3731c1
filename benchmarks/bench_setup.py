"""Set-up benchmark: the README's install line in a fresh virtual environment, pip against uv, cold and warm.

Both installers take the same wheels from one local folder, so no figure depends on the network:
first, once per lock, `pip download` of the README's requirement files fills the scratch dir's
setup/wheels (from pip's own sources; this is the only step that may need the network). Then each
case creates a fresh venv and runs the README's line in it, as if activated, with
`--no-index --find-links WHEELS` appended:

- pip: `python -m venv`, then the README's `pip install ...` line (pip compiles bytecode itself);
- uv: `uv venv`, then the README's `uv pip install ...` line, and the same line with
  `--compile-bytecode` (what `.ci/run` adds, where PYTHONDONTWRITEBYTECODE is set);

each cold (a fresh, empty PIP_CACHE_DIR or UV_CACHE_DIR) and then warm (the cache the cold run
left). No pip or uv configuration file is read (PIP_CONFIG_FILE=/dev/null, UV_NO_CONFIG=1).
`--online` drops the wheel folder: uv then downloads from PyPI, and pip takes what this machine's
pip configuration says (here: wheels on this disk, then PyPI), as the README's line does.
Each venv is then checked (`uv pip check`) and timed importing torch with PYTHONDONTWRITEBYTECODE=1,
as on the machines that set it: without bytecode every import compiles from source, every time.
Prints one line per case, and writes them to setup/results.json in the scratch dir.
Usage: python benchmarks/bench_setup.py [--out .bench] [--online] [--installers pip uv]
"""

from __future__ import annotations

import argparse
import hashlib
import json
import os
import re
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
README = ROOT / "README.md"
SOURCES = ("requirements.txt", "requirements-dev.txt", "requirements.lock")
IMPORT_CHECK = "import torch, torchvision, sklearn, matplotlib.pyplot, scipy.stats"


def readme_install_lines() -> dict[str, str]:
    """{"uv": ..., "pip": ...}: the README's install lines, as written, without what follows `&&`."""
    lines = {}
    for block in re.findall(r"```bash\n(.*?)```", README.read_text(), flags=re.DOTALL):
        for line in block.splitlines():
            command = line.split("&&")[0].strip()
            for tool, prefix in (("uv", "uv pip install "), ("pip", "pip install ")):
                if command.startswith(prefix):
                    lines.setdefault(tool, command)
    if set(lines) != {"uv", "pip"}:
        sys.exit(f"README.md: expected a `uv pip install` and a `pip install` line, found {sorted(lines)}")
    return lines


def sources_digest() -> str:
    digest = hashlib.sha256()
    for name in SOURCES:
        digest.update((ROOT / name).read_bytes())
    return digest.hexdigest()


def fill_wheel_folder(wheels: Path) -> None:
    """Every wheel the README's line installs, downloaded once per lock by pip from its usual sources."""
    stamp = wheels / ".complete"
    if stamp.is_file() and stamp.read_text() == sources_digest():
        return
    shutil.rmtree(wheels, ignore_errors=True)
    wheels.mkdir(parents=True)
    started = time.perf_counter()
    files = [arg for name in SOURCES[:2] for arg in ("-r", name)]
    command = [sys.executable, "-m", "pip", "download", "--quiet", *files, "-c", "requirements.lock", "-d", str(wheels)]
    done = subprocess.run(command, cwd=ROOT, capture_output=True, text=True, check=False)
    if done.returncode:
        sys.exit(f"pip download failed ({done.returncode}):\n{done.stderr[-3000:]}")
    files = list(wheels.iterdir())
    size = sum(path.stat().st_size for path in files) / 2**30
    print(f"wheel folder: {len(files)} files, {size:.1f} GiB, in {time.perf_counter() - started:.0f} s")
    stamp.write_text(sources_digest())


def clean_env(venv: Path, cache: Path, online: bool) -> dict[str, str]:
    """The environment of an activated venv, with a cache of its own, and no installer configuration unless
    `online` (then pip keeps this machine's, which may point it at wheels on this disk)."""
    kept = ("VIRTUAL_ENV", "UV_") if online else ("VIRTUAL_ENV", "UV_", "PIP_")
    env = {key: value for key, value in os.environ.items() if not key.startswith(kept)}
    if not online:
        env["PIP_CONFIG_FILE"] = os.devnull
    env.update(
        VIRTUAL_ENV=str(venv),
        PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}",
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        PIP_CACHE_DIR=str(cache / "pip"),
        UV_NO_CONFIG="1",
        UV_CACHE_DIR=str(cache / "uv"),
        UV_PYTHON_DOWNLOADS="never",
    )
    return env


def timed(command: list[str] | str, env: dict[str, str]) -> float:
    """Seconds `command` took (a string runs in the shell, as the README's line would); its output only if it fails."""
    started = time.perf_counter()
    done = subprocess.run(command, cwd=ROOT, env=env, shell=isinstance(command, str), capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{command} failed ({done.returncode}):\n{done.stdout[-2000:]}{done.stderr[-3000:]}")
    return time.perf_counter() - started


def run_case(tool: str, line: str, cache: Path, venv: Path, sources: str) -> dict:
    """A fresh venv, then the README's line in it; seconds for each, and what the venv then gives."""
    shutil.rmtree(venv, ignore_errors=True)
    env = clean_env(venv, cache, online=not sources)
    if tool == "pip":
        make_venv = [sys.executable, "-m", "venv", str(venv)]
    else:
        make_venv = ["uv", "venv", "--quiet", "--python", sys.executable, str(venv)]
    venv_seconds = timed(make_venv, env)
    install_seconds = timed(f"{line} {sources}".strip(), env)
    python = str(venv / "bin" / "python")
    subprocess.run(["uv", "pip", "check", "--quiet", "--python", python], env=env, check=True)
    # Twice: the first also reads torch's libraries from disk; the second is what every later process pays.
    no_pyc_writes = {**env, "PYTHONDONTWRITEBYTECODE": "1"}
    imports = [timed([python, "-c", IMPORT_CHECK], no_pyc_writes) for _ in range(2)]
    return {
        "venv": venv_seconds,
        "install": install_seconds,
        "total": venv_seconds + install_seconds,
        "import": imports[-1],
        "pycs": sum(1 for _ in venv.rglob("*.pyc")),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", type=Path, default=Path(".bench"), help="scratch directory (default: .bench)")
    parser.add_argument(
        "--online",
        action="store_true",
        help="no wheel folder: each installer takes the README's line from its own configured sources (network)",
    )
    parser.add_argument(
        "--installers", nargs="+", choices=("pip", "uv"), default=["pip", "uv"], help="which to time (default: both)"
    )
    args = parser.parse_args()
    scratch = (ROOT / args.out / "setup").resolve()
    wheels = scratch / "wheels"
    lines = readme_install_lines()
    # The README's uv line, and the same with --compile-bytecode (what .ci/run adds where
    # PYTHONDONTWRITEBYTECODE is set), whichever of the two the README writes.
    plain = lines["uv"].replace(" --compile-bytecode", "")
    cases = [
        ("pip", "pip", lines["pip"]),
        ("uv", "uv", plain),
        ("uv --compile-bytecode", "uv", plain + " --compile-bytecode"),
    ]
    cases = [case for case in cases if case[1] in args.installers]
    sources = ""
    if not args.online:
        fill_wheel_folder(wheels)
        sources = f"--no-index --find-links {wheels}"
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores; sources: {sources or 'online'}")
    results = []
    for name, tool, line in cases:
        cache = scratch / "cache"
        shutil.rmtree(cache, ignore_errors=True)
        for state in ("cold", "warm"):
            result = {"case": name, "cache": state, "line": line}
            result.update(run_case(tool, line, cache, scratch / "venv", sources))
            results.append(result)
            print(
                f"{name}, {state}: {result['total']:.1f} s (venv {result['venv']:.1f} s, install"
                f" {result['install']:.1f} s); {result['pycs']} .pyc files; then `{IMPORT_CHECK}`"
                f" {result['import']:.1f} s (its second run, PYTHONDONTWRITEBYTECODE=1)"
            )
        shutil.rmtree(scratch / "venv")
        shutil.rmtree(cache)
    (scratch / "results.json").write_text(json.dumps(results, indent=2) + "\n")


if __name__ == "__main__":
    main()
