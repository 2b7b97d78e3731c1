"""Tests for delivery/github_releases.py against the local fake of the GitHub API (tests/fake_github.py)."""

from __future__ import annotations

import pytest
from fake_github import READ_TOKEN, REPOSITORY, WRITE_TOKEN, FakeGitHub

from delivery.github_releases import Release, ReleaseError, Releases, TagTaken
from reporting.github_comment import Connection, RetryPolicy

COMMIT = "c0ffee" + "0" * 34
OTHER_COMMIT = "badf00d" + "1" * 33
MODEL = b"\x80\x02weights" * 1000
UPLOAD = r"^/api/uploads/repos/.*/releases/\d+/assets$"


@pytest.fixture
def fake(httpserver) -> FakeGitHub:
    return FakeGitHub(httpserver)


def releases(fake: FakeGitHub, token: str = WRITE_TOKEN, retries: int = 3) -> Releases:
    connection = Connection(api_url=fake.api_url, repository=REPOSITORY, token=token)
    return Releases(connection, RetryPolicy(retries=retries, backoff=0))


def create(client: Releases, tag: str = "model-v1", commit: str = COMMIT, **overrides) -> Release:
    fields = {"name": tag, "body": f"notes of {tag}", "prerelease": False, "make_latest": True} | overrides
    return client.create(tag=tag, commit=commit, **fields)


def test_a_created_release_reads_back_by_tag_as_latest_and_in_the_list(fake):
    """create, then by_tag, latest and list all give the same release: tag, full commit, notes, url, no assets."""
    client = releases(fake)

    made = create(client)

    assert made == client.by_tag("model-v1") == client.latest() == client.list()[0]
    assert (made.tag, made.commit, made.prerelease, made.body, made.assets) == (
        "model-v1",
        COMMIT,
        False,
        "notes of model-v1",
        {},
    )
    assert made.url == f"https://github.example/{REPOSITORY}/releases/tag/model-v1"
    assert made.created_at == "2025-01-01T00:00:00Z"
    assert fake.release("model-v1")["target_commitish"] == COMMIT


def test_make_latest_false_and_prereleases_leave_latest_where_it_was(fake):
    """make_latest=False is sent as GitHub's "false" (PyGithub's default is "true"), and a prerelease never
    becomes latest: the older full release stays latest."""
    client = releases(fake)
    create(client, "model-v1")

    create(client, "model-v2", make_latest=False)
    create(client, "model-v3", prerelease=True, make_latest=False)

    assert fake.latest_tag() == "model-v1"
    assert client.latest().tag == "model-v1"
    assert [release.tag for release in client.list()] == ["model-v3", "model-v2", "model-v1"]


@pytest.mark.parametrize(("limit", "pages", "shown"), [(130, 2, 130), (100, 1, 100), (20, 1, 20)])
def test_list_is_newest_first_and_asks_only_for_the_pages_it_needs(fake, limit: int, pages: int, shown: int):
    """Pages of 100: 130 releases take 2 requests for limit 130, and 1 for limit 100 or 20."""
    for n in range(130):
        fake.add_release(f"model-v{n}", COMMIT)

    listed = releases(fake).list(limit=limit)

    assert [release.tag for release in listed] == [f"model-v{n}" for n in range(129, 129 - shown, -1)]
    assert fake.count("GET", r"/releases$") == pages


def test_by_tag_and_latest_are_none_when_github_answers_404(fake):
    """No such tag, and no full release at all (only a prerelease): None, not an error."""
    fake.add_release("model-v1", COMMIT, prerelease=True)
    client = releases(fake)

    assert client.by_tag("model-v9") is None
    assert client.latest() is None
    assert fake.count("GET", r"/releases/tags/model-v9$") == 1
    assert fake.count("GET", r"/releases/latest$") == 1


def test_creating_a_taken_tag_raises_tag_taken(fake):
    """GitHub's 422 already_exists on tag_name becomes TagTaken, and nothing is retried or changed."""
    fake.add_release("model-v1", OTHER_COMMIT)
    client = releases(fake)

    with pytest.raises(TagTaken, match=f"^release tag model-v1 already exists in {REPOSITORY}$"):
        create(client)

    assert fake.count("POST", r"/releases$") == 1
    assert fake.release("model-v1")["target_commitish"] == OTHER_COMMIT


