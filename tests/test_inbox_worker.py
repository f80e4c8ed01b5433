"""The inbox worker: stored activities reach their handlers, each in its own
transaction, and what they may change is checked (RELIABILITY.md 17-28, 45).

Rows are put in inbox_activities directly (the front door is tested in
test_inbox.py, and once here end to end); remote servers are an
httpx2.MockTransport. ``work()`` runs one ``process_batch``.
"""

from __future__ import annotations

import asyncio
import json
import logging
from typing import Any

import asyncpg
import httpx2
import pytest
from starlette.testclient import TestClient

from federation.fetch import FetchPolicy
from federation.keys import generate_rsa_keypair
from inbox import handlers, store
from inbox.remote import RemoteFetcher
from inbox.worker import BUG_ATTEMPTS, process_batch
from tests.conftest import make_settings, run
from tests.test_inbox import Remote, signed
from web.app import create_app
from web.workers import JOBS, JobContext, run_once

BASE = "http://testserver"
REMOTE = "https://remote.example"
ALICE = f"{REMOTE}/users/alice"
BOB = f"{REMOTE}/users/bob"
THIRD = "https://third.example"
CAROL = f"{THIRD}/users/carol"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"


def person(actor: str, pem: str = "PEM", key_id: str | None = None) -> dict[str, Any]:
    host = actor.split("/users/")[0]
    return {"@context": ["https://www.w3.org/ns/activitystreams"], "id": actor,
            "type": "Person", "preferredUsername": actor.rsplit("/", 1)[1],
            "name": actor.rsplit("/", 1)[1].title(), "inbox": f"{actor}/inbox",
            "followers": f"{actor}/followers", "endpoints": {"sharedInbox": f"{host}/inbox"},
            "publicKey": {"id": key_id or f"{actor}#main-key", "owner": actor,
                          "publicKeyPem": pem}}


@pytest.fixture
def remote() -> Remote:
    remote = Remote()
    for actor in (ALICE, BOB, CAROL):
        remote.serve(actor, person(actor))
    return remote


@pytest.fixture
def work(db, remote) -> Any:
    """``work(limit)`` runs process_batch once and returns what it claimed."""
    def go(limit: int = 100) -> int:
        return run(_batch(db.url, remote, limit))
    return go


async def _batch(url: str, remote: Remote, limit: int) -> int:
    pool = await asyncpg.create_pool(url, min_size=1, max_size=2)
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))
    try:
        return await process_batch(pool, _fetcher(client), BASE, limit)
    finally:
        await client.aclose()
        await pool.close()


def _fetcher(client: httpx2.AsyncClient) -> RemoteFetcher:
    return RemoteFetcher(client, FetchPolicy(user_agent="test", allow_private=True))


# -- arranging ------------------------------------------------------------------------

_ids = iter(range(1, 1_000_000))


def deliver(db, activity: dict[str, Any]) -> int:
    """Store an activity as the front door would, once verified."""
    actor = activity["actor"]
    return db.fetchval(
        """INSERT INTO inbox_activities (activity_id, actor_uri, activity_type, payload)
           VALUES ($1, $2, $3, $4::jsonb) RETURNING id""",
        activity["id"], actor, activity["type"], json.dumps(activity))


def activity(kind: str, obj: Any, actor: str = ALICE, **extra: Any) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/activities/{next(_ids)}", "type": kind, "actor": actor,
            "object": obj, **extra}


def note(actor: str = ALICE, number: int = 1, to: list[str] | None = None,
         cc: list[str] | None = None, **extra: Any) -> dict[str, Any]:
    return {"id": f"{actor}/statuses/{number}", "type": "Note", "attributedTo": actor,
            "content": "<p>One day at a time</p>", "to": [PUBLIC] if to is None else to,
            "cc": cc or [], **extra}


def create(obj: dict[str, Any], actor: str | None = None) -> dict[str, Any]:
    """A Create by ``actor``, else by the object's author."""
    return activity("Create", obj, actor or obj.get("attributedTo", ALICE),
                    to=obj.get("to", []), cc=obj.get("cc", []))


def member(db, name: str, locked: bool = False, status: str = "active") -> int:
    return db.fetchval(
        """INSERT INTO members (username, password_hash, guidelines_accepted_at,
                                manually_approves_followers, status)
           VALUES ($1, 'x', now(), $2, $3) RETURNING id""", name, locked, status)


def known(db, actor: str) -> int:
    """A remote actor already known here (as after a verified request)."""
    host = actor.split("://")[1].split("/")[0]
    return db.fetchval(
        """INSERT INTO remote_actors (uri, key_id, public_key_pem, host, type,
                preferred_username, inbox, shared_inbox, followers, document)
           VALUES ($1, $1 || '#main-key', 'PEM', $2, 'Person', $3, $1 || '/inbox',
                   'https://' || $2 || '/inbox', $1 || '/followers', '{}') RETURNING id""",
        actor, host, actor.rsplit("/", 1)[1])


