"""SQL for clients' Idempotency-Keys: which post a key made, for an hour."""

from __future__ import annotations

from typing import Any

__all__ = ["claim_key", "post_of_key"]


async def post_of_key(conn: Any, token_id: int, key: str) -> int | None:
    """The post the key made within the last hour, if any."""
    post_id: int | None = await conn.fetchval(
        """SELECT post_id FROM idempotency_keys
           WHERE token_id = $1 AND key = $2 AND created_at > now() - interval '1 hour'""",
        token_id, key)
    return post_id


async def claim_key(conn: Any, token_id: int, key: str, post_id: int) -> bool:
    """Name ``post_id`` as what the key made; False when a request with the
    same key made a post within the hour (the caller rolls back)."""
    claimed = await conn.fetchval(
        """INSERT INTO idempotency_keys (token_id, key, post_id) VALUES ($1, $2, $3)
           ON CONFLICT (token_id, key) DO UPDATE
               SET post_id = excluded.post_id, created_at = now()
               WHERE idempotency_keys.created_at <= now() - interval '1 hour'
           RETURNING true""",
        token_id, key, post_id)
    return bool(claimed)
