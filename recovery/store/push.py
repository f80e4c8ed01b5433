"""SQL for Web Push: the VAPID key pair, subscriptions (one per access
token) and the queue of pushes to send (``push_jobs``, claimed FOR UPDATE
SKIP LOCKED)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta
from typing import Any

from recovery.push_models import PushJob, Subscription, SubscriptionInput, VapidKey
from recovery.store.notifications import _notification

__all__ = ["claim_jobs", "delete_job", "delete_subscription", "get_subscription",
           "get_vapid_key", "insert_vapid_key", "queue_jobs", "retry_job",
           "update_subscription", "upsert_subscription"]

_COLUMNS = "s.id, s.token_id, s.member_id, s.endpoint, s.p256dh, s.auth, s.sealed_token, " \
           "s.alerts, s.policy, s.standard"


def _subscription(row: Any) -> Subscription:
    return Subscription(row["id"], row["token_id"], row["member_id"], row["endpoint"],
                        row["p256dh"], row["auth"], row["sealed_token"],
                        tuple(row["alerts"]), row["policy"], row["standard"])


async def get_vapid_key(conn: Any) -> VapidKey | None:
    row = await conn.fetchrow("SELECT private_key, public_key, token_key FROM push_vapid_key")
    return VapidKey(row["private_key"], row["public_key"], row["token_key"]) if row else None


async def insert_vapid_key(conn: Any, key: VapidKey) -> VapidKey:
    """Store the pair unless one is there already; the stored one either way."""
    await conn.execute(
        """INSERT INTO push_vapid_key (private_key, public_key, token_key)
           VALUES ($1, $2, $3) ON CONFLICT DO NOTHING""",
        key.private_key, key.public_key, key.token_key)
    stored = await get_vapid_key(conn)
    assert stored is not None
    return stored


async def upsert_subscription(
    conn: Any, token_id: int, member_id: int, sealed_token: bytes, given: SubscriptionInput,
) -> Subscription:
    """The token's subscription, replacing one it had (its pending pushes go)."""
    await conn.execute("DELETE FROM push_subscriptions WHERE token_id = $1", token_id)
    row = await conn.fetchrow(
        f"""INSERT INTO push_subscriptions AS s
                (token_id, member_id, sealed_token, endpoint, p256dh, auth, alerts, policy,
                 standard)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
            ON CONFLICT (token_id) DO UPDATE SET  -- a POST at the same moment
                sealed_token = EXCLUDED.sealed_token, endpoint = EXCLUDED.endpoint,
                p256dh = EXCLUDED.p256dh, auth = EXCLUDED.auth, alerts = EXCLUDED.alerts,
                policy = EXCLUDED.policy, standard = EXCLUDED.standard, updated_at = now()
            RETURNING {_COLUMNS}""",
        token_id, member_id, sealed_token, given.endpoint, given.p256dh, given.auth,
        list(given.alerts), given.policy, given.standard)
    return _subscription(row)


async def get_subscription(conn: Any, token_id: int) -> Subscription | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM push_subscriptions s WHERE s.token_id = $1", token_id)
    return _subscription(row) if row else None


async def update_subscription(
    conn: Any, token_id: int, alerts: Sequence[str] | None, policy: str | None,
) -> Subscription | None:
    """New alerts and policy (None: kept as they are)."""
    row = await conn.fetchrow(
        f"""UPDATE push_subscriptions s
            SET alerts = coalesce($2::text[], s.alerts), policy = coalesce($3, s.policy),
                updated_at = now()
            WHERE s.token_id = $1
            RETURNING {_COLUMNS}""",
        token_id, list(alerts) if alerts is not None else None, policy)
    return _subscription(row) if row else None


async def delete_subscription(conn: Any, *, token_id: int | None = None,
                              subscription_id: int | None = None) -> bool:
    result: str = await conn.execute(
        """DELETE FROM push_subscriptions
           WHERE token_id = $1 OR id = $2""", token_id, subscription_id)
    return result.split()[-1] != "0"


# The notification's sender, for the policy: the member follows them
# (``followed``) or they follow the member (``follower``).
_POLICY = """
    (s.policy = 'all'
     OR (s.policy = 'followed' AND EXISTS (
            SELECT 1 FROM follows f
            WHERE f.follower_member_id = n.member_id AND f.state = 'accepted'
              AND (f.followed_member_id = n.from_member_id
                   OR f.followed_remote_id = n.from_remote_id)))
     OR (s.policy = 'follower' AND EXISTS (
            SELECT 1 FROM follows f
            WHERE f.followed_member_id = n.member_id AND f.state = 'accepted'
              AND (f.follower_member_id = n.from_member_id
                   OR f.follower_remote_id = n.from_remote_id))))
"""


async def queue_jobs(conn: Any, notification_id: int, alert: str) -> int:
    """A push for each subscription of the notified member that wants this
    alert and whose policy lets its sender through."""
    result: str = await conn.execute(
        f"""INSERT INTO push_jobs (subscription_id, notification_id)
            SELECT s.id, n.id FROM notifications n
            JOIN push_subscriptions s ON s.member_id = n.member_id
            WHERE n.id = $1 AND $2 = ANY(s.alerts) AND {_POLICY}
            ON CONFLICT DO NOTHING""",
        notification_id, alert)
    return int(result.split()[-1])


async def claim_jobs(conn: Any, limit: int, lease: timedelta) -> list[PushJob]:
    """Due pushes, each moved ``lease`` on (so another process
    leaves it alone while this one sends it) with its attempt counted."""
    rows = await conn.fetch(
        f"""WITH due AS (
                SELECT j.id FROM push_jobs j
                WHERE j.next_attempt_at <= now()
                ORDER BY j.next_attempt_at, j.id
                LIMIT $1
                FOR UPDATE SKIP LOCKED)
            UPDATE push_jobs j SET attempts = j.attempts + 1,
                                   next_attempt_at = now() + $2::interval
            FROM due, push_subscriptions s, notifications n
            WHERE j.id = due.id AND s.id = j.subscription_id AND n.id = j.notification_id
            RETURNING j.id AS job_id, j.attempts, {_COLUMNS},
                      n.id AS n_id, n.member_id AS n_member_id, n.kind, n.from_member_id,
                      n.from_remote_id, n.post_id, n.payload, n.created_at, n.read_at,
                      n.dismissed""",
        limit, lease)
    return [PushJob(r["job_id"], r["attempts"], _subscription(r), _notification({
        **dict(r), "id": r["n_id"], "member_id": r["n_member_id"]})) for r in rows]


async def delete_job(conn: Any, job_id: int) -> None:
    await conn.execute("DELETE FROM push_jobs WHERE id = $1", job_id)


async def retry_job(conn: Any, job_id: int, delay: timedelta) -> None:
    await conn.execute(
        "UPDATE push_jobs SET next_attempt_at = now() + $2::interval WHERE id = $1",
        job_id, delay)