def follow_row(db, uri: str, *, member_follows: tuple[int, int] | None = None,
               remote_follows: tuple[int, int] | None = None, state: str = "accepted") -> int:
    """``member_follows=(member, remote)`` or ``remote_follows=(remote, member)``."""
    if member_follows:
        columns, values = "follower_member_id, followed_remote_id", member_follows
    else:
        assert remote_follows
        columns, values = "follower_remote_id, followed_member_id", remote_follows
    return db.fetchval(f"INSERT INTO follows (uri, {columns}, state) VALUES ($1, $2, $3, $4) "
                       "RETURNING id", uri, *values, state)


def local_post(db, author: int, visibility: str = "public", recipients: tuple[str, ...] = ()
               ) -> str:
    post_id = db.fetchval(
        """INSERT INTO posts (author_member_id, visibility, content_html, recipients)
           VALUES ($1, $2, '<p>ninety days</p>', $3) RETURNING id""",
        author, visibility, list(recipients))
    name = db.fetchval("SELECT username FROM members WHERE id = $1", author)
    return f"{BASE}/users/{name}/posts/{post_id}"


def row(db, row_id: int) -> Any:
    return db.fetch("SELECT * FROM inbox_activities WHERE id = $1", row_id)[0]


def processed_cleanly(db, row_id: int) -> bool:
    r = row(db, row_id)
    return r["processed_at"] is not None and r["last_error"] is None


def deliveries(db) -> list[Any]:
    return db.fetch("SELECT inbox, activity_id, signer_member_id, payload FROM deliveries "
                    "ORDER BY id")


def posts_by_uri(db, uri: str) -> list[Any]:
    return db.fetch("SELECT p.*, r.uri AS author_uri FROM posts p "
                    "LEFT JOIN remote_actors r ON r.id = p.author_remote_id WHERE p.uri = $1",
                    uri)


RIVER = f"{BASE}/users/river"


# -- follows ------------------------------------------------------------------------


def test_follow_of_an_unlocked_member_is_accepted_and_one_accept_queued(db, work):
    river = member(db, "river")
    follow = activity("Follow", RIVER)
    row_id = deliver(db, follow)
    assert work() == 1
    assert processed_cleanly(db, row_id)
    assert db.fetchval("SELECT state FROM follows WHERE uri = $1", follow["id"]) == "accepted"
    [sent] = deliveries(db)
    assert sent["inbox"] == f"{ALICE}/inbox"
    assert sent["signer_member_id"] == river
    payload = json.loads(sent["payload"])
    assert payload["type"] == "Accept" and payload["actor"] == RIVER
    assert payload["object"]["id"] == follow["id"]
    assert sent["activity_id"] == payload["id"]
    # the member can sign it: accounts made without keys get theirs
    assert db.fetchval("SELECT count(*) FROM member_keys WHERE member_id = $1", river) == 1


def test_follow_of_a_locked_member_stays_pending_and_sends_nothing_line_28(db, work):
    member(db, "river", locked=True)
    follow = activity("Follow", RIVER)
    row_id = deliver(db, follow)
    work()
    assert processed_cleanly(db, row_id)
    assert db.fetchval("SELECT state FROM follows WHERE uri = $1", follow["id"]) == "pending"
    assert deliveries(db) == []


def test_repeated_follow_of_an_accepted_follow_is_accepted_again(db, work):
    member(db, "river")
    first, again = activity("Follow", RIVER), activity("Follow", RIVER)
    deliver(db, first)
    work()
    deliver(db, again)
    work()
    assert db.fetchval("SELECT count(*) FROM follows") == 1
    accepts = [json.loads(d["payload"]) for d in deliveries(db)]
    assert [a["object"]["id"] for a in accepts] == [first["id"], again["id"]]
    assert accepts[0]["id"] != accepts[1]["id"]


def test_repeated_follow_of_a_pending_follow_still_sends_nothing_line_28(db, work):
    member(db, "river", locked=True)
    deliver(db, activity("Follow", RIVER))
    deliver(db, activity("Follow", RIVER))
    work()
    assert db.fetchval("SELECT state FROM follows") == "pending"
    assert deliveries(db) == []


@pytest.mark.parametrize("target", [f"{BASE}/users/nobody", f"{BASE}/users/sleeper",
                                    f"{BASE}/actor", BOB])
def test_follow_of_an_unknown_or_inactive_member_is_dropped(db, work, target):
    member(db, "sleeper", status="suspended")
    row_id = deliver(db, activity("Follow", target))
    work()
    assert processed_cleanly(db, row_id)
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    assert deliveries(db) == []


@pytest.mark.parametrize("embedded", [False, True])
def test_accept_by_the_followed_actor_matches_the_follow_by_id_line_23(db, work, embedded):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_uri = f"{RIVER}#follows/1"
    follow_row(db, follow_uri, member_follows=(river, alice), state="pending")
    obj = {"id": follow_uri, "type": "Follow", "actor": RIVER, "object": ALICE} if embedded \
        else follow_uri
    deliver(db, activity("Accept", obj))
    work()
    assert db.fetchval("SELECT state FROM follows") == "accepted"


