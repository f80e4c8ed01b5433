"""A member's profile changed (display name, bio, avatar, header, fields,
"approve followers"): the servers of their remote followers are sent an
``Update`` of their whole actor document, one delivery per (shared) inbox,
queued in the transaction of the change, so both commit or neither does.

The document is the one their actor URL serves (web/routes/actors.py), so
nothing private (sobriety date, check-ins, email, settings) can be in it.
A save that changes nothing in it sends nothing."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

from outbox import activities
from outbox.publish import publish
from recovery import follows
from recovery.models import Member
from web.routes.actors import member_document
from web.settings import Settings


@asynccontextmanager
async def announced(conn: Any, settings: Settings, member: Member) -> AsyncIterator[None]:
    """Make ``member``'s profile change inside the block (in the caller's
    transaction); when their actor document differs after it, the Update
    is queued. An error in the block queues nothing."""
    before = await member_document(conn, settings, member.username)
    yield
    after = await member_document(conn, settings, member.username)
    if after != before:
        await _queue_update(conn, settings, member, after)


async def _queue_update(conn: Any, settings: Settings, member: Member,
                        person: dict[str, Any]) -> int:
    inboxes = await follows.remote_follower_inboxes(conn, member)
    if not inboxes:
        return 0
    activity = activities.update_actor(settings.url, member, person, datetime.now(UTC))
    return await publish(conn, activity, member, inboxes)
