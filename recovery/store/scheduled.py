"""SQL for scheduled posts. Every function that names one by id checks it
is the member's: another member's is as if it did not exist. A post's
images are the uploads it holds (``media_attachments.scheduled_post_id``,
set by store/media.py's ``hold``)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recovery.models import Visibility
from recovery.scheduled_models import Planned, ScheduledPost
from recovery.status_models import ListPage
from recovery.store import paging

__all__ = [
    "by_idempotency", "claim_due", "count_between", "count_of", "delete", "delete_by_id",
    "get", "insert", "listed", "lock_member", "reschedule",
]

_COLUMNS = ("id, member_id, app_id, scheduled_at, text, summary, visibility, sensitive, "
            "in_reply_to_id, language, idempotency, created_at, "
            "ARRAY(SELECT a.id FROM media_attachments a "
            "WHERE a.scheduled_post_id = scheduled_posts.id "
            "ORDER BY a.position, a.id) AS media_ids")


def _scheduled(row: Any) -> ScheduledPost:
    return ScheduledPost(
        id=row["id"], member_id=row["member_id"], app_id=row["app_id"],
        scheduled_at=row["scheduled_at"],
        planned=Planned(row["text"], row["summary"], Visibility(row["visibility"]),
                        row["sensitive"], row["in_reply_to_id"], row["language"],
                        tuple(row["media_ids"])),
        idempotency=row["idempotency"], created_at=row["created_at"])


async def lock_member(conn: Any, member_id: int) -> None:
    """Serialise the member's scheduling until the transaction ends, so two
    requests at once cannot both pass a limit or both use one key."""
    await conn.execute("SELECT pg_advisory_xact_lock(hashtext('scheduled_posts'), $1::int)",
                       member_id % 2_147_483_647)


async def insert(conn: Any, member_id: int, app_id: int | None, scheduled_at: datetime,
                 planned: Planned, idempotency: str | None) -> ScheduledPost:
    row = await conn.fetchrow(
        f"""INSERT INTO scheduled_posts (member_id, app_id, scheduled_at, text, summary,
                                         visibility, sensitive, in_reply_to_id, language,
                                         idempotency)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING {_COLUMNS}""",
        member_id, app_id, scheduled_at, planned.text, planned.summary,
        planned.visibility.value, planned.sensitive, planned.in_reply_to_id,
        planned.language, idempotency)
    return _scheduled(row)


async def by_idempotency(conn: Any, member_id: int, key: str) -> ScheduledPost | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM scheduled_posts WHERE member_id = $1 AND idempotency = $2",
        member_id, key)
    return _scheduled(row) if row else None


async def count_of(conn: Any, member_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM scheduled_posts WHERE member_id = $1", member_id)
    return count


async def count_between(conn: Any, member_id: int, start: datetime, end: datetime,
                        leaving_out: int | None = None) -> int:
    """The member's posts scheduled in [start, end), but ``leaving_out``."""
    count: int = await conn.fetchval(
        """SELECT count(*) FROM scheduled_posts
           WHERE member_id = $1 AND scheduled_at >= $2 AND scheduled_at < $3
             AND ($4::bigint IS NULL OR id <> $4)""",
        member_id, start, end, leaving_out)
    return count


async def get(conn: Any, member_id: int, scheduled_id: int) -> ScheduledPost | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM scheduled_posts WHERE member_id = $1 AND id = $2",
        member_id, scheduled_id)
    return _scheduled(row) if row else None


async def listed(conn: Any, member_id: int, page: ListPage) -> list[ScheduledPost]:
    rows = await conn.fetch(
        f"SELECT {_COLUMNS} FROM scheduled_posts WHERE member_id = $1"
        + paging.bounds("id", 2) + paging.order("id", page) + " LIMIT $5",
        member_id, *paging.values(page), page.limit)
    return [_scheduled(r) for r in paging.newest_first(rows, page)]


async def reschedule(conn: Any, member_id: int, scheduled_id: int,
                     scheduled_at: datetime) -> ScheduledPost | None:
    row = await conn.fetchrow(
        f"""UPDATE scheduled_posts SET scheduled_at = $3 WHERE member_id = $1 AND id = $2
            RETURNING {_COLUMNS}""", member_id, scheduled_id, scheduled_at)
    return _scheduled(row) if row else None


async def delete(conn: Any, member_id: int, scheduled_id: int) -> bool:
    result: str = await conn.execute(
        "DELETE FROM scheduled_posts WHERE member_id = $1 AND id = $2", member_id, scheduled_id)
    return result != "DELETE 0"


async def delete_by_id(conn: Any, scheduled_id: int) -> None:
    await conn.execute("DELETE FROM scheduled_posts WHERE id = $1", scheduled_id)


async def claim_due(conn: Any, now: datetime) -> ScheduledPost | None:
    """The earliest post due by ``now`` that no other transaction holds,
    locked until this one ends (run it in a transaction)."""
    row = await conn.fetchrow(
        f"""SELECT {_COLUMNS} FROM scheduled_posts WHERE scheduled_at <= $1
            ORDER BY scheduled_at, id LIMIT 1 FOR UPDATE SKIP LOCKED""", now)
    return _scheduled(row) if row else None
