"""`python -m delivery.release_cli`: publish a run's artifacts as the GitHub release model-v<N>.

The run's model.pt, metrics.json and predictions.csv, with a model card made from them, become release
model-v<N> on the commit; it is production ("latest") unless delivery.promotion says it is worse than the
production model. Everything it would publish is written first to the bundle folder (default release/):
the four assets, notes.md and release.json (the tag, the decision, the image tags and labels that
`invoke build-infer --release` and `invoke push-release` use). Without a token, or with --dry, or with --plan,
nothing is published. Exit codes: 0 done (also: already released, model unchanged); 1 GitHub failed;
2 bad input (the line names the file or flag).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from core.argtypes import between
from core.atomic import write_text
from delivery.github_releases import Release, ReleaseError, Releases, TagTaken
from delivery.image import RECORD_NAME, image_labels, release_image_tags
from delivery.model_card import ModelCardError, card_summary, model_card
from delivery.model_facts import ModelFactsError, model_facts
from delivery.production_cli import fetch_production
from delivery.promotion import Decision, decide, next_tag
from reporting.compare import DEFAULT_ALPHA
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from reporting.github_comment import TOKEN_VARIABLES, CommentError, connection_from_env
from reporting.metrics import MetricsError, load_metrics
from reporting.predictions import load_predictions

ASSETS = ("model.pt", "metrics.json", "predictions.csv", "model-card.md")
NOTES = "notes.md"
PRODUCTION_DIR = "production"  # production's metrics.json and predictions.csv, as compared with
MAX_TAG_TRIES = 5  # merges racing for the same N: each loser takes the next number
LIST_LIMIT = 100  # one page: the same commit released twice is found among the newest releases


class InputError(Exception):
    """A run folder that cannot be released; the message names the file."""


@dataclass(frozen=True)
class Run:
    folder: Path
    metrics: dict
    predictions: dict[str, tuple[str, str]]
    facts: dict  # delivery.model_facts: architecture, parameters, sha256, ...

    @property
    def reused_commit(self) -> str:
        return str(((self.metrics.get("run") or {}).get("reused_from") or {}).get("commit") or "")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m delivery.release_cli",
        description=__doc__.split("\n\n")[1],
        epilog="Exit codes: 0 done, already released or model unchanged; 1 GitHub failed; 2 bad input.",
    )
    parser.add_argument("--artifacts", default="artifacts", metavar="DIR", help="the run to release")
    parser.add_argument("--out", default="release", metavar="DIR", help="the bundle folder (default: %(default)s)")
    parser.add_argument("--image", default="cml-infer", metavar="REPO", help="the inference image, without a tag")
    parser.add_argument("--commit", default="", help="the released commit (default: GITHUB_SHA, else git HEAD)")
    parser.add_argument("--max-drop", type=between(0, 1), default=0.0, help="promotion: largest allowed drop")
    parser.add_argument("--alpha", type=between(0, 1), default=DEFAULT_ALPHA, help="promotion: significance level")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--plan", action="store_true", help="look up the tag and decision, write the bundle only")
    mode.add_argument("--dry", action="store_true", help="publish nothing: write the bundle and say what it would")
    return parser


def main(argv: list[str] | None = None, env: Mapping[str, str] = os.environ) -> int:
    args = build_parser().parse_args(argv)
    out = Path(args.out)
    try:
        run = load_run(Path(args.artifacts))
        commit = args.commit or env.get("GITHUB_SHA") or git_head()
        releases = Releases(connection_from_env(env)) if _token(env) else None
        code = release(run, releases, args, commit=commit, out=out, env=env)
        step_output(env, json.loads((out / RECORD_NAME).read_text(encoding="utf-8"))["status"])
        return code
    except (InputError, ModelFactsError, ModelCardError, MetricsError) as exc:
        print(f"release: {exc}", file=sys.stderr)
        return EXIT_BAD_INPUT
    except (ReleaseError, CommentError) as exc:
        print(f"release: {exc}", file=sys.stderr)
        return EXIT_FAILED


def release(
    run: Run, releases: Releases | None, args: argparse.Namespace, *, commit: str, out: Path, env: Mapping[str, str]
) -> int:
    if releases is None:
        print("release: no GITHUB_TOKEN: numbering as the first release, nothing looked up or published")
        existing, production = [], None
    else:
        existing = releases.list(limit=LIST_LIMIT)
        done = _already_released(existing, commit, run.reused_commit)
        if done is not None:
            tag, status = done
            _write_record(out, {"tag": tag, "commit": commit, "status": status, "promoted": False})
            print(f"already released as {tag}" if status == "already released" else unchanged_line(releases, tag))
            return EXIT_OK
        production = fetch_production(releases, out / PRODUCTION_DIR)
    decision = decide(run.metrics, run.predictions, production, max_drop=args.max_drop, alpha=args.alpha)
    tag = next_tag([item.tag for item in existing])
    publish = releases is not None and not (args.plan or args.dry)
    status = "planned" if args.plan else "published" if publish else "dry"
    record = write_bundle(run, decision, tag=tag, commit=commit, image=args.image, out=out, env=env, status=status)
    print(f"release: {tag} on {commit[:7]}: {decision.reason}")
    if not publish:
        tags = ", ".join(record["image"]["tags"])
        print(
            f"{status}: would publish {tag} ({'latest' if decision.promote else 'pre-release'}) with "
            f"{', '.join(ASSETS)} and push {args.image}:{{{tags}}}; the bundle is in {out}/"
        )
        return EXIT_OK
    for _ in range(MAX_TAG_TRIES):
        try:
            published = releases.create(
                tag=tag,
                commit=commit,
                name=tag,
                body=(out / NOTES).read_text(encoding="utf-8"),
                prerelease=not decision.promote,
                make_latest=decision.promote,
            )
            break
        except TagTaken:
            existing = releases.list(limit=LIST_LIMIT)
            done = _already_released(existing, commit, "")
            if done is not None:
                print(f"already released as {done[0]}")
                _write_record(out, {"tag": done[0], "commit": commit, "status": "already released", "promoted": False})
                return EXIT_OK
            taken = tag
            tag = next_tag([item.tag for item in existing] + [taken])
            print(f"release: {taken} was taken meanwhile; taking {tag}")
            record = write_bundle(
                run, decision, tag=tag, commit=commit, image=args.image, out=out, env=env, status=status
            )
    else:
        raise ReleaseError(f"no free model-v<N> tag after {MAX_TAG_TRIES} tries")
    for name in ASSETS:
        if name not in published.assets:
            releases.upload(published, name, (out / name).read_bytes(), _content_type(name))
    record["url"] = published.url
    _write_record(out, record)
    print(f"published {published.url} ({'production' if decision.promote else 'pre-release, not latest'})")
    return EXIT_OK


def step_output(env: Mapping[str, str], status: str) -> None:
    """`status=<status>` for the workflow's next steps (GITHUB_OUTPUT): after `--plan`, the release job builds,
    checks and publishes only when it says `planned` (nothing new to release: no image is built)."""
    path = env.get("GITHUB_OUTPUT")
    if path:
        with open(path, "a", encoding="utf-8") as output:
            output.write(f"status={status}\n")


def unchanged_line(releases: Releases, reused_tag: str) -> str:
    """What a merge that retrained nothing releases: nothing, since its model is `reused_tag`'s."""
    latest = releases.latest()
    production = latest.tag if latest is not None else "no release"
    if production == reused_tag:
        return f"model unchanged: {reused_tag} stays production"
    return f"model unchanged: the run reused {reused_tag}'s model; {production} stays production"