def test_accept_from_anyone_but_the_followed_actor_is_ignored_line_23(db, work):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_uri = f"{RIVER}#follows/1"
    follow_row(db, follow_uri, member_follows=(river, alice), state="pending")
    row_id = deliver(db, activity("Accept", follow_uri, actor=BOB))
    deliver(db, activity("Accept", f"{RIVER}#follows/unknown"))
    work()
    assert processed_cleanly(db, row_id)
    assert db.fetchval("SELECT state FROM follows") == "pending"


def test_reject_ends_the_follow_only_from_the_followed_actor_line_23(db, work):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_uri = f"{RIVER}#follows/1"
    follow_row(db, follow_uri, member_follows=(river, alice))
    deliver(db, activity("Reject", follow_uri, actor=BOB))
    work()
    assert db.fetchval("SELECT count(*) FROM follows") == 1
    deliver(db, activity("Reject", {"id": follow_uri, "type": "Follow"}))
    work()
    assert db.fetchval("SELECT count(*) FROM follows") == 0


@pytest.mark.parametrize("embedded", [False, True])
def test_undo_follow_by_the_follower_ends_it(db, work, embedded):
    member(db, "river")
    follow = activity("Follow", RIVER)
    deliver(db, follow)
    work()
    undone = {k: v for k, v in follow.items() if k != "@context"} if embedded else follow["id"]
    deliver(db, activity("Undo", undone))
    work()
    assert db.fetchval("SELECT count(*) FROM follows") == 0


def test_undo_of_a_refollow_ends_the_follow_by_its_pair(db, work):
    member(db, "river")
    deliver(db, activity("Follow", RIVER))
    work()
    again = activity("Follow", RIVER)  # a newer id than the one stored
    deliver(db, again)
    deliver(db, activity("Undo", {k: v for k, v in again.items() if k != "@context"}))
    work()
    assert db.fetchval("SELECT count(*) FROM follows") == 0


def test_nobody_but_the_follower_can_undo_a_follow(db, work):
    member(db, "river")
    follow = activity("Follow", RIVER)
    deliver(db, follow)
    work()
    forged = deliver(db, activity("Undo", {k: v for k, v in follow.items()}, actor=BOB))
    by_id = deliver(db, activity("Undo", follow["id"], actor=BOB))
    work()
    assert "RELIABILITY 17" in row(db, forged)["last_error"]  # the undone is not Bob's
    assert processed_cleanly(db, by_id)
    assert db.fetchval("SELECT state FROM follows") == "accepted"


# -- posts ------------------------------------------------------------------------


def test_public_note_is_stored_as_its_author_sent_it(db, work):
    row_id = deliver(db, create(note(summary="hard day", published="2024-05-01T10:00:00Z")))
    work()
    assert processed_cleanly(db, row_id)
    [post] = posts_by_uri(db, f"{ALICE}/statuses/1")
    assert post["author_uri"] == ALICE and post["visibility"] == "public"
    assert post["content_html"] == "<p>One day at a time</p>"
    assert post["summary"] == "hard day" and post["sensitive"] is True


@pytest.mark.parametrize(("kind", "stored"), [
    ("Article", True), ("Page", True), ("Question", True), ("Event", False)])
def test_articles_pages_and_polls_are_read_as_notes_events_are_skipped(db, work, kind, stored):
    row_id = deliver(db, create(note(type=kind)))
    work()
    assert processed_cleanly(db, row_id)
    assert len(posts_by_uri(db, f"{ALICE}/statuses/1")) == int(stored)


def test_unlisted_note_is_stored_unlisted(db, work):
    deliver(db, create(note(to=[f"{ALICE}/followers"], cc=[PUBLIC])))
    work()
    assert posts_by_uri(db, f"{ALICE}/statuses/1")[0]["visibility"] == "unlisted"


def test_followers_only_note_is_stored_only_when_a_member_follows_the_author(db, work):
    river, alice = member(db, "river"), known(db, ALICE)
    deliver(db, create(note(to=[f"{ALICE}/followers"])))
    work()
    assert posts_by_uri(db, f"{ALICE}/statuses/1") == []
    follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice), state="pending")
    deliver(db, create(note(number=2, to=[f"{ALICE}/followers"])))
    work()
    assert posts_by_uri(db, f"{ALICE}/statuses/2") == []  # pending is not following
    db.execute("UPDATE follows SET state = 'accepted'")
    deliver(db, create(note(number=3, to=[f"{ALICE}/followers"])))
    work()
    assert posts_by_uri(db, f"{ALICE}/statuses/3")[0]["visibility"] == "followers"


def test_direct_note_is_stored_only_when_it_names_a_member_here(db, work):
    member(db, "river")
    member(db, "sleeper", status="suspended")
    deliver(db, create(note(to=[f"{BASE}/users/sleeper", BOB])))
    deliver(db, create(note(number=2, to=[RIVER])))
    work()
    assert posts_by_uri(db, f"{ALICE}/statuses/1") == []
    [post] = posts_by_uri(db, f"{ALICE}/statuses/2")
    assert post["visibility"] == "direct" and list(post["recipients"]) == [RIVER]


