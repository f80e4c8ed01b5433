"""Markers (read positions with versions), reports (stored for moderators,
shown on the moderation page, checked: the account's own posts only, real
rules, a category Mastodon knows) and search (accounts by name, posts by
text among those the member may see, hashtags), through the client API."""

from __future__ import annotations

from typing import Any

from tests.conftest import login, signup
from tests.helpers_api import bearer, password_token, register_app


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _id(client: Any, auth: dict[str, str]) -> str:
    account_id: str = client.get("/api/v1/accounts/verify_credentials", headers=auth).json()["id"]
    return account_id


def _post(client: Any, auth: dict[str, str], text: str, visibility: str = "public") -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": visibility})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


# -- markers ---------------------------------------------------------------------

def test_markers_are_saved_versioned_and_read_back_per_timeline(client, db):
    river = _member(client, "river")
    assert client.get("/api/v1/markers", headers=river,
                      params={"timeline[]": ["home", "notifications"]}).json() == {}
    saved = client.post("/api/v1/markers", headers=river, data={"home[last_read_id]": "7"})
    assert saved.status_code == 200, saved.text
    assert saved.json()["home"]["last_read_id"] == "7" and saved.json()["home"]["version"] == 1
    again = client.post("/api/v1/markers", headers=river,
                        json={"home": {"last_read_id": "9"},
                              "notifications": {"last_read_id": "3"}}).json()
    assert again["home"]["version"] == 2 and again["notifications"]["last_read_id"] == "3"
    both = client.get("/api/v1/markers", headers=river,
                      params={"timeline[]": ["home", "notifications"]}).json()
    assert set(both) == {"home", "notifications"} and both["home"]["last_read_id"] == "9"
    assert both["home"]["updated_at"].endswith("Z")
    only_home = client.get("/api/v1/markers?timeline[]=home", headers=river).json()
    assert list(only_home) == ["home"]


def test_bad_markers_are_refused_with_a_reason_and_nothing_stored(client, db):
    river = _member(client, "river")
    for body in ({"home": {"last_read_id": "x"}}, {"home": {}},
                 {"elsewhere": {"last_read_id": "1"}},
                 {"home": {"last_read_id": "1"}, "notifications": {"last_read_id": "-1"}}):
        response = client.post("/api/v1/markers", headers=river, json=body)
        assert response.status_code == 422, body
        assert response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM markers") == 0
    reader = _member(client, "sky", scope="read:statuses")
    assert client.post("/api/v1/markers", headers=reader,
                       data={"home[last_read_id]": "1"}).status_code == 403


# -- reports ---------------------------------------------------------------------

def test_a_report_is_stored_and_shown_to_moderators(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, sky, "something unkind")
    response = client.post("/api/v1/reports", headers=river, data={
        "account_id": _id(client, sky), "status_ids[]": [status], "comment": "not kind",
        "category": "violation", "rule_ids[]": ["1"]})
    assert response.status_code == 200, response.text
    report = response.json()
    assert report["category"] == "violation" and report["status_ids"] == [status]
    assert report["rule_ids"] == ["1"] and report["target_account"]["acct"] == "sky"
    assert report["forwarded"] is False and report["action_taken"] is False
    row = db.fetch("SELECT * FROM reports")[0]
    assert row["content"] == "not kind" and row["post_ids"] == [int(status)]
    signup(client, "lake")
    db.execute("UPDATE members SET role = 'moderator' WHERE username = 'lake'")
    login(client, "lake")
    page = client.get("/moderation")
    assert page.status_code == 200
    assert "@river reported <strong>sky</strong>" in page.text and "not kind" in page.text


