"""The inbox's front door: verify the signature, check the signer is the
actor, store the activity once, and let the caller answer 202.

Nothing is stored unless every check passes; a replayed activity id is
accepted again without a second row (RELIABILITY.md 1-16, 32-35).

A busy inbox hears from the same servers and keys over and over, so each
app keeps a ``ReceiveCache`` (see there): the blocked domains and the hosts
our deliveries find failing, re-read every few seconds, and the keys that
verified recent requests, each checked against the database by the very
statement that stores the activity.

No pooled connection is held while another server is asked for a key
(``receive``), so slow key servers cannot starve the pool (RELIABILITY.md
38).
"""

from __future__ import annotations

import dataclasses
import logging
import time
from collections import OrderedDict
from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass
from typing import Any, Generic, TypeVar

from federation.addresses import authority, is_blocked, origin_of, same_origin
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
from inbox.remote import Connect, RemoteFetcher
from outbox import host_store
from outbox import store as outbox_store
from recovery import peers
from recovery.models import RemoteKey

log = logging.getLogger(__name__)

BLOCKED_DOMAINS_TTL = 5.0  # seconds the door goes on using the blocked domains it read
HOSTS_TO_CLEAR_TTL = 5.0  # the same for the hosts our deliveries find failing
KEYS_REMEMBERED = 4096

T = TypeVar("T")


@dataclass(frozen=True)
class Delivery:
    """A POST as it reached us; ``url`` is built from our own public origin."""

    url: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


class _Reread(Generic[T]):
    """A value read from the database, read again once ``ttl`` seconds old."""

    def __init__(self, read: Callable[[Any], Awaitable[T]], ttl: float,
                 clock: Callable[[], float]) -> None:
        self._read, self._ttl, self._clock = read, ttl, clock
        self._value: T | None = None
        self._read_at = 0.0

    async def get(self, conn: Any) -> T:
        now = self._clock()
        if self._value is None or now - self._read_at >= self._ttl:
            self._value = await self._read(conn)
            self._read_at = now
        return self._value

    def update(self, change: Callable[[T], T]) -> None:
        """Change what was read, in this process, until it is read again."""
        if self._value is not None:
            self._value = change(self._value)


class ReceiveCache:
    """What one app's inbox remembers between requests, to spare the
    database two queries a delivery. The database stays the source of truth:

    - Blocked domains are re-read once BLOCKED_DOMAINS_TTL seconds old, so a
      new block (made by any process) turns requests away at the door within
      that time. The worker reads them afresh for every batch and drops what
      a blocked domain sent, so nothing from it is processed once the block
      is in.
    - Hosts our deliveries find failing or gave up on, re-read likewise: a
      signed request from one of them makes it available again (one write,
      only for those hosts), within HOSTS_TO_CLEAR_TTL of its being marked.
    - Keys that verified a request, up to KEYS_REMEMBERED (least recently
      used first out). A remembered key is only tried first: the statement
      that stores the activity checks that the database still holds it for
      that actor, not gone (``store.store_activity_signed_by``). When it does
      not, or the key fails to verify a request, it is forgotten and the
      request takes the database's way, refetch on failure included
      (RELIABILITY.md 12, 13).
    """

    def __init__(self, clock: Callable[[], float] = time.monotonic) -> None:
        self._blocked = _Reread(peers.blocked_domains, BLOCKED_DOMAINS_TTL, clock)
        self._failing = _Reread(host_store.hosts_to_clear, HOSTS_TO_CLEAR_TTL, clock)
        self._keys: OrderedDict[str, RemoteKey] = OrderedDict()

    async def blocked_domains(self, conn: Any) -> frozenset[str]:
        return await self._blocked.get(conn)

    async def hosts_to_clear(self, conn: Any) -> frozenset[str]:
        return await self._failing.get(conn)

    def cleared(self, host: str) -> None:
        """``host`` was made available again: nothing more to clear."""
        self._failing.update(lambda hosts: hosts - {host})

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
    connect: Connect, delivery: Delivery, fetcher: RemoteFetcher,
    cache: ReceiveCache | None = None,
) -> bool:
    """Verify and store; True when the activity is new. Raises a
    FederationError whose ``status`` is the answer to give. Without a
    ``cache`` nothing is remembered from one call to the next.

    ``connect()`` opens a pooled connection for one block. One block serves
    a known key (remembered, or stored and verifying); a key to fetch is
    fetched with no connection held, and stored in blocks of their own
    (RELIABILITY.md 38)."""
    cache = cache or ReceiveCache()
    _check_content_type(delivery.headers)
    key_id = _key_id(delivery.headers)
    async with connect() as conn:
        blocked = await cache.blocked_domains(conn)
        if is_blocked(_host(key_id), blocked):
            raise FetchRefused("this community does not federate with your server")
        activity = _activity(delivery)
        stored, known = await _store_with_known_key(conn, delivery, cache, key_id, activity)
        if stored is not None:
            await revive_host(conn, cache, key_id)
    if stored is None:
        fetcher = dataclasses.replace(
            fetcher, policy=dataclasses.replace(fetcher.policy, blocked_domains=blocked))
        stored = await _fetch_verify_and_store(connect, delivery, fetcher, cache, key_id,
                                               activity, known)
    if stored is not None:
        log.info("inbox: %s %s from %s (%s)", activity["type"], activity["id"],
                 _actor_id(activity), "stored" if stored else "already had it")
    return bool(stored)


