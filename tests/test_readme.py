"""The README's first screen: its two commands are what CI (.ci/run) runs, and its links resolve."""

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
    """The requirement and constraint files of a `pip install -r A -c B ...` line (the part before any `&&`)."""
    words = shlex.split(command_line.split("&&")[0])
    return {f"{word} {words[i + 1]}" for i, word in enumerate(words) if word in ("-r", "-c")}


def ci_lines() -> list[str]:
    return [line for line in CI_RUN.read_text().splitlines() if line.strip() and not line.lstrip().startswith("#")]


def test_readme_installs_what_ci_installs():
    """The README's install command names the same requirement and constraint (lock) files as .ci/run's."""
    readme_installs = [line for block in bash_blocks(README.read_text()) for line in block if "pip install" in line]
    ci_installs = [line for line in ci_lines() if "pip install" in line]

    assert len(readme_installs) == 1, readme_installs
    assert requirement_files(readme_installs[0]) == requirement_files(ci_installs[0])


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
