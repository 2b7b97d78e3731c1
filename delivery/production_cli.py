"""`python -m delivery.production_cli --out DIR`: the production model's metrics.json and predictions.csv (the
latest GitHub release's assets), for the PR report's "Production:" line and its would-it-be-promoted warning.

No token or no release yet: DIR is emptied and the report names no production model (exit 0). Exit 1 when
GitHub fails; the report job goes on without it.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import sys
from collections.abc import Mapping
from pathlib import Path

from core.atomic import write_text
from delivery.github_releases import ReleaseError, Releases
from delivery.production import RECORD, read_production
from delivery.promotion import Production
from reporting.exit_codes import EXIT_FAILED, EXIT_OK
from reporting.github_comment import TOKEN_VARIABLES, CommentError, connection_from_env

FILES = ("metrics.json", "predictions.csv")


def fetch_production(releases: Releases, folder: Path) -> Production | None:
    """The latest release's files saved in `folder` (emptied first); None when there is no release yet."""
    shutil.rmtree(folder, ignore_errors=True)
    latest = releases.latest()
    if latest is None:
        return None
    if "metrics.json" not in latest.assets:
        raise ReleaseError(f"production release {latest.tag} has no metrics.json asset to compare with")
    folder.mkdir(parents=True)
    for name in FILES:
        if name in latest.assets:
            (folder / name).write_bytes(releases.download(latest, name))
    record = {"tag": latest.tag, "commit": latest.commit, "url": latest.url}
    write_text(folder / RECORD, json.dumps(record, indent=2) + "\n")
    return read_production(folder)


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    parser = argparse.ArgumentParser(prog="python -m delivery.production_cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("--out", default="production", metavar="DIR", help="where to save (default: %(default)s)")
    args = parser.parse_args(argv)
    out = Path(args.out)
    if not any(env.get(name) for name in TOKEN_VARIABLES):
        shutil.rmtree(out, ignore_errors=True)
        print("production: no GITHUB_TOKEN: the report names no production model")
        return EXIT_OK
    try:
        production = fetch_production(Releases(connection_from_env(env)), out)
    except (ReleaseError, CommentError) as exc:
        shutil.rmtree(out, ignore_errors=True)
        print(f"production: {exc}", file=sys.stderr)
        return EXIT_FAILED
    if production is None:
        print("production: no release yet: the first merge to main releases model-v1")
    else:
        print(f"production: {production.tag} ({production.commit[:7]}) saved in {out}/")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
