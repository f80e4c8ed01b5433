"""SQL of the inbox: the queue of received activities, stored by ``receive``
and claimed by the worker (``FOR UPDATE SKIP LOCKED``, with a lease)."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any


async def store_activity(
    conn: Any, activity_id: str, actor_uri: str, activity_type: str, payload: bytes
) -> bool:
    """Store a verified activity once; False when its id was seen before."""
    stored = await conn.fetchval(
        """INSERT INTO inbox_activities (activity_id, actor_uri, activity_type, payload)
           VALUES ($1, $2, $3, $4::jsonb)
           ON CONFLICT (activity_id) DO NOTHING RETURNING true""",
        activity_id, actor_uri, activity_type, payload.decode("utf-8"),
    )
    return bool(stored)


async def store_activity_signed_by(
    conn: Any, activity_id: str, actor_uri: str, activity_type: str, payload: bytes,
    key_id: str, public_key_pem: str,
) -> bool | None:
    """``store_activity``, provided the database still holds ``key_id`` as
    ``actor_uri``'s key with this PEM and the actor is not gone: checked and
    stored in one statement. None when it does not (nothing is stored)."""
    row = await conn.fetchrow(
        """WITH signer AS (
             SELECT FROM remote_actors
             WHERE key_id = $5 AND uri = $2 AND public_key_pem = $6 AND gone_at IS NULL),
           stored AS (
             INSERT INTO inbox_activities (activity_id, actor_uri, activity_type, payload)
             SELECT $1, $2, $3, $4::jsonb WHERE EXISTS (SELECT FROM signer)
             ON CONFLICT (activity_id) DO NOTHING RETURNING true)
           SELECT EXISTS (SELECT FROM signer) AS current, EXISTS (SELECT FROM stored) AS stored""",
        activity_id, actor_uri, activity_type, payload.decode("utf-8"), key_id, public_key_pem,
    )
    return bool(row["stored"]) if row["current"] else None


# -- the worker's queue ----------------------------------------------------------

LEASE = timedelta(minutes=2)  # a claimed row comes back after this if its worker died
MAX_ATTEMPTS = 10
ERROR_MAX = 300  # characters of last_error kept


@dataclass(frozen=True, slots=True)
class StoredActivity:
    """A claimed row: ``attempts`` counts this attempt too."""

    id: int
    activity_id: str
    actor_uri: str
    activity_type: str
    payload: Any  # the JSON as received (a dict, unless the sender sent otherwise)
    attempts: int


async def claim_activities(
    conn: Any, limit: int, lane: int = 0, lanes: int = 1,
) -> list[StoredActivity]:
    """Claim up to ``limit`` unprocessed, due activities, oldest first. Each
    claim counts as an attempt and leases the row for LEASE: another worker
    skips it meanwhile, and it comes back by itself if this one dies.

    With ``lanes`` > 1 only the activities of actors hashed to ``lane`` are
    claimed: lanes of one process run side by side, and every activity of
    one actor goes through the same lane, in order."""
    rows = await conn.fetch(
        """WITH due AS (
             SELECT id FROM inbox_activities
             WHERE processed_at IS NULL AND next_attempt_at <= now()
               AND ($3 = 1 OR (hashtext(actor_uri)::bigint & 2147483647) % $3 = $4)
             ORDER BY id LIMIT $1
             FOR UPDATE SKIP LOCKED)
           UPDATE inbox_activities a
           SET attempts = a.attempts + 1, next_attempt_at = now() + $2::interval
           FROM due WHERE a.id = due.id
           RETURNING a.id, a.activity_id, a.actor_uri, a.activity_type, a.payload, a.attempts""",
        limit, LEASE, lanes, lane,
    )
    return sorted((StoredActivity(r["id"], r["activity_id"], r["actor_uri"],
                                  r["activity_type"], json.loads(r["payload"]), r["attempts"])
                   for r in rows), key=lambda item: item.id)


async def mark_processed(conn: Any, row_id: int, error: str | None = None) -> None:
    """Done with the row; ``error`` says why it was refused or given up on."""
    await conn.execute(
        """UPDATE inbox_activities SET processed_at = now(), last_error = $2
           WHERE id = $1""",
        row_id, _clip(error),
    )


# One savepoint per activity in a batch's transaction. Moving it on is one
# round trip (two statements sent as one simple query); it is released each
# time, so subtransactions never pile up in the batch.
_ITEM = "inbox_item"


async def start_item(conn: Any, *, first: bool) -> None:
    """Mark the point ``undo_item`` goes back to: before the next activity."""
    await conn.execute(f"SAVEPOINT {_ITEM}" if first
                       else f"RELEASE SAVEPOINT {_ITEM}; SAVEPOINT {_ITEM}")


async def undo_item(conn: Any) -> None:
    """Undo whatever the current activity changed (the batch's earlier ones stay)."""
    await conn.execute(f"ROLLBACK TO SAVEPOINT {_ITEM}")


async def mark_processed_many(conn: Any, rows: list[tuple[int, str | None]]) -> None:
    """``mark_processed`` for many rows in one statement: (row id, error)."""
    if rows:
        await conn.execute(
            """UPDATE inbox_activities a SET processed_at = now(), last_error = d.error
               FROM unnest($1::bigint[], $2::text[]) AS d(id, error)
               WHERE a.id = d.id""",
            [row_id for row_id, _ in rows], [_clip(error) for _, error in rows],
        )


async def schedule_retry(
    conn: Any, row_id: int, at: datetime, error: str, max_attempts: int = MAX_ATTEMPTS
) -> bool:
    """Try the row again at ``at``; once it has had ``max_attempts`` attempts
    it is given up instead (processed, with ``error`` kept). False then."""
    retrying: bool | None = await conn.fetchval(
        """UPDATE inbox_activities
           SET last_error = $3, next_attempt_at = $2,
               processed_at = CASE WHEN attempts >= $4 THEN now() END
           WHERE id = $1 AND processed_at IS NULL
           RETURNING processed_at IS NULL""",
        row_id, at, _clip(error), max_attempts,
    )
    return bool(retrying)


def _clip(error: str | None) -> str | None:
    return error if error is None or len(error) <= ERROR_MAX else error[:ERROR_MAX - 1] + "…"
