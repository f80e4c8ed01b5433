"""A follow's ``languages[]`` (docs.joinmastodon.org/methods/accounts/#follow):
stored per follow, reported in the Relationship, changed by following
again (an empty list means all again), checked (ISO 639 codes), and
applied: the home timeline, and the home stream, show that account's posts
only in those languages; posts with no language, boosts among them, pass."""

from __future__ import annotations

from typing import Any

import asyncpg

from outbox.uris import actor_uri
from recovery.store.events import post_audience
from tests.conftest import run, signup
from tests.helpers_api import bearer, password_token, register_app


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name))


def _id(client: Any, auth: dict[str, str]) -> str:
    account_id: str = client.get("/api/v1/accounts/verify_credentials", headers=auth).json()["id"]
    return account_id


def _follow(client: Any, auth: dict[str, str], account: str, **body: Any) -> dict[str, Any]:
    response = client.post(f"/api/v1/accounts/{account}/follow", headers=auth, **body)
    assert response.status_code == 200, response.text
    rel: dict[str, Any] = response.json()
    return rel


def _befriend(client: Any, follower: dict[str, str], followed: dict[str, str]) -> None:
    _follow(client, follower, _id(client, followed))
    answered = client.post(f"/api/v1/follow_requests/{_id(client, follower)}/authorize",
                           headers=followed)
    assert answered.status_code == 200, answered.text


def _post(client: Any, auth: dict[str, str], text: str, **extra: str) -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": "public", **extra})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _home(client: Any, auth: dict[str, str]) -> set[str]:
    response = client.get("/api/v1/timelines/home", headers=auth)
    assert response.status_code == 200, response.text
    return {s["id"] for s in response.json()}


def test_languages_are_stored_reported_and_changed_by_following_again(client, db):
    sky, river = _member(client, "sky"), _member(client, "river")
    sky_id = _id(client, sky)
    rel = _follow(client, river, sky_id)
    assert rel["languages"] is None
    rel = _follow(client, river, sky_id, data={"languages[]": ["EN", "fr", "en"]})
    assert rel["requested"] and rel["languages"] == ["en", "fr"]
    rel = _follow(client, river, sky_id, data={"notify": "true"})  # languages left as chosen
    assert rel["languages"] == ["en", "fr"] and rel["notifying"] is True
    rel = _follow(client, river, sky_id, json={"languages": ["de"]})
    assert rel["languages"] == ["de"]
    listed = client.get("/api/v1/accounts/relationships", headers=river,
                        params={"id[]": sky_id}).json()
    assert listed[0]["languages"] == ["de"]
    assert db.fetchval("SELECT languages FROM follows") == ["de"]
    rel = _follow(client, river, sky_id, json={"languages": []})  # all again
    assert rel["languages"] is None
    assert db.fetchval("SELECT languages FROM follows") is None
    _follow(client, river, sky_id, data={"languages[]": "pt"})
    gone = client.post(f"/api/v1/accounts/{sky_id}/unfollow", headers=river).json()
    assert gone["languages"] is None
    # a member who does not follow sees null, whatever others chose
    lake = _member(client, "lake")
    assert client.get("/api/v1/accounts/relationships", headers=lake,
                      params={"id[]": sky_id}).json()[0]["languages"] is None


def test_bad_languages_are_refused_and_nothing_is_stored(client, db):
    sky, river = _member(client, "sky"), _member(client, "river")
    sky_id = _id(client, sky)
    for bad in ({"languages[]": "english"}, {"languages[]": ["en", "e1"]},
                {"languages[]": [f"a{chr(97 + i // 26)}{chr(97 + i % 26)}"
                                 for i in range(101)]}):
        response = client.post(f"/api/v1/accounts/{sky_id}/follow", headers=river, data=bad)
        assert response.status_code == 422, response.text
        assert "languages" in response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    assert db.fetchval("SELECT count(*) FROM notifications") == 0
    _follow(client, river, sky_id, data={"languages[]": "en"})
    refused = client.post(f"/api/v1/accounts/{sky_id}/follow", headers=river,
                          data={"languages[]": "??"})
    assert refused.status_code == 422
    assert db.fetchval("SELECT languages FROM follows") == ["en"]


def test_home_shows_a_followed_accounts_posts_only_in_the_languages_chosen(client, db):
    sky, reed, river = _member(client, "sky"), _member(client, "reed"), _member(client, "river")
    _befriend(client, river, sky)
    _befriend(client, river, reed)
    english = _post(client, sky, "Day 30.", language="en")
    french = _post(client, sky, "Jour 30.", language="fr")
    brazilian = _post(client, sky, "Dia 30.", language="pt-BR")
    unknown = _post(client, sky, "30!")
    reeds = _post(client, reed, "Jour 2.", language="fr")
    own = _post(client, river, "Jour 1.", language="fr")
    boosted = _post(client, reed, "Jour 3.", language="fr")
    boost = client.post(f"/api/v1/statuses/{boosted}/reblog", headers=sky).json()["id"]
    everything = {english, french, brazilian, unknown, reeds, own, boost}
    assert everything <= _home(client, river)

    _follow(client, river, _id(client, sky), data={"languages[]": ["en", "pt"]})
    home = _home(client, river)
    assert {english, brazilian, unknown, reeds, own, boost} <= home
    assert french not in home
    assert french in _home(client, sky)  # the author's own feed is theirs
    later = _post(client, sky, "Jour 31.", language="fr")
    assert later not in _home(client, river)
    # the home stream asks the same question
    river_id = int(_id(client, river)) // 2  # account ids of members are 2 * member id
    assert run(_in_home_stream(db.url, river_id, int(later))) is False
    assert run(_in_home_stream(db.url, river_id, int(english))) is True

    _follow(client, river, _id(client, sky), json={"languages": []})
    assert everything | {later} <= _home(client, river)


async def _in_home_stream(url: str, member_id: int, post_id: int) -> bool:
    """What the streaming check (recovery/store/events.py) answers for river."""
    conn = await asyncpg.connect(url)
    try:
        _, home = await post_audience(conn, post_id, member_id,
                                      actor_uri("http://testserver", "river"))
    finally:
        await conn.close()
    return home
