"""Dockerfile.train, Dockerfile.infer, .dockerignore and the two workflows that build them.

No Docker engine runs here, so the images are checked without building them:
every COPY source reaches the build context; the files the final image gets, laid
out in a temporary folder, import and run (a 1-epoch training, then a prediction
with that model) without the repository; every package their code imports is
installed and pinned. The workflows push only the image their smoke run passed.
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
from helpers import ROOT, project_context
from ruamel.yaml import YAML

import tasks
from commands.checks import lint_commands
from commands.docker import ARTIFACTS_IN_IMAGE, INPUTS_IN_IMAGE, TORCHVISION_CHECK
from commands.lock import LOCK_FILE, requirement_pins

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
    cmd: list[str] = field(default_factory=list)
    name: str = ""  # the stage's `AS` name
    from_stages: list[tuple[str, str, str]] = field(default_factory=list)  # COPY --from=STAGE: (stage, src, dest)
    stages: list[ImageSpec] = field(default_factory=list)  # the earlier stages it copies from


def parse_stages(path: Path) -> list[ImageSpec]:
    """Every stage of `path`, in order (each FROM starts a new one)."""
    with path.open("rb") as handle:
        parser = DockerfileParser(fileobj=handle, env_replace=False)
        structure = parser.structure
    stages: list[ImageSpec] = []
    for item in structure:
        instruction, value = item["instruction"], item["value"]
        if instruction == "FROM":
            words = value.split()
            stages.append(ImageSpec(base=words[0], name=words[2] if len(words) == 3 else ""))
            continue
        if not stages:  # comments (and global ARGs) before the first FROM
            continue
        spec = stages[-1]
        if instruction == "WORKDIR":
            spec.workdir = spec.workdir / value
        elif instruction == "COPY" and value.startswith("--from="):
            stage, source, dest = value.removeprefix("--from=").split()
            spec.from_stages.append((stage, source, dest))
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
        elif instruction == "CMD":
            spec.cmd = json.loads(value)
    return stages


def parse_dockerfile(path: Path) -> ImageSpec:
    """The final stage of `path`, the image itself, with the earlier stages it copies files from."""
    *earlier, final = parse_stages(path)
    copied_from = {stage for stage, _, _ in final.from_stages}
    final.stages = [stage for stage in earlier if stage.name in copied_from]
    return final


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
    """Absolute path in the image -> file in the repository, for every file the COPY lines put there (also a
    file an earlier stage copied from the context, such as Dockerfile.infer's model, and the image from it)."""
    files = {}
    for name, source, dest in spec.from_stages:
        stage = next(stage for stage in spec.stages if stage.name == name)
        staged = image_files(stage, rules)
        if PurePosixPath(source) in staged:  # a file, not a folder a RUN made (the virtualenv)
            files[spec.workdir / dest] = staged[PurePosixPath(source)]
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
    for run in [*(run for stage in spec.stages for run in stage.runs), *spec.runs]:
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
    """This environment without anything that could put the repository on Python's path, plus `extra`.

    The image's PATH is left out: it leads to the image's virtualenv, for which this interpreter stands in.
    """
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    return {**env, **{key: value for key, value in extra.items() if key != "PATH"}}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_every_copy_source_exists_and_reaches_the_build_context(dockerfile):
    """Each COPY source, in every stage, is in the repository and .dockerignore lets it, and some files under it,
    through."""
    stages = parse_stages(ROOT / dockerfile)
    rules = ignore_rules(ROOT / ".dockerignore")

    sources = [source.rstrip("/") for spec in stages for copy in spec.copies for source in copy.sources]

    assert sources
    for source in sources:
        path = ROOT / source
        assert path.exists(), f"{dockerfile}: COPY {source}: not in the repository"
        assert not is_ignored(source, rules), f"{dockerfile}: COPY {source}: excluded by .dockerignore"
        if path.is_dir():
            kept = [f for f in path.rglob("*.py") if not is_ignored(f.relative_to(ROOT).as_posix(), rules)]
            assert kept, f"{dockerfile}: COPY {source}: .dockerignore leaves none of its files"


def assembled_image(dockerfile: str, root: Path) -> Path:
    """Lay out the final image's files under `root`; returns its WORKDIR there."""
    spec, files = load(dockerfile)
    assemble(files, root)
    return root / spec.workdir.relative_to("/")


def image_modules(workdir: Path) -> list[str]:
    """Every module of the packages in `workdir`, as dotted names (`__main__`s left out: they run)."""
    modules = []
    for init in sorted(workdir.glob("*/__init__.py")):
        for path in sorted(init.parent.rglob("*.py")):
            parts = path.relative_to(workdir).with_suffix("").parts
            if parts[-1] == "__main__":
                continue
            modules.append(".".join(parts[:-1] if parts[-1] == "__init__" else parts))
    return modules


def local_imports(files: dict[PurePosixPath, Path], workdir: PurePosixPath) -> dict[str, str]:
    """{module of our packages the image's code imports (also inside functions): the first file importing it}.

    For `from X import a` that module is X: `a` may be a name defined in X rather than a submodule.
    """
    imported = {}
    for in_image, path in files.items():
        if path.suffix != ".py":
            continue
        for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom) and node.module:
                package = in_image.relative_to(workdir).parent.parts
                base = ".".join(package[: len(package) - node.level + 1]) if node.level else ""
                names = [".".join(filter(None, [base, node.module]))]
            else:
                continue
            for name in names:
                if name.split(".")[0] in LOCAL_PACKAGES:
                    imported.setdefault(name, str(in_image))
    return imported


