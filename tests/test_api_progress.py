"""Hearth's progress API (/api/hearth/v1) through the test client: the
counter and starting again, history and stats, settings and savings,
check-ins with paging, milestones (reached, upcoming, custom, shared as a
post), export and deletion; every response checked against the OpenAPI
document the server serves."""

from __future__ import annotations

import csv
import io
from datetime import UTC, datetime, timedelta

from tests.helpers_progress_api import api_for, days_ago


def test_the_counter_starts_runs_and_starts_again_with_encouragement(client, db):
    me = api_for(client, "river")
    before = me.get("/counter").json()
    assert before["running"] is False and before["last_drink"] is None
    started = me.put("/counter", json={"date": days_ago(3), "time": "21:30",
                                       "time_zone": "Europe/Lisbon"})
    assert started.status_code == 200, started.text
    body = started.json()
    assert "counter is running" in body["message"]
    assert body["counter"]["running"] is True and body["counter"]["time_zone"] == "Europe/Lisbon"
    assert body["counter"]["days"] in (2, 3) and body["counter"]["next_milestone"]
    again = me.put("/counter", data={"date": days_ago(1), "time": ""}).json()
    assert "courage" in again["message"] and again["counter"]["days"] == 1
    attempts = me.get("/attempts").json()
    assert [a["current"] for a in attempts] == [True, False]
    assert attempts[1]["ended_at"] == attempts[0]["last_drink"]
    stats = me.get("/stats").json()
    assert stats["attempts"] == 2 and stats["longest_streak_days"] >= 1
    assert stats["sober_days"] >= stats["longest_streak_days"]
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 2


def test_the_counter_can_set_who_sees_the_count(client, db):
    me = api_for(client, "river")
    response = me.put("/counter", json={"date": days_ago(5), "visibility": "community"})
    assert response.json()["counter"]["visibility"] == "community"
    assert db.fetchval("SELECT visibility FROM sobriety_settings") == "community"


def test_history_is_edited_and_deleted(client, db):
    me = api_for(client, "river")
    me.put("/counter", json={"date": days_ago(30)})
    me.put("/counter", json={"date": days_ago(10)})
    current, past = me.get("/attempts").json()
    edited = me.put(f"/attempts/{past['id']}", json={
        "start_date": days_ago(40), "start_time": "08:00", "end_date": days_ago(10),
        "end_time": "00:00"})
    assert edited.status_code == 200, edited.text
    assert edited.json()["last_drink"].startswith(days_ago(40))
    overlapping = me.put(f"/attempts/{past['id']}", json={"start_date": days_ago(40),
                                                         "end_date": days_ago(5)})
    assert overlapping.status_code == 422 and "overlaps" in overlapping.json()["error"]
    assert me.delete(f"/attempts/{past['id']}").json() == {}
    assert [a["id"] for a in me.get("/attempts").json()] == [current["id"]]
    assert me.delete(f"/attempts/{past['id']}").status_code == 404
    assert me.put("/attempts/abc", json={"start_date": days_ago(3)}).status_code == 404
    assert me.delete("/attempts/99999999999999999999").status_code == 404
    assert me.delete("/attempts/9999999999999999999").status_code == 404
    assert me.get("/checkins/9223372036854775808").status_code == 404


def test_settings_change_only_what_is_given_and_show_savings(client, db):
    me = api_for(client, "river")
    me.put("/counter", json={"date": days_ago(14)})
    first = me.put("/settings", json={"weekly_spend": "70", "currency": "EUR",
                                      "hours_per_drinking_day": 2}).json()
    assert first["visibility"] == "private" and first["weekly_spend"] == "70.00"
    assert first["savings"]["currency"] == "EUR"
    assert 140 <= float(first["savings"]["money"]) <= 150  # 14 to 15 days
    second = me.put("/settings", data={"visibility": "public"}).json()
    assert second["visibility"] == "public" and second["weekly_spend"] == "70.00"
    assert me.get("/settings").json() == second
    assert me.get("/counter").json()["savings"] == second["savings"]