def load_run(folder: Path) -> Run:
    """The run's metrics.json, predictions.csv and model.pt facts; InputError names what is missing."""
    for name in ("model.pt", "metrics.json", "predictions.csv"):
        if not (folder / name).is_file():
            raise InputError(f"{folder / name}: no such file (the run to release: invoke train --artifacts {folder})")
    return Run(
        folder=folder,
        metrics=load_metrics(folder / "metrics.json"),
        predictions=load_predictions(folder / "predictions.csv"),
        facts=model_facts(folder / "model.pt"),
    )


def write_bundle(
    run: Run, decision: Decision, *, tag: str, commit: str, image: str, out: Path, env: Mapping[str, str], status: str
) -> dict:
    """The release's files in `out`, and its record (also written as release.json)."""
    out.mkdir(parents=True, exist_ok=True)
    image_ref = f"{image}:{tag}"
    for name in ("model.pt", "metrics.json", "predictions.csv"):
        if (run.folder / name).resolve() != (out / name).resolve():
            shutil.copyfile(run.folder / name, out / name)
    write_text(out / "model-card.md", model_card(run.metrics, run.facts, tag=tag, image=image_ref))
    write_text(out / NOTES, release_notes(run, decision, tag=tag))
    source = f"{env.get('GITHUB_SERVER_URL', 'https://github.com')}/{env.get('GITHUB_REPOSITORY', '')}".rstrip("/")
    created = datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
    record = {
        "tag": tag,
        "commit": commit,
        "promoted": decision.promote,
        "reason": decision.reason,
        "status": status,
        "model": str(run.folder / "model.pt"),
        "model_sha256": run.facts["sha256"],
        "image": {
            "repository": image,
            "tags": release_image_tags(tag, commit, decision.promote),
            "labels": image_labels(
                run.metrics,
                release_tag=tag,
                model_sha256=run.facts["sha256"],
                source=source if env.get("GITHUB_REPOSITORY") else "",
                revision=commit,
                created=created,
            ),
        },
        "production": decision.production.tag if decision.production else None,
        "url": "",
    }
    _write_record(out, record)
    return record


