"""Dockerfile.train, Dockerfile.infer and .dockerignore: the contract a build depends on.

No Docker engine runs here, so the images are checked without building them:
every COPY source reaches the build context, the files the final image gets are
enough to start its entrypoint, and every package its code imports is installed.
"""

from __future__ import annotations

import ast
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
from dataclasses import dataclass, field
from importlib.metadata import packages_distributions
from pathlib import Path, PurePosixPath

import pytest
from dockerfile_parse import DockerfileParser

from commands.checks import lint_commands

ROOT = Path(__file__).resolve().parents[1]
DOCKERFILES = ["Dockerfile.train", "Dockerfile.infer"]
IMAGE_IDS = ["train", "infer"]
ENTRY_MODULES = {"Dockerfile.train": "training", "Dockerfile.infer": "inference"}
LOCAL_PACKAGES = {"core", "training", "inference"}
# pip options that take a value; the words after them are not package names.
PIP_VALUE_OPTIONS = {"-i", "--index-url", "--extra-index-url", "-c", "--constraint", "-r", "--requirement"}


@dataclass
class Copy:
    """One COPY instruction: sources relative to the build context, destination absolute in the image."""

    sources: list[str]
    dest: PurePosixPath
    dest_is_dir: bool


@dataclass
class ImageSpec:
    """What the final stage of a Dockerfile says about the image it builds."""

    base: str = ""
    workdir: PurePosixPath = field(default_factory=lambda: PurePosixPath("/"))
    copies: list[Copy] = field(default_factory=list)
    runs: list[str] = field(default_factory=list)
    env: dict[str, str] = field(default_factory=dict)
    args: list[str] = field(default_factory=list)
    user: str = ""
    entrypoint: list[str] = field(default_factory=list)


def parse_dockerfile(path: Path) -> ImageSpec:
    """The final stage of `path` (each FROM starts a new image)."""
    with path.open("rb") as handle:
        parser = DockerfileParser(fileobj=handle, env_replace=False)
        structure = parser.structure
    spec = ImageSpec()
    for item in structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            spec = ImageSpec(base=value.split()[0])
        elif instruction == "WORKDIR":
            spec.workdir = spec.workdir / value
        elif instruction in ("COPY", "ADD"):
            spec.copies.append(parse_copy(instruction, value, spec.workdir))
        elif instruction == "RUN":
            spec.runs.append(value)
        elif instruction == "ENV":
            spec.env.update(dict(word.split("=", 1) for word in shlex.split(value)))
        elif instruction == "ARG":
            spec.args.append(value.split("=", 1)[0])
        elif instruction == "USER":
            spec.user = value
        elif instruction == "ENTRYPOINT":
            spec.entrypoint = json.loads(value)
    return spec


def parse_copy(instruction: str, value: str, workdir: PurePosixPath) -> Copy:
    """A COPY from the build context; anything these tests cannot follow fails loudly."""
    assert instruction == "COPY", f"use COPY, not ADD: {value}"
    words = json.loads(value) if value.startswith("[") else shlex.split(value)
    flags = [word for word in words if word.startswith("--")]
    assert not [flag for flag in flags if flag.startswith("--from")], f"COPY --from is not followed here: {value}"
    assert "$" not in value, f"COPY with variables is not followed here: {value}"
    *sources, dest = [word for word in words if not word.startswith("--")]
    return Copy(sources=sources, dest=workdir / dest, dest_is_dir=dest.endswith("/") or len(sources) > 1)


def ignore_rules(path: Path) -> list[tuple[bool, re.Pattern[str]]]:
    """.dockerignore as (is_exception, regex) in file order."""
    rules = []
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        exception = line.startswith("!")
        pattern = os.path.normpath(line.removeprefix("!").strip()).lstrip("/")
        rules.append((exception, re.compile(pattern_regex(pattern))))
    return rules


def pattern_regex(pattern: str) -> str:
    """Docker's pattern syntax: `*` and `?` stay within one path segment, `**` spans any number."""
    regex, i = "", 0
    while i < len(pattern):
        if pattern.startswith("**/", i):
            regex, i = regex + "(?:.*/)?", i + 3
        elif pattern.startswith("**", i):
            regex, i = regex + ".*", i + 2
        else:
            char = pattern[i]
            regex += {"*": "[^/]*", "?": "[^/]"}.get(char, re.escape(char))
            i += 1
    return regex


