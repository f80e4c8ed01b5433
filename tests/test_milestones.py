"""Milestones: when each falls (the member's wall clock, across time zones and
daylight-saving changes), and that each is reached exactly once per streak,
whoever notices it first: the milestone job or the progress page."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

import asyncpg
import pytest

from recovery import milestones, progress
from recovery.models import Member, Role, Status
from recovery.store import progress as progress_store
from tests.conftest import run

NEW_YORK = ZoneInfo("America/New_York")
LONDON = ZoneInfo("Europe/London")
AUCKLAND = ZoneInfo("Pacific/Auckland")


def _due(key: str, start: datetime, tz: ZoneInfo) -> datetime:
    [found] = [d for d in milestones.schedule(start, tz) if d.milestone.key == key]
    return found.at


def test_thirty_days_falls_at_the_same_wall_clock_time_across_spring_forward():
    start = datetime(2026, 3, 1, 21, 30, tzinfo=NEW_YORK)  # EST; DST begins 8 March
    at = _due("d30", start, NEW_YORK)
    assert at.astimezone(NEW_YORK).replace(tzinfo=None) == datetime(2026, 3, 31, 21, 30)
    assert at - start == timedelta(days=30) - timedelta(hours=1)  # one hour less elapsed


def test_a_week_falls_at_the_same_wall_clock_time_across_fall_back():
    start = datetime(2026, 10, 22, 8, 0, tzinfo=LONDON)  # BST; GMT from 25 October
    at = _due("d7", start, LONDON)
    assert at.astimezone(LONDON).replace(tzinfo=None) == datetime(2026, 10, 29, 8, 0)
    assert at - start == timedelta(days=7, hours=1)


def test_twenty_four_hours_is_elapsed_time_even_across_a_clock_change():
    start = datetime(2026, 3, 7, 23, 0, tzinfo=NEW_YORK)
    assert _due("h24", start, NEW_YORK) - start == timedelta(hours=24)


def test_months_and_years_are_calendar_months_in_the_members_zone():
    leap = datetime(2024, 2, 29, 22, 0, tzinfo=AUCKLAND)
    assert _due("m12", leap, AUCKLAND).astimezone(AUCKLAND).date().isoformat() == "2025-02-28"
    end_of_january = datetime(2026, 1, 31, 9, 0, tzinfo=LONDON)
    assert _due("m4", end_of_january, LONDON).astimezone(LONDON).date().isoformat() \
        == "2026-05-31"
    four_years = _due("m48", leap, AUCKLAND).astimezone(AUCKLAND)
    assert four_years.date().isoformat() == "2028-02-29" and four_years.hour == 22


def test_a_start_in_the_hour_a_clock_change_skips_still_has_one_milestone_per_key():
    start = datetime(2026, 2, 8, 2, 30, tzinfo=NEW_YORK)  # 8 March 02:30 does not exist
    plan = milestones.schedule(start, NEW_YORK)
    keys = [d.milestone.key for d in plan]
    assert len(keys) == len(set(keys))
    month = _due("d28", start, NEW_YORK) if "d28" in keys else None
    assert month is None  # no such conventional milestone
    assert [d.at for d in plan] == sorted(d.at for d in plan)


def test_the_same_moment_is_a_different_day_count_in_different_zones():
    moment = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)
    now = moment + timedelta(days=2, hours=13)  # 2 June 01:00 in New York is day 2
    assert milestones.whole_days(moment, NEW_YORK, now) == 2
    assert milestones.elapsed(moment, AUCKLAND, now) == (2, 13, 0)


def test_a_custom_milestone_of_a_conventional_length_is_that_milestone():
    start = datetime(2026, 1, 1, tzinfo=UTC)
    plan = milestones.schedule(start, ZoneInfo("UTC"), [milestones.custom(30, "A month"),
                                                       milestones.custom(100)])
    names = {d.milestone.key: d.milestone.name for d in plan}
    assert names["d30"] == "30 days" and names["d100"] == "100 days"
    assert [d.milestone.key for d in plan].count("d30") == 1


# -- exactly once, with the database -------------------------------------------------------


async def _member(conn: Any, name: str) -> Member:
    from recovery import store

    member = await store.insert_member(conn, name, "x", Role.MEMBER, Status.ACTIVE)
    assert member is not None
    return member


def _with_conn(url: str, body: Any) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(url)
        try:
            return await body(conn)
        finally:
            await conn.close()
    return run(go())


def _milestone_rows(db: Any) -> list[tuple[str, str]]:
    return [(r["username"], r["key"]) for r in db.fetch(
        """SELECT m.username, r.key FROM milestones_reached r
           JOIN members m ON m.id = r.member_id ORDER BY m.username, r.reached_at""")]


def _notified(db: Any) -> list[tuple[str, str]]:
    return [(r["username"], r["key"]) for r in db.fetch(
        """SELECT m.username, n.payload->>'key' AS key FROM notifications n
           JOIN members m ON m.id = n.member_id WHERE n.kind = 'milestone'
           ORDER BY m.username, n.id""")]


@pytest.mark.parametrize("zone", ["America/New_York", "Pacific/Auckland", "Europe/London"])
def test_each_milestone_fires_exactly_once_across_a_dst_change_line_by_line(db, zone):
    """The job every minute and page views in between, through a daylight-
    saving change: each milestone is recorded and notified once, when due."""
    tz = ZoneInfo(zone)
    start_local = datetime(2026, 3, 1, 21, 30) if zone != "Pacific/Auckland" \
        else datetime(2026, 3, 20, 21, 30)  # Auckland leaves DST on 5 April
    entered = milestones.wall_clock(start_local, tz) + timedelta(minutes=5)

    async def body(conn: Any) -> list[tuple[datetime, list[str]]]:
        member = await _member(conn, "quiet_owl")
        await progress_store.save_settings(conn, progress.ProgressSettings(member.id, zone))
        await progress.start(conn, member, start_local.date().isoformat(), "21:30", entered)
        seen = []
        moment = entered
        for _ in range(40 * 24 * 2):  # every 30 minutes for 40 days
            moment += timedelta(minutes=30)
            async with conn.transaction():
                fired = await progress.check_due(conn, moment)
            if moment.minute == 0 and moment.hour % 6 == 0:
                await progress.counter(conn, member, moment)  # a page view
            if fired:
                seen.append((moment, [r["key"] for r in await conn.fetch(
                    "SELECT key FROM milestones_reached WHERE noticed_at IS NOT NULL "
                    "ORDER BY reached_at DESC LIMIT $1", fired)]))
        return seen

    seen = _with_conn(db.url, body)
    expected = ["h24", "d2", "d3", "d7", "d14", "d30"]
    assert [k for k in _milestone_rows(db)] == [("quiet_owl", k) for k in expected]
    assert _notified(db) == [("quiet_owl", k) for k in expected]
    # each fired at the first check at or after its moment, never before
    start = milestones.wall_clock(start_local, tz)
    for moment, keys in seen:
        for key in keys:
            due = _due(key, start, tz)
            assert due <= moment < due + timedelta(minutes=30)


def test_setting_a_counter_long_ago_notifies_only_the_latest_milestone(db):
    now = datetime(2026, 6, 1, 12, tzinfo=UTC)

    async def body(conn: Any) -> None:
        member = await _member(conn, "river_stone")
        await progress.start(conn, member, "2025-05-01", "", now)
        await progress.counter(conn, member, now)
        async with conn.transaction():
            await progress.check_due(conn, now)

    _with_conn(db.url, body)
    keys = [k for _, k in _milestone_rows(db)]
    assert keys[:3] == ["h24", "d2", "d3"] and keys[-1] == "m12"
    assert _notified(db) == [("river_stone", "m12")]


def test_the_job_and_a_page_view_at_the_same_moment_record_a_milestone_once(db):
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)

    async def body(conn: Any) -> None:
        member = await _member(conn, "quiet_owl")
        await progress.start(conn, member, "2026-05-01", "08:00", start)
        at = start + timedelta(hours=24)
        other = await asyncpg.connect(db.url)
        try:
            async with conn.transaction(), other.transaction():
                await progress.check_due(conn, at)  # holds the streak's row
                assert await progress.check_due(other, at) == 0  # skips it
            await progress.counter(conn, member, at)
            await progress.counter(conn, member, at + timedelta(minutes=1))
        finally:
            await other.close()

    _with_conn(db.url, body)
    assert _milestone_rows(db) == [("quiet_owl", "h24")]
    assert _notified(db) == [("quiet_owl", "h24")]


def test_a_new_streak_reaches_its_milestones_again(db):
    start = datetime(2026, 5, 1, 8, tzinfo=UTC)

    async def body(conn: Any) -> None:
        member = await _member(conn, "quiet_owl")
        await progress.start(conn, member, "2026-05-01", "08:00", start)
        await progress.counter(conn, member, start + timedelta(days=3))
        await progress.start(conn, member, "2026-05-04", "20:00", start + timedelta(days=4))
        await progress.counter(conn, member, start + timedelta(days=5, hours=1))

    _with_conn(db.url, body)
    assert _milestone_rows(db) == [("quiet_owl", k) for k in ("h24", "d2", "d3", "h24")]
    assert len(_notified(db)) == 4


def test_the_worker_job_records_milestones_that_came_due_while_nobody_looked(db):
    from web.workers import JOBS, run_once

    [job] = [j for j in JOBS if j.name == "check-milestones"]

    async def body(conn: Any) -> dict[str, int]:
        member = await _member(conn, "quiet_owl")
        now = datetime.now(UTC)
        await progress.start(conn, member, (now - timedelta(hours=1)).date().isoformat(),
                             (now - timedelta(hours=1)).strftime("%H:%M"), now)
        assert await conn.fetchval("SELECT count(*) FROM milestones_reached") == 0
        # as if the streak had begun three days ago and no page had been opened since
        await conn.execute(
            """UPDATE sobriety_attempts SET started_at = started_at - '3 days'::interval,
                                            next_milestone_at = now() - '2 days'::interval""")
        pool = await asyncpg.create_pool(db.url, min_size=1, max_size=2)
        try:
            return await run_once(pool, (job,))
        finally:
            await pool.close()

    assert _with_conn(db.url, body) == {"check-milestones": 3}
    assert [k for _, k in _milestone_rows(db)] == ["h24", "d2", "d3"]
    assert db.fetchval("SELECT next_milestone_at > now() FROM sobriety_attempts")