def test_reply_to_a_local_post_is_threaded_under_it(db, work):
    river = member(db, "river")
    parent = local_post(db, river)
    deliver(db, create(note(inReplyTo=parent, cc=[RIVER])))
    work()
    [reply] = posts_by_uri(db, f"{ALICE}/statuses/1")
    assert reply["in_reply_to_id"] == int(parent.rsplit("/", 1)[1])
    assert reply["in_reply_to_uri"] == parent


def test_direct_reply_to_a_local_post_reaches_its_author(db, work):
    river = member(db, "river")
    parent = local_post(db, river, "direct", recipients=(ALICE,))
    deliver(db, create(note(to=[RIVER], inReplyTo=parent)))
    work()
    [reply] = posts_by_uri(db, f"{ALICE}/statuses/1")
    assert reply["visibility"] == "direct" and reply["in_reply_to_id"] is not None


def test_reply_to_a_post_outside_the_actors_audience_is_ignored_line_27(db, work):
    river = member(db, "river")
    for number, visibility in enumerate(["followers", "direct", "community"], start=1):
        parent = local_post(db, river, visibility)
        deliver(db, create(note(number=number, inReplyTo=parent, cc=[RIVER])))
    work()
    assert db.fetchval("SELECT count(*) FROM posts WHERE uri IS NOT NULL") == 0


def test_reply_to_a_stored_remote_post_is_threaded_without_any_fetch(db, work, remote):
    deliver(db, create(note(number=1)))
    deliver(db, create(note(actor=BOB, number=2, inReplyTo=f"{ALICE}/statuses/1")))
    deliver(db, create(note(actor=BOB, number=3, inReplyTo=f"{THIRD}/statuses/9")))
    work()
    parent = posts_by_uri(db, f"{ALICE}/statuses/1")[0]
    assert posts_by_uri(db, f"{BOB}/statuses/2")[0]["in_reply_to_id"] == parent["id"]
    unknown_parent = posts_by_uri(db, f"{BOB}/statuses/3")[0]
    assert unknown_parent["in_reply_to_id"] is None
    assert unknown_parent["in_reply_to_uri"] == f"{THIRD}/statuses/9"
    assert not any("third.example" in str(r.url) for r in remote.requests)  # line 36


def test_create_of_a_deleted_post_is_ignored_line_45(db, work):
    deliver(db, activity("Delete", f"{ALICE}/statuses/1"))
    deliver(db, create(note()))
    work()
    assert posts_by_uri(db, f"{ALICE}/statuses/1") == []


def test_create_reusing_another_accounts_object_id_changes_nothing_line_18(db, work):
    deliver(db, create(note(actor=BOB, number=7)))
    work()
    stolen = note(actor=BOB, number=7, attributedTo=ALICE, content="<p>mine now</p>")
    deliver(db, create(stolen, actor=ALICE))  # Alice's Create of Bob's id
    claimed = note(actor=ALICE, number=8, attributedTo=BOB)  # Alice's Create "by Bob"
    deliver(db, create(claimed, actor=ALICE))
    work()
    [post] = posts_by_uri(db, f"{BOB}/statuses/7")
    assert post["author_uri"] == BOB and post["content_html"] == "<p>One day at a time</p>"
    assert posts_by_uri(db, f"{ALICE}/statuses/8") == []


@pytest.mark.parametrize("obj", [
    note(actor=CAROL),  # the object lives on another server
    {**note(), "attributedTo": CAROL},  # or says its author does
])
def test_object_or_author_on_another_host_than_the_actor_is_dropped_line_17(db, work, obj):
    row_id = deliver(db, create(obj, actor=ALICE))
    work()
    assert "RELIABILITY 17" in row(db, row_id)["last_error"]
    assert row(db, row_id)["processed_at"] is not None
    assert db.fetchval("SELECT count(*) FROM posts") == 0


def test_update_by_the_author_changes_the_post(db, work):
    deliver(db, create(note()))
    work()
    deliver(db, activity("Update", note(content="<p>Two days</p>",
                                        updated="2024-05-02T10:00:00Z")))
    work()
    [post] = posts_by_uri(db, f"{ALICE}/statuses/1")
    assert post["content_html"] == "<p>Two days</p>" and post["edited_at"] is not None


def test_update_or_delete_of_a_post_the_actor_does_not_own_is_ignored_line_19(db, work):
    deliver(db, create(note()))
    work()
    deliver(db, activity("Update", note(content="<p>defaced</p>"), actor=BOB))
    deliver(db, activity("Update", {**note(content="<p>defaced</p>"), "attributedTo": BOB},
                         actor=BOB))
    deliver(db, activity("Delete", f"{ALICE}/statuses/1", actor=BOB))
    work()
    [post] = posts_by_uri(db, f"{ALICE}/statuses/1")
    assert post["content_html"] == "<p>One day at a time</p>"
    assert db.fetchval("SELECT count(*) FROM tombstones") == 0


def test_delete_by_the_author_removes_the_post_and_keeps_a_tombstone(db, work):
    deliver(db, create(note()))
    work()
    row_id = deliver(db, activity("Delete", {"id": f"{ALICE}/statuses/1", "type": "Tombstone"}))
    deliver(db, activity("Delete", f"{ALICE}/statuses/404"))
    work()
    assert processed_cleanly(db, row_id)
    assert posts_by_uri(db, f"{ALICE}/statuses/1") == []
    assert {r["uri"] for r in db.fetch("SELECT uri FROM tombstones")} == {
        f"{ALICE}/statuses/1", f"{ALICE}/statuses/404"}


