"""What clients do to statuses: favourite, boost (with its visibility),
bookmark, mute the conversation, pin; who favourited or boosted; the
member's bookmarks and favourites, paged with Link headers."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from recovery import bookmarks
from recovery.store import bookmarks as bookmarks_store
from tests.conftest import run, signup
from tests.helpers_api import bearer, password_token, register_app


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name))


def _post(client: Any, auth: dict[str, str], text: str = "hello",
          visibility: str = "public", **extra: Any) -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": visibility, **extra})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _act(client: Any, auth: dict[str, str], status_id: str, action: str,
         **data: Any) -> Any:
    return client.post(f"/api/v1/statuses/{status_id}/{action}", headers=auth, data=data)


def test_favourite_and_unfavourite_change_the_flag_and_the_count(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    liked = _act(client, sky, status, "favourite")
    assert liked.status_code == 200, liked.text
    assert liked.json()["favourited"] is True and liked.json()["favourites_count"] == 1
    assert _act(client, sky, status, "favourite").json()["favourites_count"] == 1
    who = client.get(f"/api/v1/statuses/{status}/favourited_by").json()
    assert [a["acct"] for a in who] == ["sky"]
    undone = _act(client, sky, status, "unfavourite").json()
    assert undone["favourited"] is False and undone["favourites_count"] == 0
    assert client.get(f"/api/v1/statuses/{status}/favourited_by").json() == []


def test_reblog_answers_with_the_boost_and_unreblog_with_the_original(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    boost = _act(client, sky, status, "reblog")
    assert boost.status_code == 200, boost.text
    shown = boost.json()
    assert shown["id"] != status and shown["reblog"]["id"] == status
    assert shown["reblog"]["reblogged"] is True and shown["account"]["acct"] == "sky"
    assert _act(client, sky, status, "reblog").json()["id"] == shown["id"]  # once
    who = client.get(f"/api/v1/statuses/{status}/reblogged_by").json()
    assert [a["acct"] for a in who] == ["sky"]
    undone = _act(client, sky, status, "unreblog").json()
    assert undone["id"] == status and undone["reblogged"] is False
    assert undone["reblogs_count"] == 0


def test_a_reblog_can_be_unlisted_but_not_followers_only(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    assert _act(client, sky, status, "reblog", visibility="private").status_code == 422
    assert db.fetchval("SELECT count(*) FROM posts WHERE reblog_of_id IS NOT NULL") == 0
    boost = _act(client, sky, status, "reblog", visibility="unlisted").json()
    assert boost["visibility"] == "unlisted"


def test_a_followers_only_post_cannot_be_boosted(client, db):
    river = _member(client, "river")
    status = _post(client, river, visibility="private")
    assert _act(client, river, status, "reblog").status_code == 403
    assert db.fetchval("SELECT count(*) FROM posts") == 1


def test_bookmarks_are_listed_newest_first_with_link_headers(client):
    river, sky = _member(client, "river"), _member(client, "sky")
    ids = [_post(client, river, f"post {n}") for n in range(3)]
    for status in ids:
        marked = _act(client, sky, status, "bookmark")
        assert marked.status_code == 200 and marked.json()["bookmarked"] is True
    first = client.get("/api/v1/bookmarks", headers=sky, params={"limit": 2})
    assert [s["id"] for s in first.json()] == [ids[2], ids[1]]
    assert 'rel="next"' in first.headers["link"]
    older = client.get(first.links["next"]["url"], headers=sky)
    assert [s["id"] for s in older.json()] == [ids[0]]
    newer = client.get(older.links["prev"]["url"], headers=sky)
    assert [s["id"] for s in newer.json()] == [ids[2], ids[1]]
    assert client.get(f"/api/v1/statuses/{ids[0]}", headers=sky).json()["bookmarked"] is True
    assert client.get(f"/api/v1/statuses/{ids[0]}", headers=river).json()["bookmarked"] is False
    _act(client, sky, ids[0], "unbookmark")
    assert len(client.get("/api/v1/bookmarks", headers=sky).json()) == 2


def test_a_bookmark_of_a_post_no_longer_visible_is_not_listed(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    _act(client, sky, status, "bookmark")
    db.execute("UPDATE posts SET visibility = 'followers'")
    assert client.get("/api/v1/bookmarks", headers=sky).json() == []


def test_favourites_are_listed_with_link_headers(client):
    river, sky = _member(client, "river"), _member(client, "sky")
    ids = [_post(client, river, f"post {n}") for n in range(2)]
    for status in ids:
        _act(client, sky, status, "favourite")
    listed = client.get("/api/v1/favourites", headers=sky)
    assert [s["id"] for s in listed.json()] == [ids[1], ids[0]]
    assert all(s["favourited"] for s in listed.json())
    assert "link" in listed.headers
    assert client.get("/api/v1/favourites", headers=river).json() == []


def test_muting_a_conversation_marks_every_post_in_it(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    root = _post(client, river, "root")
    reply = _post(client, sky, "@river reply", in_reply_to_id=root)
    other = _post(client, river, "elsewhere")
    muted = _act(client, river, reply, "mute")
    assert muted.status_code == 200 and muted.json()["muted"] is True
    assert client.get(f"/api/v1/statuses/{root}", headers=river).json()["muted"] is True
    assert client.get(f"/api/v1/statuses/{other}", headers=river).json()["muted"] is False
    assert client.get(f"/api/v1/statuses/{root}", headers=sky).json()["muted"] is False
    assert run(_muted(db.url, 1, int(reply))) and not run(_muted(db.url, 2, int(reply)))
    assert _act(client, river, root, "unmute").json()["muted"] is False
    assert client.get(f"/api/v1/statuses/{reply}", headers=river).json()["muted"] is False
    assert not run(_muted(db.url, 1, int(reply)))


def test_pins_are_the_members_own_posts_and_listed_for_their_profile(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    pinned = _act(client, river, status, "pin")
    assert pinned.status_code == 200 and pinned.json()["pinned"] is True
    assert _act(client, sky, status, "pin").status_code == 422
    direct = _post(client, river, "@sky psst", visibility="direct")
    assert _act(client, river, direct, "pin").status_code == 422
    listed = run(_pinned(db.url, 1))
    assert [p.id for p in listed] == [int(status)]
    account = client.get("/api/v1/accounts/verify_credentials", headers=river).json()["id"]
    shown = client.get(f"/api/v1/accounts/{account}/statuses", params={"pinned": "true"},
                       headers=sky).json()
    assert [s["id"] for s in shown] == [status] and shown[0]["pinned"] is False
    assert client.get(f"/api/v1/accounts/{account}/statuses", params={"pinned": "true"},
                      headers=river).json()[0]["pinned"] is True
    assert _act(client, river, status, "unpin").json()["pinned"] is False
    assert run(_pinned(db.url, 1)) == []


def test_at_most_five_posts_are_pinned(client, db):
    river = _member(client, "river")
    ids = [_post(client, river, f"p{n}") for n in range(6)]
    for status in ids[:5]:
        assert _act(client, river, status, "pin").status_code == 200
    refused = _act(client, river, ids[5], "pin")
    assert refused.status_code == 422 and "5" in refused.json()["error"]
    assert db.fetchval("SELECT count(*) FROM status_pins") == 5


def test_pinned_followers_only_posts_are_listed_only_for_those_who_may_see_them(client, db):
    river = _member(client, "river")
    status = _post(client, river, visibility="private")
    _act(client, river, status, "pin")
    assert run(_pinned(db.url, 1)) == []  # a visitor
    assert [p.id for p in run(_pinned(db.url, 1, viewer=1))] == [int(status)]


def test_actions_on_a_post_the_member_cannot_see_are_404_and_change_nothing(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    hidden = _post(client, river, visibility="private")
    for action in ("favourite", "reblog", "bookmark", "mute", "pin"):
        assert _act(client, sky, hidden, action).status_code == 404, action
    assert client.get(f"/api/v1/statuses/{hidden}/favourited_by").status_code == 404
    assert client.get(f"/api/v1/statuses/{hidden}/reblogged_by").status_code == 404
    for table in ("reactions", "bookmarks", "conversation_mutes", "status_pins"):
        assert db.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert db.fetchval("SELECT count(*) FROM posts") == 1


def test_favouriting_a_remote_post_sends_a_like_to_its_author(client, db):
    sky = _member(client, "sky")
    remote = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, document)
           VALUES ('https://peer.example/users/ash', 'peer.example', 'Person', 'ash',
                   'https://peer.example/users/ash/inbox', '{}') RETURNING id""")
    post_id = db.fetchval(
        """INSERT INTO posts (uri, author_remote_id, visibility, content_html)
           VALUES ('https://peer.example/notes/1', $1, 'public', '<p>hi</p>') RETURNING id""",
        remote)
    assert _act(client, sky, str(post_id), "favourite").status_code == 200
    assert _act(client, sky, str(post_id), "unfavourite").status_code == 200
    sent = [json.loads(r["payload"]) for r in db.fetch(
        "SELECT payload FROM deliveries ORDER BY id")]
    assert [s["type"] for s in sent] == ["Like", "Undo"]


async def _pinned(url: str, member_id: int, viewer: int | None = None) -> list[Any]:
    conn = await asyncpg.connect(url)
    try:
        viewer_uri = "http://testserver/users/river" if viewer else None
        return await bookmarks_store.pinned_posts(conn, member_id, viewer, viewer_uri)
    finally:
        await conn.close()


def test_deleting_ones_own_boost_takes_it_back(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    boost = _act(client, sky, status, "reblog").json()["id"]
    assert client.delete(f"/api/v1/statuses/{boost}", headers=river).status_code == 404
    response = client.delete(f"/api/v1/statuses/{boost}", headers=sky)
    assert response.status_code == 200, response.text
    assert response.json()["reblog"]["id"] == status
    assert db.fetchval("SELECT count(*) FROM posts") == 1


async def _muted(url: str, member_id: int, post_id: int) -> bool:
    conn = await asyncpg.connect(url)
    try:
        return await bookmarks.conversation_muted(conn, member_id, post_id)
    finally:
        await conn.close()
