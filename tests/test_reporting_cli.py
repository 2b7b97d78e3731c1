"""Tests for reporting/cli.py (`python -m reporting render`): files written, exit codes, messages."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from fake_metrics import three_classes
from helpers import ROOT

from reporting.baseline import leave_no_baseline
from reporting.cli import main
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_GATE_FAILED, EXIT_OK
from reporting.stats import mcnemar_p


def write_artifacts(directory: Path, metrics: dict) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    (directory / "metrics.json").write_text(json.dumps(metrics))
    (directory / "classification_report.txt").write_text("precision recall\n")
    (directory / "confusion_matrix.png").write_bytes(b"\x89PNG")
    return directory


def test_render_writes_report_beside_the_metrics(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """The report lands in ARTIFACTS/report.md, and the log line says where and how long."""
    artifacts = write_artifacts(tmp_path / "artifacts", three_classes())

    code = main(["render", "--artifacts", str(artifacts)])

    report = (artifacts / "report.md").read_text()
    assert code == EXIT_OK
    assert report.startswith("## CML report\n")
    assert "![confusion matrix](confusion_matrix.png)" in report and "training_curves.png" not in report
    log = capsys.readouterr().err
    assert f"reporting: wrote {artifacts / 'report.md'} ({len(report):,} characters; no baseline)" in log


def test_failed_gate_writes_the_report_and_exits_3(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A broken rule still writes the report, marked at the top, and exits with the gate's own code."""
    artifacts = write_artifacts(tmp_path / "artifacts", three_classes({(0, 1): 10}))

    code = main(["render", "--artifacts", str(artifacts), "--min-accuracy", "0.95"])

    assert code == EXIT_GATE_FAILED == 3
    assert "> **Quality gate failed**" in (artifacts / "report.md").read_text()
    assert "quality gate failed: accuracy 85.71% is below the minimum 95.00%" in capsys.readouterr().err


def test_worse_than_baseline_fails_and_better_passes(tmp_path: Path) -> None:
    """--max-drop 0.01: a run 2 points under the baseline fails; the baseline measured against it passes."""
    worse = write_artifacts(tmp_path / "worse", three_classes({(0, 1): 1, (1, 2): 1}))
    better = write_artifacts(tmp_path / "better", three_classes())

    fail = main(["render", "--artifacts", str(worse), "--baseline", str(better / "metrics.json"), "--max-drop", "0.01"])
    ok = main(["render", "--artifacts", str(better), "--baseline", str(worse / "metrics.json"), "--max-drop", "0.01"])

    assert (fail, ok) == (EXIT_GATE_FAILED, EXIT_OK)
    assert "accuracy fell 3.23 pp vs baseline" in (worse / "report.md").read_text()
    assert "**Accuracy 100.00%** (+3.23 pp vs baseline;" in (better / "report.md").read_text()


def test_missing_optional_baseline_says_none_was_given(tmp_path: Path) -> None:
    """--baseline-if-exists with no file (a push to main: no baseline made) says plainly that nothing was compared,
    without guessing why; the drop rule is not checked."""
    artifacts = write_artifacts(tmp_path / "artifacts", three_classes())
    missing = tmp_path / "baseline" / "metrics.json"

    code = main(["render", "--artifacts", str(artifacts), "--baseline-if-exists", str(missing), "--max-drop", "0.01"])

    report = (artifacts / "report.md").read_text()
    assert code == EXIT_OK
    assert f"· no baseline (none given: `{missing}` does not exist)\n" in report
    assert "training code" not in report
    assert "not checked: no baseline" in report


def test_missing_optional_baseline_gives_the_reason_the_baseline_command_noted(tmp_path: Path) -> None:
    """When `reporting baseline` noted why it made no baseline, the report gives that reason, made safe for markdown."""
    artifacts = write_artifacts(tmp_path / "artifacts", three_classes())
    missing = tmp_path / "baseline" / "metrics.json"
    leave_no_baseline(missing, "origin/<b>main</b> at 1234567 has no training code yet")

    main(["render", "--artifacts", str(artifacts), "--baseline-if-exists", str(missing)])

    report = (artifacts / "report.md").read_text()
    assert "no baseline (origin/&lt;b&gt;main&lt;/b&gt; at 1234567 has no training code yet)" in report


