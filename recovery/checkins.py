"""Daily check-ins: a morning pledge ("I won't drink today") and an evening
review (how the day went, cravings 0-10, mood, a private note). One per day
of the member's own calendar; private unless the member shares one as a post."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from typing import Any

from recovery import progress_input
from recovery.errors import InvalidInput, NotFound
from recovery.models import Member
from recovery.progress_models import Checkin, DayWent, Mood
from recovery.store import checkins as store
from recovery.store import progress as progress_store

NOTE_MAX = 2000


async def today(conn: Any, member: Member, now: datetime) -> date:
    """The member's calendar day at ``now``."""
    settings = await progress_store.get_settings(conn, member.id)
    return now.astimezone(progress_input.zone(settings.time_zone)).date()


async def pledge(conn: Any, member: Member, now: datetime) -> date:
    day = await today(conn, member, now)
    await store.pledge(conn, member.id, day, now)
    return day


async def review(conn: Any, member: Member, values: dict[str, str], now: datetime) -> date:
    """The evening review of today, or of yesterday (``day`` = "yesterday")."""
    day = await today(conn, member, now)
    if values.get("day") == "yesterday":
        day -= timedelta(days=1)
    went, cravings, mood, note = _reading(values)
    await store.review(conn, member.id, day, now, went, cravings, mood, note)
    return day


def _reading(values: dict[str, str]) -> tuple[DayWent, int, Mood, str]:
    """How the day went, cravings, mood and note, each checked."""
    try:
        went = DayWent(values.get("day_went", ""))
    except ValueError:
        raise InvalidInput("day_went", "Choose how the day went.") from None
    try:
        mood = Mood(values.get("mood", ""))
    except ValueError:
        raise InvalidInput("mood", "Choose the mood closest to yours.") from None
    cravings = progress_input.whole(values.get("cravings", ""), "cravings", least=0, most=10)
    note = progress_input.text(values.get("note", ""), "note", most=NOTE_MAX)
    return went, cravings, mood, note


async def edit(conn: Any, member: Member, checkin_id: int, values: dict[str, str],
               now: datetime) -> Checkin:
    """Write (or rewrite) the evening review of one of the member's check-ins."""
    found = await get(conn, member, checkin_id)
    went, cravings, mood, note = _reading(values)
    await store.review(conn, member.id, found.day, found.reviewed_at or now, went, cravings,
                       mood, note)
    return await get(conn, member, checkin_id)


async def get(conn: Any, member: Member, checkin_id: int) -> Checkin:
    found = await store.get(conn, member.id, checkin_id)
    if found is None:
        raise NotFound("That check-in is not there any more.")
    return found


async def page(conn: Any, member: Member, limit: int, max_id: int | None = None,
               since_id: int | None = None, min_id: int | None = None) -> list[Checkin]:
    """Check-ins newest day first, paged by the ids of check-ins."""
    return await store.page_of_member(conn, member.id, limit, max_id, since_id, min_id)


async def of_day(conn: Any, member: Member, day: date) -> Checkin | None:
    return await store.of_day(conn, member.id, day)


async def recent(conn: Any, member: Member, since: date | None = None) -> list[Checkin]:
    """The member's check-ins from ``since`` on (all without it), newest first."""
    return await store.of_member(conn, member.id, since)


async def delete(conn: Any, member: Member, checkin_id: int) -> None:
    if not await store.delete(conn, member.id, checkin_id):
        raise NotFound("That check-in is not there any more.")


async def delete_all(conn: Any, member: Member) -> None:
    await store.delete_all(conn, member.id)