def release_notes(run: Run, decision: Decision, *, tag: str) -> str:
    """The model card's summary, then how it measured against the production model."""
    lines = [card_summary(run.metrics, run.facts, tag=tag), "", "## Against production", ""]
    lines.append(f"**{decision.reason}**")
    comparison = decision.comparison
    if comparison is not None and decision.production is not None:
        lines += [
            "",
            f"Production was {decision.production.tag} (`{decision.production.commit[:7]}`), "
            f"accuracy {comparison.baseline_accuracy * 100:.2f}%; this model "
            f"{run.metrics['accuracy'] * 100:.2f}%.",
        ]
    lines += ["", "The model card (model-card.md) has the rest: data, per-class results, training, sha256."]
    return "\n".join(lines) + "\n"


def git_head() -> str:
    try:
        return subprocess.run(["git", "rev-parse", "HEAD"], capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        raise InputError(
            "no --commit, no GITHUB_SHA, and git rev-parse HEAD failed: which commit is released?"
        ) from None


def _already_released(existing: list[Release], commit: str, reused_commit: str) -> tuple[str, str] | None:
    for item in existing:
        if item.commit == commit:
            return item.tag, "already released"
    for item in existing:
        if reused_commit and item.commit == reused_commit:
            return item.tag, "unchanged"
    return None


def _token(env: Mapping[str, str]) -> bool:
    return any(env.get(name) for name in TOKEN_VARIABLES)


def _content_type(name: str) -> str:
    return {".json": "application/json", ".csv": "text/csv", ".md": "text/markdown"}.get(
        Path(name).suffix, "application/octet-stream"
    )


def _write_record(out: Path, record: dict) -> None:
    out.mkdir(parents=True, exist_ok=True)
    write_text(out / RECORD_NAME, json.dumps(record, indent=2) + "\n")


if __name__ == "__main__":
    raise SystemExit(main())
