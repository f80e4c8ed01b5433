"""Who sees which post: the privacy core every page, API and fetch relies on
(DESIGN.md, "Rules that keep members safe"; RELIABILITY.md 25-27)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from recovery import follows, peers, posts
from recovery.errors import NotFound
from recovery.models import Member, Party, Visibility
from tests.conftest import run

BASE = "http://testserver"


def uri(member: Member) -> str:
    return f"{BASE}/users/{member.username}"


async def _member(conn: Any, name: str, locked: bool = False) -> Member:
    from recovery import store
    from recovery.models import Role, Status

    member = await store.insert_member(conn, name, "x", Role.MEMBER, Status.ACTIVE)
    assert member is not None
    return await store.update_profile(conn, member.id, "", "", locked, False)


async def _remote(conn: Any, name: str) -> Any:
    actor = f"https://remote.example/users/{name}"
    return await peers.remember(conn, {
        "id": actor, "type": "Person", "preferredUsername": name, "inbox": f"{actor}/inbox",
        "followers": f"{actor}/followers",
        "endpoints": {"sharedInbox": "https://remote.example/inbox"},
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": "PEM"}})


def scenario(db_url: str, check: Any) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(db_url)
        try:
            return await check(conn)
        finally:
            await conn.close()
    return run(go())


@pytest.mark.parametrize(("visibility", "seen_by"), [
    (Visibility.PUBLIC, {"author", "follower", "stranger", "visitor", "mentioned"}),
    (Visibility.UNLISTED, {"author", "follower", "stranger", "visitor", "mentioned"}),
    (Visibility.COMMUNITY, {"author", "follower", "stranger", "mentioned"}),
    (Visibility.FOLLOWERS, {"author", "follower"}),
    (Visibility.DIRECT, {"author", "mentioned"}),
])
def test_each_visibility_reaches_exactly_its_audience_line_26(database_url, visibility, seen_by):
    async def check(conn: Any) -> set[str]:
        author = await _member(conn, "author")
        follower = await _member(conn, "follower")
        pending = await _member(conn, "pending")
        stranger = await _member(conn, "stranger")
        mentioned = await _member(conn, "mentioned")
        await follows.follow_member(conn, follower, author, f"{BASE}/f/1")
        locked = await _member(conn, "locked", locked=True)
        request = await follows.follow_member(conn, pending, locked, f"{BASE}/f/2")
        assert request.state == "pending"
        post = await posts.write(conn, author, "hello", visibility,
                                 recipients=[uri(mentioned)])
        seen = set()
        viewers = {"author": author, "follower": follower, "stranger": stranger,
                   "mentioned": mentioned, "visitor": None}
        for name, viewer in viewers.items():
            try:
                await posts.visible(conn, viewer, uri(viewer) if viewer else None, post.id)
                seen.add(name)
            except NotFound:
                pass
        return seen

    assert scenario(database_url, check) == seen_by


def test_pending_follower_does_not_see_followers_only_posts_line_28(database_url):
    async def check(conn: Any) -> tuple[bool, bool]:
        locked = await _member(conn, "locked", locked=True)
        asker = await _member(conn, "asker")
        follow = await follows.follow_member(conn, asker, locked, f"{BASE}/f/1")
        post = await posts.write(conn, locked, "only friends", Visibility.FOLLOWERS)
        home_before = await posts.home(conn, asker, uri(asker))
        await follows.answer_request(conn, locked, follow.id, accept=True)
        home_after = await posts.home(conn, asker, uri(asker))
        return post.id in [p.id for p in home_before], post.id in [p.id for p in home_after]

    assert scenario(database_url, check) == (False, True)


def test_home_timeline_holds_own_and_followed_posts_newest_first(database_url):
    async def check(conn: Any) -> list[str]:
        me = await _member(conn, "me")
        friend = await _member(conn, "friend")
        other = await _member(conn, "other")
        await follows.follow_member(conn, me, friend, f"{BASE}/f/1")
        await posts.write(conn, other, "not followed", Visibility.PUBLIC)
        await posts.write(conn, friend, "from a friend", Visibility.FOLLOWERS)
        await posts.write(conn, me, "mine", Visibility.COMMUNITY)
        await posts.write(conn, other, "a direct one to me", Visibility.DIRECT,
                          recipients=[uri(me)])
        return [p.content_html for p in await posts.home(conn, me, uri(me))]

    assert scenario(database_url, check) == [
        "<p>a direct one to me</p>", "<p>mine</p>", "<p>from a friend</p>"]


def test_remote_followers_only_post_reaches_local_followers_only(database_url):
    from federation.objects import parse_object

    async def check(conn: Any) -> tuple[bool, bool]:
        reader = await _member(conn, "reader")
        bystander = await _member(conn, "bystander")
        remote = await _remote(conn, "alice")
        follow = await follows.follow_remote(conn, reader, remote, f"{BASE}/f/1")
        await follows.accepted_by_remote(conn, follow.uri, remote)
        note = parse_object({"id": f"{remote.uri}/posts/1", "type": "Note",
                             "attributedTo": remote.uri, "content": "<p>friends only</p>",
                             "to": [f"{remote.uri}/followers"]})
        stored = await posts.received(conn, remote, note, Visibility.FOLLOWERS, None)
        assert stored is not None
        seen_by_reader = stored.id in [p.id for p in await posts.home(conn, reader, uri(reader))]
        try:
            await posts.visible(conn, bystander, uri(bystander), stored.id)
            bystander_sees = True
        except NotFound:
            bystander_sees = False
        return seen_by_reader, bystander_sees

    assert scenario(database_url, check) == (True, False)


def test_accept_counts_only_from_the_followed_actor_line_23(database_url):
    async def check(conn: Any) -> tuple[Any, str]:
        reader = await _member(conn, "reader")
        alice = await _remote(conn, "alice")
        mallory = await _remote(conn, "mallory")
        follow = await follows.follow_remote(conn, reader, alice, f"{BASE}/f/1")
        by_mallory = await follows.accepted_by_remote(conn, follow.uri, mallory)
        from recovery import store
        still = await store.get_follow_between(conn, Party(member_id=reader.id),
                                               Party(remote_id=alice.id))
        assert still is not None
        return by_mallory, still.state

    assert scenario(database_url, check) == (None, "pending")


def test_remote_html_is_sanitised_on_arrival_line_39(database_url):
    from federation.objects import parse_object

    async def check(conn: Any) -> str:
        remote = await _remote(conn, "alice")
        note = parse_object({"id": f"{remote.uri}/posts/2", "type": "Note",
                             "attributedTo": remote.uri,
                             "content": '<p>hi<script>alert(1)</script>'
                                        '<a href="javascript:alert(1)">x</a></p>',
                             "to": ["https://www.w3.org/ns/activitystreams#Public"]})
        stored = await posts.received(conn, remote, note, Visibility.PUBLIC, None)
        assert stored is not None
        return stored.content_html

    html = scenario(database_url, check)
    assert "<script" not in html and "javascript:" not in html and "hi" in html


def test_delete_before_create_keeps_the_post_out_line_45(database_url):
    from federation.objects import parse_object

    async def check(conn: Any) -> Any:
        remote = await _remote(conn, "alice")
        uri_ = f"{remote.uri}/posts/3"
        assert await posts.deleted_remotely(conn, remote, uri_)
        note = parse_object({"id": uri_, "type": "Note", "attributedTo": remote.uri,
                             "content": "late", "to": []})
        return await posts.received(conn, remote, note, Visibility.PUBLIC, None)

    assert scenario(database_url, check) is None


def test_another_actor_cannot_take_over_or_delete_a_post_lines_18_19(database_url):
    from federation.objects import parse_object

    async def check(conn: Any) -> tuple[Any, bool, bool, str]:
        alice = await _remote(conn, "alice")
        mallory = await _remote(conn, "mallory")
        uri_ = f"{alice.uri}/posts/4"
        note = parse_object({"id": uri_, "type": "Note", "attributedTo": alice.uri,
                             "content": "<p>original</p>", "to": []})
        await posts.received(conn, alice, note, Visibility.PUBLIC, None)
        forged = parse_object({"id": uri_, "type": "Note", "attributedTo": mallory.uri,
                               "content": "<p>forged</p>", "to": []})
        again = await posts.received(conn, mallory, forged, Visibility.PUBLIC, None)
        updated = await posts.updated_remotely(conn, mallory, forged)
        deleted = await posts.deleted_remotely(conn, mallory, uri_)
        post = await posts.by_uri(conn, uri_)
        assert post is not None
        return again, updated, deleted, post.content_html

    assert scenario(database_url, check) == (None, False, False, "<p>original</p>")