def is_ignored(relative: str, rules: list[tuple[bool, re.Pattern[str]]]) -> bool:
    """Whether docker leaves `relative` (a context path) out: the last rule matching it or a parent wins."""
    parts = PurePosixPath(relative).parts
    candidates = ["/".join(parts[: n + 1]) for n in range(len(parts))]
    ignored = False
    for exception, regex in rules:
        if any(regex.fullmatch(candidate) for candidate in candidates):
            ignored = not exception
    return ignored


def image_files(spec: ImageSpec, rules: list[tuple[bool, re.Pattern[str]]]) -> dict[PurePosixPath, Path]:
    """Absolute path in the image -> file in the repository, for every file the COPY lines put there."""
    files = {}
    for copy in spec.copies:
        for source in copy.sources:
            path = ROOT / source
            if path.is_dir():
                for file in sorted(path.rglob("*")):
                    relative = file.relative_to(ROOT).as_posix()
                    if file.is_file() and not is_ignored(relative, rules):
                        files[copy.dest / file.relative_to(path).as_posix()] = file
            else:
                files[copy.dest / path.name if copy.dest_is_dir else copy.dest] = path
    return files


def assemble(files: dict[PurePosixPath, Path], root: Path) -> None:
    """Lay the image's files out under `root` as they would be under `/`."""
    for in_image, source in files.items():
        target = root / in_image.relative_to("/")
        target.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, target)


def requirement_names(path: Path) -> list[str]:
    """Package names in a requirements file (options such as -c skipped)."""
    lines = (line.split("#", 1)[0].strip() for line in path.read_text().splitlines())
    return [normalise(line) for line in lines if line and not line.startswith("-")]


def normalise(requirement: str) -> str:
    """The canonical distribution name of a requirement such as `Scikit_Learn==1.0`."""
    name = re.split(r"[=<>!~\[;@ ]", requirement, maxsplit=1)[0]
    return re.sub(r"[-_.]+", "-", name).lower()


def pinned_versions() -> dict[str, str]:
    """requirements.txt as {name: version}; every line there is `name==version`."""
    pins = {}
    for line in (ROOT / "requirements.txt").read_text().splitlines():
        line = line.split("#", 1)[0].strip()
        if line:
            name, version = line.split("==")
            pins[normalise(name)] = version
    return pins


def pip_installs(spec: ImageSpec) -> list[list[str]]:
    """The arguments of every `pip install` in the RUN lines."""
    installs = []
    for run in spec.runs:
        for segment in run.split("&&"):
            words = shlex.split(segment)
            if words[:2] == ["pip", "install"]:
                installs.append(words[2:])
    return installs


def installed_distributions(spec: ImageSpec) -> dict[str, list[str]]:
    """What the image installs: {package name: where the name came from (the Dockerfile or a file)}."""
    installed: dict[str, list[str]] = {}
    for words in pip_installs(spec):
        index = 0
        while index < len(words):
            word = words[index]
            if word in ("-r", "--requirement"):
                for name in requirement_names(ROOT / words[index + 1]):
                    installed.setdefault(name, []).append(words[index + 1])
            if word in PIP_VALUE_OPTIONS:
                index += 2
                continue
            if not word.startswith("-"):
                installed.setdefault(normalise(word), []).append("Dockerfile")
            index += 1
    return installed


def third_party_imports(files: dict[PurePosixPath, Path]) -> set[str]:
    """Top-level modules the image's Python files import, also inside functions, minus stdlib and ours."""
    modules = set()
    for path in files.values():
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                modules.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                modules.add(node.module.split(".")[0])
    return modules - set(sys.stdlib_module_names) - LOCAL_PACKAGES - {"__future__"}


def load(dockerfile: str) -> tuple[ImageSpec, dict[PurePosixPath, Path]]:
    spec = parse_dockerfile(ROOT / dockerfile)
    return spec, image_files(spec, ignore_rules(ROOT / ".dockerignore"))


