"""Followed hashtags (docs.joinmastodon.org/methods/tags, followed_tags):
following a hashtag brings the public and community posts that carry it
into the home timeline and the ``user`` stream (never a followers-only or
direct one, nor one by an account the member blocked); unfollowing takes
out those that were there for the tag alone. The list of followed tags is
paged with Link headers; ``following`` shows on the Tag entity."""

from __future__ import annotations

import json
from typing import Any

import pytest

from recovery import posts as recovery_posts
from recovery.models import Visibility
from tests.conftest import post_form, signup
from tests.test_api_lists import _links, _member, _ok
from tests.test_api_streaming import Community, Live, next_event, no_event, scenario
from web.streams import Channel


def _post(client: Any, auth: dict[str, str], text: str, visibility: str = "public") -> str:
    status_id: str = _ok(client.post("/api/v1/statuses", headers=auth,
                                     data={"status": text, "visibility": visibility}))["id"]
    return status_id


def _home(client: Any, auth: dict[str, str]) -> list[str]:
    return [s["id"] for s in _ok(client.get("/api/v1/timelines/home", headers=auth))]


def test_following_a_hashtag_brings_its_posts_home_and_unfollowing_takes_them_out(client):
    river = _member(client, "river")
    sky = _member(client, "sky")
    stone = _member(client, "stone")
    before = _post(client, sky, "Day 30 #Gratitude")
    untagged = _post(client, sky, "No tag here")
    assert before not in _home(client, river)

    tag = _ok(client.post("/api/v1/tags/gratitude/follow", headers=river))
    assert (tag["name"], tag["following"]) == ("gratitude", True)
    assert tag["url"] == "http://testserver/tags/gratitude"
    assert len(tag["history"]) == 7
    assert _ok(client.post("/api/v1/tags/GRATITUDE/follow", headers=river))["following"]

    later = _post(client, stone, "Morning walk #gratitude")
    followers_only = _post(client, stone, "Hard day #gratitude", "private")
    direct = _post(client, stone, "@river just us #gratitude", "direct")
    community_post = _post(client, stone, "Meeting at 8 #gratitude", "local")
    home = _home(client, river)
    assert {before, later, community_post} <= set(home)
    assert untagged not in home and followers_only not in home
    assert direct in home  # it names river: there for that, not for the tag

    stone_id = _ok(client.get("/api/v1/accounts/verify_credentials", headers=stone))["id"]
    _ok(client.post(f"/api/v1/accounts/{stone_id}/follow", headers=river))
    river_id = _ok(client.get("/api/v1/accounts/verify_credentials", headers=river))["id"]
    client.post(f"/api/v1/follow_requests/{river_id}/authorize", headers=stone)
    assert _ok(client.get(f"/api/v1/accounts/relationships?id[]={stone_id}",
                          headers=river))[0]["following"]
    tag = _ok(client.post("/api/v1/tags/gratitude/unfollow", headers=river))
    assert tag["following"] is False
    home = _home(client, river)
    assert before not in home  # there for the tag alone
    assert later in home and community_post in home  # river follows stone
    assert _ok(client.get("/api/v1/tags/gratitude", headers=river))["following"] is False


def test_a_blocked_accounts_tagged_posts_stay_out(client):
    river = _member(client, "river")
    sky = _member(client, "sky")
    sky_id = _ok(client.get("/api/v1/accounts/verify_credentials", headers=sky))["id"]
    _ok(client.post(f"/api/v1/accounts/{sky_id}/block", headers=river))
    _ok(client.post("/api/v1/tags/gratitude/follow", headers=river))
    blocked = _post(client, sky, "Day 2 #gratitude")
    assert blocked not in _home(client, river)


def test_the_list_of_followed_hashtags_is_paged(client):
    river = _member(client, "river")
    sky = _member(client, "sky")
    assert _ok(client.get("/api/v1/followed_tags", headers=sky)) == []
    for name in ("one", "two", "three"):
        _ok(client.post(f"/api/v1/tags/{name}/follow", headers=river))
    _post(client, sky, "Used today #two")
    response = client.get("/api/v1/followed_tags?limit=2", headers=river)
    first = _ok(response)
    assert [t["name"] for t in first] == ["three", "two"]
    assert all(t["following"] for t in first)
    assert sum(int(day["uses"]) for day in first[1]["history"]) == 1
    rest = _ok(client.get(_links(response)["next"], headers=river))
    assert [t["name"] for t in rest] == ["one"]
    assert _ok(client.get("/api/v1/followed_tags", headers=sky)) == []
    # A hashtag nobody used: 404 to others, shown to the member who follows it.
    assert client.get("/api/v1/tags/one", headers=sky).status_code == 404
    assert _ok(client.get("/api/v1/tags/one", headers=river))["following"] is True


