"""`python -m reporting baseline`: the base branch's metrics.json, from its CML run on GitHub or retrained.

Edge of the baseline feature: picks the source, prints one line per step, writes
`metrics.json` (and `predictions.csv` when there is one) with `baseline_source` saying where
they came from, or notes why there is no baseline for the report.
"""

from __future__ import annotations

import argparse
import re
import sys
from collections.abc import Mapping
from pathlib import Path

from core.argtypes import at_least
from core.atomic import atomic_path, write_json
from reporting.baseline import (
    EXTRA_FILES,
    PREDICTIONS,
    BaselineError,
    BaselineInputError,
    commits_behind,
    find_commit,
    has_training_code,
    leave_no_baseline,
    no_baseline_note,
    train_at,
)
from reporting.comment_cli import add_retry_arguments
from reporting.exit_codes import EXIT_OK
from reporting.github_baseline import RunArtifact, Unavailable, fetch_run_artifact, short
from reporting.github_comment import CommentError, RetryPolicy, connection_from_env, github_client

SOURCES = ("auto", "github", "train")
OVERRIDABLE = ("dataset", "seed", "epochs")  # training flags that override the ref's own invoke.yaml
_REMOTE_BRANCH = re.compile(r"^(?:refs/remotes/)?origin/(?P<branch>[^~^]+)$")

_DESCRIPTION = """\
Write the base branch's metrics.json to OUT (and its predictions.csv beside it, when there is one).

sources:
  github  the report artifact of the latest successful run of the CML workflow for a push to the
          base branch, at REF's commit or, when that run is missing, the closest older one (the report
          says how many commits behind). Needs GITHUB_TOKEN (actions: read) and GITHUB_REPOSITORY.
  train   check REF out in a temporary git worktree and run its own `invoke train`: its own code and
          invoke.yaml; --dataset/--seed/--epochs override that (the report says so).
  auto    github when a token and repository are set and no override is given, else train; also train
          when github has no usable artifact (no run, expired, missing, download failing after retries).

When no baseline can be made (REF has no training code yet, or its training fails) an older OUT is
removed and the reason is noted beside it (metrics.none.txt for metrics.json) for the report; no
training code yet is not an error (exit 0)."""


