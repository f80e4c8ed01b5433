"""Notifications through the client API: who is told of follows, follow
requests, mentions, favourites, boosts and edits (never of their own acts,
never from an account they block or mute), the list with types[],
exclude_types[], account_id and Link paging, one by id, dismiss, clear, the
unread count and the notifications marker; milestones only once shared."""

from __future__ import annotations

from typing import Any

from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _id(client: Any, auth: dict[str, str]) -> str:
    account_id: str = client.get("/api/v1/accounts/verify_credentials", headers=auth).json()["id"]
    return account_id


def _post(client: Any, auth: dict[str, str], text: str = "hello",
          visibility: str = "public") -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": visibility})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _notes(client: Any, auth: dict[str, str], **params: Any) -> list[dict[str, Any]]:
    response = client.get("/api/v1/notifications", headers=auth, params=params)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def _types(client: Any, auth: dict[str, str], **params: Any) -> list[str]:
    return [n["type"] for n in _notes(client, auth, **params)]


def test_favourite_boost_mention_and_edit_each_notify_the_right_member(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river, "Day 10")
    client.post(f"/api/v1/statuses/{status}/favourite", headers=sky)
    client.post(f"/api/v1/statuses/{status}/reblog", headers=sky)
    mention = _post(client, sky, "@river well done")
    shown = _notes(client, river)
    assert [n["type"] for n in shown] == ["mention", "reblog", "favourite"]
    assert all(n["account"]["acct"] == "sky" for n in shown)
    assert shown[0]["status"]["id"] == mention and shown[2]["status"]["id"] == status
    assert shown[0]["group_key"] == f"ungrouped-{shown[0]['id']}"
    assert _types(client, sky) == []
    edited = client.put(f"/api/v1/statuses/{status}", headers=river, data={"status": "Day 11"})
    assert edited.status_code == 200, edited.text
    update = _notes(client, sky)
    assert [n["type"] for n in update] == ["update"]
    assert update[0]["account"]["acct"] == "river" and update[0]["status"]["id"] == status


def test_follow_of_a_locked_member_is_a_request_and_of_an_open_one_a_follow(client, db):
    river, sky, lake = (_member(client, n) for n in ("river", "sky", "lake"))
    db.execute("UPDATE members SET manually_approves_followers = false WHERE username = 'lake'")
    assert client.post(f"/api/v1/accounts/{_id(client, river)}/follow",
                       headers=sky).status_code == 200
    assert client.post(f"/api/v1/accounts/{_id(client, lake)}/follow",
                       headers=sky).status_code == 200
    assert _types(client, river) == ["follow_request"]
    assert _types(client, lake) == ["follow"]
    client.post(f"/api/v1/accounts/{_id(client, lake)}/follow", headers=sky)  # again
    assert _types(client, lake) == ["follow"]


def test_own_actions_notify_nobody(client, db):
    river = _member(client, "river")
    status = _post(client, river, "@river note to self")
    client.post(f"/api/v1/statuses/{status}/favourite", headers=river)
    client.post(f"/api/v1/statuses/{status}/reblog", headers=river)
    assert _types(client, river) == []
    assert db.fetchval("SELECT count(*) FROM notifications") == 0


def test_blocked_and_muted_accounts_notify_nobody(client, db):
    river, sky, lake = (_member(client, n) for n in ("river", "sky", "lake"))
    status = _post(client, river)
    client.post(f"/api/v1/statuses/{status}/favourite", headers=lake)
    assert _types(client, river) == ["favourite"]
    client.post(f"/api/v1/accounts/{_id(client, sky)}/block", headers=river)
    client.post(f"/api/v1/accounts/{_id(client, lake)}/mute", headers=river)
    assert _types(client, river) == []  # the earlier one is hidden too
    client.post(f"/api/v1/statuses/{status}/reblog", headers=sky)
    client.post(f"/api/v1/statuses/{status}/reblog", headers=lake)
    assert db.fetchval("SELECT count(*) FROM notifications") == 1
    client.post(f"/api/v1/accounts/{_id(client, lake)}/unmute", headers=river)
    assert _types(client, river) == ["favourite"]


