"""Progress tracking through the pages: the counter and starting again,
history, check-ins, settings, milestones and sharing them, celebrations,
notifications, export and deletion."""

from __future__ import annotations

import csv
import io
import json
import re
from datetime import UTC, datetime, timedelta

from recovery import progress
from recovery.progress_models import Attempt
from tests.conftest import csrf_from, signup

AP = "application/activity+json"


def _days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


def submit(client, page: str, action: str, **data: str):
    return client.post(action, data={"csrf_token": csrf_from(client.get(page).text), **data})


def start_counter(client, days_ago: int, time: str = "00:00", zone: str = "UTC"):
    response = submit(client, "/progress", "/progress/start", date=_days_ago(days_ago),
                      time=time, time_zone=zone)
    assert response.status_code == 303, response.text
    return response


def _error(html: str) -> str:
    found = re.search(r'<p class="field-error"[^>]*>([^<]*)</p>', html) or re.search(
        r'<div class="error-box".*?<li><a [^>]*>([^<]*)</a>', html, re.DOTALL)
    assert found, "no error on the page"
    return found.group(1)


def test_the_counter_starts_from_the_last_drink_and_shows_days_hours_and_minutes(client, db):
    signup(client, "quiet_owl")
    first = client.get("/progress")
    assert first.status_code == 200 and "Start your counter" in first.text
    response = start_counter(client, 3, zone="Europe/Lisbon")
    assert response.headers["location"] == "/progress?done=started"
    page = client.get(response.headers["location"]).text
    assert "Your counter is running" in page
    assert re.search(r'data-unit="days">3<', page)
    assert 'data-unit="hours"' in page and 'data-unit="minutes"' in page
    row = db.fetch("SELECT time_zone, ended_at FROM sobriety_attempts")[0]
    assert row["time_zone"] == "Europe/Lisbon" and row["ended_at"] is None
    assert db.fetchval("SELECT time_zone FROM sobriety_settings") == "Europe/Lisbon"


def test_starting_again_asks_only_the_date_encourages_and_keeps_the_history(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 20)
    reset = submit(client, "/progress", "/progress/start", date=_days_ago(2), time="",
                   time_zone="")
    assert reset.headers["location"] == "/progress?done=restarted"
    page = client.get(reset.headers["location"]).text
    assert "Starting again takes courage" in page
    rows = db.fetch("SELECT started_at, ended_at FROM sobriety_attempts ORDER BY started_at")
    assert len(rows) == 2
    assert rows[0]["ended_at"] == rows[1]["started_at"]  # the last drink ends the streak
    assert rows[1]["ended_at"] is None
    history = client.get("/progress/history").text
    assert "Current streak" in history and "Streak 1" in history
    assert "<strong>2</strong> streaks" in history


def test_a_last_drink_still_to_come_or_before_the_streak_is_refused_and_nothing_stored(
        client, db):
    signup(client, "quiet_owl")
    tomorrow = (datetime.now(UTC) + timedelta(days=2)).date().isoformat()
    refused = submit(client, "/progress", "/progress/start", date=tomorrow, time="",
                     time_zone="UTC")
    assert refused.status_code == 422
    assert "still to come" in _error(refused.text) and tomorrow not in _error(refused.text)
    assert submit(client, "/progress", "/progress/start", date="14/03/2026", time="",
                  time_zone="UTC").status_code == 422
    assert submit(client, "/progress", "/progress/start", date=_days_ago(1), time="",
                  time_zone="Mars/Olympus").status_code == 422
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 0
    start_counter(client, 5)
    earlier = submit(client, "/progress", "/progress/start", date=_days_ago(9), time="",
                     time_zone="")
    assert earlier.status_code == 422 and "edit it in your history" in _error(earlier.text)
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 1