def test_actor_deleting_itself_is_tombstoned_and_then_receives_nothing(db, work):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_row(db, f"{ALICE}/follows/1", remote_follows=(alice, river))
    deliver(db, activity("Delete", ALICE))
    later = deliver(db, activity("Like", local_post(db, river)))
    work()
    assert db.fetchval("SELECT gone_at IS NOT NULL FROM remote_actors WHERE uri = $1", ALICE)
    assert "gone" in row(db, later)["last_error"]
    # its follows go with it (issue 3), and its id is tombstoned
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    assert db.fetchval("SELECT count(*) FROM tombstones WHERE uri = $1", ALICE) == 1


def test_update_of_an_actor_refreshes_the_profile_but_never_takes_its_key(db, work):
    known(db, ALICE)
    profile = {**person(ALICE, pem="EMBEDDED"), "name": "Alice R."}
    deliver(db, activity("Update", profile))
    work()
    actor = db.fetch("SELECT name, key_id, public_key_pem FROM remote_actors "
                     "WHERE uri = $1", ALICE)[0]
    assert actor["name"] == "Alice R."
    assert (actor["key_id"], actor["public_key_pem"]) == (f"{ALICE}#main-key", "PEM")
    # a profile naming another key: the stored one is dropped, to be fetched again
    deliver(db, activity("Update", person(ALICE, pem="EVIL", key_id=f"{ALICE}#new")))
    work()
    actor = db.fetch("SELECT key_id, public_key_pem FROM remote_actors WHERE uri = $1",
                     ALICE)[0]
    assert (actor["key_id"], actor["public_key_pem"]) == (None, None)


def test_update_of_another_actor_is_ignored_line_19(db, work):
    known(db, BOB)
    deliver(db, activity("Update", {**person(BOB), "name": "Not Bob"}))
    work()
    assert db.fetchval("SELECT name FROM remote_actors WHERE uri = $1", BOB) is None


# -- reactions ----------------------------------------------------------------------


def test_like_and_its_undo_of_a_public_local_post(db, work):
    river = member(db, "river")
    like = activity("Like", local_post(db, river))
    deliver(db, like)
    work()
    assert db.fetchval("SELECT kind FROM reactions WHERE uri = $1", like["id"]) == "like"
    deliver(db, activity("Undo", {k: v for k, v in like.items() if k != "@context"}))
    work()
    assert db.fetchval("SELECT count(*) FROM reactions") == 0


def test_like_of_a_post_outside_the_actors_audience_is_ignored_line_27(db, work):
    river, alice = member(db, "river"), known(db, ALICE)
    for visibility in ("followers", "direct", "community"):
        deliver(db, activity("Like", local_post(db, river, visibility)))
    work()
    assert db.fetchval("SELECT count(*) FROM reactions") == 0
    follow_row(db, f"{ALICE}/follows/1", remote_follows=(alice, river))
    deliver(db, activity("Like", local_post(db, river, "followers")))
    deliver(db, activity("Like", local_post(db, river, "direct", recipients=(ALICE,))))
    work()
    assert db.fetchval("SELECT count(*) FROM reactions") == 2


def test_undo_of_someone_elses_like_changes_nothing(db, work):
    river = member(db, "river")
    like = activity("Like", local_post(db, river))
    deliver(db, like)
    work()
    deliver(db, activity("Undo", like["id"], actor=BOB))
    work()
    assert db.fetchval("SELECT count(*) FROM reactions") == 1


def test_announce_of_a_local_post_is_a_boost_post_and_undo_removes_it(db, work):
    river = member(db, "river")
    boost = activity("Announce", local_post(db, river), to=[PUBLIC])
    deliver(db, boost)
    deliver(db, activity("Announce", local_post(db, river, "followers"), to=[PUBLIC]))
    work()
    [stored] = db.fetch("""SELECT p.uri, p.visibility, p.content_html, r.uri AS author,
                                  p.reblog_of_id = o.id AS points_at_original
                           FROM posts p JOIN remote_actors r ON r.id = p.author_remote_id
                           JOIN posts o ON o.id = p.reblog_of_id""")
    assert dict(stored) == {"uri": boost["id"], "visibility": "public", "content_html": "",
                            "author": ALICE, "points_at_original": True}
    assert db.fetchval("SELECT count(*) FROM reactions") == 0
    deliver(db, activity("Undo", boost["id"], actor=BOB))  # not theirs to undo
    deliver(db, activity("Undo", boost["id"]))  # by id alone
    work()
    assert db.fetchval("SELECT count(*) FROM posts WHERE reblog_of_id IS NOT NULL") == 0


def test_unlisted_announce_is_an_unlisted_boost_and_a_private_one_is_refused(db, work):
    river = member(db, "river")
    post = local_post(db, river)
    deliver(db, activity("Announce", post, to=[f"{ALICE}/followers"], cc=[PUBLIC]))
    deliver(db, activity("Announce", post, actor=BOB, to=[f"{BOB}/followers"]))
    work()
    assert [r["visibility"] for r in db.fetch(
        "SELECT visibility FROM posts WHERE reblog_of_id IS NOT NULL")] == ["unlisted"]


