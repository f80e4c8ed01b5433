"""Muting: a member mutes an account, for a while or until unmuted. Its
posts leave the member's home timeline and, when ``notifications`` is set,
its notifications leave theirs. Nothing is federated: a mute is private."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from recovery.account_models import Listed, Mute
from recovery.errors import InvalidInput
from recovery.models import Member, Party
from recovery.store import blocks as store

DURATION_MAX = 366 * 24 * 3600  # a year and a day, in seconds


async def mute(conn: Any, member: Member, target: Party, *, notifications: bool = True,
               duration: int = 0) -> Mute:
    """Mute the account (again: the new choice replaces the old);
    ``duration`` seconds, 0 for until unmuted."""
    if target.member_id == member.id:
        raise InvalidInput("id", "You cannot mute your own account.")
    if not 0 <= duration <= DURATION_MAX:
        raise InvalidInput("duration", f"duration is 0 (indefinite) up to {DURATION_MAX} "
                           "seconds.")
    expires = datetime.now(UTC) + timedelta(seconds=duration) if duration else None
    return await store.upsert_mute(conn, member.id, target, notifications, expires)


async def unmute(conn: Any, member: Member, target: Party) -> bool:
    return await store.delete_mute(conn, member.id, target)


async def listed(conn: Any, member: Member, limit: int, max_id: int | None,
                 since_id: int | None, min_id: int | None) -> list[Listed]:
    return await store.mutes_of(conn, member.id, limit, max_id, since_id, min_id)