def test_a_502_after_the_release_was_made_returns_it_without_a_duplicate(fake):
    """The POST is not repeated blindly: the release the failed try made, at this commit, is looked up by tag."""
    fake.fail("POST", r"/releases$", 502, apply_anyway=True)
    client = releases(fake)

    made = create(client)

    assert made.tag == "model-v1"
    assert made.commit == COMMIT
    assert fake.count("POST", r"/releases$") == 1
    assert [release["tag_name"] for release in fake.releases] == ["model-v1"]


def test_a_502_that_made_nothing_is_created_again(fake):
    """A 5xx that left no release: after the look-up finds none, the create is tried again, once."""
    fake.fail("POST", r"/releases$", 502)
    client = releases(fake)

    made = create(client)

    assert made == client.by_tag("model-v1")
    assert fake.count("POST", r"/releases$") == 2
    assert len(fake.releases) == 1


def test_a_5xx_then_a_tag_taken_by_another_commit_is_tag_taken(fake):
    """After a 5xx the tag turns out to be another commit's release: TagTaken, never that release returned."""
    fake.add_release("model-v1", OTHER_COMMIT)
    fake.fail("POST", r"/releases$", 500)

    with pytest.raises(TagTaken):
        create(releases(fake))

    assert fake.count("POST", r"/releases$") == 2


def test_an_upload_goes_to_the_expanded_upload_url_and_reads_back(fake):
    """The upload_url template is expanded (?name=...), the bytes are stored, and the asset shows in the release."""
    fake.add_release("model-v1", COMMIT)
    client = releases(fake)

    client.upload(client.by_tag("model-v1"), "model.pt", MODEL)

    assert fake.assets("model-v1") == {"model.pt": MODEL}
    assert fake.release("model-v1")["assets"][0]["content_type"] == "application/octet-stream"
    assert list(client.by_tag("model-v1").assets) == ["model.pt"]
    assert fake.count("POST", UPLOAD) == 1


@pytest.mark.parametrize(
    ("apply_anyway", "deletes"), [(False, 0), (True, 1)], ids=["500-nothing-stored", "502-half-written-starter"]
)
def test_a_failed_upload_is_retried_leaving_one_whole_asset(fake, apply_anyway: bool, deletes: int):
    """After a 5xx the upload is tried again; a broken starter asset the failed try left is deleted first, so the
    release ends with exactly one asset of that name, holding all the bytes."""
    fake.add_release("model-v1", COMMIT, assets={"metrics.json": b"{}"})
    fake.fail("POST", UPLOAD, 502 if apply_anyway else 500, apply_anyway=apply_anyway)
    client = releases(fake)

    client.upload(client.by_tag("model-v1"), "model.pt", MODEL)

    assert fake.assets("model-v1") == {"metrics.json": b"{}", "model.pt": MODEL}
    assert [asset["state"] for asset in fake.release("model-v1")["assets"]] == ["uploaded", "uploaded"]
    assert fake.count("POST", UPLOAD) == 2
    assert fake.count("DELETE", r"/releases/assets/\d+$") == deletes


def test_a_starter_left_by_an_earlier_run_is_replaced_but_a_whole_asset_is_not(fake):
    """A broken starter (not in Release.assets) is deleted and replaced; a completely uploaded asset of that name
    is refused with one line, and kept."""
    fake.add_release("model-v1", COMMIT, assets={"metrics.json": b"{}"})
    fake.fail("POST", UPLOAD, 502, apply_anyway=True, times=4)
    client = releases(fake, retries=0)
    with pytest.raises(ReleaseError):
        client.upload(client.by_tag("model-v1"), "model.pt", MODEL)  # an earlier run's upload that broke
    release = releases(fake).by_tag("model-v1")
    fake.failures.clear()

    releases(fake).upload(release, "model.pt", MODEL)
    with pytest.raises(ReleaseError, match=r"^cannot upload metrics\.json to release model-v1: .* already has"):
        releases(fake).upload(release, "metrics.json", b"[]")

    assert list(release.assets) == ["metrics.json"]
    assert fake.assets("model-v1") == {"metrics.json": b"{}", "model.pt": MODEL}


