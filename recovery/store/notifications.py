"""SQL for notifications: what a member is told about."""

from __future__ import annotations

import json
from typing import Any

from recovery.progress_models import Notification
from recovery.store.blocks import silenced_sender

_COLUMNS = ("id, member_id, kind, from_member_id, from_remote_id, post_id, payload, "
            "created_at, read_at, dismissed")


def _notification(row: Any) -> Notification:
    return Notification(
        id=row["id"], member_id=row["member_id"], kind=row["kind"],
        from_member_id=row["from_member_id"], from_remote_id=row["from_remote_id"],
        post_id=row["post_id"], payload=json.loads(row["payload"]),
        created_at=row["created_at"], read_at=row["read_at"], dismissed=row["dismissed"])


async def insert(
    conn: Any, member_id: int, kind: str, payload: dict[str, Any], *,
    from_member_id: int | None = None, from_remote_id: int | None = None,
    post_id: int | None = None,
) -> Notification:
    row = await conn.fetchrow(
        f"""INSERT INTO notifications (member_id, kind, from_member_id, from_remote_id,
                                      post_id, payload)
            VALUES ($1, $2, $3, $4, $5, $6::jsonb) RETURNING {_COLUMNS}""",
        member_id, kind, from_member_id, from_remote_id, post_id, json.dumps(payload))
    return _notification(row)


async def of_member(
    conn: Any, member_id: int, limit: int, max_id: int | None = None,
    kinds: list[str] | None = None,
) -> list[Notification]:
    """The member's notifications not dismissed, newest first, below ``max_id``."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM notifications
            WHERE member_id = $1 AND NOT dismissed
              AND ($3::bigint IS NULL OR id < $3)
              AND ($4::text[] IS NULL OR kind = ANY($4))
              AND NOT {silenced_sender("notifications")}
            ORDER BY id DESC LIMIT $2""", member_id, limit, max_id, kinds)
    return [_notification(r) for r in rows]


async def get(conn: Any, member_id: int, notification_id: int) -> Notification | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM notifications WHERE member_id = $1 AND id = $2",
        member_id, notification_id)
    return _notification(row) if row else None


async def unread_count(conn: Any, member_id: int) -> int:
    count: int = await conn.fetchval(
        f"""SELECT count(*) FROM notifications
            WHERE member_id = $1 AND read_at IS NULL AND NOT dismissed
              AND NOT {silenced_sender("notifications")}""", member_id)
    return count


async def mark_read(conn: Any, member_id: int, up_to_id: int | None = None) -> int:
    result: str = await conn.execute(
        """UPDATE notifications SET read_at = now()
           WHERE member_id = $1 AND read_at IS NULL AND ($2::bigint IS NULL OR id <= $2)""",
        member_id, up_to_id)
    return int(result.split()[-1])


async def dismiss(conn: Any, member_id: int, notification_id: int | None = None) -> int:
    """Dismiss one notification, or all of them (``notification_id`` None)."""
    result: str = await conn.execute(
        """UPDATE notifications SET dismissed = true, read_at = coalesce(read_at, now())
           WHERE member_id = $1 AND NOT dismissed AND ($2::bigint IS NULL OR id = $2)""",
        member_id, notification_id)
    return int(result.split()[-1])


async def delete_milestone_notifications(conn: Any, member_id: int) -> None:
    await conn.execute(
        "DELETE FROM notifications WHERE member_id = $1 AND kind = 'milestone'", member_id)
