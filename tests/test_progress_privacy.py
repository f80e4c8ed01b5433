"""RELIABILITY.md 29 for progress tracking: the date of the last drink,
check-ins and their notes, and the history of attempts never appear in the
actor document, outbox, WebFinger, NodeInfo, another member's view of the
profile, the logs or error messages. Only the count of days is shown to
others, and only as the member allows."""

from __future__ import annotations

import logging
import re
from datetime import UTC, datetime, timedelta

from tests.conftest import login, signup
from tests.test_progress import start_counter, submit
from tests.test_reliability import _public_reads

NOTE = "Nobody knows about the bottle in the garage"


def _set_visibility(client, visibility: str):
    response = submit(client, "/progress/settings", "/progress/settings",
                      visibility=visibility, time_zone="UTC", weekly_spend="",
                      currency="", hours_per_drinking_day="", drinking_days_per_week="7")
    assert response.status_code == 303


def test_the_count_is_shown_only_as_the_member_allows_and_never_the_date_line_29(
        app_factory):
    owner = app_factory()
    signup(owner, "quiet_owl")
    start_counter(owner, 45)
    member, visitor = app_factory(), app_factory()
    signup(member, "river_stone")

    def shown(client) -> bool:
        return "45 days sober" in client.get("/@quiet_owl").text

    assert shown(owner) and not shown(member) and not shown(visitor)  # private by default
    _set_visibility(owner, "community")
    assert shown(member) and not shown(visitor)
    _set_visibility(owner, "public")
    assert shown(member) and shown(visitor)
    _set_visibility(owner, "private")
    assert not shown(member) and not shown(visitor)


def test_no_document_log_or_error_carries_the_date_checkins_or_history_line_29(
        app_factory, db, caplog):
    caplog.set_level(logging.DEBUG)
    owner = app_factory()
    signup(owner, "quiet_owl")
    first_start = (datetime.now(UTC) - timedelta(days=61)).date().isoformat()
    assert submit(owner, "/progress", "/progress/start", date=first_start, time="21:47",
                  time_zone="America/Denver").status_code == 303
    reset_day = (datetime.now(UTC) - timedelta(days=33)).date().isoformat()
    assert submit(owner, "/progress", "/progress/start", date=reset_day, time="06:13",
                  time_zone="").status_code == 303
    owner.get("/progress")
    submit(owner, "/progress", "/progress/review", day="today", day_went="hard",
           cravings="9", mood="awful", note=NOTE)
    _set_visibility(owner, "public")
    attempt = db.fetchval("SELECT id FROM sobriety_attempts WHERE ended_at IS NULL")
    shared = submit(owner, "/progress", f"/progress/milestones/{attempt}/d30/share",
                    visibility="public", line="Thirty")
    assert shared.status_code == 303
    # errors the member may cause carry no date back
    future = (datetime.now(UTC) + timedelta(days=3)).date().isoformat()
    refused = submit(owner, "/progress", "/progress/start", date=future, time="04:44",
                     time_zone="")
    assert refused.status_code == 422

    other = app_factory()
    signup(other, "river_stone")
    seen = {"another member's view": other.get("/@quiet_owl").text,
            "a visitor's view": app_factory().get("/@quiet_owl").text}
    assert re.search(r"3[23] days sober", seen["a visitor's view"])  # Denver's clock
    for path in ("/progress/history", "/progress/export.json",
                 "/progress/export/checkins.csv"):
        response = other.get(path)  # their own, empty: nothing of quiet_owl's
        seen[f"{path} (another member)"] = response.text
    stolen = submit(other, "/progress/history", f"/progress/attempts/{attempt}/delete")
    assert stolen.status_code == 404
    seen["deleting another's streak"] = stolen.text
    assert db.fetchval("SELECT count(*) FROM sobriety_attempts") == 2
    post_ids = [r["id"] for r in db.fetch("SELECT id FROM posts")]
    seen.update(_public_reads(app_factory(), "quiet_owl", post_ids))
    seen["future date error"] = refused.text.split('<main', 1)[1].split('name="date"')[0]

    private = {"first last drink": first_start, "reset day": reset_day, "time": "21:47",
               "reset time": "06:13", "refused future date": future, "note": NOTE,
               "zone": "America/Denver", "cravings/mood": "awful"}
    for where, text in seen.items():
        leaked = [name for name, value in private.items() if value in text]
        assert not leaked, f"{where} carries {leaked}"
    leaked = [name for name, value in private.items() if value in caplog.text]
    assert not leaked, f"the logs carry {leaked}"
    # and the owner does see it all on their own pages
    assert login(owner, "quiet_owl").status_code == 303
    assert NOTE in owner.get("/progress/history").text
