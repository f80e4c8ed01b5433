"""Markers (docs.joinmastodon.org/methods/markers): where a member stopped
reading their home timeline and their notifications, so another app (or the
web page) picks up there. Moving the notifications marker also marks those
notifications read on the web page."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from recovery import notifications
from recovery.errors import InvalidInput
from recovery.models import Member
from recovery.notice_models import Marker
from recovery.store import markers as store

TIMELINES = ("home", "notifications")
ID_MAX = 2**63 - 1


async def of_member(conn: Any, member: Member, timelines: Sequence[str]) -> list[Marker]:
    """The member's markers of the timelines asked for (unknown names ignored)."""
    wanted = [t for t in TIMELINES if t in timelines]
    return await store.get_markers(conn, member.id, wanted) if wanted else []


async def save(conn: Any, member: Member, last_read: Mapping[str, int]) -> list[Marker]:
    """Set the markers given (timeline -> last read id); run in a transaction."""
    unknown = sorted(set(last_read) - set(TIMELINES))
    if unknown or not last_read:
        raise InvalidInput("timeline", "Markers are for home and notifications.")
    saved = []
    for timeline in TIMELINES:
        if timeline in last_read:
            last_id = last_read[timeline]
            if not 0 < last_id <= ID_MAX:
                raise InvalidInput("last_read_id", "last_read_id must be an id.")
            saved.append(await store.set_marker(conn, member.id, timeline, last_id))
            if timeline == "notifications":
                await notifications.mark_read(conn, member, last_id)
    return saved