def _activity(delivery: Delivery) -> dict[str, Any]:
    activity = parse_json(delivery.body)
    require_fields(activity, "id", "type", "actor")
    actor = _actor_id(activity)
    if not isinstance(activity["id"], str) or not isinstance(activity["type"], str):
        raise InvalidDocument("id and type must be strings")
    if not same_origin(activity["id"], actor):
        raise InvalidDocument("the activity id is not on its actor's server")
    return activity


async def _store_with_known_key(
    conn: Any, delivery: Delivery, cache: ReceiveCache, key_id: str, activity: dict[str, Any]
) -> tuple[bool | None, RemoteKey | None]:
    """(stored, the stored key): stored with a key this process remembers,
    else with the one the database holds; stored is None when neither
    verifies (or there is none), and the network must decide."""
    stored = await _store_if_remembered(conn, delivery, cache, key_id, activity)
    if stored is not None:
        return stored, None
    known = await peers.key(conn, key_id)
    if known is None or not _verifies(delivery, known):
        return None, known
    return await _store(conn, delivery, cache, known, activity), known


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


async def _store(
    conn: Any, delivery: Delivery, cache: ReceiveCache, key: RemoteKey, activity: dict[str, Any]
) -> bool:
    """Store with a verified key, once its owner is shown to be the actor."""
    actor = _actor_id(activity)
    if key.owner != actor:
        raise SignatureError("the activity's actor is not the one who signed it")
    cache.remember(key)
    stored: bool = await store.store_activity(conn, activity["id"], actor, activity["type"],
                                              delivery.body)
    return stored


async def _fetch_verify_and_store(
    connect: Connect, delivery: Delivery, fetcher: RemoteFetcher, cache: ReceiveCache,
    key_id: str, activity: dict[str, Any], known: RemoteKey | None,
) -> bool | None:
    """The network's way, for a key the database lacks or that did not
    verify: fetched, or refetched (a rotated key, line 12), with no
    connection held; None when the actor deleted itself and its key is
    gone (line 13)."""
    key = await _fetched_key(connect, delivery, fetcher, key_id, activity, known)
    if key is None:
        return None
    async with connect() as conn:
        stored = await _store(conn, delivery, cache, key, activity)
        await revive_host(conn, cache, key_id)
    return stored


async def revive_host(conn: Any, cache: ReceiveCache, key_id: str) -> None:
    """A signed request from a host our deliveries gave up on (or that is
    failing) shows it is back: deliveries to it resume (RELIABILITY.md 43).
    Written only for such hosts, which the cache knows."""
    failing = await cache.hosts_to_clear(conn)
    if not failing:  # the usual case, without even parsing the key id
        return
    host = authority(key_id)
    if host in failing:
        await outbox_store.record_host_success(conn, host)
        cache.cleared(host)
        log.info("inbox: a signed request from %s: deliveries to it resume", host)


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


async def _fetched_key(
    connect: Connect, delivery: Delivery, fetcher: RemoteFetcher, key_id: str,
    activity: dict[str, Any], known: RemoteKey | None,
) -> RemoteKey | None:
    """The key that verifies the request: fetched when the database has
    none, else refetched once (at most once a minute) when the stored one
    failed; the stored one's failure is the answer when nothing changed."""
    if known is None:
        key = await _key(connect, fetcher, key_id, activity, known=None)
        if key is not None:
            _verify(delivery, key)
        return key
    fresh = await _key(connect, fetcher, key_id, activity, known=known)
    if fresh is not None:
        if fresh.public_key_pem == known.public_key_pem:
            _verify(delivery, known)  # raises why it does not verify
        _verify(delivery, fresh)
    return fresh


async def _key(
    connect: Connect, fetcher: RemoteFetcher, key_id: str, activity: dict[str, Any],
    *, known: RemoteKey | None,
) -> RemoteKey | None:
    try:
        if known is None:
            return await remote.fetch_and_store_key(connect, fetcher, key_id)
        return await remote.resolve_key(connect, fetcher, key_id, refresh=True, cached=known)
    except FetchGone as exc:
        if activity["type"] == "Delete" and _deletes_itself(activity):
            async with connect() as conn:
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