def clean_env(extra: dict[str, str]) -> dict[str, str]:
    """This environment without anything that could put the repository on Python's path."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, **extra}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_every_copy_source_exists_and_reaches_the_build_context(dockerfile):
    """Each COPY source is in the repository and .dockerignore lets it, and some files under it, through."""
    spec = parse_dockerfile(ROOT / dockerfile)
    rules = ignore_rules(ROOT / ".dockerignore")

    sources = [source.rstrip("/") for copy in spec.copies for source in copy.sources]

    assert sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"{dockerfile}: COPY {source}: not in the repository"
        assert not is_ignored(source, rules), f"{dockerfile}: COPY {source}: excluded by .dockerignore"
        if path.is_dir():
            kept = [f for f in path.rglob("*.py") if not is_ignored(f.relative_to(ROOT).as_posix(), rules)]
            assert kept, f"{dockerfile}: COPY {source}: .dockerignore leaves none of its files"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_entrypoint_starts_from_only_the_files_the_image_gets(dockerfile, tmp_path):
    """The entrypoint's module comes from the assembled image files and its --help runs from them."""
    spec, files = load(dockerfile)
    assemble(files, tmp_path)
    workdir = tmp_path / spec.workdir.relative_to("/")
    python, *entry_args = spec.entrypoint
    module = ENTRY_MODULES[dockerfile]
    env = clean_env(spec.env)

    where = subprocess.run(
        [sys.executable, "-c", f"import importlib.util; print(importlib.util.find_spec({module!r}).origin)"],
        cwd=workdir,
        env=env,
        capture_output=True,
        text=True,
    )
    started = subprocess.run(
        [sys.executable, *entry_args, "--help"], cwd=workdir, env=env, capture_output=True, text=True, timeout=120
    )

    assert python == "python"
    assert entry_args == ["-m", module]
    assert Path(where.stdout.strip()).is_relative_to(workdir), where.stdout + where.stderr
    assert started.returncode == 0, started.stderr
    assert "usage:" in started.stdout


def test_inference_image_holds_no_training_code_tests_or_data():
    """The inference image gets `core` and `inference` (and its requirement files), nothing else."""
    spec, files = load("Dockerfile.infer")

    top_level = {path.relative_to(spec.workdir).parts[0] for path in files}

    assert top_level == {"core", "inference", "requirements.txt", "requirements-infer.txt"}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_image_installs_every_package_its_code_imports(dockerfile):
    """Each third-party module the image's code imports (lazily too) comes from a package the image installs."""
    spec, files = load(dockerfile)
    installed = installed_distributions(spec)
    distributions = packages_distributions()

    needed = {module: [normalise(d) for d in distributions.get(module, [])] for module in third_party_imports(files)}

    assert needed
    for module, provided_by in needed.items():
        assert provided_by, f"{dockerfile}: its code imports {module}, which no installed package here provides"
        assert set(provided_by) & set(installed), f"{dockerfile}: imports {module} but installs none of {provided_by}"


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_every_package_the_image_installs_is_pinned_in_requirements_txt(dockerfile):
    """Every pip install is constrained by requirements.txt, which pins each package the image names."""
    spec = parse_dockerfile(ROOT / dockerfile)
    pins = pinned_versions()

    installs = pip_installs(spec)
    installed = installed_distributions(spec)

    assert installs
    for words in installs:
        files = [words[i + 1] for i, word in enumerate(words) if word in ("-r", "--requirement")]
        constrained = "--constraint requirements.txt" in shlex.join(words) or all(
            "-c requirements.txt" in (ROOT / file).read_text().splitlines() for file in files
        )
        assert files or constrained, f"{dockerfile}: pip install {shlex.join(words)}: not constrained"
        assert constrained, f"{dockerfile}: pip install {shlex.join(words)}: not constrained by requirements.txt"
    unpinned = sorted(set(installed) - set(pins))
    assert not unpinned, f"{dockerfile} installs packages requirements.txt does not pin: {unpinned}"


def test_inference_image_installs_no_training_only_packages():
    """The inference image leaves out scikit-learn, matplotlib and torchvision (training needs them)."""
    spec = parse_dockerfile(ROOT / "Dockerfile.infer")

    installed = installed_distributions(spec)

    assert not {"scikit-learn", "matplotlib", "torchvision"} & set(installed)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_image_runs_as_a_non_root_user_on_a_debian_slim_base(dockerfile):
    """The final USER is a numeric non-root id; the base is a tagged Debian slim Python (PyTorch has no musl wheels)."""
    spec = parse_dockerfile(ROOT / dockerfile)

    user = spec.user.split(":")[0]

    assert user.isdigit() and int(user) != 0, f"{dockerfile}: USER {spec.user!r}"
    assert re.fullmatch(r"python:3\.\d+(\.\d+)?-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?", spec.base), spec.base


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_image_takes_no_secrets_as_build_args_or_env(dockerfile):
    """No ARG or ENV name suggests a secret: build args and env end up readable in the image's history."""
    spec = parse_dockerfile(ROOT / dockerfile)

    names = [*spec.args, *spec.env]

    assert not [name for name in names if re.search(r"TOKEN|SECRET|PASSWORD|KEY", name, re.IGNORECASE)]


