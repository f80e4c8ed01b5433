"""SQL for the sobriety counter: settings, streaks (attempts), custom
milestones and milestones reached."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recovery.models import PostMilestone
from recovery.progress_models import (
    Attempt,
    CounterVisibility,
    CustomMilestone,
    ProgressSettings,
    Reached,
)

_ATTEMPT = "id, member_id, started_at, time_zone, ended_at, created_at"
_REACHED = "attempt_id, key, name, days, reached_at, shared_post_id"


def _attempt(row: Any) -> Attempt:
    return Attempt(id=row["id"], member_id=row["member_id"], started_at=row["started_at"],
                   time_zone=row["time_zone"], ended_at=row["ended_at"],
                   created_at=row["created_at"])


def _reached(row: Any) -> Reached:
    return Reached(attempt_id=row["attempt_id"], key=row["key"], name=row["name"],
                   days=row["days"], reached_at=row["reached_at"],
                   shared_post_id=row["shared_post_id"])


async def get_settings(conn: Any, member_id: int) -> ProgressSettings:
    row = await conn.fetchrow(
        """SELECT time_zone, visibility, weekly_spend, currency, hours_per_drinking_day,
                  drinking_days_per_week
           FROM sobriety_settings WHERE member_id = $1""", member_id)
    if row is None:
        return ProgressSettings(member_id)
    return ProgressSettings(
        member_id=member_id, time_zone=row["time_zone"],
        visibility=CounterVisibility(row["visibility"]), weekly_spend=row["weekly_spend"],
        currency=row["currency"], hours_per_drinking_day=row["hours_per_drinking_day"],
        drinking_days_per_week=row["drinking_days_per_week"])


async def save_settings(conn: Any, s: ProgressSettings) -> None:
    await conn.execute(
        """INSERT INTO sobriety_settings (member_id, time_zone, visibility, weekly_spend,
                  currency, hours_per_drinking_day, drinking_days_per_week)
           VALUES ($1, $2, $3, $4, $5, $6, $7)
           ON CONFLICT (member_id) DO UPDATE SET
               time_zone = $2, visibility = $3, weekly_spend = $4, currency = $5,
               hours_per_drinking_day = $6, drinking_days_per_week = $7, updated_at = now()""",
        s.member_id, s.time_zone, s.visibility.value, s.weekly_spend, s.currency,
        s.hours_per_drinking_day, s.drinking_days_per_week)


async def counter_visibility(conn: Any, member_id: int) -> CounterVisibility:
    value = await conn.fetchval(
        "SELECT visibility FROM sobriety_settings WHERE member_id = $1", member_id)
    return CounterVisibility(value or "private")


async def attempts(conn: Any, member_id: int) -> list[Attempt]:
    """Every streak of the member, oldest first."""
    rows = await conn.fetch(
        f"SELECT {_ATTEMPT} FROM sobriety_attempts WHERE member_id = $1 "
        "ORDER BY started_at, id", member_id)
    return [_attempt(r) for r in rows]


async def current_attempt(conn: Any, member_id: int, *, lock: bool = False) -> Attempt | None:
    row = await conn.fetchrow(
        f"SELECT {_ATTEMPT} FROM sobriety_attempts WHERE member_id = $1 AND ended_at IS NULL"
        + (" FOR UPDATE" if lock else ""), member_id)
    return _attempt(row) if row else None


async def get_attempt(conn: Any, member_id: int, attempt_id: int) -> Attempt | None:
    row = await conn.fetchrow(
        f"SELECT {_ATTEMPT} FROM sobriety_attempts WHERE member_id = $1 AND id = $2",
        member_id, attempt_id)
    return _attempt(row) if row else None


async def insert_attempt(
    conn: Any, member_id: int, started_at: datetime, time_zone: str,
    created_at: datetime,
) -> Attempt:
    row = await conn.fetchrow(
        f"""INSERT INTO sobriety_attempts (member_id, started_at, time_zone, created_at)
            VALUES ($1, $2, $3, $4) RETURNING {_ATTEMPT}""",
        member_id, started_at, time_zone, created_at)
    return _attempt(row)


async def update_attempt(
    conn: Any, attempt_id: int, started_at: datetime, ended_at: datetime | None,
) -> None:
    await conn.execute(
        "UPDATE sobriety_attempts SET started_at = $2, ended_at = $3 WHERE id = $1",
        attempt_id, started_at, ended_at)


async def delete_attempt(conn: Any, member_id: int, attempt_id: int) -> bool:
    result: str = await conn.execute(
        "DELETE FROM sobriety_attempts WHERE member_id = $1 AND id = $2", member_id, attempt_id)
    return result != "DELETE 0"


async def delete_all(conn: Any, member_id: int) -> None:
    """Every streak, milestone and setting of the member (check-ins apart)."""
    await conn.execute("DELETE FROM sobriety_attempts WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM custom_milestones WHERE member_id = $1", member_id)
    await conn.execute("DELETE FROM sobriety_settings WHERE member_id = $1", member_id)


async def set_next_milestone(conn: Any, attempt_id: int, at: datetime | None) -> None:
    await conn.execute(
        "UPDATE sobriety_attempts SET next_milestone_at = $2 WHERE id = $1", attempt_id, at)


async def claim_due_attempts(conn: Any, now: datetime, limit: int) -> list[Attempt]:
    """Open streaks whose next milestone is due, locked for this transaction;
    others running the same job skip them."""
    rows = await conn.fetch(
        f"""SELECT {_ATTEMPT} FROM sobriety_attempts
            WHERE ended_at IS NULL AND next_milestone_at <= $1
            ORDER BY next_milestone_at LIMIT $2 FOR UPDATE SKIP LOCKED""", now, limit)
    return [_attempt(r) for r in rows]


async def custom_milestones(conn: Any, member_id: int) -> list[CustomMilestone]:
    rows = await conn.fetch(
        "SELECT id, days, name FROM custom_milestones WHERE member_id = $1 ORDER BY days",
        member_id)
    return [CustomMilestone(r["id"], r["days"], r["name"]) for r in rows]


async def add_custom_milestone(conn: Any, member_id: int, days: int, name: str) -> bool:
    added = await conn.fetchval(
        """INSERT INTO custom_milestones (member_id, days, name) VALUES ($1, $2, $3)
           ON CONFLICT (member_id, days) DO NOTHING RETURNING true""", member_id, days, name)
    return bool(added)


async def update_custom_milestone(
    conn: Any, member_id: int, milestone_id: int, days: int, name: str
) -> bool:
    """False when the member has another milestone of that many days."""
    changed = await conn.fetchval(
        """UPDATE custom_milestones SET days = $3, name = $4
           WHERE member_id = $1 AND id = $2 AND NOT EXISTS (
               SELECT 1 FROM custom_milestones
               WHERE member_id = $1 AND days = $3 AND id <> $2)
           RETURNING true""", member_id, milestone_id, days, name)
    return bool(changed)


async def delete_custom_milestone(conn: Any, member_id: int, milestone_id: int) -> bool:
    result: str = await conn.execute(
        "DELETE FROM custom_milestones WHERE member_id = $1 AND id = $2",
        member_id, milestone_id)
    return result != "DELETE 0"


async def record_reached(
    conn: Any, attempt: Attempt, key: str, name: str, days: int, reached_at: datetime,
) -> bool:
    """True only for the call that records it: the milestone fires once."""
    added = await conn.fetchval(
        """INSERT INTO milestones_reached (attempt_id, key, member_id, name, days, reached_at)
           VALUES ($1, $2, $3, $4, $5, $6) ON CONFLICT DO NOTHING RETURNING true""",
        attempt.id, key, attempt.member_id, name, days, reached_at)
    return bool(added)


async def reached_keys(conn: Any, attempt_id: int) -> set[str]:
    rows = await conn.fetch("SELECT key FROM milestones_reached WHERE attempt_id = $1",
                            attempt_id)
    return {r["key"] for r in rows}


async def reached_of_member(conn: Any, member_id: int) -> list[Reached]:
    rows = await conn.fetch(
        f"SELECT {_REACHED} FROM milestones_reached WHERE member_id = $1 "
        "ORDER BY reached_at, key", member_id)
    return [_reached(r) for r in rows]


async def get_reached(
    conn: Any, member_id: int, attempt_id: int, key: str, *, lock: bool = False
) -> Reached | None:
    row = await conn.fetchrow(
        f"""SELECT {_REACHED} FROM milestones_reached
            WHERE member_id = $1 AND attempt_id = $2 AND key = $3"""
        + (" FOR UPDATE" if lock else ""), member_id, attempt_id, key)
    return _reached(row) if row else None


async def forget_reached(conn: Any, attempt_id: int, keys: list[str]) -> None:
    await conn.execute(
        "DELETE FROM milestones_reached WHERE attempt_id = $1 AND key <> ALL($2::text[])",
        attempt_id, keys)


async def mark_shared(conn: Any, attempt_id: int, key: str, post_id: int) -> None:
    await conn.execute(
        "UPDATE milestones_reached SET shared_post_id = $3 WHERE attempt_id = $1 AND key = $2",
        attempt_id, key, post_id)


async def member_posts_for_export(conn: Any, member_id: int) -> list[dict[str, Any]]:
    """The member's own posts, oldest first, as plain values."""
    rows = await conn.fetch(
        """SELECT id, visibility, summary, content_html, milestone, published_at, edited_at
           FROM posts WHERE author_member_id = $1 ORDER BY id""", member_id)
    return [dict(r) for r in rows]



async def set_post_milestone(conn: Any, post_id: int, milestone: PostMilestone) -> None:
    await conn.execute("UPDATE posts SET milestone = $2::jsonb WHERE id = $1",
                       post_id, milestone.to_json())
