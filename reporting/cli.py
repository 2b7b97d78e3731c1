"""`python -m reporting`: the command line of the reporting package (printing and file writing live here).

Exit codes: 0 done; 1 bad input (a metrics file missing or broken, a baseline that cannot be made);
2 usage error (bad flags); 3 the report was written but the quality gate failed.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

from core.atomic import write_json, write_text
from reporting.baseline import BaselineError, find_commit, has_training_code, train_at
from reporting.compare import compare
from reporting.gate import check_gate
from reporting.markdown import code
from reporting.metrics import MetricsError, load_metrics
from reporting.render import IMAGES, render_report

EXIT_OK = 0
EXIT_BAD_INPUT = 1
EXIT_USAGE = 2  # argparse's own
EXIT_GATE_FAILED = 3


def fraction(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1, got {text!r}") from None
    if not 0 <= value <= 1:
        raise argparse.ArgumentTypeError(f"expected a number from 0 to 1 (0.95 means 95%), got {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m reporting",
        description="Render report.md from the training artifacts, or make the base branch's metrics to compare with.",
        epilog="Exit codes: 0 done, 1 bad input, 2 usage error, 3 report written but the quality gate failed.",
    )
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    render = commands.add_parser(
        "render",
        help="write ARTIFACTS/report.md from metrics.json and apply the quality gate",
        description="Write report.md from ARTIFACTS/metrics.json (nothing else is read but classification_report.txt "
        "and the names of the PNGs), compared with a baseline metrics.json when given, and apply the quality gate. "
        "A failed gate still writes the report, marks it at the top and exits 3.",
    )
    render.add_argument("--artifacts", default="artifacts", help="the training artifacts (default: %(default)s)")
    render.add_argument("--out", help="where to write the report (default: ARTIFACTS/report.md)")
    baseline = render.add_mutually_exclusive_group()
    baseline.add_argument("--baseline", metavar="PATH", help="the base branch's metrics.json; must exist")
    baseline.add_argument(
        "--baseline-if-exists",
        metavar="PATH",
        help="like --baseline, but a missing file means 'no baseline' (what `invoke baseline` leaves when the base "
        "branch has no training code yet)",
    )
    render.add_argument("--min-accuracy", type=fraction, metavar="X", help="fail when accuracy is below X (0..1)")
    render.add_argument(
        "--max-drop",
        type=fraction,
        metavar="Y",
        help="fail when accuracy fell by more than Y (0..1; 0.01 is one point) against the baseline; "
        "not checked without one",
    )
    render.add_argument("--title", default="CML report", help="the report's heading (default: %(default)s)")
    render.set_defaults(handler=run_render)

    make = commands.add_parser(
        "baseline",
        help="train another git ref in a temporary worktree and write its metrics.json",
        description="Check out REF in a temporary git worktree, train it with the given flags and write its "
        "metrics.json to OUT. When REF has no training code yet, write nothing (an older OUT is removed) and exit 0, "
        "so the report says 'no baseline'.",
    )
    make.add_argument("--ref", required=True, help="the git ref to train, e.g. origin/main")
    make.add_argument("--out", required=True, help="where to write the baseline's metrics.json")
    make.add_argument("--dataset", default="digits", help="as for `python -m training` (default: %(default)s)")
    make.add_argument("--seed", type=int, default=0, help="as for `python -m training` (default: %(default)s)")
    make.add_argument("--epochs", type=int, default=0, help="0: that ref's default for the dataset (default: 0)")
    make.add_argument("--repo", default=".", help="a path inside the git repository (default: the current directory)")
    make.set_defaults(handler=run_baseline)
    return parser


def run_render(args: argparse.Namespace) -> int:
    artifacts = Path(args.artifacts)
    out = Path(args.out) if args.out else artifacts / "report.md"
    metrics = load_metrics(artifacts / "metrics.json")
    baseline, no_baseline_reason = read_baseline(args.baseline, args.baseline_if_exists)
    comparison = compare(metrics, baseline) if baseline else None
    gate = check_gate(metrics, comparison, min_accuracy=args.min_accuracy, max_drop=args.max_drop)
    text_report = artifacts / "classification_report.txt"
    report = render_report(
        metrics,
        title=args.title,
        comparison=comparison,
        no_baseline_reason=no_baseline_reason,
        gate=gate,
        classification_report=text_report.read_text(encoding="utf-8") if text_report.is_file() else None,
        images=images_beside(artifacts, out),
    )
    write_text(out, report)
    against = f"compared with {comparison.name}" if comparison else "no baseline"
    print(f"reporting: wrote {out} ({len(report):,} characters; {against})", file=sys.stderr)
    for rule in gate.failures:
        print(f"reporting: quality gate failed: {rule.message} ({rule.rule})", file=sys.stderr)
    return EXIT_OK if gate.passed else EXIT_GATE_FAILED


def read_baseline(required: str | None, optional: str | None) -> tuple[dict | None, str]:
    """The baseline metrics, or None and the reason the report gives for having none."""
    if required:
        return load_metrics(required), ""
    if optional and Path(optional).exists():
        return load_metrics(optional), ""
    if optional:
        return (
            None,
            f"{code(optional)} does not exist: the base branch has no training code yet, or no baseline was made",
        )
    return None, "none given"


def images_beside(artifacts: Path, report: Path) -> tuple[str, ...]:
    """The PNGs that exist, as paths relative to the report, so they resolve wherever the files are viewed."""
    present = [artifacts / name for name, _ in IMAGES if (artifacts / name).is_file()]
    return tuple(Path(os.path.relpath(path, report.parent)).as_posix() for path in present)


def run_baseline(args: argparse.Namespace) -> int:
    out = Path(args.out)
    try:
        root, commit = find_commit(args.repo, args.ref)
        if not has_training_code(root, commit):
            stale = remove_stale(out)
            print(
                f"reporting: {args.ref} ({commit[:7]}) has no training code yet: no baseline written{stale}; "
                "the report will say 'no baseline'",
                file=sys.stderr,
            )
            return EXIT_OK
        print(f"reporting: training {args.ref} ({commit[:7]}) in a temporary worktree", file=sys.stderr)
        metrics = train_at(root, commit, dataset=args.dataset, seed=args.seed, epochs=args.epochs)
    except BaselineError:
        remove_stale(out)
        raise
    metrics["baseline_source"] = {"ref": args.ref, "commit": commit}
    write_json(out, metrics)
    print(f"reporting: wrote {out} ({args.ref} at {commit[:7]}: accuracy {metrics['accuracy']:.4f})", file=sys.stderr)
    return EXIT_OK


def remove_stale(path: Path) -> str:
    """Delete an older baseline so a report never compares with the wrong ref; says so when it did."""
    if path.exists():
        path.unlink()
        return f" (removed the older {path})"
    return ""


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return args.handler(args)
    except (MetricsError, BaselineError) as exc:
        print(f"reporting: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