def in_image_args(args: list[str], mounts: dict[str, Path]) -> list[str]:
    """`args` with each in-image mount point (e.g. /artifacts) replaced by the host folder behind it."""
    mapped = []
    for arg in args:
        for target, source in mounts.items():
            if arg == target or arg.startswith(f"{target}/"):
                arg = str(source) + arg.removeprefix(target)
                break  # once: the host folder may itself lie under another mount point, e.g. /tmp
        mapped.append(arg)
    return mapped


@pytest.fixture(scope="module")
def image_dirs(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Path]:
    """{Dockerfile: WORKDIR of its assembled image files}, laid out once for this module."""
    return {dockerfile: assembled_image(dockerfile, tmp_path_factory.mktemp(dockerfile)) for dockerfile in DOCKERFILES}


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_every_module_imports_from_only_the_files_the_image_gets(dockerfile, image_dirs):
    """Each module of each package the image holds imports there, from there, without the repository on the path."""
    workdir = image_dirs[dockerfile]
    modules = image_modules(workdir)
    script = (
        "import importlib, json, sys\nprint(json.dumps({m: importlib.import_module(m).__file__ for m in sys.argv[1:]}))"
    )

    done = subprocess.run(
        [sys.executable, "-c", script, *modules],
        cwd=workdir,
        env=clean_env(parse_dockerfile(ROOT / dockerfile).env),
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert {"core.checkpoint", f"{ENTRY_MODULES[dockerfile]}.cli"} <= set(modules)
    assert done.returncode == 0, done.stderr
    origins = json.loads(done.stdout)
    assert [module for module, origin in origins.items() if not Path(origin).is_relative_to(workdir)] == []


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_every_module_the_code_imports_from_our_packages_is_in_the_image(dockerfile):
    """Imports of core/training/inference, also those inside functions that only some runs reach, stay in the image."""
    spec, files = load(dockerfile)
    present = {
        ".".join(path.relative_to(spec.workdir).with_suffix("").parts).removesuffix(".__init__")
        for path in files
        if path.suffix == ".py"
    }

    imported = local_imports(files, spec.workdir)

    missing = {name: importer for name, importer in imported.items() if name not in present}
    assert imported
    assert missing == {}, f"{dockerfile}: imported but not in the image: {missing}"


# Runs `python -m MODULE ARGS` (argv after the log path) and appends to the log file every path the
# process, or a child it forks, opens for writing, makes as a folder, or renames a file onto.
WRITE_AUDIT = r"""
import os, runpy, sys
log = open(sys.argv[1], "a", buffering=1)
WRITES = os.O_WRONLY | os.O_RDWR | os.O_CREAT | os.O_APPEND

def record(path):
    if isinstance(path, (str, bytes, os.PathLike)):
        log.write(os.path.abspath(os.fsdecode(path)) + "\n")

def hook(event, args):
    if event == "open" and ((args[1] and set(args[1]) & set("wax+")) or (args[2] or 0) & WRITES):
        record(args[0])
    elif event == "os.mkdir":
        record(args[0])
    elif event == "os.rename":
        record(args[1])

sys.addaudithook(hook)
assert sys.argv[2] == "-m", sys.argv
sys.argv = sys.argv[3:]
runpy.run_module(sys.argv[0], run_name="__main__", alter_sys=True)
"""


def run_entrypoint(spec: ImageSpec, workdir: Path, mounts: dict[str, Path], args: list[str], log: Path):
    """The image's entrypoint plus `args`, from its files, with its ENV; in-image paths (also in ENV, each of a
    colon-separated list) mapped to the host folders in `mounts`, HOME a folder that does not exist. Every path
    written is appended to `log`."""
    env = {key: ":".join(in_image_args(value.split(":"), mounts)) for key, value in spec.env.items()}
    env["HOME"] = str(log.parent / "no-home")
    return subprocess.run(
        [sys.executable, "-c", WRITE_AUDIT, str(log), *in_image_args(spec.entrypoint[1:], mounts), *args],
        cwd=workdir,
        env=clean_env(env),
        capture_output=True,
        text=True,
        timeout=120,
    )


def written_outside(log: Path, *allowed: Path) -> list[str]:
    """The paths in `log` under none of the `allowed` folders (nor /dev, which a read-only container keeps)."""
    roots = [*allowed, Path("/dev")]
    return sorted(
        {line for line in log.read_text().splitlines() if not any(Path(line).is_relative_to(r) for r in roots)}
    )


def test_train_image_trains_and_infer_image_predicts_from_their_files_and_defaults(image_dirs, tmp_path):
    """From only the image files, with each image's own entrypoint and ENV (mounts mapped to host folders) and an
    extra argument, a 1-epoch training writes every artifact to the default /artifacts and the inference image
    predicts samples/digits with that model; neither writes anywhere but its mounts and /tmp (so both run with
    `--read-only --tmpfs /tmp`)."""
    artifacts, tmp, output = tmp_path / "artifacts", tmp_path / "tmp", tmp_path / "output"
    for folder in (artifacts, tmp, output):
        folder.mkdir()  # the mounts exist before the container starts
    mounts = {ARTIFACTS_IN_IMAGE: artifacts, INPUTS_IN_IMAGE: ROOT / "samples" / "digits", "/tmp": tmp}
    train, infer = (parse_dockerfile(ROOT / dockerfile) for dockerfile in DOCKERFILES)
    logs = tmp_path / "train-writes.log", tmp_path / "infer-writes.log"

    trained = run_entrypoint(train, image_dirs["Dockerfile.train"], mounts, ["--epochs", "1"], logs[0])
    predicted = run_entrypoint(
        infer, image_dirs["Dockerfile.infer"], mounts, ["--output", str(output / "predictions.json")], logs[1]
    )

    assert trained.returncode == 0, trained.stderr
    expected = {"model.pt", "metrics.json", "classification_report.txt", "confusion_matrix.png", "training_curves.png"}
    assert expected <= {path.name for path in artifacts.iterdir()}
    assert written_outside(logs[0], artifacts, tmp) == []
    assert predicted.returncode == 0, predicted.stderr
    rows = json.loads((output / "predictions.json").read_text())
    assert sorted(Path(row["input"]).name for row in rows) == [f"digit-{digit}.png" for digit in range(10)]
    assert written_outside(logs[1], output, tmp) == []


def test_entrypoints_hold_the_default_folders_so_arguments_add_to_them_and_a_later_flag_wins():
    """`docker run IMAGE --epochs 1` keeps `--out /artifacts` (it is in the entrypoint, there is no CMD to replace);
    a later `--out` (or `--input`) wins, as argparse takes the last; the inference entrypoint names no --model
    (CML_MODEL's default applies), so one given after the image is the only one."""
    from inference.cli import build_parser as infer_parser
    from training.cli import build_parser as train_parser

    train, infer = (parse_dockerfile(ROOT / dockerfile) for dockerfile in DOCKERFILES)

    assert train.entrypoint == ["python", "-m", "training", "--out", ARTIFACTS_IN_IMAGE]
    assert infer.entrypoint == ["python", "-m", "inference", "--input", INPUTS_IN_IMAGE]
    assert train.cmd == infer.cmd == []
    assert train_parser().parse_args([*train.entrypoint[3:], "--epochs", "1"]).out == ARTIFACTS_IN_IMAGE
    assert train_parser().parse_args([*train.entrypoint[3:], "--out", "/elsewhere"]).out == "/elsewhere"
    later = infer_parser().parse_args([*infer.entrypoint[3:], "--input", "/data/x.png"])
    assert (later.model, later.input) == (None, "/data/x.png")
    assert infer_parser().parse_args([*infer.entrypoint[3:], "--model", "/m/model.pt"]).model == "/m/model.pt"


def test_inference_image_serves_its_built_in_model_unless_one_is_mounted():
    """Dockerfile.infer's `model` stage is samples/model.pt alone, at /model.pt (what `--build-context model=DIR`
    replaces with DIR/model.pt); the image copies it out of /artifacts, and CML_MODEL lists it after a mounted
    /artifacts/model.pt."""
    stages = {stage.name: stage for stage in parse_stages(ROOT / "Dockerfile.infer")}
    spec = parse_dockerfile(ROOT / "Dockerfile.infer")

    baked = [dest for stage, source, dest in spec.from_stages if (stage, source) == ("model", "/model.pt")]

    assert stages["model"].base == "scratch"
    assert [(copy.sources, str(copy.dest)) for copy in stages["model"].copies] == [(["samples/model.pt"], "/model.pt")]
    assert len(baked) == 1 and not PurePosixPath(baked[0]).is_relative_to(ARTIFACTS_IN_IMAGE)
    assert spec.env["CML_MODEL"].split(":") == [f"{ARTIFACTS_IN_IMAGE}/model.pt", baked[0]]


def test_inference_image_predicts_with_its_built_in_model_when_nothing_is_mounted(image_dirs, tmp_path):
    """From only the image files (the baked samples/model.pt among them), with an empty /artifacts, the inference
    entrypoint predicts samples/digits as the digits their names say, writing only its output and /tmp."""
    root = image_dirs["Dockerfile.infer"].parent
    artifacts, tmp, output = tmp_path / "artifacts", tmp_path / "tmp", tmp_path / "output"
    for folder in (artifacts, tmp, output):
        folder.mkdir()
    mounts = {
        ARTIFACTS_IN_IMAGE: artifacts,
        INPUTS_IN_IMAGE: ROOT / "samples" / "digits",
        "/tmp": tmp,
        "/opt": root / "opt",
    }
    infer = parse_dockerfile(ROOT / "Dockerfile.infer")
    log = tmp_path / "infer-writes.log"

    predicted = run_entrypoint(infer, image_dirs["Dockerfile.infer"], mounts, ["--output", str(output / "p.json")], log)

    assert (root / "opt" / "model" / "model.pt").read_bytes() == (ROOT / "samples" / "model.pt").read_bytes()
    assert predicted.returncode == 0, predicted.stderr
    rows = json.loads((output / "p.json").read_text())
    assert [row["prediction"] for row in rows] == [Path(row["input"]).stem.removeprefix("digit-") for row in rows]
    assert len(rows) == 10 and written_outside(log, output, tmp) == []


def test_inference_image_holds_no_training_code_tests_or_data():
    """The inference image gets `core` and `inference`, and its model outside them, nothing else (the requirement
    files stay in the build stage)."""
    spec, files = load("Dockerfile.infer")

    top_level = {path.relative_to(spec.workdir).parts[0] for path in files if path.is_relative_to(spec.workdir)}
    elsewhere = [str(path) for path in files if not path.is_relative_to(spec.workdir)]

    assert top_level == {"core", "inference"}
    assert elsewhere == ["/opt/model/model.pt"]


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
def test_every_package_the_image_installs_is_pinned_by_the_lock(dockerfile):
    """Every pip install is constrained by requirements.lock, which pins each package the image names (and
    requirements.txt names it too: the lock is made from it)."""
    spec = parse_dockerfile(ROOT / dockerfile)
    locked = requirement_pins((ROOT / LOCK_FILE).read_text())

    installs = pip_installs(spec)
    installed = installed_distributions(spec)

    assert installs
    for words in installs:
        assert f"--constraint {LOCK_FILE}" in shlex.join(words), f"{dockerfile}: pip install {shlex.join(words)}"
    assert sorted(set(installed) - set(locked)) == [], f"{dockerfile} installs packages the lock does not pin"
    assert sorted(set(installed) - set(pinned_versions())) == [], f"{dockerfile}: not in requirements.txt"


def test_inference_image_installs_no_training_only_packages():
    """The inference image leaves out scikit-learn and matplotlib (training needs them); torchvision it needs
    to rebuild a resnet18 model."""
    spec = parse_dockerfile(ROOT / "Dockerfile.infer")

    installed = installed_distributions(spec)

    assert not {"scikit-learn", "matplotlib"} & set(installed)


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_image_runs_as_a_non_root_user(dockerfile):
    """The final USER is a numeric non-root id (orchestrators can check a number, not a name)."""
    spec = parse_dockerfile(ROOT / dockerfile)

    user = spec.user.split(":")[0]

    assert user.isdigit() and int(user) != 0, f"{dockerfile}: USER {spec.user!r}"


def test_both_images_share_one_debian_slim_base_pinned_to_a_patch_release():
    """One base, Debian slim (PyTorch has no musl wheels), pinned to major.minor.patch (a digest may follow)."""
    bases = {dockerfile: parse_dockerfile(ROOT / dockerfile).base for dockerfile in DOCKERFILES}

    assert len(set(bases.values())) == 1, bases
    base = bases["Dockerfile.train"]
    assert re.fullmatch(r"python:3\.\d+\.\d+-slim-(bookworm|trixie)(@sha256:[0-9a-f]{64})?", base), base


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_no_frontend_image_is_pulled_by_a_moving_tag(dockerfile):
    """A `# syntax=` directive, if any, names its frontend by digest: it is an image the build pulls too."""
    first = (ROOT / dockerfile).read_text().splitlines()[0]

    syntax = re.match(r"#\s*syntax\s*=\s*(\S+)", first)

    assert syntax is None or "@sha256:" in syntax.group(1), first


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_image_takes_no_secrets_as_build_args_or_env(dockerfile):
    """No ARG or ENV name, in any stage, suggests a secret: build args and env end up readable in the image's
    history."""
    stages = parse_stages(ROOT / dockerfile)

    names = [name for spec in stages for name in [*spec.args, *spec.env]]

    assert not [name for name in names if re.search(r"TOKEN|SECRET|PASSWORD|KEY", name, re.IGNORECASE)]


@pytest.mark.parametrize("dockerfile", DOCKERFILES, ids=IMAGE_IDS)
def test_the_torch_index_url_stays_in_a_build_stage_out_of_the_image_history(dockerfile):
    """TORCH_INDEX_URL is an ARG of the stage that installs the virtualenv; the image itself copies only that
    folder from it and never names the URL, so `docker history` cannot show it."""
    spec = parse_dockerfile(ROOT / dockerfile)
    text = (ROOT / dockerfile).read_text()
    final_stage = text[text.rindex("\nFROM ") :]

    with_args = [stage for stage in spec.stages if stage.args]

    assert [stage.args for stage in with_args] == [["TORCH_INDEX_URL"]]
    assert [source for stage, source, _ in spec.from_stages if stage == with_args[0].name] == ["/opt/venv"]
    assert "TORCH_INDEX_URL" not in final_stage
    assert spec.args == []


def test_training_image_build_fails_when_torchvision_ops_do_not_load():
    """Dockerfile.train's last stage runs the torchvision ops check `invoke run-train` also runs, and the check
    passes with the torch and torchvision installed here."""
    spec = parse_dockerfile(ROOT / "Dockerfile.train")

    checked = subprocess.run([sys.executable, "-c", TORCHVISION_CHECK], capture_output=True, text=True, timeout=120)

    assert f'python -c "{TORCHVISION_CHECK}"' in spec.runs
    assert checked.returncode == 0, checked.stderr


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
    [
        "core/network.py",
        "training/cli.py",
        "inference/cli.py",
        "requirements.txt",
        "requirements.lock",
        "requirements-infer.txt",
        "samples/model.pt",
    ],
    ids=["core", "training", "inference", "requirements", "lock", "requirements-infer", "sample-model"],
)
def test_dockerignore_lets_the_image_sources_through(path):
    """The packages, requirement files and the sample model the Dockerfiles COPY stay in the context."""
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
    """tasks.py and the command builders import nothing at load time beyond requirements-tasks.txt (invoke), also
    through the modules of our other packages they import (delivery.image), whose imports are followed too."""
    sources = [ROOT / "tasks.py", *sorted((ROOT / "commands").glob("*.py"))]
    distributions = packages_distributions()

    imported = set()
    for path in sources:
        for node in ast.parse(path.read_text()).body:  # module level: what loading tasks.py needs
            if isinstance(node, ast.Import):
                imported.update(alias.name.split(".")[0] for alias in node.names)
            elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
                imported.add(node.module.split(".")[0])
                local = ROOT / Path(*node.module.split(".")).with_suffix(".py")
                if node.module.split(".")[0] in LOCAL_PACKAGES | {"delivery", "reporting"} and local not in sources:
                    sources.append(local)  # followed: its own imports load with tasks.py
    third_party = imported - set(sys.stdlib_module_names) - {"__future__", "commands"} - LOCAL_PACKAGES
    third_party -= {"delivery", "reporting"}
    needed = {normalise(d) for module in third_party for d in distributions.get(module, [module])}

    assert needed <= set(requirement_names(ROOT / "requirements-tasks.txt")), needed