def test_history_counts_the_longest_streak_sober_days_this_year_and_attempts():
    now = datetime(2026, 3, 10, 12, tzinfo=UTC)

    def attempt(n: int, start: datetime, end: datetime | None) -> Attempt:
        return Attempt(n, 1, start, "UTC", end, start)

    history = [
        attempt(1, datetime(2025, 11, 1, tzinfo=UTC), datetime(2025, 12, 31, tzinfo=UTC)),
        attempt(2, datetime(2025, 12, 31, tzinfo=UTC), datetime(2026, 1, 21, tzinfo=UTC)),
        attempt(3, datetime(2026, 1, 21, tzinfo=UTC), None),
    ]
    stats = progress.stats(history, now, "UTC")
    assert stats.attempts == 3
    assert stats.longest_days == 60  # 1 Nov to 31 Dec
    assert stats.total_days == 60 + 21 + 48
    assert stats.days_this_year == 20 + 48  # 1 to 21 January, then 21 January to now


def test_a_streak_is_corrected_or_deleted_from_the_history(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 10)
    submit(client, "/progress", "/progress/start", date=_days_ago(4), time="", time_zone="")
    first, current = [r["id"] for r in db.fetch(
        "SELECT id FROM sobriety_attempts ORDER BY started_at")]
    edited = submit(client, "/progress/history", f"/progress/attempts/{first}/edit",
                    start_date=_days_ago(12), start_time="07:15", end_date=_days_ago(4),
                    end_time="00:00")
    assert edited.status_code == 303, edited.text
    assert db.fetchval("SELECT started_at FROM sobriety_attempts WHERE id = $1",
                       first).strftime("%H:%M") == "07:15"
    overlap = submit(client, "/progress/history", f"/progress/attempts/{current}/edit",
                     start_date=_days_ago(8), start_time="")
    assert overlap.status_code == 422 and "overlaps" in _error(overlap.text)
    assert submit(client, "/progress/history", f"/progress/attempts/{first}/delete"
                  ).status_code == 303
    assert [r["id"] for r in db.fetch("SELECT id FROM sobriety_attempts")] == [current]
    other = submit(client, "/progress/history", "/progress/attempts/999999/delete")
    assert other.status_code == 404


def test_pledge_and_evening_review_are_kept_privately_and_checked(client, db):
    signup(client, "quiet_owl")
    assert submit(client, "/progress", "/progress/pledge").headers["location"] \
        == "/progress?done=pledged"
    assert "You pledged today" in client.get("/progress").text
    bad = submit(client, "/progress", "/progress/review", day="today", day_went="good",
                 cravings="11", mood="okay", note="")
    assert bad.status_code == 422 and "0 to 10" in _error(bad.text)
    assert submit(client, "/progress", "/progress/review", day="today", day_went="fine",
                  cravings="3", mood="okay", note="").status_code == 422
    reviewed = submit(client, "/progress", "/progress/review", day="today", day_went="hard",
                      cravings="7", mood="low", note="Called my sponsor at six")
    assert reviewed.status_code == 303
    row = db.fetch("SELECT pledged_at, day_went, cravings, mood, note FROM checkins")[0]
    assert row["pledged_at"] is not None and (row["day_went"], row["cravings"], row["mood"],
                                              row["note"]) == ("hard", 7, "low",
                                                               "Called my sponsor at six")
    page = client.get("/progress").text
    assert "cravings averaged 7.0 of 10" in page and '<svg' in page
    history = client.get("/progress/history").text
    assert "Called my sponsor at six" in history
    checkin = db.fetchval("SELECT id FROM checkins")
    assert submit(client, "/progress/history", f"/progress/checkins/{checkin}/delete"
                  ).status_code == 303
    assert db.fetchval("SELECT count(*) FROM checkins") == 0