def test_announce_of_a_third_hosts_post_stores_it_and_who_boosted_it(db, work, remote):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice))
    original = note(actor=CAROL, number=5)
    remote.serve(original["id"], original)
    announce = activity("Announce", original["id"], to=[PUBLIC])
    deliver(db, announce)
    work()
    [post] = posts_by_uri(db, original["id"])
    [boost] = posts_by_uri(db, announce["id"])
    assert boost["reblog_of_id"] == post["id"] and boost["author_uri"] == ALICE
    again = activity("Announce", original["id"], actor=BOB, to=[PUBLIC])
    known(db, BOB)
    follow_row(db, f"{RIVER}#follows/2", member_follows=(river, db.fetchval(
        "SELECT id FROM remote_actors WHERE uri = $1", BOB)))
    deliver(db, again)  # the post is here already: no second fetch, a second boost
    work()
    assert db.fetchval("SELECT count(*) FROM posts WHERE reblog_of_id = $1", post["id"]) == 2
    assert [str(r.url) for r in remote.requests].count(original["id"]) == 1


def test_announce_of_a_third_hosts_post_is_refetched_from_its_origin_line_20(db, work, remote):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice))
    original = note(actor=CAROL, number=5)
    remote.serve(original["id"], original)
    forged = {**original, "content": "<p>drink with me</p>"}
    deliver(db, activity("Announce", forged, to=[PUBLIC]))
    work()
    [post] = posts_by_uri(db, original["id"])
    assert post["author_uri"] == CAROL and post["content_html"] == "<p>One day at a time</p>"
    assert [str(r.url) for r in remote.requests] == [original["id"], CAROL]


def test_announce_of_a_remote_post_that_is_not_public_is_not_stored_line_20(db, work, remote):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice))
    original = note(actor=CAROL, number=5, to=[f"{CAROL}/followers"])
    remote.serve(original["id"], original)
    deliver(db, activity("Announce", {**original, "to": [PUBLIC]}))
    work()
    assert db.fetchval("SELECT count(*) FROM posts") == 0


def test_announce_from_someone_nobody_here_follows_fetches_nothing(db, work, remote):
    deliver(db, activity("Announce", f"{CAROL}/statuses/5"))
    work()
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    assert all("statuses" not in str(r.url) for r in remote.requests)


# -- moderation ----------------------------------------------------------------------


def test_block_of_a_member_is_recorded_ends_follows_and_undo_lifts_it(db, work):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice))
    block = activity("Block", RIVER)
    deliver(db, block)
    deliver(db, activity("Block", f"{BASE}/users/nobody"))
    work()
    assert db.fetchval("SELECT uri FROM remote_blocks") == block["id"]
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    deliver(db, activity("Undo", {k: v for k, v in block.items() if k != "@context"}))
    work()
    assert db.fetchval("SELECT count(*) FROM remote_blocks") == 0


def test_flag_is_kept_for_moderators_with_only_our_objects(db, work):
    river = member(db, "river")
    post = local_post(db, river)
    flag = activity("Flag", [RIVER, post, f"{THIRD}/statuses/1"], content="spam links")
    deliver(db, flag)
    deliver(db, activity("Flag", [f"{THIRD}/users/someone"]))
    work()
    [report] = db.fetch("SELECT uri, content, object_uris, reporter_remote_id FROM reports")
    assert report["uri"] == flag["id"] and report["content"] == "spam links"
    assert list(report["object_uris"]) == [RIVER, post]


def test_move_naming_someone_else_or_an_unconfirming_target_is_ignored(db, work, remote):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice))
    remote.serve(f"{THIRD}/users/alice", person(f"{THIRD}/users/alice"))  # no alsoKnownAs
    deliver(db, activity("Move", ALICE, target=f"{THIRD}/users/alice"))
    deliver(db, activity("Move", BOB, target=f"{THIRD}/users/bob"))
    work()
    assert db.fetchval("SELECT moved_to FROM remote_actors WHERE uri = $1", ALICE) is None
    assert db.fetchval("SELECT count(*) FROM follows") == 1 and deliveries(db) == []


