"""Public keys of remote actors: fetched once, cached, refetched once when a
signature fails (the key may have rotated), at most once a minute."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2

from federation.addresses import origin_of
from federation.errors import SignatureError
from federation.fetch import FetchPolicy, Signer, fetch_document
from inbox import store
from inbox.store import RemoteKey

REFETCH_AFTER = timedelta(minutes=1)


@dataclass(frozen=True)
class KeyFetcher:
    client: httpx2.AsyncClient
    policy: FetchPolicy
    sign: Signer | None = None


async def resolve(conn: Any, fetcher: KeyFetcher, key_id: str, *, refresh: bool) -> RemoteKey:
    """The key, from the cache unless missing or ``refresh`` asks (and the
    cached copy is over a minute old). FetchError when it cannot be had."""
    cached = await store.get_key(conn, key_id)
    if cached is not None and (not refresh or _recent(cached)):
        return cached
    url = key_id.partition("#")[0]
    document = await fetch_document(fetcher.client, url, policy=fetcher.policy,
                                    sign=fetcher.sign)
    pem = _public_key_pem(document, key_id)
    saved = await store.save_actor(
        conn, document["id"], key_id, pem, origin_of(document["id"])[1],
        str(document.get("type", "")), _text(document.get("inbox")),
        _text((document.get("endpoints") or {}).get("sharedInbox")
              if isinstance(document.get("endpoints"), dict) else None),
        document,
    )
    assert saved is not None
    return saved


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


def _text(value: object) -> str | None:
    return value if isinstance(value, str) else None
