"""SQL for the notifications clients list (the ``notifications`` table of
store/notifications.py): pages of them with the post each is about, only
posts the member may still see, never from an account they silenced; and
who is told when something happens."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.models import Party
from recovery.notice_models import Listed, NoticeQuery
from recovery.status_models import ListPage
from recovery.store import paging
from recovery.store.blocks import silenced_sender
from recovery.store.notifications import _notification
from recovery.store.posts import _VISIBLE_TO

__all__ = ["count_unread", "interacted_members", "listed_one", "listed_page", "silenced"]

_SELECT = """
    SELECT n.id, n.member_id, n.kind, n.from_member_id, n.from_remote_id, n.post_id,
           n.payload, n.created_at, n.read_at, n.dismissed,
           coalesce(mr.shared_post_id, n.post_id) AS shown_post_id
    FROM notifications n
    LEFT JOIN milestones_reached mr
           ON n.kind = 'milestone' AND mr.member_id = n.member_id
          AND mr.attempt_id::text = n.payload->>'attempt_id' AND mr.key = n.payload->>'key'
"""

# $1 the member, $2 their actor URI (for the visibility rule), $3 kinds or
# NULL, $4 kinds left out, $5/$6 the one sender or NULL. A milestone is shown
# only once shared as a post (recovery/notices.py says why).
_SHOWN = f"""
    n.member_id = $1 AND NOT n.dismissed AND NOT {silenced_sender("n")}
    AND (n.kind <> 'milestone' OR mr.shared_post_id IS NOT NULL)
    AND ($3::text[] IS NULL OR n.kind = ANY($3))
    AND NOT n.kind = ANY($4::text[])
    AND ($5::bigint IS NULL OR n.from_member_id = $5)
    AND ($6::bigint IS NULL OR n.from_remote_id = $6)
    AND (coalesce(mr.shared_post_id, n.post_id) IS NULL OR EXISTS (
            SELECT 1 FROM posts p
            WHERE p.id = coalesce(mr.shared_post_id, n.post_id) AND {_VISIBLE_TO}))
"""


def _query_values(query: NoticeQuery) -> list[Any]:
    sender = query.sender
    return [list(query.kinds) if query.kinds is not None else None, list(query.exclude),
            sender.member_id if sender else None, sender.remote_id if sender else None]


def _listed(row: Any) -> Listed:
    return Listed(_notification(row), row["shown_post_id"])


async def listed_page(
    conn: Any, member_id: int, member_uri: str, query: NoticeQuery, page: ListPage,
) -> list[Listed]:
    rows = await conn.fetch(
        _SELECT + " WHERE " + _SHOWN + paging.bounds("n.id", 8) + paging.order("n.id", page)
        + " LIMIT $7",
        member_id, member_uri, *_query_values(query), page.limit, *paging.values(page))
    return [_listed(r) for r in paging.newest_first(rows, page)]


async def listed_one(
    conn: Any, member_id: int, member_uri: str, notification_id: int,
) -> Listed | None:
    row = await conn.fetchrow(
        _SELECT + " WHERE " + _SHOWN + " AND n.id = $7",
        member_id, member_uri, *_query_values(NoticeQuery()), notification_id)
    return _listed(row) if row else None


async def count_unread(
    conn: Any, member_id: int, member_uri: str, query: NoticeQuery, after_id: int | None,
    limit: int,
) -> int:
    """Shown notifications not read (on the web page) newer than ``after_id``
    (the notifications marker), counted up to ``limit``."""
    count: int = await conn.fetchval(
        "SELECT count(*) FROM (" + _SELECT + " WHERE " + _SHOWN
        + """ AND n.read_at IS NULL AND ($7::bigint IS NULL OR n.id > $7)
              LIMIT $8) AS shown""",
        member_id, member_uri, *_query_values(query), after_id, limit)
    return count


async def silenced(conn: Any, member_id: int, sender: Party) -> bool:
    """Whether the member blocks the sender, mutes them with notifications,
    or (a member) is blocked by them."""
    return bool(await conn.fetchval(
        f"""SELECT {silenced_sender("s")}
                OR EXISTS (SELECT 1 FROM blocks b WHERE b.member_id = s.from_member_id
                           AND b.blocked_member_id = $1)
            FROM (SELECT $2::bigint AS from_member_id, $3::bigint AS from_remote_id) AS s""",
        member_id, sender.member_id, sender.remote_id))


async def interacted_members(conn: Any, post_id: int) -> list[int]:
    """Active members here who boosted or liked the post."""
    rows = await conn.fetch(
        """SELECT m.id FROM members m
           WHERE m.status = 'active' AND m.id IN (
                 SELECT b.author_member_id FROM posts b WHERE b.reblog_of_id = $1
                 UNION
                 SELECT x.actor_member_id FROM reactions x
                 WHERE x.post_id = $1 AND x.kind = 'like')
           ORDER BY m.id""", post_id)
    return [r["id"] for r in rows]


async def active_member_ids(conn: Any, member_ids: Sequence[int]) -> list[int]:
    rows = await conn.fetch(
        "SELECT id FROM members WHERE id = ANY($1::bigint[]) AND status = 'active' ORDER BY id",
        list(member_ids))
    return [r["id"] for r in rows]