def test_settings_choose_visibility_zone_and_money_and_the_page_shows_savings(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 14)
    bad = submit(client, "/progress/settings", "/progress/settings", visibility="private",
                 time_zone="UTC", weekly_spend="lots", currency="", hours_per_drinking_day="",
                 drinking_days_per_week="7")
    assert bad.status_code == 422 and "Give a number" in _error(bad.text)
    saved = submit(client, "/progress/settings", "/progress/settings", visibility="community",
                   time_zone="UTC", weekly_spend="70", currency="EUR",
                   hours_per_drinking_day="3", drinking_days_per_week="5")
    assert saved.status_code == 303
    page = client.get("/progress").text
    assert re.search(r"EUR 1[34]\d\.\d\d", page)  # two weeks of 70 a week
    assert re.search(r"<strong>3\d\.\d</strong> hours", page)  # 2 weeks x 5 days x 3 h


def test_custom_milestones_are_added_once_and_removed(client, db):
    signup(client, "quiet_owl")
    added = submit(client, "/progress/settings", "/progress/custom", days="100", name="")
    assert added.status_code == 303
    again = submit(client, "/progress/settings", "/progress/custom", days="100", name="x")
    assert again.status_code == 422
    assert submit(client, "/progress/settings", "/progress/custom", days="0", name=""
                  ).status_code == 422
    assert db.fetch("SELECT days, name FROM custom_milestones")[0]["name"] == "100 days"
    item = db.fetchval("SELECT id FROM custom_milestones")
    assert submit(client, "/progress/settings", f"/progress/custom/{item}/delete"
                  ).status_code == 303
    assert db.fetchval("SELECT count(*) FROM custom_milestones") == 0


def test_a_milestone_reached_is_notified_once_and_counted_in_the_header(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 3)
    for _ in range(3):
        client.get("/progress")
    assert db.fetchval("SELECT count(*) FROM milestones_reached") == 3  # 24 h, 2 and 3 days
    assert db.fetch("SELECT payload->>'name' AS name FROM notifications")[0]["name"] \
        == "3 days"
    home = client.get("/home").text
    assert "Notifications <span class=\"count\">(1" in home
    page = client.get("/notifications").text
    assert "You reached 3 days" in page
    submit(client, "/notifications", "/notifications/read")
    assert "Notifications <span" not in client.get("/home").text
    note = db.fetchval("SELECT id FROM notifications")
    submit(client, "/notifications", f"/notifications/{note}/dismiss")
    assert "Nothing new" in client.get("/notifications").text


def test_sharing_a_milestone_posts_it_with_hearth_milestone_and_never_the_date(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 2, time="00:00")
    client.get("/progress")
    attempt = db.fetchval("SELECT id FROM sobriety_attempts")
    shared = submit(client, "/progress", f"/progress/milestones/{attempt}/d2/share",
                    visibility="public", line="One day at a time")
    assert shared.status_code == 303
    post_id = int(shared.headers["location"].rsplit("/", 1)[1])
    again = submit(client, "/progress", f"/progress/milestones/{attempt}/d2/share",
                   visibility="public", line="")
    assert again.status_code == 422
    assert submit(client, "/progress", f"/progress/milestones/{attempt}/d3/share",
                  visibility="public", line="").status_code == 404  # not reached yet
    page = client.get(shared.headers["location"]).text
    assert "2 days today" in page and "One day at a time" in page
    assert "Milestone: 2 days" in page and "0 people celebrated" in page
    note = client.get(f"/users/quiet_owl/posts/{post_id}", headers={"accept": AP}).json()
    assert note["hearth:milestone"] == {"days": 2, "name": "2 days"}
    assert any(isinstance(c, dict) and c.get("hearth", "").endswith("/ns#")
               for c in note["@context"])
    assert "2 days today" in note["content"]
    started = db.fetchval("SELECT started_at FROM sobriety_attempts")
    assert started.date().isoformat() not in json.dumps(note).replace(
        note.get("published", ""), "")
    assert db.fetchval("SELECT shared_post_id FROM milestones_reached WHERE key = 'd2'") \
        == post_id


