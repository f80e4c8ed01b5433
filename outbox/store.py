"""SQL of the outbox: the deliveries queue and the peer hosts' health."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from typing import Any


async def queue_deliveries(
    conn: Any, activity_id: str, payload: dict[str, Any], signer_member_id: int | None,
    targets: Iterable[tuple[str, str]],
) -> int:
    """One delivery per (inbox, host); an inbox already queued for this
    activity is not queued twice. Returns how many were queued."""
    rows = list(targets)
    if not rows:
        return 0
    queued: int = await conn.fetchval(
        """WITH t AS (SELECT * FROM unnest($4::text[], $5::text[]) AS t(inbox, host))
           , ins AS (
             INSERT INTO deliveries (activity_id, inbox, host, signer_member_id, payload)
             SELECT $1, t.inbox, t.host, $2, $3::jsonb FROM t
             ON CONFLICT (activity_id, inbox) DO NOTHING RETURNING 1)
           SELECT count(*) FROM ins""",
        activity_id, signer_member_id, json.dumps(payload),
        [inbox for inbox, _ in rows], [host for _, host in rows],
    )
    return queued


# -- the delivery worker's side -------------------------------------------------


@dataclass(frozen=True)
class Delivery:
    """One claimed delivery. ``body`` is the payload as PostgreSQL stores it,
    sent and signed byte for byte; it may be followers-only, so it is kept
    out of ``repr`` (and so out of logs)."""

    id: int
    activity_id: str
    inbox: str
    host: str
    signer_member_id: int | None
    attempts: int  # this attempt included
    created_at: datetime
    body: bytes = field(repr=False)


@dataclass(frozen=True)
class SigningKey:
    """Who signs: a member (``username``) or the instance actor (None)."""

    username: str | None
    private_key_pem: str = field(repr=False)


@dataclass(frozen=True)
class QueueStats:
    """What ``hearth federation status`` prints."""

    waiting: int  # neither delivered nor failed
    due: int  # waiting, and due now
    held: int  # waiting for a host marked unavailable
    oldest_waiting_at: datetime | None
    delivered_last_day: int
    failed_last_day: int
    failing_hosts: int  # with failure days and no success since
    unavailable_hosts: tuple[tuple[str, datetime], ...]  # (host, since), oldest first


async def claim_deliveries(conn: Any, limit: int, lease: timedelta) -> list[Delivery]:
    """Lock up to ``limit`` due deliveries (SKIP LOCKED: other workers take
    others), count the attempt and push ``next_attempt_at`` out by ``lease``,
    all in one statement. The caller records an outcome before the lease ends;
    a worker that dies first leaves the row to be claimed again after it
    (at least once). Hosts marked unavailable are skipped. Rows come grouped by
    host (within deliveries queued together), so one connection serves many."""
    rows = await conn.fetch(
        """WITH due AS (
              SELECT d.id FROM deliveries d
              WHERE d.delivered_at IS NULL AND d.failed_at IS NULL AND d.next_attempt_at <= now()
                AND d.host NOT IN (SELECT host FROM peer_hosts WHERE unavailable_since IS NOT NULL)
              ORDER BY d.next_attempt_at, d.host
              LIMIT $1
              FOR UPDATE OF d SKIP LOCKED)
            UPDATE deliveries d
            SET attempts = d.attempts + 1, next_attempt_at = now() + $2::interval
            FROM due WHERE d.id = due.id
            RETURNING d.id, d.activity_id, d.inbox, d.host, d.signer_member_id,
                      d.attempts, d.created_at, d.payload::text AS body""",
        limit, lease,
    )
    deliveries = [
        Delivery(r["id"], r["activity_id"], r["inbox"], r["host"], r["signer_member_id"],
                 r["attempts"], r["created_at"], r["body"].encode())
        for r in rows
    ]
    deliveries.sort(key=lambda d: (d.host, d.id))
    return deliveries


async def signing_keys(
    conn: Any, member_ids: Iterable[int | None]
) -> dict[int | None, SigningKey]:
    """The private keys that sign these members' deliveries; the key None is
    the instance actor's. Members without a key are missing from the answer."""
    wanted = set(member_ids)
    keys: dict[int | None, SigningKey] = {}
    members = [member_id for member_id in wanted if member_id is not None]
    if members:
        rows = await conn.fetch(
            """SELECT m.id, m.username, k.private_key_pem
               FROM members m JOIN member_keys k ON k.member_id = m.id
               WHERE m.id = ANY($1::bigint[])""",
            members,
        )
        keys.update({r["id"]: SigningKey(r["username"], r["private_key_pem"]) for r in rows})
    if None in wanted:
        pem = await conn.fetchval("SELECT private_key_pem FROM instance_actor")
        if pem is not None:
            keys[None] = SigningKey(None, pem)
    return keys


async def mark_delivered(conn: Any, delivery_ids: Sequence[int]) -> None:
    if delivery_ids:
        await conn.execute(
            """UPDATE deliveries SET delivered_at = now(), last_error = NULL
               WHERE id = ANY($1::bigint[])""",
            list(delivery_ids),
        )


async def schedule_retries(conn: Any, retries: Sequence[tuple[int, datetime, str]]) -> None:
    """Each (delivery id, when, error): tried again then, the error kept."""
    if retries:
        await conn.execute(
            """UPDATE deliveries d SET next_attempt_at = r.at, last_error = r.error
               FROM unnest($1::bigint[], $2::timestamptz[], $3::text[]) AS r(id, at, error)
               WHERE d.id = r.id""",
            [r[0] for r in retries], [r[1] for r in retries], [r[2] for r in retries],
        )


