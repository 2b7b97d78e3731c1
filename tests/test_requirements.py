"""Each part of the project names, in its own requirement file, every package its code imports.

The comment jobs install only requirements-report.txt and the docker workflows only
requirements-tasks.txt: a package that arrives merely as another one's dependency (requests
and urllib3 under PyGithub) could vanish with that package's next release.
(The images' own files are checked in test_dockerfiles.py.)
"""

from __future__ import annotations

import ast
import sys
from importlib.metadata import packages_distributions
from pathlib import Path

import pytest
from helpers import ROOT

from commands.lock import normalise

LOCAL = {"core", "training", "inference", "reporting", "delivery", "commands", "benchmarks", "tasks"}

# requirement file: the code whose imports (followed through our own modules, lazy ones too) it must cover
PARTS = {
    "requirements.txt": ["tasks.py", "core", "training", "inference", "reporting", "delivery", "commands"],
    # the comment jobs, and the pages job: `invoke history` and `invoke dashboard` (delivery.history_cli)
    "requirements-report.txt": ["tasks.py", "reporting", "delivery/history_cli.py", "delivery/promote_cli.py"],
    "requirements-tasks.txt": ["tasks.py"],
}


def module_file(name: str) -> Path | None:
    """The file of one of our modules (`reporting.render` -> reporting/render.py), or None."""
    base = ROOT.joinpath(*name.split("."))
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


def imported_names(path: Path) -> set[str]:
    """Every module `path` imports, anywhere in it (inside functions too), as dotted names."""
    names = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            names.add(node.module)
            names.update(f"{node.module}.{alias.name}" for alias in node.names)  # `from pkg import module`
    return names


def third_party_imports(entries: list[str]) -> dict[str, str]:
    """{top-level third-party module: a file importing it} for the entry files and packages, and all of ours they
    import in turn."""
    queue = [p for entry in entries for p in ([ROOT / entry] if entry.endswith(".py") else (ROOT / entry).glob("*.py"))]
    seen: set[Path] = set()
    found: dict[str, str] = {}
    while queue:
        path = queue.pop()
        if path in seen:
            continue
        seen.add(path)
        for name in imported_names(path):
            top = name.split(".")[0]
            if top in LOCAL:
                local = module_file(name)
                if local:
                    queue.append(local)
            elif top not in sys.stdlib_module_names and top != "__future__":
                found.setdefault(top, str(path.relative_to(ROOT)))
    return found


def named_in(requirements: str) -> set[str]:
    """The distributions a requirement file names (constraint lines such as `-c` left out)."""
    lines = (line.split("#", 1)[0].strip() for line in (ROOT / requirements).read_text().splitlines())
    return {normalise(line.split("==")[0]) for line in lines if line and not line.startswith("-")}


@pytest.mark.parametrize("requirements", PARTS)
def test_every_package_a_part_imports_is_named_in_its_requirement_file(requirements: str) -> None:
    """No import relies on a package that only arrives as another package's dependency."""
    distributions = packages_distributions()
    named = named_in(requirements)

    imports = third_party_imports(PARTS[requirements])
    unnamed = {
        module: importer
        for module, importer in imports.items()
        if not {normalise(d) for d in distributions.get(module, [module])} & named
    }

    assert imports
    assert unnamed == {}, f"{requirements} names no package providing these (imported by): {unnamed}"


def test_the_report_part_imports_requests_and_urllib3_itself() -> None:
    """reporting's GitHub client uses requests and urllib3 directly: so both are named, not just inherited."""
    assert {"requests", "urllib3", "github"} <= set(third_party_imports(PARTS["requirements-report.txt"]))