def test_verified_move_moves_each_members_follow_to_the_new_account(db, work, remote):
    """A Move as Mastodon sends it (``Move``, object and actor the old
    account, target the new one, whose ``alsoKnownAs`` names the old)."""
    river, sam, alice = member(db, "river"), member(db, "sam"), known(db, ALICE)
    old_follows = [follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice)),
                   follow_row(db, f"{BASE}/users/sam#follows/1",
                              member_follows=(sam, alice), state="pending")]
    new = f"{THIRD}/users/alice"
    remote.serve(new, {**person(new), "alsoKnownAs": [ALICE]})
    move = {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{ALICE}#moves/1",
            "type": "Move", "actor": ALICE, "object": ALICE, "target": new}
    deliver(db, move)
    work()
    assert db.fetchval("SELECT moved_to FROM remote_actors WHERE uri = $1", ALICE) == new
    now = db.fetch("""SELECT m.username, f.state, r.uri FROM follows f
                      JOIN members m ON m.id = f.follower_member_id
                      JOIN remote_actors r ON r.id = f.followed_remote_id ORDER BY m.username""")
    assert [tuple(r) for r in now] == [("river", "pending", new), ("sam", "pending", new)]
    assert db.fetchval("SELECT count(*) FROM follows WHERE id = ANY($1::bigint[])",
                       old_follows) == 0
    sent = sorted((json.loads(d["payload"])["type"], d["inbox"]) for d in deliveries(db))
    assert sent == [("Follow", f"{new}/inbox"), ("Follow", f"{new}/inbox"),
                    ("Undo", f"{ALICE}/inbox"), ("Undo", f"{ALICE}/inbox")]
    undos = [json.loads(d["payload"]) for d in deliveries(db)
             if json.loads(d["payload"])["type"] == "Undo"]
    assert sorted(u["object"]["id"] for u in undos) == sorted(
        [f"{RIVER}#follows/1", f"{BASE}/users/sam#follows/1"])


def test_deleted_actor_loses_its_posts_boosts_likes_and_follows_here(db, work):
    river, alice = member(db, "river"), known(db, ALICE)
    follow_row(db, f"{RIVER}#follows/1", member_follows=(river, alice))
    follow_row(db, f"{ALICE}/follows/1", remote_follows=(alice, river))
    post = local_post(db, river)
    deliver(db, create(note(number=7)))
    deliver(db, activity("Like", post))
    deliver(db, activity("Announce", post, to=[PUBLIC]))
    work()
    assert db.fetchval("SELECT count(*) FROM posts WHERE author_remote_id = $1", alice) == 2
    deliver(db, activity("Delete", ALICE, to=[PUBLIC]))
    work()
    for table, column in (("posts", "author_remote_id"), ("reactions", "actor_remote_id")):
        assert db.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", alice) == 0
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    assert db.fetchval("SELECT count(*) FROM posts") == 1  # river's own post stays
    assert db.fetchval("SELECT count(*) FROM tombstones WHERE uri = $1", ALICE) == 1
    # Its server still answering for it later (refetched, so no longer gone)
    # changes nothing: what it sends is ignored.
    db.execute("UPDATE remote_actors SET gone_at = NULL WHERE id = $1", alice)
    late = deliver(db, create(note(number=8)))
    work()
    assert processed_cleanly(db, late)
    assert db.fetchval("SELECT count(*) FROM posts WHERE author_remote_id = $1", alice) == 0


# -- the worker itself ---------------------------------------------------------------


@pytest.mark.parametrize("payload", [
    activity("Listen", f"{REMOTE}/tracks/1"),
    activity("EmojiReact", f"{BASE}/users/river/posts/1", content="🔥"),
    create({"id": f"{ALICE}/events/1", "type": "Event", "name": "Meeting"}),
    activity("Undo", {"id": f"{ALICE}/x", "type": "Listen", "actor": ALICE, "object": ALICE}),
])
def test_unknown_types_are_processed_without_error(db, work, payload, caplog):
    caplog.set_level(logging.INFO, "inbox.worker")
    row_id = deliver(db, payload)
    assert work() == 1
    assert processed_cleanly(db, row_id)
    assert "no handler" in caplog.text
    assert all(r.levelno == logging.INFO for r in caplog.records if r.name == "inbox.worker")


def test_unreadable_activity_is_dropped_with_its_reason(db, work):
    row_id = deliver(db, {"id": f"{ALICE}/1", "type": "Like", "actor": ALICE})  # no object
    work()
    assert row(db, row_id)["processed_at"] is not None
    assert "no object" in row(db, row_id)["last_error"]


def test_content_never_reaches_the_log(db, work, caplog):
    caplog.set_level(logging.DEBUG)
    deliver(db, create(note(content="<p>my secret struggle</p>", summary="private cw")))
    work()
    assert posts_by_uri(db, f"{ALICE}/statuses/1")
    assert "secret" not in caplog.text and "private cw" not in caplog.text


def test_handler_failure_is_retried_then_given_up_with_last_error(db, work, monkeypatch, caplog):
    async def broken(job: Any) -> str:
        raise RuntimeError("handler bug")

    monkeypatch.setitem(handlers.HANDLERS, ("Like", handlers.ANY), broken)
    row_id = deliver(db, activity("Like", f"{BASE}/users/river/posts/1"))
    for attempt in range(1, BUG_ATTEMPTS + 1):
        assert work() == 1
        assert work() == 0  # not due again yet
        r = row(db, row_id)
        assert r["attempts"] == attempt and "RuntimeError: handler bug" in r["last_error"]
        assert (r["processed_at"] is None) == (attempt < BUG_ATTEMPTS)
        db.execute("UPDATE inbox_activities SET next_attempt_at = now()")
    assert work() == 0
    assert "handler bug" in caplog.text and "given up" in caplog.text
    assert any(r.exc_info for r in caplog.records)  # logged with its traceback