def test_followers_only_is_the_default_and_other_choices_are_refused(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 1, time="00:00")
    client.get("/progress")
    attempt = db.fetchval("SELECT id FROM sobriety_attempts")
    assert 'value="followers" selected' in client.get("/progress").text
    assert submit(client, "/progress", f"/progress/milestones/{attempt}/h24/share",
                  visibility="direct", line="").status_code == 422
    assert submit(client, "/progress", f"/progress/milestones/{attempt}/h24/share",
                  visibility="followers", line="").status_code == 303
    assert db.fetchval("SELECT visibility FROM posts") == "followers"


def test_likes_on_a_milestone_post_show_as_celebrations(app_factory, db):
    owner = app_factory()
    signup(owner, "quiet_owl")
    start_counter(owner, 1, time="00:00")
    owner.get("/progress")
    attempt = db.fetchval("SELECT id FROM sobriety_attempts")
    shared = submit(owner, "/progress", f"/progress/milestones/{attempt}/h24/share",
                    visibility="public", line="")
    post_page = shared.headers["location"]
    post_id = int(post_page.rsplit("/", 1)[1])
    for name in ("river_stone", "sea_glass"):
        friend = app_factory()
        signup(friend, name)
        assert ">Celebrate<" in friend.get(post_page).text
        assert submit(friend, post_page, f"/posts/{post_id}/like",
                      next=post_page).status_code == 303
        assert ">Celebrated<" in friend.get(post_page).text
    assert "2 people celebrated" in owner.get(post_page).text


def test_export_carries_history_milestones_checkins_and_posts_as_json_and_csv(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 9)
    submit(client, "/progress", "/progress/start", date=_days_ago(3), time="", time_zone="")
    client.get("/progress")
    submit(client, "/progress", "/progress/review", day="today", day_went="good",
           cravings="2", mood="good", note="Walked by the river")
    submit(client, "/home", "/posts", text="Hello, friends", visibility="community",
           summary="")
    exported = client.get("/progress/export.json")
    assert exported.status_code == 200
    assert "attachment" in exported.headers["content-disposition"]
    data = exported.json()
    assert [a["current"] for a in data["attempts"]] == [True, False]
    assert {m["key"] for m in data["milestones"]} >= {"h24", "d2", "d3", "d7"}
    assert data["checkins"][0]["note"] == "Walked by the river"
    assert data["posts"][0]["content_html"] == "<p>Hello, friends</p>"
    for table, expected in (("attempts", "last_drink"), ("checkins", "Walked by the river"),
                            ("posts", "Hello, friends"), ("milestones", "24 hours")):
        response = client.get(f"/progress/export/{table}.csv")
        assert response.status_code == 200 and response.headers["content-type"].startswith(
            "text/csv")
        rows = list(csv.reader(io.StringIO(response.text)))
        assert len(rows) >= 2 and expected in response.text
    assert client.get("/progress/export/members.csv").status_code == 404


def test_deleting_progress_data_removes_it_all_and_asks_first(client, db):
    signup(client, "quiet_owl")
    start_counter(client, 5)
    client.get("/progress")
    submit(client, "/progress", "/progress/pledge")
    unconfirmed = submit(client, "/progress/settings", "/progress/delete", confirm="",
                         checkins="yes")
    assert unconfirmed.status_code == 422
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 1
    erased = submit(client, "/progress/settings", "/progress/delete", confirm="yes",
                    checkins="yes")
    assert erased.status_code == 303
    for table in ("sobriety_attempts", "milestones_reached", "checkins", "sobriety_settings",
                  "notifications"):
        assert db.fetchval(f"SELECT count(*) FROM {table}") == 0, table


def test_progress_pages_are_for_members_only(client):
    for path in ("/progress", "/progress/history", "/progress/settings", "/notifications",
                 "/progress/export.json"):
        response = client.get(path)
        assert response.status_code == 303 and response.headers["location"].startswith(
            "/login"), path