def test_bad_reports_are_refused_and_nothing_is_stored(client, db):
    river, sky, lake = (_member(client, n) for n in ("river", "sky", "lake"))
    others = _post(client, lake, "not sky's")
    private = _post(client, sky, "followers only", visibility="private")
    sky_id = _id(client, sky)
    cases = [
        ({"account_id": _id(client, river)}, 422),  # oneself
        ({"account_id": "12345678"}, 404),
        ({"account_id": sky_id, "status_ids[]": [others]}, 404),
        ({"account_id": sky_id, "status_ids[]": [private]}, 404),
        ({"account_id": sky_id, "category": "rude"}, 422),
        ({"account_id": sky_id, "category": "violation"}, 422),  # no rules named
        ({"account_id": sky_id, "rule_ids[]": ["999"]}, 422),
        ({"account_id": sky_id, "comment": "x" * 1001}, 422),
        ({}, 422),
    ]
    for data, status in cases:
        response = client.post("/api/v1/reports", headers=river, data=data)
        assert response.status_code == status, (data, response.text)
        assert response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM reports") == 0
    reader = _member(client, "wren", scope="read")
    assert client.post("/api/v1/reports", headers=reader,
                       data={"account_id": sky_id}).status_code == 403


# -- search ----------------------------------------------------------------------

def test_search_finds_accounts_posts_and_hashtags(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    _post(client, sky, "Thirty days without a drink #sober")
    _post(client, river, "another day")
    found = client.get("/api/v2/search", headers=river, params={"q": "sky"}).json()
    assert [a["acct"] for a in found["accounts"]] == ["sky"]
    words = client.get("/api/v2/search", headers=river, params={"q": "days drink"}).json()
    assert len(words["statuses"]) == 1 and "Thirty days" in words["statuses"][0]["content"]
    tags = client.get("/api/v2/search", headers=river,
                      params={"q": "#sob", "type": "hashtags"}).json()
    assert [t["name"] for t in tags["hashtags"]] == ["sober"]
    assert tags["accounts"] == [] and tags["statuses"] == []
    html = client.get("/api/v2/search", headers=river, params={"q": "p"}).json()
    assert html["statuses"] == []  # the markup is not searched


def test_search_shows_only_posts_the_member_may_see_and_not_from_blocked(client, db):
    river, sky, lake = (_member(client, n) for n in ("river", "sky", "lake"))
    _post(client, sky, "secret plan", visibility="private")
    _post(client, sky, "secret handshake", visibility="public")
    _post(client, lake, "secret garden")
    shown = client.get("/api/v2/search", headers=river,
                       params={"q": "secret", "type": "statuses"}).json()["statuses"]
    assert sorted(s["account"]["acct"] for s in shown) == ["lake", "sky"]
    assert all("plan" not in s["content"] for s in shown)
    client.post(f"/api/v1/accounts/{_id(client, lake)}/block", headers=river)
    shown = client.get("/api/v2/search", headers=river,
                       params={"q": "secret", "type": "statuses"}).json()["statuses"]
    assert [s["account"]["acct"] for s in shown] == ["sky"]
    by_account = client.get("/api/v2/search", headers=river, params={
        "q": "secret", "type": "statuses", "account_id": _id(client, sky)}).json()
    assert len(by_account["statuses"]) == 1


def test_search_pages_and_checks_its_input(client, db):
    river = _member(client, "river")
    for n in range(5):
        _post(client, river, f"step {n}")
    first = client.get("/api/v2/search", headers=river,
                       params={"q": "step", "type": "statuses", "limit": 2}).json()["statuses"]
    second = client.get("/api/v2/search", headers=river, params={
        "q": "step", "type": "statuses", "limit": 2, "offset": 2}).json()["statuses"]
    assert len(first) == 2 and len(second) == 2 and not {s["id"] for s in first} & {
        s["id"] for s in second}
    assert client.get("/api/v2/search", headers=river).status_code == 422
    assert client.get("/api/v2/search", headers=river,
                      params={"q": "x", "type": "people"}).status_code == 422
    assert client.get("/api/v2/search", params={"q": "x"}).status_code == 401
    unknown = client.get("/api/v2/search", headers=river,
                         params={"q": "https://nowhere.invalid/x"}).json()
    assert unknown == {"accounts": [], "statuses": [], "hashtags": []}