def test_existing_optional_baseline_is_compared(tmp_path: Path) -> None:
    """--baseline-if-exists with a file compares with it like --baseline."""
    artifacts = write_artifacts(tmp_path / "artifacts", three_classes())
    baseline = write_artifacts(tmp_path / "baseline", {**three_classes(), "baseline_source": {"ref": "origin/main"}})

    main(["render", "--artifacts", str(artifacts), "--baseline-if-exists", str(baseline / "metrics.json")])

    assert "(±0.00 pp vs main)" in (artifacts / "report.md").read_text()


@pytest.mark.parametrize(
    ("make_args", "message"),
    [
        (lambda d: ["--artifacts", str(d / "nowhere")], "nowhere/metrics.json: no such file"),
        (lambda d: ["--artifacts", str(d / "art"), "--baseline", str(d / "old.json")], "old.json: no such file"),
    ],
    ids=["no-metrics", "explicit-baseline-missing"],
)
def test_bad_input_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture, make_args, message) -> None:
    """A missing metrics or baseline file: one error line naming it, exit 2 (as for bad flags), no report written."""
    write_artifacts(tmp_path / "art", three_classes())

    code = main(["render", *make_args(tmp_path)])

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT == 2
    assert err.startswith("python -m reporting render: error: ") and message in err and err.count("\n") == 1
    assert not (tmp_path / "art" / "report.md").exists()


