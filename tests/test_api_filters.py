"""Filters through the client API: /api/v2/filters with keywords and posts,
contexts, warn and hide, expiry; /api/v1/filters over the same rows; the
``filtered`` results on statuses served to the filter's owner only; hide
takes posts out of the timelines of its contexts (and notifications)."""

from __future__ import annotations

from typing import Any

from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _post(client: Any, auth: dict[str, str], text: str, visibility: str = "public") -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": visibility})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _create(client: Any, auth: dict[str, str], **body: Any) -> dict[str, Any]:
    response = client.post("/api/v2/filters", headers=auth, json=body)
    assert response.status_code == 200, response.text
    created: dict[str, Any] = response.json()
    return created


def _public(client: Any, auth: dict[str, str]) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = client.get("/api/v1/timelines/public", headers=auth).json()
    return found


def test_a_v2_filter_is_created_read_changed_and_deleted(client, db):
    river = _member(client, "river")
    made = _create(client, river, title="Drinking talk", context=["home", "public"],
                   filter_action="warn", expires_in=3600,
                   keywords_attributes=[{"keyword": "wine", "whole_word": True},
                                        {"keyword": "beer", "whole_word": False}])
    assert made["title"] == "Drinking talk" and made["context"] == ["home", "public"]
    assert made["filter_action"] == "warn" and made["expires_at"].endswith("Z")
    assert [(k["keyword"], k["whole_word"]) for k in made["keywords"]] == [
        ("wine", True), ("beer", False)]
    assert client.get("/api/v2/filters", headers=river).json() == [made]
    assert client.get(f"/api/v2/filters/{made['id']}", headers=river).json() == made
    wine, beer = made["keywords"]
    changed = client.put(f"/api/v2/filters/{made['id']}", headers=river, json={
        "filter_action": "hide", "expires_in": "",
        "keywords_attributes": [{"id": wine["id"], "_destroy": True},
                                {"id": beer["id"], "keyword": "lager"},
                                {"keyword": "vodka"}]}).json()
    assert changed["filter_action"] == "hide" and changed["expires_at"] is None
    assert [k["keyword"] for k in changed["keywords"]] == ["lager", "vodka"]
    assert changed["title"] == "Drinking talk"
    deleted = client.delete(f"/api/v2/filters/{made['id']}", headers=river)
    assert deleted.status_code == 200 and deleted.json() == {}
    assert client.get("/api/v2/filters", headers=river).json() == []
    assert db.fetchval("SELECT count(*) FROM filter_keywords") == 0


