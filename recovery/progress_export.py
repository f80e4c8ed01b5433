"""A member's own data, for them to download: the counter and its history,
milestones, check-ins and posts, as one JSON document or as CSV tables."""

from __future__ import annotations

import csv
import io
import json
from datetime import date, datetime
from decimal import Decimal
from typing import Any

from recovery import checkins, progress
from recovery.models import Member
from recovery.store import progress as store

CSV_TABLES = ("attempts", "milestones", "checkins", "posts")


async def gather(conn: Any, member: Member, now: datetime) -> dict[str, Any]:
    s = await progress.settings(conn, member)
    attempts = await progress.history(conn, member)
    return {
        "member": member.username,
        "exported_at": now,
        "settings": {
            "time_zone": s.time_zone, "counter_visibility": s.visibility.value,
            "weekly_spend": s.weekly_spend, "currency": s.currency,
            "hours_per_drinking_day": s.hours_per_drinking_day,
            "drinking_days_per_week": s.drinking_days_per_week,
        },
        "attempts": [{"id": a.id, "last_drink": a.started_at, "time_zone": a.time_zone,
                      "ended_at": a.ended_at, "current": a.is_current} for a in attempts],
        "custom_milestones": [{"days": c.days, "name": c.name}
                              for c in await progress.customs(conn, member)],
        "milestones": [{"attempt_id": r.attempt_id, "key": r.key, "name": r.name,
                        "days": r.days, "reached_at": r.reached_at,
                        "shared_post_id": r.shared_post_id}
                       for r in await progress.reached(conn, member)],
        "checkins": [{"day": c.day, "pledged_at": c.pledged_at, "reviewed_at": c.reviewed_at,
                      "day_went": c.day_went.value if c.day_went else None,
                      "cravings": c.cravings, "mood": c.mood.value if c.mood else None,
                      "note": c.note} for c in await checkins.recent(conn, member)],
        "posts": [_post(p) for p in await store.member_posts_for_export(conn, member.id)],
    }


def _post(row: dict[str, Any]) -> dict[str, Any]:
    milestone = row.get("milestone")
    return {**row, "milestone": json.loads(milestone) if milestone else None}


def _plain(value: Any) -> Any:
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def to_json(data: dict[str, Any]) -> str:
    return json.dumps(data, default=_plain, indent=2, ensure_ascii=False)


def to_csv(data: dict[str, Any], table: str) -> str:
    """One table of the export as CSV (header row first)."""
    rows = data[table]
    out = io.StringIO()
    if rows:
        writer = csv.DictWriter(out, fieldnames=list(rows[0]), lineterminator="\n")
        writer.writeheader()
        for row in rows:
            writer.writerow({k: _cell(v) for k, v in row.items()})
    return out.getvalue()


def _cell(value: Any) -> Any:
    if isinstance(value, dict):
        return json.dumps(value, ensure_ascii=False)
    value = _plain(value)
    return "" if value is None else value
