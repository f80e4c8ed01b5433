"""Getting other servers' actors and keys: from the database when known,
fetched through the safe fetch when not, and refetched when stale."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from federation.errors import SignatureError
from federation.fetch import FetchPolicy, Signer, fetch_document, fetch_jrd
from federation.webfinger import actor_url_of, parse_handle, webfinger_url
from recovery import peers
from recovery.models import RemoteActor, RemoteKey

REFETCH_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class RemoteFetcher:
    client: httpx2.AsyncClient
    policy: FetchPolicy
    sign: Signer | None = None

    @property
    def scheme(self) -> str:
        return "http" if self.policy.allow_private else "https"


async def resolve_key(
    conn: Any, fetcher: RemoteFetcher, key_id: str, *, refresh: bool
) -> RemoteKey:
    """The key, from the cache unless missing or ``refresh`` asks (and the
    cached copy is over a minute old). FetchError when it cannot be had."""
    cached = await peers.key(conn, key_id)
    if cached is not None and (not refresh or _recent(cached)):
        return cached
    document = await fetch_document(fetcher.client, key_id.partition("#")[0],
                                    policy=fetcher.policy, sign=fetcher.sign)
    pem = _public_key_pem(document, key_id)
    await peers.remember(conn, document, key_id, pem)
    fresh = await peers.key(conn, key_id)
    assert fresh is not None
    return fresh


async def resolve_actor(conn: Any, fetcher: RemoteFetcher, uri: str) -> RemoteActor:
    """A remote actor by its id: known, or fetched and remembered."""
    known = await peers.by_uri(conn, uri)
    if known is not None:
        return known
    document = await fetch_document(fetcher.client, uri, policy=fetcher.policy,
                                    sign=fetcher.sign)
    return await peers.remember(conn, document)


async def lookup(conn: Any, fetcher: RemoteFetcher, handle: str) -> RemoteActor:
    """`@name@host` through WebFinger, then the actor document."""
    username, host = parse_handle(handle)
    jrd = await fetch_jrd(fetcher.client, webfinger_url(username, host, fetcher.scheme),
                          policy=fetcher.policy)
    return await resolve_actor(conn, fetcher, actor_url_of(jrd))


def _recent(key: RemoteKey) -> bool:
    return datetime.now(UTC) - key.fetched_at < REFETCH_AFTER


def _public_key_pem(actor: dict[str, Any], key_id: str) -> str:
    """The PEM of the actor's key named ``key_id`` (RELIABILITY.md 10)."""
    keys = actor.get("publicKey")
    for key in keys if isinstance(keys, list) else [keys]:
        if not isinstance(key, dict) or key.get("id") != key_id:
            continue
        owner, pem = key.get("owner"), key.get("publicKeyPem")
        if owner not in (None, actor["id"]) or not isinstance(pem, str):
            raise SignatureError(f"the key {key_id} does not belong to {actor['id']}")
        return pem
    raise SignatureError(f"{actor['id']} has no key {key_id}")
