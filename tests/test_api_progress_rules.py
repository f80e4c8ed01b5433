"""The progress API's rules: every path needs its scope (read:progress,
write:progress, covered by read and write); bad input is a 4xx with a
reason and nothing stored; a member only ever reaches their own data, and
no error repeats a date (RELIABILITY.md 29); another member's count only as
their profile shows it."""

from __future__ import annotations

import logging

from tests.helpers_api import bearer, password_token, register_app
from tests.helpers_progress_api import BASE, Api, api_for, days_ago, token_for

READS = ["/counter", "/attempts", "/stats", "/settings", "/export", "/export/checkins.csv",
         "/checkins", "/checkins/1", "/milestones", "/milestones/custom"]
WRITES = [("PUT", "/counter"), ("PUT", "/attempts/1"), ("DELETE", "/attempts/1"),
          ("PUT", "/settings"), ("DELETE", "/progress"), ("POST", "/checkins/pledge"),
          ("POST", "/checkins/review"), ("PUT", "/checkins/1"), ("DELETE", "/checkins/1"),
          ("POST", "/milestones/custom"), ("PUT", "/milestones/custom/1"),
          ("DELETE", "/milestones/custom/1"), ("POST", "/milestones/1/d7/share")]


def _document(client):
    return client.get(f"{BASE}/openapi.json").json()


def test_every_path_needs_a_token(client, db):
    anonymous = Api(client, None, _document(client))
    for path in READS:
        response = anonymous.get(path)
        assert response.status_code == 401 and response.json()["error"], path
    for method, path in WRITES:
        assert anonymous.call(method, path, json={}).status_code == 401, path
    assert client.get(f"{BASE}/counter", headers=bearer("nonsense")).status_code == 401


def test_a_read_token_cannot_write_and_other_scopes_reach_nothing(client, db):
    document = _document(client)
    reader = Api(client, token_for(client, "river", "read"), document)
    for path in READS[:3]:
        assert reader.get(path).status_code == 200, path
    for method, path in WRITES:
        response = reader.call(method, path, json={"date": days_ago(2)})
        assert response.status_code == 403, (method, path)
        assert response.json() == {"error": "This action is outside the authorized scopes"}
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 0
    assert db.fetchval("SELECT count(*) FROM checkins") == 0

    app = register_app(client, scopes="read write")
    statuses = Api(client, bearer(password_token(client, app, "river",
                                                 scope="read:statuses write:statuses")),
                   document)
    assert statuses.get("/counter").status_code == 403
    assert statuses.put("/counter", json={"date": days_ago(2)}).status_code == 403
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 0


def test_granular_progress_scopes_work_and_sharing_also_needs_write_statuses(client, db):
    document = _document(client)
    signup_token = token_for(client, "river", "read:progress")
    assert Api(client, signup_token, document).get("/counter").status_code == 200
    app = register_app(client, scopes="read write")
    granular = Api(client, bearer(password_token(client, app, "river",
                                                 scope="read:progress write:progress")),
                   document)
    assert granular.put("/counter", json={"date": days_ago(9)}).status_code == 200
    week = next(r for r in granular.get("/milestones").json()["reached"] if r["key"] == "d7")
    refused = granular.post(f"/milestones/{week['attempt_id']}/d7/share", json={})
    assert refused.status_code == 403
    assert db.fetchval("SELECT count(*) FROM posts") == 0


def test_bad_input_is_refused_with_a_reason_never_the_date_and_nothing_is_stored(
        client, db, caplog):
    caplog.set_level(logging.DEBUG)
    me = api_for(client, "river")
    future = "2999-01-01"
    for body in ({}, {"date": "2026-13-45"}, {"date": future}, {"date": "1850-01-01"},
                 {"date": days_ago(3), "time": "25:99"},
                 {"date": days_ago(3), "time_zone": "Mars/Olympus"},
                 {"date": days_ago(3), "visibility": "friends"}, {"date": {"y": 2026}}):
        response = me.put("/counter", json=body)
        assert response.status_code == 422, body
        error = response.json()["error"]
        assert error and "2026-13-45" not in error and future not in error
        assert days_ago(3) not in error and "1850" not in error
    assert me.put("/counter", content=b"{not json",
                  headers={"content-type": "application/json"}).status_code == 400
    assert me.put("/counter", json=[days_ago(3)]).status_code == 422
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 0
    assert db.fetchval("SELECT count(*) FROM sobriety_settings") == 0

    for body in ({"day_went": "good", "cravings": 11, "mood": "okay"},
                 {"day_went": "great", "cravings": 1, "mood": "okay"},
                 {"day_went": "good", "cravings": 1, "mood": "meh"},
                 {"day_went": "good", "cravings": 1, "mood": "okay", "note": "x" * 2001},
                 {"day": "last week", "day_went": "good", "cravings": 1, "mood": "okay"}):
        assert me.post("/checkins/review", json=body).status_code == 422, body
    assert db.fetchval("SELECT count(*) FROM checkins") == 0

    for body in ({"days": 0}, {"days": "abc"}, {"days": 40000}, {"days": 5, "name": "n" * 61}):
        assert me.post("/milestones/custom", json=body).status_code == 422, body
    assert db.fetchval("SELECT count(*) FROM custom_milestones") == 0

    me.put("/counter", json={"date": days_ago(20)})
    before = me.get("/settings").json()
    for body in ({"weekly_spend": "-1"}, {"drinking_days_per_week": 8},
                 {"visibility": "public", "currency": "TOO-LONG-CURRENCY"}):
        assert me.put("/settings", json=body).status_code == 422, body
    assert me.get("/settings").json() == before
    attempt = me.get("/attempts").json()[0]
    wrong = me.put(f"/attempts/{attempt['id']}", json={"start_date": "someday"})
    assert wrong.status_code == 422 and "someday" not in wrong.json()["error"]
    assert me.get("/attempts").json() == [attempt]
    assert me.get("/checkins", params={"max_id": "abc"}).status_code == 422
    logged = "\n".join(r.getMessage() for r in caplog.records)
    assert not any(d in logged for d in ("2026-13-45", future, days_ago(3), days_ago(20)))


