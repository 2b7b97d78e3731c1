"""`python -m delivery.history_cli`: fill `history/` and draw its page.

    history --out DIR --releases N [--from RUNS]   the last N GitHub releases (GITHUB_* environment), or the
                                                   last N runs of the folder RUNS (no token needed)
    dashboard --history DIR --out SITE             the static page of the history (site/index.html)

Exit codes: 0 done; 1 GitHub failed; 2 bad flags or bad input (a folder or file missing or invalid).
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping, Sequence
from pathlib import Path

from delivery.history import DEFAULT_LIMIT, HistoryError, runs_from_folder, write_history
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_OK

PROG = "python -m delivery.history_cli"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog=PROG, description="Fill history/ and draw its page.")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    history = commands.add_parser(
        "history",
        help="write history/ from the GitHub releases or from a folder of runs",
        description="Write the history folder: the last N releases' metrics.json and predictions.csv (only "
        "those not already there are downloaded), or, with --from, the last N runs of a folder of artifact "
        "folders, ordered by when they were trained.",
    )
    history.add_argument("--out", default="history", help="the history folder (default: %(default)s)")
    history.add_argument(
        "--releases", type=int, default=DEFAULT_LIMIT, metavar="N", help="entries kept (default: %(default)s)"
    )
    history.add_argument("--from", dest="source", metavar="RUNS", help="a folder of run artifact folders")
    history.set_defaults(handler=run_history)
    dashboard = commands.add_parser(
        "dashboard",
        help="write the history's static page",
        description="Write SITE/index.html (and its files) from the history folder: no request to any other host.",
    )
    dashboard.add_argument("--history", default="history", help="the history folder (default: %(default)s)")
    dashboard.add_argument("--out", default="site", help="where the page goes (default: %(default)s)")
    dashboard.set_defaults(handler=run_dashboard)
    return parser


def run_history(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    out = Path(args.out)
    if args.releases < 1:
        raise HistoryError(f"--releases must be at least 1, got {args.releases}")
    if args.source:
        entries, skipped = runs_from_folder(args.source, args.releases)
        for line in skipped:
            print(f"history: {line}", file=sys.stderr)
        history = write_history(out, entries, source=f"folder:{args.source}")
        print(f"history: wrote {len(history.entries)} runs of {args.source} to {out}/", file=sys.stderr)
        return EXIT_OK
    from delivery.history_github import fetch_history

    return fetch_history(out, limit=args.releases, env=env)


def run_dashboard(args: argparse.Namespace, _env: Mapping[str, str]) -> int:
    from delivery.history import read_history
    from delivery.history_site import write_site

    history = read_history(args.history)
    for line in history.problems:
        print(f"dashboard: {line}", file=sys.stderr)
    written = write_site(history, Path(args.out))
    print(f"dashboard: wrote {written} ({len(history.entries)} entries)", file=sys.stderr)
    return EXIT_OK


def main(argv: Sequence[str] | None = None, env: Mapping[str, str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    env = os.environ if env is None else env
    try:
        return args.handler(args, env)
    except HistoryError as exc:
        print(f"{PROG} {args.command}: error: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except OSError as exc:
        print(f"{PROG} {args.command}: error: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return EXIT_BAD_INPUT


if __name__ == "__main__":
    raise SystemExit(main())
