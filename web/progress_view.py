"""What the progress pages show a member: the counter, their milestones,
today's check-in, the pictures and their text alternatives, history and
savings. Only ever built for the member themselves."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from recovery import checkins, milestones, notifications, progress
from recovery.models import Member
from recovery.progress_models import Attempt, Checkin, DayWent
from web import svg

HEATMAP_WEEKS = 26
CRAVINGS_SHOWN = 30
COMING_SHOWN = 3


async def nav(conn: Any, member: Member) -> dict[str, Any]:
    return {"unread_notifications": await notifications.unread_count(conn, member)}


async def progress_page(conn: Any, member: Member, now: datetime) -> dict[str, Any]:
    settings = await progress.settings(conn, member)
    counter = await progress.counter(conn, member, now)
    attempts = await progress.history(conn, member)
    today = await checkins.today(conn, member, now)
    recent = await checkins.recent(conn, member, today - timedelta(weeks=HEATMAP_WEEKS))
    reached = [r for r in await progress.reached(conn, member)
               if counter and r.attempt_id == counter.attempt.id]
    sober_for = now - counter.attempt.started_at if counter else timedelta(0)
    return {
        "settings": settings, "counter": counter, "reached": reached,
        "stats": progress.stats(attempts, now, settings.time_zone),
        "savings": progress.savings(settings, sober_for),
        "today": today, "today_checkin": next((c for c in recent if c.day == today), None),
        **_heatmap(attempts, recent, today),
        **_cravings(recent),
        **_timeline(counter, reached),
        **await nav(conn, member),
    }


def _local_date(moment: datetime, tz_name: str) -> date:
    return moment.astimezone(milestones.zone(tz_name)).date()


def day_states(attempts: list[Attempt], recent: list[Checkin], first: date,
               last: date) -> list[svg.Day]:
    """Each day from ``first`` to ``last``: sober (within a streak, after the
    day of the last drink), with a check-in, a restart, or no record."""
    sober: set[date] = set()
    restarts: set[date] = set()
    for a in attempts:
        start = _local_date(a.started_at, a.time_zone)
        end = _local_date(a.ended_at, a.time_zone) if a.ended_at else last + timedelta(days=1)
        restarts.add(start)
        day = max(start + timedelta(days=1), first)
        while day < end and day <= last:
            sober.add(day)
            day += timedelta(days=1)
    drank = {c.day for c in recent if c.day_went is DayWent.DRANK}
    checked = {c.day for c in recent}
    days = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        if day in restarts or day in drank:
            state = "restart"
        elif day in sober:
            state = "checked" if day in checked else "sober"
        else:
            state = "none"
        days.append(svg.Day(day, state))
    return days


def _heatmap(attempts: list[Attempt], recent: list[Checkin], today: date) -> dict[str, Any]:
    first = today - timedelta(weeks=HEATMAP_WEEKS) + timedelta(days=1)
    days = day_states(attempts, recent, first, today)
    months: dict[str, dict[str, int]] = {}
    for d in days:
        row = months.setdefault(d.day.strftime("%B %Y"), {"sober": 0, "checkins": 0})
        row["sober"] += d.state in ("sober", "checked")
        row["checkins"] += d.state == "checked"
    sober = sum(r["sober"] for r in months.values())
    summary = (f"{sober} sober days and {len(recent)} check-ins in the last "
               f"{HEATMAP_WEEKS} weeks.")
    return {"heatmap_svg": svg.heatmap(days, summary), "heatmap_summary": summary,
            "heatmap_months": months}


def _cravings(recent: list[Checkin]) -> dict[str, Any]:
    points = [svg.Point(c.day, c.cravings) for c in reversed(recent)
              if c.cravings is not None][-CRAVINGS_SHOWN:]
    if points:
        mean = sum(p.cravings for p in points) / len(points)
        summary = (f"{len(points)} evening reviews; cravings averaged {mean:.1f} of 10, "
                   f"the latest {points[-1].cravings}.")
    else:
        summary = "No evening reviews yet: cravings will show here."
    return {"cravings_svg": svg.cravings(points, summary), "cravings_summary": summary,
            "cravings_points": points}


def _timeline(counter: progress.Counter | None, reached: list[Any]) -> dict[str, Any]:
    if counter is None:
        return {"timeline_svg": None, "timeline_marks": []}
    tz = counter.attempt.time_zone
    marks = [svg.Mark(r.name, _local_date(r.reached_at, tz), True) for r in reached]
    coming = progress.coming(counter, reached)
    marks += [svg.Mark(d.milestone.name, _local_date(d.at, tz), False)
              for d in coming[:COMING_SHOWN]]
    summary = (f"{len(reached)} milestones reached in this streak"
               + (f"; next: {coming[0].milestone.name}." if coming else "."))
    return {"timeline_svg": svg.timeline(marks, summary), "timeline_marks": marks,
            "timeline_summary": summary}


def local_formats() -> dict[str, Any]:
    """Template helpers that show a moment on the clock of a zone."""
    def at(moment: datetime, tz_name: str) -> datetime:
        return moment.astimezone(milestones.zone(tz_name))

    return {
        "local": lambda m, tz: at(m, tz).strftime("%Y-%m-%d %H:%M"),
        "local_date": lambda m, tz: at(m, tz).strftime("%Y-%m-%d"),
        "local_time": lambda m, tz: at(m, tz).strftime("%H:%M"),
    }
