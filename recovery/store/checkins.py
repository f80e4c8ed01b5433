"""SQL for daily check-ins: one row per member and day of their calendar."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from recovery.progress_models import Checkin, DayWent, Mood

_COLUMNS = "id, day, pledged_at, reviewed_at, day_went, cravings, mood, note"


def _checkin(row: Any) -> Checkin:
    return Checkin(
        id=row["id"], day=row["day"], pledged_at=row["pledged_at"],
        reviewed_at=row["reviewed_at"],
        day_went=DayWent(row["day_went"]) if row["day_went"] else None,
        cravings=row["cravings"], mood=Mood(row["mood"]) if row["mood"] else None,
        note=row["note"])


async def pledge(conn: Any, member_id: int, day: date, at: datetime) -> None:
    await conn.execute(
        """INSERT INTO checkins (member_id, day, pledged_at) VALUES ($1, $2, $3)
           ON CONFLICT (member_id, day) DO UPDATE
               SET pledged_at = coalesce(checkins.pledged_at, $3)""",
        member_id, day, at)


async def review(
    conn: Any, member_id: int, day: date, at: datetime, day_went: DayWent,
    cravings: int, mood: Mood, note: str,
) -> None:
    await conn.execute(
        """INSERT INTO checkins (member_id, day, reviewed_at, day_went, cravings, mood, note)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (member_id, day) DO UPDATE
               SET reviewed_at = $3, day_went = $4, cravings = $5, mood = $6, note = $7""",
        member_id, day, at, day_went.value, cravings, mood.value, note)


async def of_member(
    conn: Any, member_id: int, since: date | None = None, limit: int = 10_000
) -> list[Checkin]:
    """The member's check-ins from ``since`` on, newest first."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM checkins
            WHERE member_id = $1 AND ($2::date IS NULL OR day >= $2)
            ORDER BY day DESC LIMIT $3""", member_id, since, limit)
    return [_checkin(r) for r in rows]


async def page_of_member(
    conn: Any, member_id: int, limit: int, max_id: int | None = None,
    since_id: int | None = None, min_id: int | None = None,
) -> list[Checkin]:
    """A page of the member's check-ins, newest day first: before the day of
    check-in ``max_id``, after the day of ``since_id`` or ``min_id`` (with
    ``min_id`` the page right after it, else the newest)."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM checkins c
            WHERE member_id = $1
              AND ($2::bigint IS NULL OR day < (SELECT day FROM checkins
                                                WHERE member_id = $1 AND id = $2))
              AND ($3::bigint IS NULL OR day > (SELECT day FROM checkins
                                                WHERE member_id = $1 AND id = $3))
            ORDER BY CASE WHEN $5 THEN day END ASC, day DESC LIMIT $4""",
        member_id, max_id, since_id if min_id is None else min_id, limit, min_id is not None)
    found = [_checkin(r) for r in rows]
    return sorted(found, key=lambda c: c.day, reverse=True)


async def get(conn: Any, member_id: int, checkin_id: int) -> Checkin | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM checkins WHERE member_id = $1 AND id = $2",
        member_id, checkin_id)
    return _checkin(row) if row else None


async def of_day(conn: Any, member_id: int, day: date) -> Checkin | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM checkins WHERE member_id = $1 AND day = $2", member_id, day)
    return _checkin(row) if row else None


async def delete(conn: Any, member_id: int, checkin_id: int) -> bool:
    result: str = await conn.execute(
        "DELETE FROM checkins WHERE member_id = $1 AND id = $2", member_id, checkin_id)
    return result != "DELETE 0"


async def delete_all(conn: Any, member_id: int) -> None:
    await conn.execute("DELETE FROM checkins WHERE member_id = $1", member_id)
