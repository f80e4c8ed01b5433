"""Mastodon entities from Hearth's data: accounts (members and remote
actors), statuses (visibility mapping, boosts, the viewer's flags), built in
a bounded number of queries per page."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg

from recovery import members, posts
from recovery.models import Visibility
from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app
from web.api import entities

BASE = "http://testserver"


class CountingConnection:
    """An asyncpg connection that counts the queries run through it."""

    def __init__(self, conn: Any) -> None:
        self._conn = conn
        self.queries = 0

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._conn, name)
        if name in ("fetch", "fetchrow", "fetchval", "execute"):
            async def counted(*args: Any, **kwargs: Any) -> Any:
                self.queries += 1
                return await attribute(*args, **kwargs)
            return counted
        return attribute


def _insert_remote(db: Any) -> int:
    return db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, name, url,
                                      document)
           VALUES ('https://peer.example/users/ash', 'peer.example', 'Person', 'ash',
                   'Ash', 'https://peer.example/@ash',
                   '{"summary": "<p>hi<script>x</script></p>",
                     "icon": {"url": "https://peer.example/a.png"}}')
           RETURNING id""")


def _insert_post(db: Any, *, member_id: int | None = None, remote_id: int | None = None,
                 visibility: str = "public", text: str = "<p>hello</p>",
                 reply_to: int | None = None, reblog_of: int | None = None) -> int:
    uri = None if member_id else f"https://peer.example/notes/{text}{reblog_of}{reply_to}"
    return db.fetchval(
        """INSERT INTO posts (uri, author_member_id, author_remote_id, visibility,
                              content_html, in_reply_to_id, reblog_of_id)
           VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id""",
        uri, member_id, remote_id, visibility, text, reply_to, reblog_of)


def _statuses(db: Any, ids: list[int], viewer_name: str | None) -> tuple[list[Any], int]:
    async def go() -> tuple[list[Any], int]:
        conn = await asyncpg.connect(db.url)
        try:
            shown = [p for p in [await posts.by_id(conn, i) for i in ids] if p]
            viewer = await members.get_profile(conn, viewer_name) if viewer_name else None
            counting = CountingConnection(conn)
            result = await entities.statuses(counting, shown, viewer, BASE)
            return result, counting.queries
        finally:
            await conn.close()
    return asyncio.run(go())


def test_member_and_remote_accounts_have_distinct_ids_and_mastodon_fields(client, db):
    signup(client, "river")
    remote = _insert_remote(db)
    member_post = _insert_post(db, member_id=1)
    remote_post = _insert_post(db, remote_id=remote, text="<p>from afar</p>")
    result, _ = _statuses(db, [member_post, remote_post], None)
    local, far = result[0]["account"], result[1]["account"]
    assert local["id"] == "2" and far["id"] == str(2 * remote + 1)
    assert local["acct"] == "river" and far["acct"] == "ash@peer.example"
    assert local["url"] == f"{BASE}/@river"
    assert local["avatar"] == f"{BASE}/static/avatar-default.png"
    assert far["avatar"] == "https://peer.example/a.png"
    assert "<script>" not in far["note"]
    for account in (local, far):
        for key in ("username", "display_name", "locked", "bot", "discoverable", "group",
                    "created_at", "note", "header", "header_static", "avatar_static",
                    "followers_count", "following_count", "statuses_count",
                    "last_status_at", "emojis", "fields"):
            assert key in account, key
        assert account["created_at"].endswith("T00:00:00.000Z")
    assert client.get(f"{BASE}/static/avatar-default.png").status_code == 200


def test_visibility_maps_to_what_clients_know_and_community_is_local_only(client, db):
    signup(client, "river")
    ids = [_insert_post(db, member_id=1, visibility=v)
           for v in ("public", "unlisted", "followers", "direct", "community")]
    result, _ = _statuses(db, ids, "river")
    assert [s["visibility"] for s in result] == ["public", "unlisted", "private", "direct",
                                                 "unlisted"]
    assert [s["local_only"] for s in result] == [False, False, False, False, True]
    assert entities.visibility_from_api("local") is Visibility.COMMUNITY
    assert entities.visibility_from_api("unlisted", local_only=True) is Visibility.COMMUNITY
    assert entities.visibility_from_api("private") is Visibility.FOLLOWERS
    assert entities.visibility_from_api("sideways") is None


def test_status_fields_replies_and_boosts(client, db):
    signup(client, "river")
    remote = _insert_remote(db)
    original = _insert_post(db, remote_id=remote, text="<p>original</p>")
    reply = _insert_post(db, member_id=1, text="<p>reply</p>", reply_to=original)
    boost = _insert_post(db, member_id=1, text="", reblog_of=original)
    result, _ = _statuses(db, [reply, boost], "river")
    shown_reply, shown_boost = result
    assert shown_reply["id"] == str(reply)
    assert shown_reply["in_reply_to_id"] == str(original)
    assert shown_reply["in_reply_to_account_id"] == str(2 * remote + 1)
    assert shown_reply["uri"] == f"{BASE}/users/river/posts/{reply}"
    assert shown_reply["url"] == f"{BASE}/@river/{reply}"
    assert shown_reply["created_at"].endswith("Z")
    assert shown_boost["reblog"]["id"] == str(original)
    assert shown_boost["reblog"]["content"] == "<p>original</p>"
    assert shown_boost["reblogged"] is True
    for key in ("media_attachments", "mentions", "tags", "emojis", "reblogs_count",
                "favourites_count", "replies_count", "application", "language",
                "edited_at", "favourited", "muted", "bookmarked", "pinned", "poll",
                "card", "spoiler_text", "sensitive"):
        assert key in shown_reply, key


def test_a_page_of_40_statuses_takes_a_bounded_number_of_queries(client, db):
    signup(client, "river")
    remote = _insert_remote(db)
    first = _insert_post(db, remote_id=remote, text="<p>first</p>")
    ids = [_insert_post(db, member_id=1, text=f"<p>{n}</p>", reply_to=first)
           for n in range(40)]
    result, queries = _statuses(db, ids, "river")
    assert len(result) == 40
    assert queries <= 8, queries  # 6, the viewer's filters (recovery/filters.py), polls


def test_verify_credentials_carries_source_and_role(client):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(token)).json()
    assert me["id"] == "2"
    assert me["locked"] is True  # members approve followers by default
    assert me["source"]["privacy"] == "private"
    assert set(me["source"]) >= {"note", "fields", "sensitive", "language", "privacy"}
    assert me["role"]["name"] == ""
    assert "password" not in str(me)
