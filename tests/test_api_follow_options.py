"""What a member chooses when following (docs.joinmastodon.org/methods/accounts/#follow):
``reblogs`` (the account's boosts in their home timeline) and ``notify``
(a ``status`` notification for each new post), stored per follow, changed
by following again, reported in the Relationship; and follow request
notifications, which go once the request is answered or withdrawn."""

from __future__ import annotations

from typing import Any

from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name))


def _id(client: Any, auth: dict[str, str]) -> str:
    account_id: str = client.get("/api/v1/accounts/verify_credentials", headers=auth).json()["id"]
    return account_id


def _follow(client: Any, auth: dict[str, str], account: str, **data: str) -> dict[str, Any]:
    response = client.post(f"/api/v1/accounts/{account}/follow", headers=auth, data=data)
    assert response.status_code == 200, response.text
    rel: dict[str, Any] = response.json()
    return rel


def _befriend(client: Any, follower: dict[str, str], followed: dict[str, str],
              **data: str) -> dict[str, Any]:
    """``follower`` follows ``followed``, who lets them in (members approve
    followers by default)."""
    _follow(client, follower, _id(client, followed), **data)
    answered = client.post(f"/api/v1/follow_requests/{_id(client, follower)}/authorize",
                           headers=followed)
    assert answered.status_code == 200, answered.text
    return _follow(client, follower, _id(client, followed))


def _post(client: Any, auth: dict[str, str], text: str, visibility: str = "public",
          **extra: str) -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": visibility, **extra})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _boost(client: Any, auth: dict[str, str], status_id: str) -> str:
    response = client.post(f"/api/v1/statuses/{status_id}/reblog", headers=auth)
    assert response.status_code == 200, response.text
    boost_id: str = response.json()["id"]
    return boost_id


def _home(client: Any, auth: dict[str, str]) -> set[str]:
    response = client.get("/api/v1/timelines/home", headers=auth)
    assert response.status_code == 200, response.text
    return {s["id"] for s in response.json()}


def _notes(client: Any, auth: dict[str, str]) -> list[tuple[str, str, str | None]]:
    """(type, account username, status id) of each notification, newest first."""
    response = client.get("/api/v1/notifications", headers=auth)
    assert response.status_code == 200, response.text
    return [(n["type"], n["account"]["username"], (n.get("status") or {}).get("id"))
            for n in response.json()]


# -- reblogs and notify -------------------------------------------------------------

def test_follow_options_are_stored_reported_and_changed_by_following_again(client, db):
    sky = _member(client, "sky")
    river = _member(client, "river")
    rel = _follow(client, river, _id(client, sky))
    assert (rel["requested"], rel["showing_reblogs"], rel["notifying"]) == (True, True, False)
    rel = _follow(client, river, _id(client, sky), reblogs="false", notify="true")
    assert (rel["requested"], rel["showing_reblogs"], rel["notifying"]) == (True, False, True)
    rel = _follow(client, river, _id(client, sky), notify="false")  # reblogs left as chosen
    assert (rel["showing_reblogs"], rel["notifying"]) == (False, False)
    rel = _follow(client, river, _id(client, sky), **{"languages[]": "en"})
    assert (rel["showing_reblogs"], rel["notifying"], rel["languages"]) == (False, False, ["en"])
    assert db.fetchval("SELECT count(*) FROM follows") == 1
    gone = client.post(f"/api/v1/accounts/{_id(client, sky)}/unfollow", headers=river).json()
    assert (gone["requested"], gone["showing_reblogs"], gone["notifying"]) == (
        False, False, False)


def test_a_follow_with_a_bad_option_is_refused_and_stores_nothing(client, db):
    sky = _member(client, "sky")
    river = _member(client, "river")
    for bad in ({"reblogs": "maybe"}, {"notify": "2"}):
        response = client.post(f"/api/v1/accounts/{_id(client, sky)}/follow", headers=river,
                               data=bad)
        assert response.status_code == 422
        assert "must be true or false" in response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    assert db.fetchval("SELECT count(*) FROM notifications") == 0


