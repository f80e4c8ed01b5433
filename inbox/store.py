"""SQL of the inbox: remote actors' keys, domain blocks, received activities."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class RemoteKey:
    key_id: str
    owner: str
    public_key_pem: str
    fetched_at: datetime


async def get_key(conn: Any, key_id: str) -> RemoteKey | None:
    row = await conn.fetchrow(
        """SELECT key_id, uri, public_key_pem, fetched_at FROM remote_actors
           WHERE key_id = $1 AND gone_at IS NULL AND public_key_pem IS NOT NULL""",
        key_id,
    )
    return RemoteKey(row["key_id"], row["uri"], row["public_key_pem"],
                     row["fetched_at"]) if row else None


async def save_actor(
    conn: Any, uri: str, key_id: str | None, public_key_pem: str | None, host: str,
    actor_type: str, inbox: str | None, shared_inbox: str | None, document: dict[str, Any],
) -> RemoteKey | None:
    """Insert or refresh a remote actor; its key as now stored."""
    # A key id moves with its actor: free it from any other row first.
    await conn.execute(
        "UPDATE remote_actors SET key_id = NULL WHERE key_id = $1 AND uri <> $2", key_id, uri
    )
    row = await conn.fetchrow(
        """INSERT INTO remote_actors (uri, key_id, public_key_pem, host, type, inbox,
                                      shared_inbox, document)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb)
           ON CONFLICT (uri) DO UPDATE SET
             key_id = EXCLUDED.key_id, public_key_pem = EXCLUDED.public_key_pem,
             host = EXCLUDED.host, type = EXCLUDED.type, inbox = EXCLUDED.inbox,
             shared_inbox = EXCLUDED.shared_inbox, document = EXCLUDED.document,
             fetched_at = now(), gone_at = NULL
           RETURNING key_id, uri, public_key_pem, fetched_at""",
        uri, key_id, public_key_pem, host, actor_type, inbox, shared_inbox,
        json.dumps(document),
    )
    if row["key_id"] is None or row["public_key_pem"] is None:
        return None
    return RemoteKey(row["key_id"], row["uri"], row["public_key_pem"], row["fetched_at"])


async def mark_actor_gone(conn: Any, uri: str) -> bool:
    result: str = await conn.execute(
        "UPDATE remote_actors SET gone_at = now() WHERE uri = $1 AND gone_at IS NULL", uri
    )
    return result == "UPDATE 1"


async def blocked_domains(conn: Any) -> frozenset[str]:
    rows = await conn.fetch("SELECT domain FROM domain_blocks")
    return frozenset(r["domain"] for r in rows)


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