def test_another_members_token_never_reaches_the_date_checkins_notes_or_history(client, db):
    river = api_for(client, "river")
    river.put("/counter", json={"date": days_ago(40), "time": "22:15"})
    river.put("/counter", json={"date": days_ago(12), "time": "23:45"})
    river.post("/checkins/review", json={"day_went": "hard", "cravings": 8, "mood": "low",
                                         "note": "my secret note"})
    custom = river.post("/milestones/custom", json={"days": 11, "name": "eleven"}).json()
    attempts = river.get("/attempts").json()
    checkin = river.get("/checkins").json()[0]
    week = next(r for r in river.get("/milestones").json()["reached"] if r["key"] == "d7")
    secrets = [days_ago(40), days_ago(12), "22:15", "23:45", "my secret note"]

    sky = Api(client, token_for(client, "sky"), river.document)
    seen = [sky.get(path) for path in READS]
    seen += [sky.put(f"/attempts/{attempts[1]['id']}", json={"start_date": days_ago(50)}),
             sky.delete(f"/attempts/{attempts[0]['id']}"),
             sky.get(f"/checkins/{checkin['id']}"),
             sky.put(f"/checkins/{checkin['id']}", json={"day_went": "good", "cravings": 0,
                                                         "mood": "great"}),
             sky.delete(f"/checkins/{checkin['id']}"),
             sky.put(f"/milestones/custom/{custom['id']}", json={"days": 3}),
             sky.delete(f"/milestones/custom/{custom['id']}"),
             sky.post(f"/milestones/{week['attempt_id']}/d7/share", json={}),
             client.get("/api/v1/accounts/2", headers=sky.headers)]
    for response in seen:
        assert response.status_code in (200, 404), response.request.url
        assert not any(secret in response.text for secret in secrets), response.request.url
    assert [r.status_code for r in seen[len(READS):-1]] == [404] * 8
    assert sky.get("/counter").json()["running"] is False
    assert sky.get("/attempts").json() == [] and sky.get("/checkins").json() == []
    assert river.get("/attempts").json() == attempts
    assert river.get(f"/checkins/{checkin['id']}").json() == checkin
    assert river.get("/milestones/custom").json() == [custom]
    assert db.fetchval("SELECT count(*) FROM posts") == 0


def test_another_members_count_follows_their_choice_and_never_shows_the_date(client, db):
    river = api_for(client, "river")
    river.put("/counter", json={"date": days_ago(30), "time": "20:05"})
    river_id = client.get("/api/v1/accounts/verify_credentials",
                          headers=river.headers).json()["id"]
    sky = Api(client, token_for(client, "sky", "read"), river.document)
    anyone = Api(client, None, river.document)
    path = f"/accounts/{river_id}/counter"

    def days(api: Api) -> int | None:
        response = api.get(path)
        assert response.status_code == 200 and set(response.json()) == {"id", "days"}
        assert days_ago(30) not in response.text and "20:05" not in response.text
        found: int | None = response.json()["days"]
        return found

    assert days(sky) is None and days(anyone) is None and days(river) in (29, 30)
    river.put("/settings", json={"visibility": "community"})
    assert days(sky) in (29, 30) and days(anyone) is None
    river.put("/settings", json={"visibility": "public"})
    assert days(sky) in (29, 30) and days(anyone) in (29, 30)
    assert anyone.get("/accounts/999999/counter").status_code == 404
    assert anyone.get("/accounts/3/counter").status_code == 404
    assert anyone.get("/accounts/river/counter").status_code == 404