def test_hadolint_finds_nothing_in_either_dockerfile():
    """`invoke lint` runs hadolint on both Dockerfiles, and it reports no error, warning, info or style finding."""
    command = f"hadolint {' '.join(DOCKERFILES)}"

    linted = subprocess.run(shlex.split(command), cwd=ROOT, capture_output=True, text=True)

    assert command in lint_commands()

    assert linted.returncode == 0, linted.stdout + linted.stderr
    assert linted.stdout == ""


@pytest.mark.parametrize(
    "path",
    [
        ".git/HEAD",
        "artifacts/model.pt",
        "data/MNIST/raw/train-images-idx3-ubyte",
        "tests/test_dockerfiles.py",
        "samples/digits/digit-0.png",
        "core/__pycache__/network.cpython-311.pyc",
        "training/__pycache__/cli.cpython-311.pyc",
        ".venv/bin/python",
        ".env",
        "README.md",
    ],
    ids=["git", "artifacts", "data", "tests", "samples", "core-cache", "training-cache", "venv", "env-file", "readme"],
)
def test_dockerignore_keeps_out_of_the_context(path):
    """.git, artifacts, data, tests, caches and anything not listed never reach the builder."""
    rules = ignore_rules(ROOT / ".dockerignore")

    assert is_ignored(path, rules)


@pytest.mark.parametrize(
    "path",
    ["core/network.py", "training/cli.py", "inference/cli.py", "requirements.txt", "requirements-infer.txt"],
    ids=["core", "training", "inference", "requirements", "requirements-infer"],
)
def test_dockerignore_lets_the_image_sources_through(path):
    """The packages and requirement files the Dockerfiles COPY stay in the context."""
    rules = ignore_rules(ROOT / ".dockerignore")

    assert not is_ignored(path, rules)


@pytest.mark.parametrize(
    ("patterns", "path", "ignored"),
    [
        (["*"], "a/b/c.py", True),
        (["*.py"], "a/b.py", False),
        (["**/*.py"], "a/b/c.py", True),
        (["**/__pycache__"], "__pycache__/x.pyc", True),
        (["*", "!a/"], "a/b/c.py", False),
        (["*", "!a", "a/b"], "a/b/c.py", True),
        (["a?c"], "abc", True),
    ],
    ids=["star-parent", "star-one-level", "double-star", "double-star-zero-dirs", "exception", "last-wins", "question"],
)
def test_ignore_matcher_follows_docker_semantics(tmp_path, patterns, path, ignored):
    """The helper these tests use matches as docker does: parents count, `*` stays in a segment, last rule wins."""
    (tmp_path / ".dockerignore").write_text("\n".join(patterns) + "\n")

    rules = ignore_rules(tmp_path / ".dockerignore")

    assert is_ignored(path, rules) is ignored


@pytest.mark.parametrize(
    "requirements",
    ["requirements-train.txt", "requirements-infer.txt", "requirements-tasks.txt"],
    ids=["train", "infer", "tasks"],
)
def test_partial_requirement_files_take_their_versions_from_requirements_txt(requirements):
    """Each partial requirements file is constrained by requirements.txt and names only packages it pins."""
    path = ROOT / requirements

    names = requirement_names(path)

    assert "-c requirements.txt" in path.read_text().splitlines()
    assert names
    assert not set(names) - set(pinned_versions()), f"{requirements} names packages requirements.txt does not pin"


def test_tasks_load_with_only_requirements_tasks_installed():
    """tasks.py and the command builders import nothing at load time beyond requirements-tasks.txt (invoke)."""
    sources = [ROOT / "tasks.py", *sorted((ROOT / "commands").glob("*.py"))]
    distributions = packages_distributions()

    imported = set()
    for path in sources:
        for node in ast.parse(path.read_text()).body:  # module level: what loading tasks.py needs
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
    third_party = imported - set(sys.stdlib_module_names) - {"__future__", "commands"}
    needed = {normalise(d) for module in third_party for d in distributions.get(module, [module])}

    assert needed <= set(requirement_names(ROOT / "requirements-tasks.txt")), needed
