"""SQL for live events (streaming): sending one on the events channel inside
the caller's transaction (PostgreSQL delivers it at commit, to every
process that listens), the dedicated connection's listener, and the
per-viewer checks a stream makes before it shows an event.

The checks reuse the one visibility rule (``_VISIBLE_TO`` of store/posts.py),
the silencing rule of the timelines (blocks both ways, unexpired mutes) and
the home feed, so a stream shows exactly what the timelines show."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from recovery.models import Party
from recovery.progress_models import Notification
from recovery.store.blocks import silenced_sender
from recovery.store.notifications import _COLUMNS as _NOTIFICATION_COLUMNS
from recovery.store.notifications import _notification
from recovery.store.posts import _VISIBLE_TO
from recovery.store.timelines import _IN_CHOSEN_LANGUAGE, _UNSILENCED

CHANNEL = "hearth_events"
# PostgreSQL refuses notification payloads of 8000 bytes or more.
PAYLOAD_MAX = 7999


async def notify(conn: Any, payload: str) -> None:
    """Send ``payload`` on the events channel when the caller's transaction
    commits (at once outside a transaction); nothing if it rolls back."""
    if len(payload.encode()) > PAYLOAD_MAX:
        raise ValueError("event payloads are ids and kinds; this one is too large")
    await conn.execute("SELECT pg_notify($1, $2)", CHANNEL, payload)


async def subscribe(conn: Any, callback: Callable[..., Any]) -> None:
    """Have ``callback(conn, pid, channel, payload)`` called for each event.
    Only on a connection of its own: never on a pooled one."""
    await conn.add_listener(CHANNEL, callback)


async def ping(conn: Any) -> None:
    await conn.fetchval("SELECT 1")


async def live_tokens(conn: Any, token_ids: Sequence[int]) -> set[int]:
    """Those of ``token_ids`` still valid: not revoked, their member active."""
    rows = await conn.fetch(
        """SELECT t.id FROM oauth_tokens t LEFT JOIN members m ON m.id = t.member_id
           WHERE t.id = ANY($1::bigint[]) AND t.revoked_at IS NULL
             AND (t.member_id IS NULL OR m.status = 'active')""",
        list(token_ids))
    return {row["id"] for row in rows}


async def post_audience(
    conn: Any, post_id: int, member_id: int, member_uri: str,
) -> tuple[bool, bool]:
    """(the member may see the post, it is in their home feed): the
    visibility rule, nobody they blocked or muted and nobody who blocked
    them (for a boost, its post's author too); both False when it is gone."""
    row = await conn.fetchrow(
        f"""SELECT ({_VISIBLE_TO} AND {_UNSILENCED}) AS visible,
                   EXISTS (SELECT 1 FROM home_feed h
                           WHERE h.member_id = $1 AND h.post_id = p.id)
                   AND {_IN_CHOSEN_LANGUAGE} AS home
            FROM posts p WHERE p.id = $3""",
        member_id, member_uri, post_id)
    if row is None:
        return False, False
    return bool(row["visible"]), bool(row["home"])


async def post_tags(conn: Any, post_id: int) -> set[str]:
    rows = await conn.fetch("SELECT name FROM post_tags WHERE post_id = $1", post_id)
    return {row["name"] for row in rows}


async def followers_among(conn: Any, author: Party, member_ids: Sequence[int]) -> set[int]:
    """Those of ``member_ids`` whose follow of ``author`` is accepted."""
    rows = await conn.fetch(
        """SELECT follower_member_id FROM follows
           WHERE follower_member_id = ANY($1::bigint[]) AND state = 'accepted'
             AND (followed_member_id = $2 OR followed_remote_id = $3)""",
        list(member_ids), author.member_id, author.remote_id)
    return {row["follower_member_id"] for row in rows}


async def shown_notification(conn: Any, notification_id: int) -> Notification | None:
    """The notification, unless dismissed or from an account its member
    blocked or muted with notifications (what their notifications list shows)."""
    row = await conn.fetchrow(
        f"""SELECT {_NOTIFICATION_COLUMNS} FROM notifications n
            WHERE n.id = $1 AND NOT n.dismissed
              AND NOT {silenced_sender("n", "n.member_id")}""",
        notification_id)
    return _notification(row) if row else None