def test_hidden_boosts_leave_the_home_timeline_and_new_ones_stay_out(client):
    sky, reed = _member(client, "sky"), _member(client, "reed")
    river = _member(client, "river")
    rel = _befriend(client, river, sky)
    assert (rel["following"], rel["showing_reblogs"]) == (True, True)
    own = _post(client, sky, "Day 12 and grateful.")
    earlier = _boost(client, sky, _post(client, reed, "Reed's first share."))
    assert {own, earlier} <= _home(client, river)

    rel = _follow(client, river, _id(client, sky), reblogs="false")
    assert (rel["following"], rel["showing_reblogs"]) == (True, False)
    later = _boost(client, sky, _post(client, reed, "Reed's second share."))
    after = _post(client, sky, "Day 13.")
    home = _home(client, river)
    assert {own, after} <= home and not {earlier, later} & home
    assert {earlier, later} <= _home(client, sky)  # the booster's own feed keeps them

    rel = _follow(client, river, _id(client, sky), reblogs="true")
    assert rel["showing_reblogs"] is True
    assert {own, after, earlier, later} <= _home(client, river)


def test_notify_tells_the_follower_of_each_new_post_they_may_see(client):
    sky, reed = _member(client, "sky"), _member(client, "reed")
    river = _member(client, "river")
    rel = _befriend(client, river, sky, notify="true")
    assert (rel["following"], rel["notifying"]) == (True, True)
    _befriend(client, reed, sky)  # follows without notify
    public = _post(client, sky, "A new meeting on Tuesdays.")
    private = _post(client, sky, "For my followers.", "private")
    _post(client, sky, "@reed just us", "direct")
    _post(client, sky, "Thanks, reed", in_reply_to_id=_post(client, reed, "Welcome!"))
    threaded = _post(client, sky, "And more.", in_reply_to_id=public)  # a self-reply
    _boost(client, sky, _post(client, reed, "Reed's share."))
    told = [n for n in _notes(client, river) if n[0] == "status"]
    assert told == [("status", "sky", threaded), ("status", "sky", private),
                    ("status", "sky", public)]
    assert not [n for n in _notes(client, reed) if n[0] == "status"]

    _follow(client, river, _id(client, sky), notify="false")
    _post(client, sky, "Quiet now.")
    assert len([n for n in _notes(client, river) if n[0] == "status"]) == 3


def test_notify_is_silent_for_an_account_the_follower_mutes(client):
    sky = _member(client, "sky")
    river = _member(client, "river")
    _befriend(client, river, sky, notify="true")
    muted = client.post(f"/api/v1/accounts/{_id(client, sky)}/mute", headers=river)
    assert muted.status_code == 200
    _post(client, sky, "Hello.")
    assert [n for n in _notes(client, river) if n[0] == "status"] == []


# -- follow request notifications ---------------------------------------------------

def test_an_authorized_request_becomes_a_follow_notification(client):
    sky = _member(client, "sky")
    river = _member(client, "river")
    _follow(client, river, _id(client, sky))
    assert _notes(client, sky) == [("follow_request", "river", None)]
    answered = client.post(f"/api/v1/follow_requests/{_id(client, river)}/authorize",
                           headers=sky)
    assert answered.status_code == 200
    assert _notes(client, sky) == [("follow", "river", None)]


def test_a_rejected_or_withdrawn_request_leaves_no_notification(client):
    sky = _member(client, "sky")
    river, reed = _member(client, "river"), _member(client, "reed")
    _follow(client, river, _id(client, sky))
    _follow(client, reed, _id(client, sky))
    assert sorted(_notes(client, sky)) == [("follow_request", "reed", None),
                                           ("follow_request", "river", None)]
    rejected = client.post(f"/api/v1/follow_requests/{_id(client, river)}/reject",
                           headers=sky)
    assert rejected.status_code == 200
    assert _notes(client, sky) == [("follow_request", "reed", None)]
    withdrawn = client.post(f"/api/v1/accounts/{_id(client, sky)}/unfollow", headers=reed)
    assert withdrawn.status_code == 200
    assert _notes(client, sky) == []
