"""The inbox worker: claims stored activities and hands each to its handler.

``process_batch`` claims a batch in a short transaction (``FOR UPDATE SKIP
LOCKED``, each row leased for a while, so several workers never take the
same row and a dead worker's rows come back), then runs the batch's
activities one after another, in the order they were received, in one
transaction: a savepoint before each activity, rolled back to when its
handler raises, so the handler's change and what it queues for delivery
are kept together or not at all, and the rows are marked processed in that
same transaction. One commit per batch instead of one per activity: a commit
waits for the disk, and that wait bounded the worker. If the transaction
fails, nothing of the batch is kept and its rows come back with their lease.

What becomes of an activity:

    unreadable, not the one verified   dropped (processed, last_error says why)
    type not in the handler table      dropped, logged at info: never an error
    object not from the actor's origin dropped, logged (RELIABILITY.md 17)
    actor's domain blocked, actor gone dropped, logged
    handler raises FetchFailed         tried again later, backing off, up to
                                       store.MAX_ATTEMPTS attempts
    handler raises another federation  dropped: what it needed is gone or
    or domain error                    unusable
    handler raises anything else       logged with its cause, tried again
                                       BUG_ATTEMPTS times, then given up

Logs name the activity's id, type and actor, never its content. A database
that stops answering ends the batch; the job loop retries, and the rows the
batch held come back when their lease ends.
"""

from __future__ import annotations

import dataclasses
import logging
from datetime import UTC, datetime, timedelta
from typing import Any

from federation.activities import Activity, origin_ok, parse_activity
from federation.addresses import is_blocked, origin_of
from federation.errors import FederationError, FetchFailed, InvalidDocument
from inbox import handlers, store
from inbox.remote import RemoteFetcher, resolve_actor
from inbox.store import StoredActivity
from recovery import peers
from recovery.errors import HearthError

log = logging.getLogger(__name__)

BUG_ATTEMPTS = 3
RETRY_FIRST = timedelta(minutes=1)
RETRY_LONGEST = timedelta(hours=6)


class Dropped(Exception):
    """An activity refused as it stands; ``reason`` is kept and logged."""


async def process_batch(
    pool: Any, fetcher: RemoteFetcher, base_url: str, limit: int = 100,
    *, lane: int = 0, lanes: int = 1,
) -> int:
    """Claim up to ``limit`` due activities (of the actors in ``lane`` of
    ``lanes``, see ``store.claim_activities``) and process each; how many
    were claimed (0: nothing to do)."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            claimed = await store.claim_activities(conn, limit, lane, lanes)
        if not claimed:
            return 0
        blocked = await peers.blocked_domains(conn)
        fetcher = dataclasses.replace(
            fetcher, policy=dataclasses.replace(fetcher.policy, blocked_domains=blocked))
        batch = _Batch()
        async with conn.transaction():
            for item in claimed:
                await _process(conn, fetcher, base_url.rstrip("/"), item, batch)
            await store.mark_processed_many(conn, batch.finished)
        for args in batch.handled:
            log.info("inbox: %s %s from %s: %s", *args)
    return len(claimed)


@dataclasses.dataclass
class _Batch:
    """What a batch did, written or logged once its transaction commits."""

    finished: list[tuple[int, str | None]] = dataclasses.field(default_factory=list)
    handled: list[tuple[str, str, str, str]] = dataclasses.field(default_factory=list)
    savepoint: bool = False  # whether the batch's savepoint exists yet


async def _process(
    conn: Any, fetcher: RemoteFetcher, base: str, item: StoredActivity, batch: _Batch
) -> None:
    """One activity, after a savepoint in the batch's transaction: what its
    handler changed and queued is kept, or (when it raises) none of it."""
    if item.attempts > store.MAX_ATTEMPTS:  # every lease ran out: its worker died each time
        log.error("inbox: gave up on %s %s after %d attempts, each ended by a stopped worker",
                  item.activity_type, item.activity_id, item.attempts - 1)
        batch.finished.append((item.id, "gave up: a worker stopped while handling it"))
        return
    await store.start_item(conn, first=not batch.savepoint)
    batch.savepoint = True
    try:
        outcome = await _handle(conn, fetcher, base, item)
    except FetchFailed as exc:
        await store.undo_item(conn)
        await _retry(conn, item, f"a remote server is unavailable: {exc.reason}",
                     store.MAX_ATTEMPTS, exc)
    except (Dropped, FederationError, HearthError) as exc:
        await store.undo_item(conn)
        reason = getattr(exc, "reason", None) or str(exc)
        log.warning("inbox: dropped %s %s from %s: %s", item.activity_type, item.activity_id,
                    item.actor_uri, reason)
        batch.finished.append((item.id, f"dropped: {reason}"))
    except Exception as exc:
        await store.undo_item(conn)
        await _retry(conn, item, f"{type(exc).__name__}: {exc}", BUG_ATTEMPTS, exc)
    else:
        batch.finished.append((item.id, None))
        batch.handled.append((item.activity_type, item.activity_id, item.actor_uri, outcome))


async def _handle(conn: Any, fetcher: RemoteFetcher, base: str, item: StoredActivity) -> str:
    activity = _parsed(item)
    handler = handlers.handler_for(activity)
    if handler is None:
        return f"ignored: no handler for {activity.type}/{activity.raw_type_of_object or 'id'}"
    if not origin_ok(activity):
        raise Dropped("what it changes is not on its actor's server (RELIABILITY 17)")
    if is_blocked(origin_of(activity.actor)[1], fetcher.policy.blocked_domains):
        raise Dropped("the actor's domain is blocked")
    actor = await resolve_actor(conn, fetcher, activity.actor)
    if actor.gone:
        raise Dropped("the actor is gone")
    return await handler(handlers.Inbound(conn, fetcher, base, activity, item.payload, actor))


def _parsed(item: StoredActivity) -> Activity:
    activity = parse_activity(item.payload)
    if activity.id != item.activity_id or activity.actor != item.actor_uri:
        raise InvalidDocument("not the activity that was verified")
    return activity


async def _retry(
    conn: Any, item: StoredActivity, error: str, max_attempts: int, exc: Exception
) -> None:
    at = datetime.now(UTC) + min(RETRY_FIRST * 2 ** (item.attempts - 1), RETRY_LONGEST)
    again = await store.schedule_retry(conn, item.id, at, error, max_attempts)
    expected = isinstance(exc, FetchFailed)
    log.log(logging.WARNING if expected and again else logging.ERROR,
            "inbox: %s %s from %s failed (attempt %d of %d), %s: %s",
            item.activity_type, item.activity_id, item.actor_uri, item.attempts, max_attempts,
            f"next try at {at:%H:%M:%S}" if again else "given up", error[:store.ERROR_MAX],
            exc_info=None if expected else exc)
