"""Other servers' actors as this community knows them."""

from __future__ import annotations

from typing import Any

from federation.actors import parse_actor
from federation.addresses import authority
from recovery import store
from recovery.models import RemoteActor, RemoteKey


async def remember(
    conn: Any, document: dict[str, Any], key_id: str | None = None,
    public_key_pem: str | None = None,
) -> RemoteActor:
    """Store (or refresh) the actor a fetched document describes, with the key
    that was checked to belong to it."""
    actor = parse_actor(document)
    return await store.save_remote_actor(conn, {
        "uri": actor.id, "key_id": key_id or actor.public_key_id,
        "public_key_pem": public_key_pem or actor.public_key_pem,
        "host": authority(actor.id), "type": actor.type,
        "preferred_username": actor.preferred_username, "name": actor.name,
        "url": actor.url, "inbox": actor.inbox, "shared_inbox": actor.shared_inbox,
        "followers": actor.followers,
        "manually_approves_followers": actor.manually_approves_followers,
        "document": document, "moved_to": actor.moved_to,
    })


async def key(conn: Any, key_id: str) -> RemoteKey | None:
    return await store.get_remote_key(conn, key_id)


async def by_uri(conn: Any, uri: str) -> RemoteActor | None:
    return await store.get_remote_actor_by_uri(conn, uri)


async def by_handle(conn: Any, username: str, host: str) -> RemoteActor | None:
    return await store.get_remote_actor_by_handle(conn, username, host)


async def gone(conn: Any, uri: str) -> bool:
    """A remote actor deleted itself (its Delete, or a key fetch answered
    410): it is tombstoned, and its posts, boosts, likes and follows here
    go. False when it was not known, or already gone."""
    actor = await store.get_remote_actor_by_uri(conn, uri)
    if actor is None:
        return False
    async with conn.transaction():
        marked = await store.mark_remote_actor_gone(conn, uri)
        await store.remove_remote_actor_traces(conn, actor.id)
    return marked


async def deleted(conn: Any, uri: str) -> bool:
    """Whether the actor ``uri`` deleted itself: what it sends later is ignored."""
    return await store.is_tombstoned(conn, uri)


async def blocked_domains(conn: Any) -> frozenset[str]:
    return await store.blocked_domains(conn)


async def blocked_by(conn: Any, uri: str, remote: RemoteActor, member_id: int) -> bool:
    """A remote actor blocks a member: recorded, follows both ways ended."""
    return await store.add_remote_block(conn, uri, remote.id, member_id)


async def unblocked_by(conn: Any, uri: str, remote: RemoteActor) -> bool:
    return await store.remove_remote_block(conn, uri, remote.id)


async def reported(
    conn: Any, uri: str, reporter: RemoteActor, content: str, object_uris: list[str]
) -> bool:
    """A Flag from another server, kept for this community's moderators."""
    return await store.add_report(conn, uri, reporter.id, content[:5000], object_uris[:100])


async def moved(conn: Any, remote: RemoteActor, target: str) -> None:
    await store.set_moved_to(conn, remote.id, target)