async def mark_failed_many(conn: Any, failures: Sequence[tuple[int, str]]) -> None:
    """Each (delivery id, error): failed for good."""
    if failures:
        await conn.execute(
            """UPDATE deliveries d SET failed_at = now(), last_error = f.error
               FROM unnest($1::bigint[], $2::text[]) AS f(id, error)
               WHERE d.id = f.id""",
            [f[0] for f in failures], [f[1] for f in failures],
        )


async def mark_inbox_gone(conn: Any, inbox: str) -> None:
    """The inbox answered 410: the actor it belongs to has been deleted."""
    await conn.execute(
        "UPDATE remote_actors SET gone_at = now() WHERE inbox = $1 AND gone_at IS NULL", inbox
    )


async def record_host_failure(
    conn: Any, host: str, day: date, *, threshold: int = 3, window_days: int = 7
) -> bool:
    """Note that ``host`` failed on ``day`` (a UTC date); days older than the
    window are forgotten. Once it has failed on ``threshold`` distinct days
    within the window (with no success since, which clears them) it is marked
    unavailable. Returns whether it is unavailable now."""
    unavailable: bool = await conn.fetchval(
        """INSERT INTO peer_hosts AS p (host, failure_days) VALUES ($1, ARRAY[$2::date])
           ON CONFLICT (host) DO UPDATE SET
             failure_days = ARRAY(SELECT DISTINCT f FROM unnest(p.failure_days || $2::date) f
                                  WHERE f > $2::date - $4::int ORDER BY f),
             unavailable_since = CASE
               WHEN (SELECT count(DISTINCT f) FROM unnest(p.failure_days || $2::date) f
                     WHERE f > $2::date - $4::int) >= $3
               THEN coalesce(p.unavailable_since, now())
               ELSE p.unavailable_since END
           RETURNING p.unavailable_since IS NOT NULL""",
        host, day, threshold, window_days,
    )
    return unavailable


async def record_host_success(conn: Any, hosts: str | Iterable[str]) -> None:
    """``hosts`` answered (or sent us a signed request): clear their failure
    days and make them available again. A host is spelled as in
    ``deliveries.host``: ``federation.addresses.origin_of(url)[1]``, with the
    port when it is not the default. Cheap to call often: a host with nothing
    to clear is written at most once a minute."""
    names = [hosts] if isinstance(hosts, str) else sorted(set(hosts))
    if not names:
        return
    await conn.execute(
        """INSERT INTO peer_hosts AS p (host, last_success_at)
           SELECT h, now() FROM unnest($1::text[]) AS h
           ON CONFLICT (host) DO UPDATE SET
             failure_days = '{}', unavailable_since = NULL, last_success_at = now()
           WHERE p.failure_days <> '{}' OR p.unavailable_since IS NOT NULL
              OR p.last_success_at IS NULL OR p.last_success_at < now() - interval '1 minute'""",
        names,
    )


async def expire_deliveries(conn: Any, window: timedelta, keep: timedelta) -> tuple[int, int]:
    """Housekeeping: deliveries waiting longer than ``window`` for a host
    that is unavailable fail; finished deliveries older than ``keep`` are
    deleted. Returns (failed, deleted)."""
    failed = await conn.fetchval(
        """WITH f AS (
              UPDATE deliveries d SET failed_at = now(), last_error = 'host unavailable'
              WHERE d.delivered_at IS NULL AND d.failed_at IS NULL
                AND d.created_at < now() - $1::interval
                AND EXISTS (SELECT 1 FROM peer_hosts p
                            WHERE p.host = d.host AND p.unavailable_since IS NOT NULL)
              RETURNING 1)
            SELECT count(*) FROM f""",
        window,
    )
    deleted = await conn.fetchval(
        """WITH gone AS (
             DELETE FROM deliveries WHERE id IN (
               SELECT id FROM deliveries
               WHERE coalesce(delivered_at, failed_at) < now() - $1::interval LIMIT 10000)
             RETURNING 1)
           SELECT count(*) FROM gone""",
        keep,
    )
    return failed, deleted


async def queue_stats(conn: Any) -> QueueStats:
    waiting = await conn.fetchrow(
        """SELECT count(*) AS waiting,
                  count(*) FILTER (WHERE d.next_attempt_at <= now()) AS due,
                  count(*) FILTER (WHERE p.unavailable_since IS NOT NULL) AS held,
                  min(d.created_at) AS oldest
           FROM deliveries d LEFT JOIN peer_hosts p ON p.host = d.host
           WHERE d.delivered_at IS NULL AND d.failed_at IS NULL"""
    )
    finished = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE delivered_at > now() - interval '1 day') AS delivered,
                  count(*) FILTER (WHERE failed_at > now() - interval '1 day') AS failed
           FROM deliveries WHERE delivered_at IS NOT NULL OR failed_at IS NOT NULL"""
    )
    failing = await conn.fetchval("SELECT count(*) FROM peer_hosts WHERE failure_days <> '{}'")
    unavailable = await conn.fetch(
        """SELECT host, unavailable_since FROM peer_hosts
           WHERE unavailable_since IS NOT NULL ORDER BY unavailable_since, host"""
    )
    return QueueStats(
        waiting["waiting"], waiting["due"], waiting["held"], waiting["oldest"],
        finished["delivered"], finished["failed"], failing,
        tuple((r["host"], r["unavailable_since"]) for r in unavailable),
    )