@pytest.mark.parametrize("name", ["%23", "1234", "no-dash", "x" * 101])
def test_a_name_that_is_no_hashtag_is_refused(client, db, name):
    river = _member(client, "river")
    response = client.post(f"/api/v1/tags/{name}/follow", headers=river)
    assert response.status_code == 422, response.text
    assert response.json() == {"error": "Validation failed: Name is not a valid hashtag"}
    assert db.fetchval("SELECT count(*) FROM followed_tags") == 0


def test_following_needs_the_follows_scopes(client):
    reader = _member(client, "river", scope="read")
    assert client.post("/api/v1/tags/gratitude/follow", headers=reader).status_code == 403
    writer = _member(client, "sky", scope="write")
    assert client.get("/api/v1/followed_tags", headers=writer).status_code == 403
    assert client.post("/api/v1/tags/gratitude/follow").status_code == 401


@pytest.fixture
def community(client, db) -> Community:
    return Community(client, db)


def test_a_new_post_with_a_followed_hashtag_reaches_the_user_stream(
        community, client, database_url):
    community.join("river", "sky")
    river = {"Authorization": f"Bearer {community.tokens['river']}"}
    _ok(client.post("/api/v1/tags/gratitude/follow", headers=river))

    async def body(live: Live) -> None:
        home = await live.stream("river", Channel("user"))
        await live.write("sky", "Hidden #gratitude", Visibility.FOLLOWERS)
        await live.write("sky", "Untagged")
        tagged = await live.write("sky", "Sunrise #gratitude")
        message = await next_event(home)
        assert (message.stream, message.event) == (["user"], "update")
        assert json.loads(message.payload or "")["id"] == str(tagged)
        await no_event(home)

    scenario(community, database_url, body)


def test_a_deleted_post_leaves_the_user_stream_of_a_hashtag_follower(
        community, client, database_url):
    community.join("river", "sky", "stone")
    river = {"Authorization": f"Bearer {community.tokens['river']}"}
    _ok(client.post("/api/v1/tags/gratitude/follow", headers=river))

    async def body(live: Live) -> None:
        rivers = await live.stream("river", Channel("user"))
        stones = await live.stream("stone", Channel("user"))
        tagged = await live.write("sky", "Sunrise #gratitude")
        assert json.loads((await next_event(rivers)).payload or "")["id"] == str(tagged)
        _, sky = await live.member("sky")
        async with live.pool.acquire() as conn, conn.transaction():
            await recovery_posts.delete(conn, sky, tagged)
        message = await next_event(rivers)
        assert (message.event, message.payload) == ("delete", str(tagged))
        await no_event(stones)  # follows neither sky nor a hashtag

    scenario(community, database_url, body)


def test_a_member_follows_a_hashtag_from_its_page(client):
    sky = _member(client, "sky")
    _post(client, sky, "Day five #Gratitude")
    signup(client, "river")  # now logged in on the web pages as river
    assert "Day five" not in client.get("/home").text
    page = client.get("/tags/gratitude").text
    assert "Follow #gratitude" in page and "Unfollow" not in page
    followed = post_form(client, "/tags/gratitude", "/tags/gratitude/follow", {})
    assert (followed.status_code, followed.headers["location"]) == (303, "/tags/gratitude")
    assert "Unfollow #gratitude" in client.get("/tags/gratitude").text
    assert "Day five" in client.get("/home").text
    assert client.post("/tags/gratitude/unfollow", data={}).status_code in (400, 403)
    assert post_form(client, "/tags/gratitude", "/tags/gratitude/unfollow",
                     {}).status_code == 303
    assert "Unfollow" not in client.get("/tags/gratitude").text
    assert "Day five" not in client.get("/home").text
    client.cookies.clear()
    assert "Follow #" not in client.get("/tags/gratitude").text
    visitor = post_form(client, "/login", "/tags/gratitude/follow", {})
    assert visitor.status_code == 303 and visitor.headers["location"].startswith("/login")
