"""SQL for other servers: their actors and keys, and blocked domains."""

from __future__ import annotations

import json
from typing import Any

from recovery.models import RemoteActor, RemoteKey

_ACTOR_COLUMNS = (
    "id, uri, host, type, preferred_username, name, url, inbox, shared_inbox, followers, "
    "manually_approves_followers, gone_at"
)


def _remote_actor(row: Any) -> RemoteActor:
    return RemoteActor(
        id=row["id"], uri=row["uri"], host=row["host"], type=row["type"],
        username=row["preferred_username"], name=row["name"], url=row["url"],
        inbox=row["inbox"], shared_inbox=row["shared_inbox"], followers=row["followers"],
        manually_approves_followers=row["manually_approves_followers"],
        gone=row["gone_at"] is not None,
    )


async def save_remote_actor(conn: Any, values: dict[str, Any]) -> RemoteActor:
    """Insert or refresh a remote actor from ``values`` (the column names).

    Concurrent saves of one actor (a burst of deliveries from someone new)
    are serialised on advisory locks for its uri and key id, taken in a fixed
    order: ON CONFLICT (uri) alone would still let the second insert fail on
    the key id's unique index."""
    async with conn.transaction():
        await conn.execute(
            """SELECT pg_advisory_xact_lock(h) FROM unnest(ARRAY[
                   hashtext('remote_actor:' || $1), hashtext('remote_key:' || coalesce($2, $1))
               ]) AS h ORDER BY h""",
            values["uri"], values.get("key_id"),
        )
        return await _upsert_remote_actor(conn, values)


async def _upsert_remote_actor(conn: Any, values: dict[str, Any]) -> RemoteActor:
    if values.get("key_id"):
        # A key id moves with its actor: free it from any other row first.
        await conn.execute(
            "UPDATE remote_actors SET key_id = NULL WHERE key_id = $1 AND uri <> $2",
            values["key_id"], values["uri"],
        )
    row = await conn.fetchrow(
        f"""INSERT INTO remote_actors (uri, key_id, public_key_pem, host, type,
                preferred_username, name, url, inbox, shared_inbox, followers,
                manually_approves_followers, document, moved_to)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13::jsonb, $14)
            ON CONFLICT (uri) DO UPDATE SET
              key_id = EXCLUDED.key_id, public_key_pem = EXCLUDED.public_key_pem,
              host = EXCLUDED.host, type = EXCLUDED.type,
              preferred_username = EXCLUDED.preferred_username, name = EXCLUDED.name,
              url = EXCLUDED.url, inbox = EXCLUDED.inbox,
              shared_inbox = EXCLUDED.shared_inbox, followers = EXCLUDED.followers,
              manually_approves_followers = EXCLUDED.manually_approves_followers,
              document = EXCLUDED.document, moved_to = EXCLUDED.moved_to,
              fetched_at = now(), gone_at = NULL
            RETURNING {_ACTOR_COLUMNS}""",
        values["uri"], values.get("key_id"), values.get("public_key_pem"), values["host"],
        values["type"], values.get("preferred_username"), values.get("name"),
        values.get("url"), values.get("inbox"), values.get("shared_inbox"),
        values.get("followers"), bool(values.get("manually_approves_followers")),
        json.dumps(values["document"]), values.get("moved_to"),
    )
    return _remote_actor(row)


async def get_remote_actor(conn: Any, actor_id: int) -> RemoteActor | None:
    row = await conn.fetchrow(
        f"SELECT {_ACTOR_COLUMNS} FROM remote_actors WHERE id = $1", actor_id
    )
    return _remote_actor(row) if row else None


async def get_remote_actor_by_uri(conn: Any, uri: str) -> RemoteActor | None:
    row = await conn.fetchrow(
        f"SELECT {_ACTOR_COLUMNS} FROM remote_actors WHERE uri = $1", uri
    )
    return _remote_actor(row) if row else None


async def get_remote_actor_by_handle(conn: Any, username: str, host: str) -> RemoteActor | None:
    row = await conn.fetchrow(
        f"""SELECT {_ACTOR_COLUMNS} FROM remote_actors
            WHERE lower(preferred_username) = lower($1) AND host = $2
            ORDER BY fetched_at DESC LIMIT 1""",
        username, host,
    )
    return _remote_actor(row) if row else None


async def get_remote_key(conn: Any, key_id: str) -> RemoteKey | None:
    row = await conn.fetchrow(
        """SELECT key_id, uri, public_key_pem, fetched_at FROM remote_actors
           WHERE key_id = $1 AND gone_at IS NULL AND public_key_pem IS NOT NULL""",
        key_id,
    )
    return RemoteKey(row["key_id"], row["uri"], row["public_key_pem"],
                     row["fetched_at"]) if row else None


async def remove_remote_actor_traces(conn: Any, remote_id: int) -> None:
    """Everything of a deleted remote actor here goes: their posts (with the
    boosts and likes of those), their boosts and likes, their follows both
    ways and their blocks; their id is tombstoned. The row stays, gone."""
    await conn.execute("DELETE FROM posts WHERE author_remote_id = $1", remote_id)
    await conn.execute("DELETE FROM reactions WHERE actor_remote_id = $1", remote_id)
    await conn.execute(
        "DELETE FROM follows WHERE follower_remote_id = $1 OR followed_remote_id = $1",
        remote_id)
    await conn.execute("DELETE FROM remote_blocks WHERE remote_id = $1", remote_id)
    await conn.execute(
        """INSERT INTO tombstones (uri) SELECT uri FROM remote_actors WHERE id = $1
           ON CONFLICT DO NOTHING""", remote_id)


async def mark_remote_actor_gone(conn: Any, uri: str) -> bool:
    result: str = await conn.execute(
        "UPDATE remote_actors SET gone_at = now() WHERE uri = $1 AND gone_at IS NULL", uri
    )
    return result == "UPDATE 1"


async def blocked_domains(conn: Any) -> frozenset[str]:
    rows = await conn.fetch("SELECT domain FROM domain_blocks")
    return frozenset(r["domain"] for r in rows)


async def add_remote_block(conn: Any, uri: str, remote_id: int, member_id: int) -> bool:
    """Record the block and end follows between the two, both ways."""
    added = await conn.fetchval(
        """INSERT INTO remote_blocks (uri, remote_id, member_id) VALUES ($1, $2, $3)
           ON CONFLICT DO NOTHING RETURNING true""",
        uri, remote_id, member_id,
    )
    await conn.execute(
        """DELETE FROM follows
           WHERE (follower_remote_id = $1 AND followed_member_id = $2)
              OR (follower_member_id = $2 AND followed_remote_id = $1)""",
        remote_id, member_id,
    )
    return bool(added)


async def remove_remote_block(conn: Any, uri: str, remote_id: int) -> bool:
    result: str = await conn.execute(
        "DELETE FROM remote_blocks WHERE uri = $1 AND remote_id = $2", uri, remote_id
    )
    return result == "DELETE 1"


async def add_report(
    conn: Any, uri: str, reporter_remote_id: int, content: str, object_uris: list[str]
) -> bool:
    added = await conn.fetchval(
        """INSERT INTO reports (uri, reporter_remote_id, content, object_uris)
           VALUES ($1, $2, $3, $4) ON CONFLICT (uri) DO NOTHING RETURNING true""",
        uri, reporter_remote_id, content, object_uris,
    )
    return bool(added)


async def set_moved_to(conn: Any, remote_id: int, target: str) -> None:
    await conn.execute("UPDATE remote_actors SET moved_to = $2 WHERE id = $1", remote_id, target)