def workflow_jobs(image: str) -> dict:
    """The jobs of .github/workflows/docker-<image>.yaml."""
    return YAML(typ="safe", pure=True).load(ROOT / ".github" / "workflows" / f"docker-{image}.yaml")["jobs"]


MAIN_PUSH = "github.event_name == 'push' && github.ref == 'refs/heads/main'"


# The training image only: the inference image is pushed by cml.yaml's release job, around the released model.
@pytest.mark.parametrize("image", ["train"])
def test_docker_workflow_runs_a_read_only_job_or_on_main_the_one_that_may_push(image):
    """Exactly one of two jobs runs: `check` (read-only token) unless it is a push to main, then `publish`."""
    jobs = workflow_jobs(image)

    assert set(jobs) == {"check", "publish"}
    assert jobs["check"]["if"] == f"${{{{ !({MAIN_PUSH}) }}}}"
    assert jobs["publish"]["if"] == MAIN_PUSH
    assert jobs["check"]["permissions"] == {"contents": "read"}
    assert jobs["publish"]["permissions"] == {"contents": "read", "packages": "write"}


@pytest.mark.parametrize("image", ["train"])
def test_publish_pushes_the_image_its_own_smoke_run_passed(image):
    """`publish` runs check's steps as they are, then logs in to ghcr.io and runs `invoke push-<image>`; no --push."""
    jobs = workflow_jobs(image)
    checked, published = jobs["check"]["steps"], jobs["publish"]["steps"]

    login, push = published[len(checked) :]

    assert published[: len(checked)] == checked
    assert checked[-1] == {"run": f"invoke run-{image}"}
    assert login["uses"].startswith("docker/login-action@") and login["with"]["registry"] == "ghcr.io"
    assert push == {"run": f"invoke push-{image}"}
    assert hasattr(tasks, f"push_{image}")
    assert [step for step in published if "--push" in step.get("run", "")] == []


def test_inference_workflow_builds_and_runs_only_the_inference_image():
    """docker-infer.yaml names no training-image task: its smoke run predicts with the committed sample model,
    which is run-infer's default, so a broken Dockerfile.train cannot fail it."""
    jobs = workflow_jobs("infer")
    config = project_context().config

    invoked = [step["run"] for job in jobs.values() for step in job["steps"] if "run" in step]

    assert [line for line in invoked if "train" in line] == []
    assert [line for line in invoked if line.startswith("invoke ")] == ["invoke build-infer", "invoke run-infer"]
    assert config.docker.smoke_model == "samples/model.pt"
    assert (ROOT / config.docker.smoke_model).is_file()
