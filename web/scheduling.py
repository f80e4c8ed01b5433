"""Publishing scheduled posts when they are due: the job ``publish-scheduled``
(web.workers) calls ``publish_due``. Each post is claimed ``FOR UPDATE SKIP
LOCKED``, written through web.posting exactly as an immediate post is (so its
Create is queued, with the images it held attached, mentions notified and
streams told), and its scheduled row deleted in the same transaction: two
processes never publish one twice, and a process that dies mid-way leaves
the row to be published again. A post that can never be written (its reply
target gone, its author suspended, a mention no longer found) is dropped
and the reason logged, never retried."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from typing import Any

import asyncpg

from recovery import media, scheduled, store
from recovery.errors import HearthError, NotFound
from recovery.models import Member, Post, Status
from recovery.scheduled_models import ScheduledPost
from web import posting
from web.social import Site

log = logging.getLogger(__name__)

BATCH_MAX = 100  # a run stops after this many, so a stopping process ends soon


async def publish_due(pool: asyncpg.Pool, site: Site, *, now: datetime | None = None,
                      stop: asyncio.Event | None = None) -> int:
    """Publish the posts due by ``now`` (default: the current time), one
    transaction each; how many were handled (published or dropped)."""
    handled = 0
    while handled < BATCH_MAX and not (stop is not None and stop.is_set()):
        async with pool.acquire() as conn:
            if not await _publish_next(conn, site, now or datetime.now(UTC)):
                break
        handled += 1
    return handled


async def _publish_next(conn: Any, site: Site, now: datetime) -> bool:
    """Publish (or drop) one due post; False when none is due."""
    async with conn.transaction():
        due = await scheduled.claim_due(conn, now)
        if due is None:
            return False
        try:
            async with conn.transaction():  # a failed write leaves nothing behind
                post = await _write(conn, site, due)
            log.info("scheduled post %d published as post %d", due.id, post.id)
        except HearthError as exc:
            log.warning("scheduled post %d of member %d dropped: %s (%s)",
                        due.id, due.member_id, exc, type(exc).__name__)
        await scheduled.done(conn, due)
    return True


async def _write(conn: Any, site: Site, due: ScheduledPost) -> Post:
    member = await _author(conn, due.member_id)
    planned = due.planned

    async def attach(conn: Any, post: Post) -> None:  # before the Create, as statuses do
        await media.attach_media(conn, member.id, post.id, planned.media_ids, due.id)

    with_media = bool(planned.media_ids)
    if planned.in_reply_to_id is not None:
        _, post = await posting.reply(
            conn, site, member, planned.in_reply_to_id, planned.text, planned.summary,
            planned.visibility.value, sensitive=planned.sensitive, language=planned.language,
            on_written=attach, with_media=with_media)
        return post
    return await posting.compose(conn, site, member, planned.text, planned.summary,
                                 planned.visibility.value, sensitive=planned.sensitive,
                                 language=planned.language, on_written=attach,
                                 with_media=with_media)


async def _author(conn: Any, member_id: int) -> Member:
    found = await store.get_credentials_by_id(conn, member_id)
    if found is None or found.member.status is not Status.ACTIVE:
        raise NotFound("the author is no longer an active member")
    return found.member