def test_keywords_and_statuses_have_their_own_paths(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    made = _create(client, river, title="t", context=["thread"])
    added = client.post(f"/api/v2/filters/{made['id']}/keywords", headers=river,
                        data={"keyword": "relapse", "whole_word": "false"}).json()
    assert added["keyword"] == "relapse" and added["whole_word"] is False
    assert client.get(f"/api/v2/filters/{made['id']}/keywords",
                      headers=river).json() == [added]
    changed = client.put(f"/api/v2/filters/keywords/{added['id']}", headers=river,
                         data={"keyword": "slip"}).json()
    assert changed["keyword"] == "slip" and changed["whole_word"] is False
    status = _post(client, sky, "a post")
    filtered = client.post(f"/api/v2/filters/{made['id']}/statuses", headers=river,
                           data={"status_id": status}).json()
    assert filtered["status_id"] == status
    assert client.get(f"/api/v2/filters/statuses/{filtered['id']}",
                      headers=river).json() == filtered
    assert client.get(f"/api/v2/filters/statuses/{filtered['id']}",
                      headers=sky).status_code == 404
    assert client.delete(f"/api/v2/filters/statuses/{filtered['id']}",
                         headers=river).json() == {}
    assert client.delete(f"/api/v2/filters/keywords/{added['id']}", headers=river).json() == {}
    assert client.get(f"/api/v2/filters/{made['id']}", headers=river).json()["keywords"] == []


def test_another_members_filters_are_as_if_they_did_not_exist(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    made = _create(client, river, title="mine", context=["home"],
                   keywords_attributes=[{"keyword": "x"}])
    for method, path in (("GET", f"/api/v2/filters/{made['id']}"),
                         ("PUT", f"/api/v2/filters/{made['id']}"),
                         ("DELETE", f"/api/v2/filters/{made['id']}"),
                         ("GET", f"/api/v2/filters/keywords/{made['keywords'][0]['id']}"),
                         ("GET", f"/api/v1/filters/{made['keywords'][0]['id']}")):
        assert client.request(method, path, headers=sky).status_code == 404, path
    assert client.get("/api/v2/filters", headers=sky).json() == []


def test_bad_filters_are_refused_with_a_reason_and_nothing_stored(client, db):
    river = _member(client, "river")
    for body in ({"context": ["home"]}, {"title": "t"}, {"title": "t", "context": ["moon"]},
                 {"title": "t", "context": ["home"], "filter_action": "explode"},
                 {"title": "t", "context": ["home"], "expires_in": -5},
                 {"title": "t", "context": ["home"], "keywords_attributes": [{"keyword": ""}]},
                 {"title": "t", "context": ["home"], "keywords_attributes": ["x"]}):
        response = client.post("/api/v2/filters", headers=river, json=body)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM filters") == 0
    reader = _member(client, "sky", scope="read:filters")
    assert client.get("/api/v2/filters", headers=reader).status_code == 200
    assert client.post("/api/v2/filters", headers=reader,
                       json={"title": "t", "context": ["home"]}).status_code == 403


def test_v1_filters_are_keywords_of_the_same_filters(client, db):
    river = _member(client, "river")
    made = client.post("/api/v1/filters", headers=river, data={
        "phrase": "craving", "context[]": ["home", "notifications"], "irreversible": "true",
        "whole_word": "false"})
    assert made.status_code == 200, made.text
    v1 = made.json()
    assert v1["phrase"] == "craving" and v1["irreversible"] is True
    assert v1["context"] == ["home", "notifications"] and v1["whole_word"] is False
    v2 = client.get("/api/v2/filters", headers=river).json()
    assert [(f["title"], f["filter_action"]) for f in v2] == [("craving", "hide")]
    assert v2[0]["keywords"][0]["id"] == v1["id"]
    changed = client.put(f"/api/v1/filters/{v1['id']}", headers=river,
                         data={"phrase": "urge", "irreversible": "false"}).json()
    assert changed["phrase"] == "urge" and changed["irreversible"] is False
    assert client.get("/api/v1/filters", headers=river).json() == [changed]
    assert client.delete(f"/api/v1/filters/{v1['id']}", headers=river).json() == {}
    assert client.get("/api/v2/filters", headers=river).json() == []


def test_statuses_carry_filtered_for_their_owner_and_hide_takes_them_out(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    wine = _post(client, sky, "A glass of Wine tonight?")
    _post(client, sky, "winery tour")  # not the whole word
    made = _create(client, river, title="Drinks", context=["public"],
                   keywords_attributes=[{"keyword": "wine"}])
    shown = {s["id"]: s for s in _public(client, river)}
    assert len(shown) == 2
    result = shown[wine]["filtered"]
    assert [(r["filter"]["id"], r["keyword_matches"]) for r in result] == [
        (made["id"], ["wine"])]
    assert all(not s["filtered"] for i, s in shown.items() if i != wine)
    assert all(not s["filtered"] for s in _public(client, sky))  # not for anyone else
    one = client.get(f"/api/v1/statuses/{wine}", headers=river).json()
    assert one["filtered"][0]["filter"]["title"] == "Drinks"
    client.put(f"/api/v2/filters/{made['id']}", headers=river, json={"filter_action": "hide"})
    assert [s["id"] for s in _public(client, river)] != [] and wine not in [
        s["id"] for s in _public(client, river)]
    assert wine in [s["id"] for s in _public(client, sky)]


def test_a_filtered_post_is_caught_by_id_and_expired_filters_do_nothing(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    status = _post(client, sky, "nothing special")
    made = _create(client, river, title="That one", context=["public"], filter_action="hide")
    client.post(f"/api/v2/filters/{made['id']}/statuses", headers=river,
                data={"status_id": status})
    assert _public(client, river) == []
    db.execute("UPDATE filters SET expires_at = now() - interval '1 minute'")
    assert [s["id"] for s in _public(client, river)] == [status]
    assert _public(client, river)[0]["filtered"] == []


def test_hide_in_notifications_takes_the_notification_out(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    _post(client, sky, "@river have a drink with me")
    _post(client, sky, "@river see you at the meeting")
    _create(client, river, title="Drink", context=["notifications"], filter_action="hide",
            keywords_attributes=[{"keyword": "drink"}])
    shown = client.get("/api/v1/notifications", headers=river).json()
    assert [("meeting" in n["status"]["content"]) for n in shown] == [True]
