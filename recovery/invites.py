"""Invite links for communities that register by invitation."""

from __future__ import annotations

import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

from recovery import store
from recovery.errors import InvalidInput, NotFound, PermissionDenied
from recovery.models import Invite, Member

MAX_USES_LIMIT = 1000
MAX_DAYS_LIMIT = 365


async def create(
    conn: Any,
    created_by: Member | None,
    max_uses: int = 1,
    expires_in_days: int | None = 7,
) -> Invite:
    """A new invite; ``created_by`` None means the operator, from the CLI."""
    if created_by is not None and not created_by.is_moderator:
        raise PermissionDenied("Only moderators can create invites.")
    if not 1 <= max_uses <= MAX_USES_LIMIT:
        raise InvalidInput("max_uses", f"An invite can be used 1 to {MAX_USES_LIMIT} times.")
    expires = None
    if expires_in_days is not None:
        if not 1 <= expires_in_days <= MAX_DAYS_LIMIT:
            raise InvalidInput(
                "expires_in_days", f"An invite can last 1 to {MAX_DAYS_LIMIT} days."
            )
        expires = datetime.now(UTC) + timedelta(days=expires_in_days)
    code = secrets.token_urlsafe(18)
    creator = created_by.id if created_by else None
    return await store.insert_invite(conn, code, creator, max_uses, expires)


async def is_usable(conn: Any, code: str) -> bool:
    return bool(code) and await store.invite_is_usable(conn, code.strip())


async def list_usable(conn: Any) -> list[Invite]:
    return await store.list_usable_invites(conn)


async def revoke(conn: Any, actor: Member, code: str) -> None:
    if not actor.is_moderator:
        raise PermissionDenied("Only moderators can revoke invites.")
    if not await store.delete_invite(conn, code):
        raise NotFound("That invite does not exist any more.")
