"""`python -m delivery.promote_cli --release model-v<M>`: make an earlier release production again (rollback
without retraining). GitHub's "latest" flag moves to it; `invoke promote` then moves the image's `latest` tag to
that release's existing image. Says what production was before. Exit codes: 0 done (or already production);
1 GitHub failed or no such release; 2 a --release that is not model-v<N>.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Mapping

from delivery.github_releases import ReleaseError, Releases
from delivery.promotion import release_number
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from reporting.github_comment import TOKEN_VARIABLES, CommentError, connection_from_env


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m delivery.promote_cli", description=__doc__.split("\n\n")[0])
    parser.add_argument("--release", required=True, metavar="TAG", help="the release to make production: model-v<N>")
    parser.add_argument("--dry", action="store_true", help="say what would change; change nothing")
    return parser


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    args = build_parser().parse_args(argv)
    if release_number(args.release) is None:
        print(f"promote: --release must be a release tag model-v<N>, got {args.release!r}", file=sys.stderr)
        return EXIT_BAD_INPUT
    if not any(env.get(name) for name in TOKEN_VARIABLES):
        print("promote: no GITHUB_TOKEN: cannot look up or move the latest release", file=sys.stderr)
        return EXIT_FAILED
    try:
        releases = Releases(connection_from_env(env))
        target = releases.by_tag(args.release)
        if target is None:
            print(
                f"promote: no release {args.release} in {env.get('GITHUB_REPOSITORY', 'the repository')}",
                file=sys.stderr,
            )
            return EXIT_FAILED
        before = releases.latest()
        was = before.tag if before is not None else "none"
        if before is not None and before.tag == target.tag:
            print(f"promote: {target.tag} is production already")
            return EXIT_OK
        if args.dry:
            print(f"promote (dry): production would move {was} → {target.tag} ({target.commit[:7]})")
            return EXIT_OK
        releases.set_latest(target)
    except (ReleaseError, CommentError) as exc:
        print(f"promote: {exc}", file=sys.stderr)
        return EXIT_FAILED
    print(f"promote: production {was} → {target.tag} ({target.commit[:7]})")
    return EXIT_OK


if __name__ == "__main__":
    raise SystemExit(main())