def test_unwritable_report_path_is_one_line_and_exit_2(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    """An --out that cannot be written (its folder is a file) is bad input: one line naming it, no traceback."""
    artifacts = write_artifacts(tmp_path / "art", three_classes())
    (tmp_path / "file").write_text("")

    code = main(["render", "--artifacts", str(artifacts), "--out", str(tmp_path / "file" / "report.md")])

    err = capsys.readouterr().err
    assert code == EXIT_BAD_INPUT
    assert err.startswith("python -m reporting render: error: ") and str(tmp_path / "file") in err
    assert err.count("\n") == 1


@pytest.mark.parametrize("value", ["95", "-0.1", "high"], ids=["percent", "negative", "text"])
def test_gate_values_must_be_fractions(capsys: pytest.CaptureFixture[str], value: str) -> None:
    """--min-accuracy 95 (meaning 95%) is a usage error: exit 2, one line naming the flag."""

    with pytest.raises(SystemExit) as caught:
        main(["render", "--min-accuracy", value])

    err = capsys.readouterr().err
    assert caught.value.code == EXIT_BAD_INPUT
    assert err.startswith("python -m reporting render: error: argument --min-accuracy: ") and err.count("\n") == 1


def test_missing_subcommand_is_a_one_line_usage_error(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m reporting` alone: exit 2 and one line saying a command is needed."""

    with pytest.raises(SystemExit) as caught:
        main([])

    err = capsys.readouterr().err
    assert caught.value.code == EXIT_BAD_INPUT
    assert err.startswith("python -m reporting: error: ") and "COMMAND" in err and err.count("\n") == 1


def test_report_written_elsewhere_links_images_relative_to_itself(tmp_path: Path) -> None:
    """With --out outside the artifact dir, image paths still lead to the PNGs."""
    artifacts = write_artifacts(tmp_path / "artifacts", three_classes())
    out = tmp_path / "site" / "report.md"

    main(["render", "--artifacts", str(artifacts), "--out", str(out)])

    assert "![confusion matrix](../artifacts/confusion_matrix.png)" in out.read_text()


def test_reporting_never_imports_torch(tmp_path: Path) -> None:
    """`python -m reporting render` runs end to end without loading torch (it must run where torch is not installed)."""
    artifacts = write_artifacts(tmp_path / "artifacts", three_classes())
    script = (
        "import runpy, sys\n"
        f"sys.argv = ['reporting', 'render', '--artifacts', {str(artifacts)!r}]\n"
        "try:\n    runpy.run_module('reporting', run_name='__main__')\n"
        "except SystemExit as done:\n    code = done.code\n"
        "import reporting.cli, reporting.baseline\n"
        "assert code == 0, code\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
    )

    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr


def test_reporting_cli_loads_without_scipy_or_numpy() -> None:
    """The comment jobs install only requirements-report.txt: the CLI must load without scipy (or numpy)."""
    script = "import sys, reporting.cli\nassert not {'scipy', 'numpy'} & set(sys.modules), sorted(sys.modules)\n"

    done = subprocess.run([sys.executable, "-c", script], cwd=ROOT, capture_output=True, text=True)

    assert done.returncode == 0, done.stderr[-500:]


@pytest.mark.slow
def test_invoke_report_on_real_runs_gates_a_worse_model(trained_checkpoint: Path, tmp_path: Path) -> None:
    """`invoke report --baseline OLD --max-drop 0.01`: a 1-epoch model against a longer-trained one exits 3 and
    says why; the other way round it exits 0 and shows the gain."""
    good = tmp_path / "good"
    shutil.copytree(trained_checkpoint, good, ignore=shutil.ignore_patterns("model.pt", "report.md"))
    weak = tmp_path / "weak"
    training = [sys.executable, "-m", "training", "--epochs", "1", "--out", str(weak)]
    subprocess.run(training, cwd=ROOT, capture_output=True, check=True)

    def invoke_report(artifacts: Path, baseline: Path) -> int:
        command = ["report", "--artifacts", str(artifacts), "--baseline", str(baseline / "metrics.json")]
        gate = ["--max-drop", "0.01", "--min-accuracy", "0"]
        done = subprocess.run([sys.executable, "-m", "invoke", *command, *gate], cwd=ROOT, capture_output=True)
        return done.returncode

    worse_code = invoke_report(weak, good)
    better_code = invoke_report(good, weak)

    weak_report = (weak / "report.md").read_text()
    good_report = (good / "report.md").read_text()
    assert (worse_code, better_code) == (3, 0)
    assert "> **Quality gate failed**" in weak_report and "accuracy fell" in weak_report
    assert re.search(r"\*\*Accuracy \d+\.\d\d%\*\* \(\+\d+\.\d\d pp vs baseline;", good_report)
    assert re.search(
        r"\*\*-\d+\.\d\d pp\*\*: \d+ fixed, \d+ broken, \d+ unchanged, McNemar p [^:]+: significant", weak_report
    )
    assert "dataset `digits` · " in good_report and " · split train 1257 / val 180 / test 360 · " in good_report


BASELINE_30 = ("--epochs", "30")  # the digits default, seed 0, split seed 0
PAIRED_LINE = re.compile(
    r"\*\*(?P<delta>[-+±][\d.]+) pp\*\*: (?P<fixed>\d+) fixed, (?P<broken>\d+) broken, (?P<same>\d+) unchanged, "
    r"McNemar p (?P<p>[^:]+): (?P<verdict>significant|not significant) \(alpha 0\.05\)\."
)


def render_against(artifacts: Path, baseline: Path, tmp_path: Path, *gate: str) -> tuple[int, str]:
    """`python -m reporting render` of a copy of ARTIFACTS against BASELINE's metrics.json: (exit code, report)."""
    copy = tmp_path / f"{artifacts.name}-vs-{baseline.name}"
    shutil.copytree(artifacts, copy, ignore=shutil.ignore_patterns("model.pt", "*.png", "report.md"))
    code = main(["render", "--artifacts", str(copy), "--baseline", str(baseline / "metrics.json"), *gate])
    return code, (copy / "report.md").read_text()


def what_changed_rows(report: str) -> list[str]:
    section = report.partition("### What changed\n\n")[2].partition("\n\n")[0]
    return section.splitlines()[2:]


def test_runs_that_differ_only_in_the_training_seed_are_paired_and_gated_on_significance(
    digits_runs, tmp_path: Path
) -> None:
    """Seed 0 and seed 1 with the same split seed share the test fingerprint; the report pairs their samples
    (fixed, broken, McNemar p) and the gate fails only a fall beyond --max-drop that is also significant."""
    baseline, other = digits_runs(*BASELINE_30), digits_runs(*BASELINE_30, "--seed", "1")

    code, report = render_against(other, baseline, tmp_path, "--max-drop", "0.01")

    runs = [json.loads((run / "metrics.json").read_text())["run"] for run in (baseline, other)]
    assert runs[0]["test_fingerprint"] == runs[1]["test_fingerprint"]
    paired = PAIRED_LINE.search(report)
    assert paired, report
    fixed, broken = int(paired["fixed"]), int(paired["broken"])
    assert fixed + broken + int(paired["same"]) == 360
    significant = mcnemar_p(fixed, broken) < 0.05
    assert paired["verdict"] == ("significant" if significant else "not significant")
    fell_too_far = (broken - fixed) / 360 > 0.01
    assert code == (EXIT_GATE_FAILED if significant and fell_too_far else EXIT_OK)
    assert what_changed_rows(report) == ["| `seed` | 0 → 1 |"]


def test_a_seed_change_larger_than_max_drop_only_warns_unless_significant(digits_runs, tmp_path: Path) -> None:
    """With a --max-drop smaller than the seeds' difference, the run that scored lower against the other fails
    only if McNemar finds the fall significant; otherwise the gate passes with a warning that says so."""
    first, second = digits_runs(*BASELINE_30), digits_runs(*BASELINE_30, "--seed", "1")
    accuracies = [json.loads((run / "metrics.json").read_text())["accuracy"] for run in (first, second)]
    lower, higher = (first, second) if accuracies[0] < accuracies[1] else (second, first)

    code, report = render_against(lower, higher, tmp_path, "--max-drop", "0.001")

    paired = PAIRED_LINE.search(report)
    assert paired and int(paired["broken"]) > int(paired["fixed"]), report
    if paired["verdict"] == "significant":
        assert code == EXIT_GATE_FAILED
    else:
        assert code == EXIT_OK
        assert "more than the allowed 0.10 pp but not significant" in report


def test_a_3_epoch_run_fails_against_the_30_epoch_baseline_with_counts_and_p(digits_runs, tmp_path: Path) -> None:
    """3 epochs against 30: the drop rule fails with the fixed/broken counts and the p-value, and What changed
    shows epochs 30 → 3."""
    baseline, short = digits_runs(*BASELINE_30), digits_runs("--epochs", "3")

    code, report = render_against(short, baseline, tmp_path, "--max-drop", "0.01")

    assert code == EXIT_GATE_FAILED
    failed = re.search(r"❌ accuracy fell [\d.]+ pp vs baseline \(.*\), more than the allowed 1\.00 pp: (.*)\(", report)
    assert failed and re.fullmatch(r"\d+ fixed, \d+ broken, McNemar p (&lt; 0\.001|= [\d.]+) ", failed[1]), report
    assert PAIRED_LINE.search(report)["verdict"] == "significant"
    assert "| `epochs` | 30 → 3 |" in what_changed_rows(report)


def test_a_folder_run_is_not_compared_with_the_digits_baseline(
    digits_runs, folder_run: tuple[Path, Path], tmp_path: Path
) -> None:
    """A folder-dataset run against the digits baseline: one line saying why, no delta, max-drop not applied,
    min-accuracy still applied."""
    baseline, (_, folder) = digits_runs(*BASELINE_30), folder_run

    code, report = render_against(folder, baseline, tmp_path, "--max-drop", "0.01", "--min-accuracy", "0.2")

    assert code == EXIT_OK
    assert re.search(r"\*\*Not comparable with baseline @ `\w{7}`\*\*: another dataset \(`digits` → `folder:", report)
    assert " pp vs baseline" not in report and "F1 vs baseline" not in report
    assert "⚪ largest allowed drop not applied: baseline is not comparable with this run" in report
    assert re.search(r"✅ accuracy [\d.]+% is at least 20\.00% \(`--min-accuracy 0\.2`\)", report)


def test_a_run_against_itself_changes_nothing(digits_runs, tmp_path: Path) -> None:
    """Identical runs: no What changed section, every sample unchanged, the gate passes."""
    baseline = digits_runs(*BASELINE_30)

    code, report = render_against(baseline, baseline, tmp_path, "--max-drop", "0.01")

    assert code == EXIT_OK
    assert "### What changed" not in report
    assert "**±0.00 pp**: 0 fixed, 0 broken, 360 unchanged, McNemar p = 1.00: not significant" in report


def test_an_old_baseline_is_compared_as_before_with_a_note(digits_runs, tmp_path: Path) -> None:
    """A baseline from before fingerprints and predictions.csv: number-to-number comparison, a note saying so,
    and a larger fall fails as it always did."""
    old = tmp_path / "old"
    shutil.copytree(digits_runs(*BASELINE_30), old, ignore=shutil.ignore_patterns("predictions.csv", "model.pt"))
    metrics = json.loads((old / "metrics.json").read_text())
    for key in ("split_seed", "dataset_fingerprint", "test_fingerprint"):
        del metrics["run"][key]
    (old / "metrics.json").write_text(json.dumps(metrics))

    code, report = render_against(digits_runs("--epochs", "3"), old, tmp_path, "--max-drop", "0.01")

    assert code == EXIT_GATE_FAILED
    assert "baseline records no test-split fingerprint (made before runs recorded one)" in report
    assert "more than the allowed 1.00 pp; no paired predictions to test its significance" in report
