"""`python -m reporting`: the command line of the reporting package (printing and file writing live here).

Subcommands: `render` (report.md and the quality gate), `baseline` (the base branch's metrics.json),
`comment` (publish the report; see `reporting.comment_cli`). Exit codes: see `reporting.exit_codes`.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from core.argtypes import between
from core.atomic import write_text
from delivery.history import HistoryError
from delivery.history_section import history_for_report, pages_url
from delivery.production import production_paragraph, read_production
from reporting.baseline import BaselineError, BaselineInputError, no_baseline_reason, predictions_beside
from reporting.baseline_cli import add_baseline_command
from reporting.comment_cli import add_comment_command
from reporting.compare import DEFAULT_ALPHA, compare
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_GATE_FAILED, EXIT_OK
from reporting.gate import check_gate
from reporting.markdown import cell, code
from reporting.metrics import MetricsError, load_metrics
from reporting.predictions import load_predictions
from reporting.render import IMAGES, render_report

PROG = "python -m reporting"
fraction = between(0, 1)


class _OneLineErrorParser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # argparse would print the whole usage block
        self.exit(EXIT_BAD_INPUT, f"{self.prog}: error: {message} (see --help)\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _OneLineErrorParser(
        prog=PROG,
        description="Render report.md from the training artifacts, make the base branch's metrics to compare "
        "with, or publish the report as a sticky GitHub comment.",
        epilog="Exit codes: 0 done; 1 failed (GitHub refused, the baseline's training failed); 2 bad flags or "
        "bad input (a file missing or invalid); 3 report written but the quality gate failed.",
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
        help="like --baseline, but a missing file means 'no baseline'; the report gives the reason "
        "`python -m reporting baseline` noted beside it, if any",
    )
    render.add_argument(
        "--min-accuracy", type=fraction, metavar="X", help="fail when accuracy is below X (0..1; 0.95 is 95%%)"
    )
    render.add_argument(
        "--max-drop",
        type=fraction,
        metavar="Y",
        help="fail when accuracy fell by more than Y (0..1; 0.01 is one point) against the baseline and the fall "
        "is significant at --alpha; a larger fall that is not significant, or a significant one within Y, is a "
        "warning; not checked without a comparable baseline",
    )
    render.add_argument(
        "--alpha",
        type=between(0, 1),
        default=DEFAULT_ALPHA,
        metavar="A",
        help="significance level of the paired test (exact McNemar on the test samples fixed and broken) for "
        "--max-drop and for marking classes worse (default: %(default)s)",
    )
    render.add_argument(
        "--allow-interrupted",
        action="store_true",
        help="accept a run whose training was interrupted (fewer epochs than asked); by default it fails the gate",
    )
    render.add_argument(
        "--production-if-exists",
        metavar="DIR",
        help="the production release's files (`invoke production`): the report names it and warns when this run "
        "would not be promoted after merging; a missing DIR means no production model",
    )
    render.add_argument(
        "--release-max-drop",
        type=fraction,
        default=0.0,
        metavar="Y",
        help="the promotion rule's largest allowed drop against production (invoke.yaml release.max_drop; "
        "default: %(default)s)",
    )
    render.add_argument(
        "--history-if-exists",
        metavar="DIR",
        help="main's last releases (`invoke history`): the report draws them and the drift rule compares with "
        "them; a missing DIR means no history",
    )
    render.add_argument(
        "--max-drift",
        type=fraction,
        metavar="Z",
        help="fail when accuracy is more than Z (0..1) below one of the history's last --drift-window releases "
        "on the same test split, and significantly so (McNemar, Holm-corrected over them, at --alpha)",
    )
    render.add_argument(
        "--drift-window",
        type=int,
        default=10,
        metavar="N",
        help="the drift rule compares with the history's last N comparable releases (default: %(default)s)",
    )
    render.add_argument("--title", default="CML report", help="the report's heading (default: %(default)s)")
    render.set_defaults(handler=run_render)

    add_baseline_command(commands)
    add_comment_command(commands)
    return parser


def run_render(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    artifacts = Path(args.artifacts)
    out = Path(args.out) if args.out else artifacts / "report.md"
    metrics = load_metrics(artifacts / "metrics.json")
    baseline, no_baseline_reason_text = read_baseline(args.baseline, args.baseline_if_exists)
    comparison = None
    if baseline:
        comparison = compare(
            metrics,
            baseline,
            predictions=predictions_if_any(artifacts / "metrics.json"),
            baseline_predictions=predictions_if_any(args.baseline or args.baseline_if_exists),
            alpha=args.alpha,
        )
    drift_rule, history_text = history_for_report(
        metrics,
        predictions_if_any(artifacts / "metrics.json"),
        args.history_if_exists,
        max_drift=args.max_drift,
        window=args.drift_window,
        alpha=args.alpha,
        page_url=pages_url(env),
    )
    gate = check_gate(
        metrics,
        comparison,
        min_accuracy=args.min_accuracy,
        max_drop=args.max_drop,
        allow_interrupted=args.allow_interrupted,
        drift=drift_rule,
    )
    production = read_production(Path(args.production_if_exists)) if args.production_if_exists else None
    production_text = ""
    if production is not None:
        production_text = production_paragraph(
            metrics,
            predictions_if_any(artifacts / "metrics.json"),
            production,
            max_drop=args.release_max_drop,
            alpha=args.alpha,
        )
    text_report = artifacts / "classification_report.txt"
    report = render_report(
        metrics,
        title=args.title,
        comparison=comparison,
        no_baseline_reason=no_baseline_reason_text,
        production=production_text,
        history=history_text,
        gate=gate,
        classification_report=text_report.read_text(encoding="utf-8") if text_report.is_file() else None,
        images=images_beside(artifacts, out),
    )
    write_text(out, report)
    against = "no baseline"
    if comparison:
        against = f"compared with {comparison.name}" if comparison.comparable else f"{comparison.name} not comparable"
    print(f"reporting: wrote {out} ({len(report):,} characters; {against})", file=sys.stderr)
    for rule in gate.warnings:
        print(f"reporting: quality gate warning: {rule.message} ({rule.rule})", file=sys.stderr)
    for rule in gate.failures:
        print(f"reporting: quality gate failed: {rule.message} ({rule.rule})", file=sys.stderr)
    return EXIT_OK if gate.passed else EXIT_GATE_FAILED


def read_baseline(required: str | None, optional: str | None) -> tuple[dict | None, str]:
    """The baseline metrics, or None and the reason the report gives for having none (markdown)."""
    if required:
        return load_metrics(required), ""
    if not optional:
        return None, "none given"
    path = Path(optional)
    if path.exists():
        return load_metrics(path), ""
    noted = no_baseline_reason(path)
    if noted:
        return None, cell(noted)
    return None, f"none given: {code(optional)} does not exist"


def predictions_if_any(metrics_path: str | Path) -> dict[str, tuple[str, str]] | None:
    """The predictions.csv beside a metrics.json, or None where there is none (runs from before it existed)."""
    path = predictions_beside(Path(metrics_path))
    return load_predictions(path) if path.is_file() else None


def images_beside(artifacts: Path, report: Path) -> tuple[str, ...]:
    """The PNGs that exist, as paths relative to the report, so they resolve wherever the files are viewed."""
    present = [artifacts / name for name, _ in IMAGES if (artifacts / name).is_file()]
    return tuple(Path(os.path.relpath(path, report.parent)).as_posix() for path in present)


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    """Run one subcommand; `env` stands in for the process environment (tests)."""
    args = build_parser().parse_args(argv)
    env = os.environ if env is None else env
    try:
        return args.handler(args, env)
    except (MetricsError, BaselineInputError, HistoryError) as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:  # an output path that cannot be written, a file that cannot be read
        print(f"{PROG} {args.command}: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except BaselineError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_FAILED
