"""Getting other servers' actors and keys: from the database when known,
fetched through the safe fetch when not, and refetched when stale.

Keys are resolved without holding a database connection across the network:
``resolve_key`` takes a ``Connect`` (what opens a pooled connection, for as
long as a block needs it), looks up what is stored, gives the connection
back, fetches, and only then takes one again to store what it fetched. A
slow or dripping key server therefore holds a request, never the pool
(RELIABILITY.md 38).

Where a key lives (``fetch_key``):

- Mastodon and most servers: key id ``ACTOR#main-key``; the actor document
  at ``ACTOR`` carries it in ``publicKey``.
- GoToSocial: key id ``ACTOR/main-key``; that address answers with a stub
  of the actor (``id`` = ``ACTOR``, ``publicKey`` and little else), and the
  full actor is at its id (docs/federation/federating_with_gotosocial).
- A key document (``CryptographicKey``, id = key id) naming its ``owner``.

A document whose id is not the key's address is only a pointer: it must be
on the key's origin and name the key, and the owner's actor is then fetched
from its own id with every check (id = URL) and must list that very key. So
the PEM always comes from an actor document served at its own address.
"""

from __future__ import annotations

from collections.abc import Callable
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from federation.addresses import same_origin
from federation.errors import SignatureError
from federation.fetch import FetchPolicy, Signer, fetch_document, fetch_jrd
from federation.webfinger import actor_url_of, parse_handle, webfinger_url
from recovery import peers
from recovery.models import RemoteActor, RemoteKey

REFETCH_AFTER = timedelta(minutes=1)

Connect = Callable[[], AbstractAsyncContextManager[Any]]


@dataclass(frozen=True)
class RemoteFetcher:
    client: httpx2.AsyncClient
    policy: FetchPolicy
    sign: Signer | None = None

    @property
    def scheme(self) -> str:
        return "http" if self.policy.allow_private else "https"


@dataclass(frozen=True)
class FetchedKey:
    """A key as fetched: the owner's actor document, which lists it."""

    key_id: str
    actor: dict[str, Any]
    public_key_pem: str


async def resolve_key(
    connect: Connect, fetcher: RemoteFetcher, key_id: str, *, refresh: bool,
    cached: RemoteKey | None = None,
) -> RemoteKey:
    """The key: ``cached`` (what the caller already looked up) or the stored
    one unless missing or ``refresh`` asks (and it is over a minute old),
    else fetched and stored. No connection is held while fetching.
    FetchError (or SignatureError) when it cannot be had."""
    if cached is None:
        async with connect() as conn:
            cached = await peers.key(conn, key_id)
    if cached is not None and (not refresh or _recent(cached)):  # RELIABILITY.md 12
        return cached
    return await fetch_and_store_key(connect, fetcher, key_id)


async def fetch_and_store_key(connect: Connect, fetcher: RemoteFetcher, key_id: str) -> RemoteKey:
    """Fetch the key (no connection held meanwhile), then store it."""
    fetched = await fetch_key(fetcher, key_id)
    async with connect() as conn:
        return await store_key(conn, fetched)


async def store_key(conn: Any, fetched: FetchedKey) -> RemoteKey:
    """Remember the fetched key's owner with the key; the key as stored."""
    owner = await peers.remember(conn, fetched.actor, fetched.key_id, fetched.public_key_pem)
    return RemoteKey(fetched.key_id, owner.uri, fetched.public_key_pem, datetime.now(UTC))


async def fetch_key(fetcher: RemoteFetcher, key_id: str) -> FetchedKey:
    """The key named ``key_id`` and its owner's actor document, from the
    network alone (see the module docstring for the shapes accepted)."""
    url = key_id.partition("#")[0]
    document = await fetch_document(fetcher.client, url, policy=fetcher.policy,
                                    sign=fetcher.sign, id_may_differ=True)
    owner = _owner_to_fetch(document, key_id, url)
    if owner is not None:
        document = await fetch_document(fetcher.client, owner, policy=fetcher.policy,
                                        sign=fetcher.sign)
    return FetchedKey(key_id, document, _public_key_pem(document, key_id))


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


def _owner_to_fetch(document: dict[str, Any], key_id: str, url: str) -> str | None:
    """None when ``document``, fetched from the key's ``url``, is the key's
    owner itself; else the owner's id to fetch (on the key's origin), once
    the document has shown it names this key. Ids compared as strings: a
    spelling variant only costs the strict fetch of the owner."""
    doc_id = document["id"]  # a string on the origin that served it (fetch_document)
    if "publicKey" in document:
        if doc_id == url:
            return None
        _public_key_pem(document, key_id)  # the stub must name this key
        owner = doc_id
    else:  # a key document
        owner = document.get("owner")
        if doc_id != key_id or not isinstance(owner, str):
            raise SignatureError(f"{url} is neither an actor nor the key {key_id}")
    if owner == url or not same_origin(owner, key_id):
        raise SignatureError(f"the key {key_id} names an owner elsewhere")
    return owner


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
