"""SQL for markers: where a member stopped reading a timeline."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.notice_models import Marker

__all__ = ["get_markers", "set_marker"]


def _marker(row: Any) -> Marker:
    return Marker(row["timeline"], row["last_read_id"], row["version"], row["updated_at"])


async def get_markers(conn: Any, member_id: int, timelines: Sequence[str]) -> list[Marker]:
    rows = await conn.fetch(
        """SELECT timeline, last_read_id, version, updated_at FROM markers
           WHERE member_id = $1 AND timeline = ANY($2::text[]) ORDER BY timeline""",
        member_id, list(timelines))
    return [_marker(r) for r in rows]


async def set_marker(conn: Any, member_id: int, timeline: str, last_read_id: int) -> Marker:
    row = await conn.fetchrow(
        """INSERT INTO markers (member_id, timeline, last_read_id) VALUES ($1, $2, $3)
           ON CONFLICT (member_id, timeline) DO UPDATE SET
               last_read_id = EXCLUDED.last_read_id, version = markers.version + 1,
               updated_at = now()
           RETURNING timeline, last_read_id, version, updated_at""",
        member_id, timeline, last_read_id)
    return _marker(row)