def test_checkins_are_made_listed_in_pages_edited_and_deleted(client, db):
    me = api_for(client, "river")
    pledged = me.post("/checkins/pledge").json()
    assert pledged["pledged_at"] and pledged["reviewed_at"] is None
    reviewed = me.post("/checkins/review", json={
        "day_went": "good", "cravings": 3, "mood": "okay", "note": "walked by the river"})
    assert reviewed.status_code == 200, reviewed.text
    assert reviewed.json()["id"] == pledged["id"] and reviewed.json()["cravings"] == 3
    yesterday = me.post("/checkins/review", data={
        "day": "yesterday", "day_went": "hard", "cravings": "7", "mood": "low"}).json()
    member_id = db.fetchval("SELECT id FROM members WHERE username = 'river'")
    today = datetime.now(UTC).date()
    for back in range(2, 6):
        db.execute("INSERT INTO checkins (member_id, day, pledged_at) VALUES ($1, $2, now())",
                   member_id, today - timedelta(days=back))
    page = me.get("/checkins", params={"limit": 2})
    assert [c["id"] for c in page.json()] == [pledged["id"], yesterday["id"]]
    assert 'rel="next"' in page.headers["link"]
    older = me.get("/checkins", params={"limit": 2, "max_id": yesterday["id"]}).json()
    assert [c["day"] for c in older] == [str(today - timedelta(days=d)) for d in (2, 3)]
    newer = me.get("/checkins", params={"limit": 2, "min_id": older[0]["id"]}).json()
    assert [c["id"] for c in newer] == [pledged["id"], yesterday["id"]]
    assert len(me.get("/checkins").json()) == 6
    assert me.get(f"/checkins/{yesterday['id']}").json()["mood"] == "low"
    edited = me.put(f"/checkins/{yesterday['id']}", json={
        "day_went": "okay", "cravings": 5, "mood": "good", "note": "better"}).json()
    assert edited["day_went"] == "okay" and edited["note"] == "better"
    assert me.delete(f"/checkins/{yesterday['id']}").json() == {}
    assert me.get(f"/checkins/{yesterday['id']}").status_code == 404
    assert me.get("/checkins/pledge").status_code == 404


def test_milestones_reached_upcoming_custom_and_shared(client, db):
    me = api_for(client, "river")
    me.put("/counter", json={"date": days_ago(10)})
    shown = me.get("/milestones").json()
    assert [r["key"] for r in shown["reached"]] == ["h24", "d2", "d3", "d7"]
    assert shown["upcoming"][0]["key"] == "d14" and len(shown["upcoming"]) == 5
    assert len(me.get("/milestones", params={"limit": 1}).json()["upcoming"]) == 1
    added = me.post("/milestones/custom", json={"days": 100, "name": "100 days!"})
    assert added.status_code == 200, added.text
    assert added.json()["days"] == 100
    assert me.post("/milestones/custom", json={"days": 100}).status_code == 422
    changed = me.put(f"/milestones/custom/{added.json()['id']}",
                     json={"days": 5, "name": "five"}).json()
    assert changed == {"id": added.json()["id"], "days": 5, "name": "five"}
    assert "d5" in [r["key"] for r in me.get("/milestones").json()["reached"]]
    assert [c["name"] for c in me.get("/milestones/custom").json()] == ["five"]
    assert me.delete(f"/milestones/custom/{changed['id']}").json() == {}
    assert me.get("/milestones/custom").json() == []

    week = next(r for r in me.get("/milestones").json()["reached"] if r["key"] == "d7")
    shared = me.post(f"/milestones/{week['attempt_id']}/d7/share",
                     json={"visibility": "public", "line": "thank you all"})
    assert shared.status_code == 200, shared.text
    status = shared.json()
    assert "1 week today" in status["content"] and status["visibility"] == "public"
    again = next(r for r in me.get("/milestones").json()["reached"] if r["key"] == "d7")
    assert again["shared_status_id"] == status["id"]
    twice = me.post(f"/milestones/{week['attempt_id']}/d7/share", json={})
    assert twice.status_code == 422 and "already" in twice.json()["error"]
    assert me.post(f"/milestones/{week['attempt_id']}/d90/share", json={}).status_code == 404
    assert db.fetchval("SELECT count(*) FROM posts") == 1


def test_export_is_json_and_csv_per_table(client, db):
    me = api_for(client, "river")
    me.put("/counter", json={"date": days_ago(4), "time_zone": "America/Chicago"})
    me.post("/checkins/review", json={"day_went": "good", "cravings": 2, "mood": "great",
                                      "note": "a quiet day"})
    data = me.get("/export").json()
    assert data["member"] == "river" and data["attempts"][0]["time_zone"] == "America/Chicago"
    assert data["checkins"][0]["note"] == "a quiet day"
    assert {m["key"] for m in data["milestones"]} >= {"h24", "d2", "d3"}
    table = me.get("/export/checkins.csv")
    assert table.headers["content-type"].startswith("text/csv")
    rows = list(csv.DictReader(io.StringIO(table.text)))
    assert rows[0]["note"] == "a quiet day" and rows[0]["cravings"] == "2"
    assert me.get("/export/members.csv").status_code == 404


def test_deleting_everything_keeps_checkins_unless_asked(client, db):
    me = api_for(client, "river")
    me.put("/counter", json={"date": days_ago(4)})
    me.post("/checkins/pledge")
    assert me.delete("/progress").json() == {}
    assert me.get("/counter").json()["running"] is False
    assert me.get("/milestones").json() == {"reached": [], "upcoming": []}
    assert len(me.get("/checkins").json()) == 1
    assert me.delete("/progress", params={"checkins": "true"}).json() == {}
    assert me.get("/checkins").json() == []
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 0
