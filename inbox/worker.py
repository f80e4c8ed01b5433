"""The inbox worker: claims stored activities and hands each to its handler.

``process_batch`` claims a batch in a short transaction (``FOR UPDATE SKIP
LOCKED``, each row leased for a while, so several workers never take the
same row and a dead worker's rows come back), then runs every activity in a
transaction of its own: the handler's change, what it queues for delivery
and the row marked processed commit together, or none of them does.

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


async def process_batch(pool: Any, fetcher: RemoteFetcher, base_url: str, limit: int = 100) -> int:
    """Claim up to ``limit`` due activities and process each; how many were
    claimed (0: nothing to do)."""
    async with pool.acquire() as conn:
        async with conn.transaction():
            claimed = await store.claim_activities(conn, limit)
        if claimed:
            blocked = await peers.blocked_domains(conn)
            fetcher = dataclasses.replace(
                fetcher, policy=dataclasses.replace(fetcher.policy, blocked_domains=blocked))
        for item in claimed:
            await _process(conn, fetcher, base_url.rstrip("/"), item)
    return len(claimed)


async def _process(conn: Any, fetcher: RemoteFetcher, base: str, item: StoredActivity) -> None:
    if item.attempts > store.MAX_ATTEMPTS:  # every lease ran out: its worker died each time
        log.error("inbox: gave up on %s %s after %d attempts, each ended by a stopped worker",
                  item.activity_type, item.activity_id, item.attempts - 1)
        await store.mark_processed(conn, item.id, "gave up: a worker stopped while handling it")
        return
    try:
        async with conn.transaction():
            outcome = await _handle(conn, fetcher, base, item)
            await store.mark_processed(conn, item.id)
    except FetchFailed as exc:
        await _retry(conn, item, f"a remote server is unavailable: {exc.reason}",
                     store.MAX_ATTEMPTS, exc)
    except (Dropped, FederationError, HearthError) as exc:
        reason = getattr(exc, "reason", None) or str(exc)
        log.warning("inbox: dropped %s %s from %s: %s", item.activity_type, item.activity_id,
                    item.actor_uri, reason)
        await store.mark_processed(conn, item.id, f"dropped: {reason}")
    except Exception as exc:
        await _retry(conn, item, f"{type(exc).__name__}: {exc}", BUG_ATTEMPTS, exc)
    else:
        log.info("inbox: %s %s from %s: %s", item.activity_type, item.activity_id,
                 item.actor_uri, outcome)


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
