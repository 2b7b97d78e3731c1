"""The README's first screen: its two commands are what CI (.ci/run) runs (uv, or plain pip), and its links resolve."""

from __future__ import annotations

import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
CI_RUN = ROOT / ".ci" / "run"


def bash_blocks(markdown: str) -> list[list[str]]:
    """The command lines (comments dropped) of every ```bash block."""
    blocks = re.findall(r"```bash\n(.*?)```", markdown, flags=re.DOTALL)
    return [
        [line for line in block.splitlines() if line.strip() and not line.lstrip().startswith("#")] for block in blocks
    ]


def requirement_files(command_line: str) -> set[str]:
    """The requirement and constraint files of a `[uv] pip install -r A -c B ...` line (the part before any `&&`)."""
    words = shlex.split(command_line.split("&&")[0])
    return {f"{word} {words[i + 1]}" for i, word in enumerate(words) if word in ("-r", "-c")}


def ci_lines() -> list[str]:
    return [line for line in CI_RUN.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_installs_what_ci_installs():
    """The README's uv line, and the plain pip line beside it, name the same requirement and constraint (lock)
    files as .ci/run's install; .ci/run compiles bytecode (PYTHONDONTWRITEBYTECODE is set where it runs), and
    the README says when to."""
    readme_installs = [line for block in bash_blocks(README.read_text()) for line in block if "pip install" in line]
    ci_installs = [line for line in ci_lines() if "pip install" in line and "requirements-dev.txt" in line]

    uv_lines = [line for line in readme_installs if line.startswith("uv pip install ")]
    pip_lines = [line for line in readme_installs if line.startswith("pip install ")]
    assert len(uv_lines) == len(pip_lines) == 1 and len(readme_installs) == 2, readme_installs
    assert all("--compile-bytecode" in shlex.split(line) for line in ci_installs)
    assert "PYTHONDONTWRITEBYTECODE" in README.read_text() and "add `--compile-bytecode`" in README.read_text()
    assert ci_installs
    expected = {"-r requirements.txt", "-r requirements-dev.txt", "-c requirements.lock"}
    assert [line for line in (*readme_installs, *ci_installs) if requirement_files(line) != expected] == []


def test_readme_sets_up_with_uv_first_and_keeps_plain_pip_beside_it():
    """The first block makes the venv with uv and names the CPU index for uv (the lock's versions from whichever
    index has them, as in the workflows); the pip block makes its own venv and names the same index for pip."""
    blocks = [block for block in bash_blocks(README.read_text()) if "venv" in " ".join(block)]

    uv_block, pip_block = blocks
    assert uv_block[0] == "uv venv .venv && . .venv/bin/activate"
    assert "UV_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu UV_INDEX_STRATEGY=unsafe-best-match" in uv_block[1]
    assert pip_block[0] == "python3 -m venv .venv && . .venv/bin/activate"
    assert "PIP_EXTRA_INDEX_URL=https://download.pytorch.org/whl/cpu" in pip_block[1]
    assert pip_block[2].startswith("pip install ") and pip_block[2].endswith("&& invoke train")


def test_readme_trains_then_tests_like_ci():
    """The README's first command ends with `invoke train`; its second is the test command .ci/run ends with."""
    blocks = [block for block in bash_blocks(README.read_text()) if "venv" not in " ".join(block)]

    assert blocks[0][-1].endswith("invoke train")
    assert blocks[1] == [ci_lines()[-1]]


def test_readme_links_resolve():
    """Every relative link and image in the README points at a file in the repository."""
    targets = re.findall(r"\]\(([^)#\s]+)\)", README.read_text())
    relative = [t for t in targets if not t.startswith(("http://", "https://"))]

    assert relative
    assert [t for t in relative if not (ROOT / t).exists()] == []


def test_docs_links_resolve():
    """Every relative link in the docs pages points at a file in the repository."""
    broken = []
    for page in sorted((ROOT / "docs").glob("*.md")):
        for target in re.findall(r"\]\(([^)#\s]+)\)", page.read_text()):
            if not target.startswith(("http://", "https://")) and not (page.parent / target).exists():
                broken.append(f"{page.name}: {target}")

    assert broken == []
