"""The client API's entity cache (web/api/entity_cache.py): a timeline read
through one app after changes written through another app on the same
database (as two ``hearth serve`` processes) shows every change at once,
while what did not change is served from the cache."""

from __future__ import annotations

from typing import Any

import asyncpg

from recovery import oauth
from tests.conftest import run, signup
from tests.helpers_api import bearer, password_token, register_app
from tests.helpers_media import jpeg_with_gps
from web.api.entity_cache import EntityCache, PostParts

BASE = "http://testserver"


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name,
                                 scope="read write follow"))


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _follow(client: Any, follower: dict[str, str], followed: dict[str, str]) -> str:
    """``follower`` follows ``followed`` (members approve their followers by
    default); the followed account's id."""
    followed_id: str = _ok(client.get("/api/v1/accounts/verify_credentials",
                                      headers=followed))["id"]
    follower_id = _ok(client.get("/api/v1/accounts/verify_credentials",
                                 headers=follower))["id"]
    _ok(client.post(f"/api/v1/accounts/{followed_id}/follow", headers=follower))
    _ok(client.post(f"/api/v1/follow_requests/{follower_id}/authorize", headers=followed))
    return followed_id


def _home(client: Any, auth: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = _ok(client.get("/api/v1/timelines/home", headers=auth))
    return found


def _cache(client: Any) -> EntityCache:
    cache: EntityCache = client.app.state.entity_cache
    return cache


def test_a_page_read_twice_is_the_same_and_comes_from_the_cache(app_factory):
    writer, reader = app_factory(), app_factory()
    river, sky = _member(writer, "river"), _member(writer, "sky")
    sky_id = _follow(writer, river, sky)
    media = _ok(writer.post("/api/v2/media", headers=sky, data={"description": "a lake"},
                            files={"file": ("lake.jpg", jpeg_with_gps(), "image/jpeg")}))
    first = _ok(writer.post("/api/v1/statuses", headers=sky, data={
        "status": "@river day 30 #OneDay", "media_ids[]": media["id"],
        "visibility": "public"}))
    _ok(writer.post("/api/v1/statuses", headers=sky,
                    data={"status": "a reply", "in_reply_to_id": first["id"],
                          "visibility": "public"}))

    before = _home(reader, river)
    assert len(before) == 2
    assert before[1]["media_attachments"][0]["description"] == "a lake"
    assert before[1]["mentions"][0]["acct"] == "river"
    assert before[1]["tags"] == [{"name": "oneday", "url": f"{BASE}/tags/oneday"}]
    assert before[0]["in_reply_to_account_id"] == sky_id
    hits = _cache(reader).hits
    again = _home(reader, river)
    assert again == before
    assert _cache(reader).hits >= hits + 2  # both posts


def test_changes_written_elsewhere_show_at_once(app_factory):
    writer, reader = app_factory(), app_factory()
    river, sky = _member(writer, "river"), _member(writer, "sky")
    _follow(writer, river, sky)
    media = _ok(writer.post("/api/v2/media", headers=sky, data={"description": "a lake"},
                            files={"file": ("lake.jpg", jpeg_with_gps(), "image/jpeg")}))
    status = _ok(writer.post("/api/v1/statuses", headers=sky, data={
        "status": "day 30", "media_ids[]": media["id"], "visibility": "public"}))
    (shown,) = _home(reader, river)
    assert shown["account"]["followers_count"] == 1 and shown["favourites_count"] == 0

    # an edit through the other app
    _ok(writer.put(f"/api/v1/statuses/{status['id']}", headers=sky,
                   data={"status": "day 31", "media_ids[]": media["id"]}))
    (shown,) = _home(reader, river)
    assert shown["content"] == "<p>day 31</p>" and shown["edited_at"] is not None

    # the image's description, in its own row
    _ok(writer.put(f"/api/v1/media/{media['id']}", headers=sky,
                   data={"description": "a lake at dawn"}))
    (shown,) = _home(reader, river)
    assert shown["media_attachments"][0]["description"] == "a lake at dawn"

    # the author's profile
    _ok(writer.patch("/api/v1/accounts/update_credentials", headers=sky,
                     data={"display_name": "Sky Blue"}))
    (shown,) = _home(reader, river)
    assert shown["account"]["display_name"] == "Sky Blue"

    # counts and the viewer's own flags are never kept
    _ok(writer.post(f"/api/v1/statuses/{status['id']}/favourite", headers=river))
    _ok(writer.post("/api/v1/statuses", headers=sky, data={"status": "another day",
                                                           "visibility": "public"}))
    shown = _home(reader, river)[1]
    assert shown["favourites_count"] == 1 and shown["favourited"] is True
    assert shown["account"]["statuses_count"] == 2

    # a deleted post is gone from the page
    _ok(writer.delete(f"/api/v1/statuses/{status['id']}", headers=sky))
    assert [s["content"] for s in _home(reader, river)] == ["<p>another day</p>"]


def test_nothing_read_inside_a_transaction_is_kept(database_url):
    async def go() -> tuple[bool, bool]:
        cache = EntityCache()
        parts = PostParts(7, (), (), (), None, False)
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():
                cache.keep_post(conn, 1, parts)
            inside = cache._posts.get(1) is not None
            cache.keep_post(conn, 1, parts)
            outside = cache._posts.get(1) is not None
        finally:
            await conn.close()
        return inside, outside
    assert run(go()) == (False, True)


def test_the_cache_keeps_only_so_many_entries():
    cache = EntityCache(posts=2)

    class Conn:
        def is_in_transaction(self) -> bool:
            return False

    for post_id in (1, 2, 3):
        cache.keep_post(Conn(), post_id, PostParts(post_id, (), (), (), None, False))
    assert list(cache._posts) == [2, 3]


# -- kept home pages ------------------------------------------------------------------

def _setup_home(client: Any) -> tuple[dict[str, str], dict[str, str], str, dict[str, Any]]:
    """river follows sky, who has posted once; river's home read twice (kept)."""
    river, sky = _member(client, "river"), _member(client, "sky")
    _follow(client, river, sky)
    status = _ok(client.post("/api/v1/statuses", headers=sky,
                             data={"status": "day 30", "visibility": "public"}))
    _home(client, river)
    _home(client, river)
    return river, sky, next(iter(river.values())).split()[1], status


def test_a_kept_page_is_answered_again_only_while_nothing_changed(client):
    river, sky, _, status = _setup_home(client)
    assert len(_cache(client)._responses) == 1  # the second read's answer, kept
    kept = client.get("/api/v1/timelines/home", headers=river)
    assert kept.json()[0]["id"] == status["id"] and "link" in kept.headers
    _cache(client).clear()
    fresh = client.get("/api/v1/timelines/home", headers=river)
    assert kept.content == fresh.content and kept.headers["link"] == fresh.headers["link"]

    # each of these changes what the page says, and shows at once
    _ok(client.post(f"/api/v1/statuses/{status['id']}/favourite", headers=river))
    (shown,) = _home(client, river)
    assert shown["favourited"] is True and shown["favourites_count"] == 1
    _ok(client.post(f"/api/v1/statuses/{status['id']}/bookmark", headers=river))
    assert _home(client, river)[0]["bookmarked"] is True
    _ok(client.post("/api/v1/statuses", headers=sky, data={"status": "day 31",
                                                           "visibility": "public"}))
    assert [s["content"] for s in _home(client, river)] == ["<p>day 31</p>", "<p>day 30</p>"]
    other = client.get("/api/v1/timelines/home", headers=river, params={"limit": 1})
    assert [s["content"] for s in other.json()] == ["<p>day 31</p>"]


def test_a_revoked_token_or_a_suspended_member_is_refused_though_a_page_was_kept(client, db):
    river, _, token, _ = _setup_home(client)
    app = register_app(client)
    second = password_token(client, app, "river", scope="read")
    _home(client, bearer(second))
    _home(client, bearer(second))
    assert _cache(client).caller(oauth.token_digest(second)) is not None  # the quick way
    _ok(client.post("/oauth/revoke", data={"token": second, "client_id": app["client_id"],
                                           "client_secret": app["client_secret"]}))
    refused = client.get("/api/v1/timelines/home", headers=bearer(second))
    assert refused.status_code == 401
    assert client.get("/api/v1/timelines/home", headers=river).status_code == 200
    db.execute("UPDATE members SET status = 'suspended' WHERE username = 'river'")
    assert client.get("/api/v1/timelines/home", headers=bearer(token)).status_code == 401


def test_a_token_without_read_gets_403_though_the_member_has_a_kept_page(client):
    _setup_home(client)
    writer = bearer(password_token(client, register_app(client), "river", scope="write"))
    assert client.get("/api/v1/timelines/home", headers=writer).status_code == 403


def test_blocks_mutes_unfollows_and_filters_take_a_kept_post_off_at_once(app_factory, db):
    writer, reader = app_factory(), app_factory()
    river, sky = _member(writer, "river"), _member(writer, "sky")
    sky_id = _follow(writer, river, sky)
    _ok(writer.post("/api/v1/statuses", headers=sky,
                    data={"status": "a hard day", "visibility": "public"}))
    river_id = _ok(writer.get("/api/v1/accounts/verify_credentials", headers=river))["id"]

    def shown() -> list[str]:
        first, second = _home(reader, river), _home(reader, river)
        assert first == second
        return [s["content"] for s in first]

    assert shown() == ["<p>a hard day</p>"]
    _ok(writer.post(f"/api/v1/accounts/{sky_id}/mute", headers=river))
    assert shown() == []
    _ok(writer.post(f"/api/v1/accounts/{sky_id}/unmute", headers=river))
    assert shown() == ["<p>a hard day</p>"]
    _ok(writer.post(f"/api/v1/accounts/{river_id}/block", headers=sky))  # blocked by sky
    assert shown() == []
    _ok(writer.post(f"/api/v1/accounts/{river_id}/unblock", headers=sky))
    _follow(writer, river, sky)  # a block ends the follow
    assert shown() == ["<p>a hard day</p>"]
    filtered = _ok(writer.post("/api/v2/filters", headers=river, json={
        "title": "hard", "context": ["home"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "hard"}]}))
    assert shown() == []
    _ok(writer.delete(f"/api/v2/filters/{filtered['id']}", headers=river))
    assert shown() == ["<p>a hard day</p>"]
    _ok(writer.post(f"/api/v1/accounts/{sky_id}/mute", headers=river,
                    data={"duration": "3600"}))
    assert shown() == []
    db.execute("UPDATE mutes SET expires_at = now() - interval '1 second'")  # run out
    assert shown() == ["<p>a hard day</p>"]
    _ok(writer.post(f"/api/v1/accounts/{sky_id}/unfollow", headers=river))
    assert shown() == []


def test_a_page_with_a_poll_shows_new_votes(client):
    river, sky = _member(client, "river"), _member(client, "sky")
    _follow(client, river, sky)
    status = _ok(client.post("/api/v1/statuses", headers=sky, data={
        "status": "how was today?", "visibility": "public",
        "poll[options][]": ["good", "hard"], "poll[expires_in]": "3600"}))
    assert _home(client, river)[0]["poll"]["votes_count"] == 0
    assert _home(client, river)[0]["poll"]["voted"] is False
    _ok(client.post(f"/api/v1/polls/{status['poll']['id']}/votes", headers=river,
                    data={"choices[]": "1"}))
    (shown,) = _home(client, river)
    assert shown["poll"]["votes_count"] == 1 and shown["poll"]["voted"] is True
