"""Notifications: what a member is told about. Milestones reached today;
the client API adds follows, mentions, favourites and boosts with the same
table (``kind`` names which, ``from_*`` who, ``post_id`` what about)."""

from __future__ import annotations

from typing import Any

from recovery import events, push
from recovery.models import Member
from recovery.progress_models import Notification
from recovery.store import notifications as store

PAGE_SIZE = 40
MILESTONE = "milestone"


async def notify(
    conn: Any, member_id: int, kind: str, payload: dict[str, Any] | None = None, *,
    from_member_id: int | None = None, from_remote_id: int | None = None,
    post_id: int | None = None,
) -> Notification:
    notification = await store.insert(conn, member_id, kind, payload or {},
                                      from_member_id=from_member_id,
                                      from_remote_id=from_remote_id, post_id=post_id)
    await events.notification_created(conn, notification)
    await push.queue(conn, notification)  # Web Push to the member's apps
    return notification


async def of_member(
    conn: Any, member: Member, limit: int = PAGE_SIZE, max_id: int | None = None,
    kinds: list[str] | None = None,
) -> list[Notification]:
    return await store.of_member(conn, member.id, min(max(limit, 1), PAGE_SIZE), max_id, kinds)


async def unread_count(conn: Any, member: Member | None) -> int:
    return await store.unread_count(conn, member.id) if member else 0


async def mark_read(conn: Any, member: Member, up_to_id: int | None = None) -> int:
    return await store.mark_read(conn, member.id, up_to_id)


async def dismiss(conn: Any, member: Member, notification_id: int | None = None) -> int:
    """Dismiss one of the member's notifications (another's is left alone),
    or all of them."""
    return await store.dismiss(conn, member.id, notification_id)


async def get(conn: Any, member: Member, notification_id: int) -> Notification | None:
    return await store.get(conn, member.id, notification_id)


async def forget_milestones(conn: Any, member: Member) -> None:
    """Remove the member's milestone notifications (their progress data is
    being deleted)."""
    await store.delete_milestone_notifications(conn, member.id)
