"""Scheduled posts (docs.joinmastodon.org/methods/scheduled_statuses): a
member's post written later, at a time at least MIN_OFFSET ahead, with
Mastodon's limits (TOTAL_LIMIT waiting, DAILY_LIMIT on any one day), and
the images it will carry (held, so they do not expire; cancelling lets them
go). Private to the member. A job (web.scheduling) claims the due ones with ``claim_due``
and writes each through the same service as an immediate post, deleting the
row with ``done`` in that transaction."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, time, timedelta
from typing import Any

from federation.sanitize import find_mentions
from recovery import media
from recovery.errors import InvalidInput, NotFound
from recovery.models import Visibility
from recovery.scheduled_models import Planned, ScheduledPost
from recovery.status_models import ListPage
from recovery.store import scheduled as store

MIN_OFFSET = timedelta(minutes=5)
TOTAL_LIMIT = 300
DAILY_LIMIT = 25
LIST_MAX = 40
TOO_SOON = "Scheduled at The scheduled date must be in the future"
NOT_FOUND = "Record not found"


async def schedule(conn: Any, member_id: int, app_id: int | None, planned: Planned,
                   scheduled_at: datetime, now: datetime,
                   idempotency: str | None = None) -> ScheduledPost:
    """Keep ``planned`` to be posted at ``scheduled_at``, holding its images
    (the member's uploads, kept from expiring until then); the one the same
    Idempotency-Key scheduled already, if any. Run it in a transaction.
    InvalidInput when the time is too soon, a limit is reached or an image
    is not the member's to use."""
    if (planned.visibility is Visibility.DIRECT and planned.in_reply_to_id is None
            and not find_mentions(planned.text)):  # as web.posting.compose refuses it
        raise InvalidInput("text", "A direct post reaches only the people it mentions: "
                           "mention someone with @name or @name@server.")
    _check_time(scheduled_at, now)
    await store.lock_member(conn, member_id)
    if idempotency is not None:
        earlier = await store.by_idempotency(conn, member_id, idempotency)
        if earlier is not None:
            return earlier
    if await store.count_of(conn, member_id) >= TOTAL_LIMIT:
        raise InvalidInput("base", f"You have exceeded the limit of {TOTAL_LIMIT} "
                           "scheduled posts")
    await _check_daily(conn, member_id, scheduled_at)
    kept = await store.insert(conn, member_id, app_id, scheduled_at, planned, idempotency)
    await media.hold_media(conn, member_id, kept.id, planned.media_ids)
    return replace(kept, planned=planned)


async def listed(conn: Any, member_id: int, page: ListPage) -> list[ScheduledPost]:
    """The member's scheduled posts, newest first (by id), a page at a time."""
    capped = ListPage(min(max(page.limit, 1), LIST_MAX), page.max_id, page.since_id,
                      page.min_id)
    return await store.listed(conn, member_id, capped)


async def get(conn: Any, member_id: int, scheduled_id: int) -> ScheduledPost:
    found = await store.get(conn, member_id, scheduled_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def reschedule(conn: Any, member_id: int, scheduled_id: int, scheduled_at: datetime,
                     now: datetime) -> ScheduledPost:
    """Move the member's scheduled post to another time. Run it in a transaction."""
    await get(conn, member_id, scheduled_id)
    _check_time(scheduled_at, now)
    await store.lock_member(conn, member_id)
    await _check_daily(conn, member_id, scheduled_at, leaving_out=scheduled_id)
    moved = await store.reschedule(conn, member_id, scheduled_id, scheduled_at)
    if moved is None:  # published or cancelled meanwhile
        raise NotFound(NOT_FOUND)
    return moved


async def cancel(conn: Any, member_id: int, scheduled_id: int) -> None:
    if not await store.delete(conn, member_id, scheduled_id):
        raise NotFound(NOT_FOUND)


async def claim_due(conn: Any, now: datetime) -> ScheduledPost | None:
    """The next post due that no other process is publishing, held until
    the transaction ends: ``done`` it in that transaction."""
    return await store.claim_due(conn, now)


async def done(conn: Any, scheduled: ScheduledPost) -> None:
    """Forget a claimed post: written, or dropped for good."""
    await store.delete_by_id(conn, scheduled.id)


def _check_time(scheduled_at: datetime, now: datetime) -> None:
    if scheduled_at.tzinfo is None:
        raise InvalidInput("scheduled_at", "scheduled_at must carry a time zone")
    if scheduled_at < now + MIN_OFFSET:
        raise InvalidInput("scheduled_at", TOO_SOON)


async def _check_daily(conn: Any, member_id: int, scheduled_at: datetime,
                       leaving_out: int | None = None) -> None:
    """At most DAILY_LIMIT posts on the (UTC) day of ``scheduled_at``."""
    start = datetime.combine(scheduled_at.astimezone(UTC).date(), time(), UTC)
    if await store.count_between(conn, member_id, start, start + timedelta(days=1),
                                 leaving_out) >= DAILY_LIMIT:
        raise InvalidInput("base", f"You have exceeded the limit of {DAILY_LIMIT} "
                           "scheduled posts for today")
