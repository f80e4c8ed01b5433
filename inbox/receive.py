"""The inbox's front door: verify the signature, check the signer is the
actor, store the activity once, and let the caller answer 202.

Nothing is stored unless every check passes; a replayed activity id is
accepted again without a second row (RELIABILITY.md 1-16, 32-35).

A busy inbox hears from the same servers and keys over and over, so each
app keeps a ``ReceiveCache`` (see there): the blocked domains, re-read every
few seconds, and the keys that verified recent requests, each checked
against the database by the very statement that stores the activity.
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from federation.addresses import is_blocked, origin_of, same_origin
from federation.errors import (
    BadRemoteDocument,
    FederationError,
    FetchGone,
    FetchRefused,
    InvalidDocument,
    SignatureError,
    UnsupportedMediaType,
)
from federation.fetch import is_activitystreams_type
from federation.jsonsafe import parse_json, require_fields
from federation.signatures import key_id_of, verify_any
from inbox import remote, store
from inbox.remote import RemoteFetcher
from recovery import peers
from recovery.models import RemoteKey

log = logging.getLogger(__name__)

BLOCKED_DOMAINS_TTL = 5.0  # seconds the door goes on using the blocked domains it read
KEYS_REMEMBERED = 4096


@dataclass(frozen=True)
class Delivery:
    """A POST as it reached us; ``url`` is built from our own public origin."""

    url: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class ReceiveCache:
    """What one app's inbox remembers between requests, to spare the
    database two queries a delivery. The database stays the source of truth:

    - Blocked domains are re-read once BLOCKED_DOMAINS_TTL seconds old, so a
      new block (made by any process) turns requests away at the door within
      that time. The worker reads them afresh for every batch and drops what
      a blocked domain sent, so nothing from it is processed once the block
      is in.
    - Keys that verified a request, up to KEYS_REMEMBERED (least recently
      used first out). A remembered key is only tried first: the statement
      that stores the activity checks that the database still holds it for
      that actor, not gone (``store.store_activity_signed_by``). When it does
      not, or the key fails to verify a request, it is forgotten and the
      request takes the database's way, refetch on failure included
      (RELIABILITY.md 12, 13).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._clock = clock
        self._blocked: frozenset[str] | None = None
        self._blocked_read_at = 0.0
        self._keys: OrderedDict[str, RemoteKey] = OrderedDict()

    async def blocked_domains(self, conn: Any) -> frozenset[str]:
        now = self._clock()
        if self._blocked is None or now - self._blocked_read_at >= BLOCKED_DOMAINS_TTL:
            self._blocked = await peers.blocked_domains(conn)
            self._blocked_read_at = now
        return self._blocked

    def key(self, key_id: str) -> RemoteKey | None:
        key = self._keys.get(key_id)
        if key is not None:
            self._keys.move_to_end(key_id)
        return key

    def remember(self, key: RemoteKey) -> None:
        self._keys[key.key_id] = key
        self._keys.move_to_end(key.key_id)
        while len(self._keys) > KEYS_REMEMBERED:
            self._keys.popitem(last=False)

    def forget(self, key_id: str) -> None:
        self._keys.pop(key_id, None)


async def receive(
    conn: Any, delivery: Delivery, fetcher: RemoteFetcher, cache: ReceiveCache | None = None
) -> bool:
    """Verify and store; True when the activity is new. Raises a
    FederationError whose ``status`` is the answer to give. Without a
    ``cache`` nothing is remembered from one call to the next."""
    cache = cache or ReceiveCache()
    _check_content_type(delivery.headers)
    key_id = _key_id(delivery.headers)
    blocked = await cache.blocked_domains(conn)
    if is_blocked(_host(key_id), blocked):
        raise FetchRefused("this community does not federate with your server")
    activity = parse_json(delivery.body)
    require_fields(activity, "id", "type", "actor")
    actor, kind = _actor_id(activity), activity["type"]
    if not isinstance(activity["id"], str) or not isinstance(kind, str):
        raise InvalidDocument("id and type must be strings")
    if not same_origin(activity["id"], actor):
        raise InvalidDocument("the activity id is not on its actor's server")
    stored = await _store_if_remembered(conn, delivery, cache, key_id, activity)
    if stored is None:
        fetcher = dataclasses.replace(
            fetcher, policy=dataclasses.replace(fetcher.policy, blocked_domains=blocked))
        stored = await _verify_and_store(conn, delivery, fetcher, cache, key_id, activity)
    if stored is not None:
        log.info("inbox: %s %s from %s (%s)", kind, activity["id"], actor,
                 "stored" if stored else "already had it")
    return bool(stored)