def add_baseline_command(commands: argparse._SubParsersAction) -> None:
    """The `baseline` subcommand of `python -m reporting`; its handler is `run_baseline`."""
    make = commands.add_parser(
        "baseline",
        help="the base branch's metrics.json: from its CML run on GitHub, or retrained in a worktree",
        description=_DESCRIPTION,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    make.add_argument("--ref", required=True, help="the git ref to compare with, e.g. origin/main")
    make.add_argument("--out", required=True, help="where to write the baseline's metrics.json")
    make.add_argument("--source", choices=SOURCES, default="auto", help="where the metrics come from (default: auto)")
    make.add_argument(
        "--branch",
        default="",
        help="the branch whose CML runs to search (default: BRANCH of a REF origin/BRANCH, else GITHUB_BASE_REF "
        "or GITHUB_REF_NAME)",
    )
    make.add_argument("--workflow", default="cml.yaml", help="the CML workflow's file name (default: %(default)s)")
    make.add_argument("--artifact", default="cml-report", help="its report artifact's name (default: %(default)s)")
    make.add_argument("--dataset", help="override the ref's own training dataset (retrains)")
    make.add_argument("--seed", type=at_least(0), help="override the ref's own seed (retrains)")
    make.add_argument("--epochs", type=at_least(1), help="override the ref's own epochs (retrains)")
    make.add_argument("--repo", default=".", help="a path inside the git repository (default: the current directory)")
    add_retry_arguments(make)
    make.set_defaults(handler=run_baseline)


def say(message: str) -> None:
    print(f"reporting: {message}", file=sys.stderr, flush=True)


def branch_of(ref: str, env: Mapping[str, str]) -> str:
    """The branch whose CML runs hold REF's metrics: from an origin/BRANCH ref, else the Actions event's."""
    match = _REMOTE_BRANCH.match(ref)
    if match:
        return match["branch"]
    return env.get("GITHUB_BASE_REF") or env.get("GITHUB_REF_NAME") or ""


def run_baseline(args: argparse.Namespace, env: Mapping[str, str]) -> int:
    out = Path(args.out)
    overrides = {name: getattr(args, name) for name in OVERRIDABLE if getattr(args, name) is not None}
    if overrides and args.source == "github":
        raise BaselineInputError("--dataset, --seed and --epochs need a retrained baseline: use --source train or auto")
    try:
        root, commit = find_commit(args.repo, args.ref)
        branch = args.branch or branch_of(args.ref, env)
        retrain_reason = ""
        if args.source != "train":
            try:
                found = from_github(args, env, root, commit, branch, overrides)
            except Unavailable as exc:
                if args.source == "github":
                    raise BaselineError(f"no baseline from GitHub: {exc}") from None
                retrain_reason = str(exc)
                say(f"{retrain_reason}: retraining {args.ref} instead")
            else:
                write_github_baseline(out, found, branch, commit)
                return EXIT_OK
        return retrain(args, env, root, commit, branch, overrides, retrain_reason)
    except BaselineError as exc:
        leave_no_baseline(out, f"no baseline could be made: {exc}")
        raise


def from_github(
    args: argparse.Namespace, env: Mapping[str, str], root: Path, commit: str, branch: str, overrides: dict
) -> RunArtifact:
    """The base branch's CML run artifact, or `Unavailable` saying why auto must retrain."""
    if overrides:
        raise Unavailable(f"{', '.join('--' + name for name in overrides)} given")
    try:
        connection = connection_from_env(env)
    except CommentError:
        raise Unavailable("no GitHub token and repository to fetch the CML run artifact") from None
    if not branch:
        raise Unavailable(f"cannot tell which branch {args.ref} is on (pass --branch)")
    policy = RetryPolicy(retries=args.retries, backoff=args.backoff)
    say(f"looking for the {args.artifact} artifact of {args.workflow} on {branch} for {short(commit)}")
    repo = github_client(connection, policy).get_repo(connection.repository)
    return fetch_run_artifact(
        repo,
        workflow=args.workflow,
        branch=branch,
        artifact_name=args.artifact,
        behind=lambda sha: commits_behind(root, sha, commit),
        policy=policy,
        wanted=commit,
    )


def write_github_baseline(out: Path, found: RunArtifact, branch: str, head: str) -> None:
    metrics = found.metrics
    metrics["baseline_source"] = {
        "kind": "github",
        "ref": branch,
        "commit": found.commit,
        "run_id": found.run_id,
        "run_number": found.run_number,
        "run_url": found.run_url,
        "head_commit": head,
        "commits_behind": found.commits_behind,
    }
    write_baseline(out, metrics, found.predictions, found.extras)
    behind = f", {found.commits_behind} commits behind {short(head)}" if found.commits_behind else ""
    say(f"wrote {out} from run #{found.run_number} ({branch} at {short(found.commit)}{behind}: {found.run_url})")


def retrain(
    args: argparse.Namespace,
    env: Mapping[str, str],
    root: Path,
    commit: str,
    branch: str,
    overrides: dict,
    reason: str,
) -> int:
    out = Path(args.out)
    if not has_training_code(root, commit):
        reason = f"{args.ref} at {short(commit)} has no training code yet"
        removed = f" (removed the older {out})" if leave_no_baseline(out, reason) else ""
        say(f"{reason}: no baseline written{removed}; the report will say so")
        return EXIT_OK
    given = f" with {' '.join(f'--{name} {value}' for name, value in overrides.items())}" if overrides else ""
    say(f"training {args.ref} ({short(commit)}) in a temporary worktree with its own invoke.yaml{given}")
    metrics, predictions, extras = train_at(root, commit, overrides=overrides, env=env)
    metrics["baseline_source"] = {
        "kind": "train",
        "ref": branch or args.ref,  # what the report calls it: main, not origin/main or HEAD~1
        "git_ref": args.ref,
        "commit": commit,
        **({"retrain_reason": reason} if reason else {}),
        **({"overrides": overrides} if overrides else {}),
    }
    write_baseline(out, metrics, predictions, extras)
    say(f"wrote {out} ({args.ref} at {short(commit)}: accuracy {metrics['accuracy']:.4f})")
    return EXIT_OK


def write_baseline(out: Path, metrics: dict, predictions: bytes | None, extras: dict[str, bytes] | None = None) -> None:
    """predictions.csv and the EXTRA_FILES beside `out` (older ones removed where the run has none), then
    metrics.json at `out`, and no note saying there is no baseline."""
    # The other files first: metrics.json says a baseline is there, so it must never pair with stale ones.
    files = {PREDICTIONS: predictions, **{name: (extras or {}).get(name) for name in EXTRA_FILES}}
    for name, content in files.items():
        beside = out.parent / name
        if content is None:
            beside.unlink(missing_ok=True)
        else:
            with atomic_path(beside) as tmp:
                tmp.write_bytes(content)
    write_json(out, metrics)
    no_baseline_note(out).unlink(missing_ok=True)
