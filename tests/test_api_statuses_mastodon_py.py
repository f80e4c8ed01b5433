"""End to end with the real Mastodon.py against real `hearth serve`
processes: a member posts with a content warning (once, whatever the retries
with one Idempotency-Key), replies, reads the thread, edits (the Update
reaches a follower on another instance, whose history shows both versions),
favourites, boosts, bookmarks, pins, mutes and deletes."""

from __future__ import annotations

import threading
from typing import Any

import pytest
from mastodon.errors import MastodonNotFoundError

from tests.conftest import signup_over_http
from tests.helpers_api import mastodon_py_login
from tests.helpers_federation import People, arrives, follow_accepted, wait_until

pytestmark = pytest.mark.slow
SCOPES = ["read", "write", "follow", "push"]


def test_mastodon_py_writes_reads_edits_and_deletes_statuses(instances):
    hearth = instances("hearth")
    for name in ("river", "sky"):
        with hearth.client() as http:
            assert signup_over_http(http, name).status_code == 201
    river, sky = (mastodon_py_login(hearth.url, name, scopes=SCOPES)
                  for name in ("river", "sky"))

    first = river.status_post("Day 30.", spoiler_text="milestone", visibility="public",
                              idempotency_key="day-30")
    again = river.status_post("Day 30.", spoiler_text="milestone", visibility="public",
                              idempotency_key="day-30")
    assert again.id == first.id and first.spoiler_text == "milestone" and first.sensitive
    assert hearth.db.fetchval("SELECT count(*) FROM posts") == 1

    reply = sky.status_reply(first, "So proud of you", visibility="public")
    assert reply.in_reply_to_id == first.id
    assert reply.content.startswith(  # the mention linked, as Mastodon links it
        f'<p><span class="h-card" translate="no"><a href="{hearth.url}/@river" '
        'class="u-url mention">@<span>river</span></a></span> So proud of you')
    assert [m.acct for m in reply.mentions] == ["river"]
    assert [s.id for s in river.status_context(first).descendants] == [reply.id]
    assert [s.id for s in sky.status_context(reply).ancestors] == [first.id]

    edited = river.status_update(first, "Day 30!", spoiler_text="milestone")
    assert edited.edited_at is not None
    assert [h.content for h in river.status_history(first)] == ["<p>Day 30.</p>",
                                                                 "<p>Day 30!</p>"]
    assert river.status_source(first).text == "Day 30!"

    assert sky.status_favourite(first).favourited
    assert [a.acct for a in river.status_favourited_by(first)] == ["sky"]
    boost = sky.status_reblog(first)
    assert boost.reblog.id == first.id
    assert [a.acct for a in river.status_reblogged_by(first)] == ["sky"]
    assert sky.status_bookmark(first).bookmarked
    assert [s.id for s in sky.bookmarks()] == [first.id]
    assert [s.id for s in sky.favourites()] == [first.id]
    assert river.status_pin(first).pinned
    assert river.status_mute(first).muted
    assert sky.status(reply.id).muted is False
    assert [s.id for s in sky.statuses([first.id, reply.id])] == [first.id, reply.id]

    private = river.status_post("just followers", visibility="private")
    with pytest.raises(MastodonNotFoundError):
        sky.status(private.id)

    deleted = river.status_delete(first)
    assert deleted.text == "Day 30!"
    with pytest.raises(MastodonNotFoundError):
        sky.status(first.id)


def test_concurrent_requests_with_one_idempotency_key_make_one_post(instances):
    hearth = instances("hearth")
    with hearth.client() as http:
        assert signup_over_http(http, "river").status_code == 201
    river = mastodon_py_login(hearth.url, "river", scopes=SCOPES)
    ids: list[Any] = []
    barrier = threading.Barrier(4)

    def post() -> None:
        barrier.wait(timeout=15)
        ids.append(river.status_post("only once", idempotency_key="same").id)

    threads = [threading.Thread(target=post) for _ in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert len(ids) == 4 and len(set(ids)) == 1
    assert hearth.db.fetchval("SELECT count(*) FROM posts") == 1


def test_an_edit_from_mastodon_py_reaches_a_follower_elsewhere_with_its_history(instances):
    alpha, beta = instances("alpha"), instances("beta")
    people = People()
    try:
        author = people.join(alpha, "river")
        reader = people.join(beta, "sky")
        follow_accepted(reader, author)
        api = mastodon_py_login(alpha.url, "river", scopes=SCOPES)
        status = api.status_post("first version", visibility="public")
        there = arrives(beta, author.post_uri(int(status.id)), "the Create on beta")
        api.status_update(status, "second version")
        wait_until(lambda: "second version" in (beta.db.fetchval(
            "SELECT content_html FROM posts WHERE id = $1", there) or ""),
            "the Update on beta")
        history = mastodon_py_login(beta.url, "sky", scopes=SCOPES).status_history(there)
        assert ["first version" in h.content for h in history] == [True, False]
        assert "second version" in history[-1].content
    finally:
        people.close()
