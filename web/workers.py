"""Background jobs, run inside ``hearth serve`` or alone by ``hearth worker``.

Each job is a coroutine taking a connection; every process may run every job,
since they coordinate through the database (the federation issue adds the
inbox and delivery queues, claimed with ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx2

from inbox import worker as inbox_worker
from inbox.remote import RemoteFetcher
from outbox import delivery
from outbox import store as outbox_store
from recovery import actors as recovery_actors
from recovery import media as recovery_media
from recovery import members, store
from recovery import progress as recovery_progress
from web import polls as web_polls
from web import push_sender, scheduling
from web.settings import Settings
from web.social import Site

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds between runs
    run: Callable[..., Awaitable[int]]  # returns how many items it handled
    # False: ``run(conn)``. True: ``run(pool, context)``, for jobs that talk to
    # other servers; they run only where a JobContext is given.
    needs_context: bool = False


@dataclass(frozen=True)
class JobContext:
    """What jobs that reach other servers need: the shared HTTP client, the
    settings, and the event that asks long runs to stop early."""

    http: httpx2.AsyncClient
    settings: Settings
    stop: asyncio.Event
    fetcher: RemoteFetcher | None = None  # the app's, signing as the instance actor


async def _expire_sessions(conn: Any) -> int:
    return await store.delete_expired_sessions(conn)


async def _forget_deleted_members(conn: Any) -> int:
    """Deleted members' keys go once the Deletes they sign are all sent."""
    return await members.purge_removed(conn)


async def _deliver(pool: asyncpg.Pool, context: JobContext) -> int:
    return await delivery.deliver_until_idle(pool, context.http, context.settings, context.stop)


async def _expire_deliveries(pool: asyncpg.Pool, context: JobContext) -> int:
    """Fail what waits past the retry window for an unavailable host; drop
    finished deliveries after a week. Runs beside the delivery job."""
    async with pool.acquire() as conn:
        failed, deleted = await outbox_store.expire_deliveries(
            conn, delivery.RETRY_WINDOW, timedelta(days=7))
    return failed + deleted


INBOX_BATCH = 20  # small enough that a stopping process finishes its batch soon
# Batches mostly wait on database round trips, so two run side by side; each
# lane takes the activities of its own actors, so one actor's stay in order.
INBOX_LANES = 2


async def _process_inbox(pool: asyncpg.Pool, context: JobContext) -> int:
    """Process received activities batch after batch while any is due, in
    INBOX_LANES lanes at once; once none is, the loop waits its interval (an
    idle inbox is polled each second)."""
    fetcher = await _remote_fetcher(pool, context)

    async def lane(number: int) -> int:
        handled = 0
        while not context.stop.is_set():
            batch = await inbox_worker.process_batch(
                pool, fetcher, context.settings.url, INBOX_BATCH,
                lane=number, lanes=INBOX_LANES)
            handled += batch
            if batch == 0:
                break
        return handled

    return sum(await asyncio.gather(*(lane(n) for n in range(INBOX_LANES))))


async def _remote_fetcher(pool: asyncpg.Pool, context: JobContext) -> RemoteFetcher:
    """Fetches signed by the instance actor, on the context's client: the
    app's own ``app.state.fetcher`` when the context carries it."""
    if context.fetcher is not None:
        return context.fetcher
    from web.app import _fetch_policy, _instance_signer  # web.app imports this module

    async with pool.acquire() as conn:
        keys = await recovery_actors.instance_keys(conn)
    return RemoteFetcher(context.http, _fetch_policy(context.settings),
                         _instance_signer(context.settings, keys.private_key_pem))


async def _expire_media(pool: asyncpg.Pool, context: JobContext) -> int:
    """Uploads never attached within a day, and those of deleted posts, go
    with their files."""
    files = recovery_media.MediaStore(context.settings.media_path)
    async with pool.acquire() as conn:
        return await recovery_media.expire(conn, files)


async def _publish_scheduled(pool: asyncpg.Pool, context: JobContext) -> int:
    """Write the scheduled posts that are due, as immediate ones are written."""
    fetcher = await _remote_fetcher(pool, context)
    site = Site(context.settings.url, context.settings.domain, fetcher)
    return await scheduling.publish_due(pool, site, stop=context.stop)


async def _end_polls(pool: asyncpg.Pool, context: JobContext) -> int:
    """Polls whose time is up end: ``poll`` notifications, final counts sent."""
    fetcher = await _remote_fetcher(pool, context)
    site = Site(context.settings.url, context.settings.domain, fetcher)
    return await web_polls.finish_due(pool, site)


async def _send_pushes(pool: asyncpg.Pool, context: JobContext) -> int:
    """Web Push messages for new notifications, to the members' apps."""
    return await push_sender.send_until_idle(pool, context.http, context.settings,
                                             context.stop)


async def _check_milestones(conn: Any) -> int:
    """Record (and notify) the milestones of every streak that has come to
    one; the progress page checks its own member's on view too."""
    async with conn.transaction():
        return await recovery_progress.check_due(conn, datetime.now(UTC))


JOBS: tuple[Job, ...] = (
    Job("expire-sessions", 3600.0, _expire_sessions),
    Job("check-milestones", 60.0, _check_milestones),
    Job("forget-deleted-members", 600.0, _forget_deleted_members),
    Job("process-inbox", 1.0, _process_inbox, needs_context=True),
    Job("deliver", 1.0, _deliver, needs_context=True),
    Job("expire-deliveries", 600.0, _expire_deliveries, needs_context=True),
    Job("expire-media", 3600.0, _expire_media, needs_context=True),
    Job("send-pushes", 1.0, _send_pushes, needs_context=True),
    Job("publish-scheduled", 10.0, _publish_scheduled, needs_context=True),
    Job("end-polls", 30.0, _end_polls, needs_context=True),
)


async def run_once(
    pool: asyncpg.Pool, jobs: tuple[Job, ...] = JOBS, context: JobContext | None = None
) -> dict[str, int]:
    """Run every job once (those needing a context only when given one);
    what tests and ``run_forever`` call."""
    done = {}
    for job in jobs:
        if context is not None or not job.needs_context:
            done[job.name] = await _run(pool, job, context)
    return done


async def run_forever(
    pool: asyncpg.Pool, stop: asyncio.Event, jobs: tuple[Job, ...] = JOBS,
    context: JobContext | None = None,
) -> None:
    runnable = [job for job in jobs if context is not None or not job.needs_context]
    await asyncio.gather(*(_loop(pool, stop, job, context) for job in runnable))


async def _run(pool: asyncpg.Pool, job: Job, context: JobContext | None) -> int:
    if job.needs_context:
        return await job.run(pool, context)
    async with pool.acquire() as conn:
        return await job.run(conn)


async def _loop(
    pool: asyncpg.Pool, stop: asyncio.Event, job: Job, context: JobContext | None
) -> None:
    while not stop.is_set():
        try:
            handled = await _run(pool, job, context)
            if handled:
                log.info("job %s handled %d item(s)", job.name, handled)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                asyncpg.InternalClientError) as exc:
            log.warning("job %s: database unavailable, will retry: %r", job.name, exc)
        except Exception:
            # A bug in one run must not end the job for the life of the
            # process: log it with its traceback and run again next interval.
            log.exception("job %s failed; it runs again in %gs", job.name, job.interval)
        try:
            await asyncio.wait_for(stop.wait(), timeout=job.interval)
        except TimeoutError:
            pass