def test_download_follows_the_redirect_without_the_token(fake):
    """The asset's API URL answers 302 to storage; storage gets no Authorization header, and 5xx on either side
    are retried."""
    fake.add_release("model-v1", COMMIT, assets={"model.pt": MODEL})
    fake.fail("GET", r"/releases/assets/\d+$", 502)
    fake.fail("GET", r"^/storage/", 500, times=2)
    client = releases(fake)

    data = client.download(client.by_tag("model-v1"), "model.pt")

    assert data == MODEL
    assert fake.storage_auth == [None, None, None]
    assert fake.count("GET", r"/releases/assets/\d+$") == 2


def test_set_latest_moves_latest_to_a_prerelease(fake):
    """set_latest makes the release a full release and GitHub's latest, though it is older than the current one."""
    fake.add_release("model-v1", COMMIT, prerelease=True)
    fake.add_release("model-v2", OTHER_COMMIT)
    client = releases(fake)

    client.set_latest(client.by_tag("model-v1"))

    assert fake.latest_tag() == "model-v1"
    assert client.latest() == client.by_tag("model-v1")
    assert client.latest().prerelease is False


def test_edit_body_changes_only_the_body(fake):
    """edit_body keeps a prerelease a prerelease, its name and tag, and latest where it was."""
    fake.add_release("model-v1", COMMIT)
    fake.add_release("model-v2", OTHER_COMMIT, prerelease=True, body="old")
    client = releases(fake)

    client.edit_body(client.by_tag("model-v2"), "new notes")

    stored = fake.release("model-v2")
    assert (stored["body"], stored["prerelease"], stored["name"], stored["tag_name"]) == (
        "new notes",
        True,
        "model-v2",
        "model-v2",
    )
    assert fake.latest_tag() == "model-v1"


def _read_only(fake: FakeGitHub) -> Releases:
    fake.add_release("model-v1", COMMIT)
    return releases(fake, token=READ_TOKEN)


def _bad_token(fake: FakeGitHub) -> Releases:
    return releases(fake, token="ghs_wrong_SECRET_token")


def _echoing_server(fake: FakeGitHub) -> Releases:
    fake.fail("GET", r"/releases/tags/", 500, times=10, message=f"upstream said:\n  token {WRITE_TOKEN}\n")
    return releases(fake, retries=1)


def _storage_down(fake: FakeGitHub) -> Releases:
    fake.add_release("model-v1", COMMIT, assets={"model.pt": MODEL})
    fake.fail("GET", r"^/storage/", 503, times=10)
    return releases(fake, retries=1)


def _create(client: Releases) -> None:
    create(client, "model-v2")


def _by_tag(client: Releases) -> None:
    client.by_tag("model-v1")


def _download(client: Releases) -> None:
    client.download(client.by_tag("model-v1"), "model.pt")


@pytest.mark.parametrize(
    ("arrange", "act", "expected"),
    [
        (_read_only, _create, r"^the token may not create release model-v2 \(403 .*`permissions: contents: write`$"),
        (_bad_token, _by_tag, r"^cannot read release model-v1: GitHub rejected the token \(401 Bad credentials\)"),
        (_echoing_server, _by_tag, r"^GitHub refused to read release model-v1 \(500 upstream said: token \*\*\*\)$"),
        (_storage_down, _download, r"^cannot download model.pt from release model-v1: storage answered 503"),
    ],
    ids=["read-only-token", "bad-token", "message-echoes-the-token", "storage-down"],
)
def test_failures_are_one_line_naming_what_failed_without_the_token(fake, arrange, act, expected: str):
    """Each GitHub failure is a ReleaseError of one line that says what was being done; the token never shows."""
    client = arrange(fake)

    with pytest.raises(ReleaseError) as caught:
        act(client)

    message = str(caught.value)
    assert "\n" not in message
    assert WRITE_TOKEN not in message
    assert READ_TOKEN not in message
    assert caught.match(expected)


def test_downloading_an_asset_the_release_lacks_says_so(fake):
    """An asset name the release does not list is refused before any request."""
    fake.add_release("model-v1", COMMIT, assets={"model.pt": MODEL})
    client = releases(fake)
    release = client.by_tag("model-v1")

    with pytest.raises(ReleaseError, match=r"^release model-v1 has no asset metrics\.json$"):
        client.download(release, "metrics.json")

    assert fake.count("GET", r"/releases/assets/") == 0