def test_a_mention_in_a_post_the_member_may_not_see_is_not_shown(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    _post(client, sky, "@river followers only", visibility="private")
    assert _types(client, river) == []
    _post(client, sky, "@river just us", visibility="direct")
    shown = _notes(client, river)
    assert [n["type"] for n in shown] == ["mention"]
    assert shown[0]["status"]["visibility"] == "direct"


def test_types_exclude_types_account_id_and_paging_with_link_headers(client, db):
    river, sky, lake = (_member(client, n) for n in ("river", "sky", "lake"))
    status = _post(client, river)
    for auth in (sky, lake):
        client.post(f"/api/v1/statuses/{status}/favourite", headers=auth)
        client.post(f"/api/v1/statuses/{status}/reblog", headers=auth)
    assert _types(client, river, **{"types[]": "reblog"}) == ["reblog", "reblog"]
    assert _types(client, river, **{"exclude_types[]": ["reblog", "mention"]}) == [
        "favourite", "favourite"]
    from_sky = _notes(client, river, account_id=_id(client, sky))
    assert {n["account"]["acct"] for n in from_sky} == {"sky"} and len(from_sky) == 2
    assert _notes(client, river, account_id="nonsense") == []
    first = client.get("/api/v1/notifications", headers=river, params={"limit": 3})
    ids = [n["id"] for n in first.json()]
    assert len(ids) == 3 and ids == sorted(ids, key=int, reverse=True)
    link = first.headers["link"]
    assert f"max_id={ids[-1]}" in link and f"min_id={ids[0]}" in link
    rest = _notes(client, river, max_id=ids[-1])
    assert len(rest) == 1 and int(rest[0]["id"]) < int(ids[-1])
    newer = _notes(client, river, min_id=rest[0]["id"], limit=2)
    assert [n["id"] for n in newer] == ids[1:]
    assert _notes(client, river, since_id=ids[1]) == first.json()[:1]


def test_one_by_id_dismiss_and_clear(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    client.post(f"/api/v1/statuses/{status}/favourite", headers=sky)
    client.post(f"/api/v1/statuses/{status}/reblog", headers=sky)
    newest, older = _notes(client, river)
    one = client.get(f"/api/v1/notifications/{newest['id']}", headers=river)
    assert one.status_code == 200 and one.json() == newest
    assert client.get(f"/api/v1/notifications/{newest['id']}", headers=sky).status_code == 404
    assert client.get("/api/v1/notifications/x1", headers=river).status_code == 404
    assert client.post(f"/api/v1/notifications/{newest['id']}/dismiss",
                       headers=sky).status_code == 404
    dismissed = client.post(f"/api/v1/notifications/{newest['id']}/dismiss", headers=river)
    assert dismissed.status_code == 200 and dismissed.json() == {}
    assert [n["id"] for n in _notes(client, river)] == [older["id"]]
    assert client.post("/api/v1/notifications/clear", headers=river).json() == {}
    assert _notes(client, river) == []


def test_unread_count_follows_the_notifications_marker(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, river)
    client.post(f"/api/v1/statuses/{status}/favourite", headers=sky)
    client.post(f"/api/v1/statuses/{status}/reblog", headers=sky)
    count = client.get("/api/v1/notifications/unread_count", headers=river)
    assert count.status_code == 200 and count.json() == {"count": 2}
    older = _notes(client, river)[1]
    marked = client.post("/api/v1/markers", headers=river,
                         json={"notifications": {"last_read_id": older["id"]}})
    assert marked.status_code == 200, marked.text
    assert client.get("/api/v1/notifications/unread_count",
                      headers=river).json() == {"count": 1}
    assert db.fetchval("SELECT count(*) FROM notifications WHERE read_at IS NULL") == 1


def test_notifications_need_their_scopes(client, db):
    statuses_only = _member(client, "river", scope="read:statuses write:statuses")
    assert client.get("/api/v1/notifications", headers=statuses_only).status_code == 403
    assert client.post("/api/v1/notifications/clear",
                       headers=statuses_only).status_code == 403
    assert client.get("/api/v1/notifications").status_code == 401
    reader = _member(client, "sky", scope="read:notifications")
    assert client.get("/api/v1/notifications", headers=reader).status_code == 200
    assert client.post("/api/v1/notifications/clear", headers=reader).status_code == 403


def test_a_milestone_shows_as_a_status_once_shared_and_not_before(client, db):
    river = _member(client, "river")
    member_id = db.fetchval("SELECT id FROM members WHERE username = 'river'")
    attempt = db.fetchval(
        """INSERT INTO sobriety_attempts (member_id, started_at, time_zone)
           VALUES ($1, now() - interval '31 days', 'UTC') RETURNING id""", member_id)
    db.execute("""INSERT INTO milestones_reached (attempt_id, key, member_id, name, days,
                                                  reached_at)
                  VALUES ($1, '30d', $2, '30 days', 30, now())""", attempt, member_id)
    db.execute("""INSERT INTO notifications (member_id, kind, payload)
                  VALUES ($1, 'milestone', $2::jsonb)""", member_id,
               f'{{"attempt_id": {attempt}, "key": "30d", "name": "30 days", "days": 30}}')
    assert _notes(client, river) == []
    shared = _post(client, river, "30 days today")
    db.execute("UPDATE milestones_reached SET shared_post_id = $1", int(shared))
    shown = _notes(client, river)
    assert [(n["type"], n["status"]["id"], n["account"]["acct"]) for n in shown] == [
        ("status", shared, "river")]
    assert _types(client, river, **{"types[]": "status"}) == ["status"]


def test_a_followers_only_mention_tells_only_those_who_follow(client, db):
    """RELIABILITY.md 25-26: a followers-only post is for accepted followers,
    even those it mentions; anyone else mentioned hears nothing of it."""
    river, sky, lake = _member(client, "river"), _member(client, "sky"), _member(client, "lake")
    db.execute("UPDATE members SET manually_approves_followers = false WHERE username = 'river'")
    followed = client.post(f"/api/v1/accounts/{_id(client, river)}/follow", headers=lake)
    assert followed.status_code == 200, followed.text
    status = _post(client, river, "@sky @lake rough evening", visibility="private")
    assert _types(client, sky) == []
    assert db.fetchval("SELECT count(*) FROM notifications n JOIN members m ON m.id = n.member_id"
                       " WHERE m.username = 'sky'") == 0
    shown = _notes(client, lake)
    assert [(n["type"], n["status"]["id"]) for n in shown] == [("mention", status)]