async def _store_if_remembered(
    conn: Any, delivery: Delivery, cache: ReceiveCache, key_id: str, activity: dict[str, Any]
) -> bool | None:
    """Stored with the remembered key, checked against the database as it is
    stored; None when there is none, or it does not verify or is no longer
    the actor's (and then it is forgotten)."""
    key, actor = cache.key(key_id), _actor_id(activity)
    if key is None or key.owner != actor or not _verifies(delivery, key):
        cache.forget(key_id)
        return None
    stored: bool | None = await store.store_activity_signed_by(
        conn, activity["id"], actor, activity["type"], delivery.body, key.key_id,
        key.public_key_pem)
    if stored is None:
        cache.forget(key_id)
    return stored


async def _verify_and_store(
    conn: Any, delivery: Delivery, fetcher: RemoteFetcher, cache: ReceiveCache, key_id: str,
    activity: dict[str, Any],
) -> bool | None:
    """The database's way: its key, fetched when missing or refetched when it
    fails; None when the actor deleted itself and its key is gone (line 13)."""
    key = await _verified_key(conn, delivery, fetcher, key_id, activity)
    if key is None:
        return None
    actor = _actor_id(activity)
    if key.owner != actor:
        raise SignatureError("the activity's actor is not the one who signed it")
    cache.remember(key)
    stored: bool = await store.store_activity(conn, activity["id"], actor, activity["type"],
                                              delivery.body)
    return stored


def _check_content_type(headers: Mapping[str, str]) -> None:
    content_type = headers.get("content-type", "")
    media = content_type.partition(";")[0].strip().lower()
    if media != "application/ld+json" and not is_activitystreams_type(content_type):
        raise UnsupportedMediaType(
            "send application/activity+json or application/ld+json")


def _key_id(headers: Mapping[str, str]) -> str:
    if "signature" not in headers and "signature-input" not in headers:
        raise SignatureError("the request is not signed")
    return key_id_of(headers)


def _actor_id(activity: dict[str, Any]) -> str:
    actor = activity["actor"]
    if isinstance(actor, dict):
        actor = actor.get("id")
    if not isinstance(actor, str):
        raise InvalidDocument("actor must be an id")
    return actor


def _host(key_id: str) -> str:
    try:
        return origin_of(key_id)[1]
    except InvalidDocument as exc:
        raise SignatureError(f"the keyId {key_id!r} is not a URL") from exc


async def _verified_key(
    conn: Any, delivery: Delivery, fetcher: RemoteFetcher, key_id: str,
    activity: dict[str, Any],
) -> RemoteKey | None:
    """The key that verifies the request: cached, or refetched once when the
    cached one fails (a rotated key, line 12)."""
    key = await _key(conn, fetcher, key_id, activity, refresh=False)
    if key is None:
        return None
    try:
        _verify(delivery, key)
    except SignatureError:
        fresh = await _key(conn, fetcher, key_id, activity, refresh=True)
        if fresh is None or fresh.public_key_pem == key.public_key_pem:
            raise
        _verify(delivery, fresh)
        key = fresh
    return key


async def _key(
    conn: Any, fetcher: RemoteFetcher, key_id: str, activity: dict[str, Any], *, refresh: bool
) -> RemoteKey | None:
    try:
        return await remote.resolve_key(conn, fetcher, key_id, refresh=refresh)
    except FetchGone as exc:
        if activity["type"] == "Delete" and _deletes_itself(activity):
            await peers.gone(conn, _actor_id(activity))
            return None
        raise SignatureError(f"the signing key is gone ({exc.reason})") from exc
    except BadRemoteDocument as exc:
        raise SignatureError(f"the signing key could not be read: {exc.reason}") from exc


def _deletes_itself(activity: dict[str, Any]) -> bool:
    target = activity.get("object")
    if isinstance(target, dict):
        target = target.get("id")
    return target == _actor_id(activity)


def _verify(delivery: Delivery, key: RemoteKey) -> None:
    verify_any("POST", delivery.url, delivery.headers, delivery.body,
               lambda _key_id: key.public_key_pem)


def _verifies(delivery: Delivery, key: RemoteKey) -> bool:
    try:
        _verify(delivery, key)
    except FederationError:  # whatever the reason, the database's way decides
        return False
    return True