def test_remote_down_is_retried_later_with_backoff(db, work, remote):
    remote.serve(ALICE, {}, status=599)  # times out; Alice is not known yet
    row_id = deliver(db, create(note()))
    work()
    first = row(db, row_id)
    assert first["processed_at"] is None and "unavailable" in first["last_error"]
    waited = db.fetchval("SELECT next_attempt_at - now() FROM inbox_activities")
    assert waited.total_seconds() > 30
    db.execute("UPDATE inbox_activities SET next_attempt_at = now()")
    work()
    second_wait = db.fetchval("SELECT next_attempt_at - now() FROM inbox_activities")
    assert second_wait > waited  # backing off
    remote.serve(ALICE, person(ALICE))
    db.execute("UPDATE inbox_activities SET next_attempt_at = now()")
    work()
    assert row(db, row_id)["processed_at"] is not None
    assert posts_by_uri(db, f"{ALICE}/statuses/1")


def test_remote_down_gives_up_after_max_attempts(db, work, remote):
    remote.serve(ALICE, {}, status=599)
    row_id = deliver(db, create(note()))
    db.execute("UPDATE inbox_activities SET attempts = $1", store.MAX_ATTEMPTS - 1)
    work()
    r = row(db, row_id)
    assert r["processed_at"] is not None and "unavailable" in r["last_error"]


def test_a_dead_workers_rows_come_back_after_the_lease(db, work):
    row_id = deliver(db, create(note()))

    async def claim_and_die() -> None:
        conn = await asyncpg.connect(db.url)
        try:
            async with conn.transaction():
                assert len(await store.claim_activities(conn, 10)) == 1
        finally:
            await conn.close()

    run(claim_and_die())
    assert work() == 0  # leased to the dead worker
    db.execute("UPDATE inbox_activities SET next_attempt_at = now() - interval '1 second'")
    assert work() == 1
    assert processed_cleanly(db, row_id) and row(db, row_id)["attempts"] == 2


def test_a_row_that_kills_its_worker_every_time_is_given_up(db, work):
    row_id = deliver(db, create(note()))
    db.execute("UPDATE inbox_activities SET attempts = $1", store.MAX_ATTEMPTS)
    work()
    assert "gave up" in row(db, row_id)["last_error"]
    assert posts_by_uri(db, f"{ALICE}/statuses/1") == []


def test_two_concurrent_batches_never_process_the_same_row(db, remote, monkeypatch):
    seen: list[str] = []
    both_busy = asyncio.Barrier(2)

    async def like(job: Any) -> str:
        seen.append(job.activity.id)
        await asyncio.wait_for(both_busy.wait(), timeout=10)  # each batch in a handler at once
        return "counted"

    monkeypatch.setitem(handlers.HANDLERS, ("Like", handlers.ANY), like)
    known(db, ALICE)
    for number in range(10):
        deliver(db, activity("Like", f"{BASE}/users/river/posts/{number}"))

    async def both() -> list[int]:
        pool = await asyncpg.create_pool(db.url, min_size=2, max_size=4)
        client = httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))
        try:
            return list(await asyncio.gather(*(process_batch(pool, _fetcher(client), BASE, 5)
                                               for _ in range(2))))
        finally:
            await client.aclose()
            await pool.close()

    assert run(both()) == [5, 5]
    assert len(seen) == len(set(seen)) == 10
    assert db.fetchval("SELECT count(*) FROM inbox_activities "
                       "WHERE processed_at IS NOT NULL AND attempts = 1") == 10


def test_follow_through_the_front_door_then_the_worker(database_url, db, remote):
    private_pem, public_pem = generate_rsa_keypair()
    remote.serve(ALICE, person(ALICE, pem=public_pem))
    settings = make_settings(database_url, allow_private_network=True)

    def client_factory(policy: Any) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))

    member(db, "river")
    follow = activity("Follow", RIVER)
    with TestClient(create_app(settings, http_client_factory=client_factory),
                    base_url=settings.url) as client:
        body, headers = signed(follow, private_pem, path="/users/river/inbox")
        assert client.post("/users/river/inbox", content=body, headers=headers).status_code == 202
        fetcher = client.app.state.fetcher
        pool = client.app.state.pool
        assert client.portal.call(process_batch, pool, fetcher, settings.url) == 1
    [sent] = deliveries(db)
    assert json.loads(sent["payload"])["object"]["id"] == follow["id"]
    assert sent["inbox"] == f"{ALICE}/inbox"


def test_the_inbox_job_processes_until_nothing_is_due(db, remote, database_url):
    settings = make_settings(database_url, allow_private_network=True)
    for number in range(3):
        deliver(db, create(note(number=number)))

    async def once() -> dict[str, int]:
        pool = await asyncpg.create_pool(db.url, min_size=1, max_size=2)
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))
        try:
            return await run_once(pool, (job,), JobContext(http, settings, asyncio.Event()))
        finally:
            await http.aclose()
            await pool.close()

    [job] = [job for job in JOBS if job.name == "process-inbox"]
    assert job.interval <= 1.0
    assert run(once()) == {"process-inbox": 3}
    assert db.fetchval("SELECT count(*) FROM posts") == 3
