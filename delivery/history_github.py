"""`invoke history` from GitHub: main's last model releases into `history/`, with as few requests as can be.

One page of releases (the newest `limit` model releases, `model-v<N>`), then only the two assets the history
keeps (metrics.json, predictions.csv) of the releases not already in `history/`: a release already there is kept
as it is, with its facts (promoted or not, its page) refreshed from the list. A release without those assets, or
whose files are broken, is skipped with one line. The requests are retried through 5xx and rate limits by
`delivery.github_releases` (reporting's retry policy, as the baseline download), and an asset's storage URL is
fetched without the token.
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from delivery.github_releases import DEFAULT_POLICY, Release, ReleaseError, Releases
from delivery.history import (
    FILES,
    Entry,
    HistoryError,
    NewEntry,
    parse_entry_files,
    read_index,
    safe_name,
    write_history,
)
from delivery.promotion import release_number
from reporting.exit_codes import EXIT_BAD_INPUT, EXIT_FAILED, EXIT_OK
from reporting.github_comment import DEFAULT_SERVER_URL, CommentError, RetryPolicy, connection_from_env


def release_facts(release: Release, server_url: str, repository: str, production: str = "") -> dict:
    """The index facts of a release: where it is, what it was built from, whether it is production's line, and
    whether it is production now (`production`: GitHub's latest release, which a rollback moves back)."""
    commit = release.commit
    return {
        "name": safe_name(release.tag),
        "tag": release.tag,
        "commit": commit,
        "created_at": release.created_at,
        "promoted": not release.prerelease,
        "production": release.tag == production,
        "release_id": release.id,
        "release_url": release.url,
        "commit_url": f"{server_url}/{repository}/commit/{commit}" if commit else None,
        "origin": "release",
    }


def cached(out: Path, facts: dict, known: dict[str, dict]) -> Entry | None:
    """The entry already in `out` for this release (same id and tag, both files there), its facts refreshed."""
    before = known.get(facts["name"])
    if before is None or before.get("release_id") != facts["release_id"] or before.get("tag") != facts["tag"]:
        return None
    folder = out / facts["name"]
    if not all((folder / name).is_file() for name in FILES):
        return None
    summary = {key: value for key, value in before.items() if key not in facts}
    return Entry(facts={**facts, **summary}, folder=folder)


def history_from_releases(
    releases: Releases, out: Path, *, limit: int, server_url: str, repository: str
) -> tuple[list[Entry | NewEntry], list[str], int]:
    """(the entries oldest first, one line per release skipped, how many were downloaded)."""
    listed = [release for release in releases.list(limit) if release_number(release.tag) is not None][:limit]
    latest = releases.latest()  # one request: after a rollback production is not the newest promoted release
    production = latest.tag if latest is not None else ""
    known = {item["name"]: item for item in read_index(out)}
    entries: list[Entry | NewEntry] = []
    skipped: list[str] = []
    downloaded = 0
    for release in reversed(listed):  # oldest first
        facts = release_facts(release, server_url, repository, production)
        kept = cached(out, facts, known)
        if kept is not None:
            entries.append(kept)
            continue
        missing = [name for name in FILES if name not in release.assets]
        if missing:
            skipped.append(f"{release.tag} skipped: no {' or '.join(missing)} asset")
            continue
        try:
            metrics, predictions = (releases.download(release, name) for name in FILES)
            parse_entry_files(metrics, predictions, release.tag)
        except (ReleaseError, HistoryError) as error:
            skipped.append(f"{release.tag} skipped: {error}")
            continue
        downloaded += 1
        entries.append(NewEntry(facts, metrics, predictions))
    return entries, skipped, downloaded


def fetch_history(out: Path, *, limit: int, env: Mapping[str, str], policy: RetryPolicy = DEFAULT_POLICY) -> int:
    """Fill `out` from the repository's releases; 1 (history left as it was) when GitHub cannot be read."""
    try:
        connection = connection_from_env(env)
    except CommentError as error:
        print(f"history: {error}; or build it from local runs with `invoke history --from DIR`", file=sys.stderr)
        return EXIT_BAD_INPUT
    server_url = (env.get("GITHUB_SERVER_URL") or DEFAULT_SERVER_URL).rstrip("/")
    try:
        entries, skipped, downloaded = history_from_releases(
            Releases(connection, policy), out, limit=limit, server_url=server_url, repository=connection.repository
        )
    except ReleaseError as error:
        print(f"history: {error}; {out}/ left as it was", file=sys.stderr)
        return EXIT_FAILED
    for line in skipped:
        print(f"history: {line}", file=sys.stderr)
    history = write_history(out, entries, source=f"github:{connection.repository}")
    kept = len(history.entries) - downloaded
    print(
        f"history: {len(history.entries)} releases of {connection.repository} in {out}/ "
        f"({downloaded} downloaded, {kept} already there, {len(skipped)} skipped)",
        file=sys.stderr,
    )
    return EXIT_OK
