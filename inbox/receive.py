"""The inbox's front door: verify the signature, check the signer is the
actor, store the activity once, and let the caller answer 202.

Nothing is stored unless every check passes; a replayed activity id is
accepted again without a second row (RELIABILITY.md 1-16, 32-35).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from federation.addresses import is_blocked, origin_of, same_origin
from federation.errors import (
    BadRemoteDocument,
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


@dataclass(frozen=True)
class Delivery:
    """A POST as it reached us; ``url`` is built from our own public origin."""

    url: str
    headers: Mapping[str, str]  # lower-case names
    body: bytes


async def receive(conn: Any, delivery: Delivery, fetcher: RemoteFetcher) -> bool:
    """Verify and store; True when the activity is new. Raises a
    FederationError whose ``status`` is the answer to give."""
    _check_content_type(delivery.headers)
    key_id = _key_id(delivery.headers)
    blocked = await peers.blocked_domains(conn)
    if is_blocked(_host(key_id), blocked):
        raise FetchRefused("this community does not federate with your server")
    activity = parse_json(delivery.body)
    require_fields(activity, "id", "type", "actor")
    actor, kind = _actor_id(activity), activity["type"]
    if not isinstance(activity["id"], str) or not isinstance(kind, str):
        raise InvalidDocument("id and type must be strings")
    if not same_origin(activity["id"], actor):
        raise InvalidDocument("the activity id is not on its actor's server")
    fetcher = dataclasses.replace(
        fetcher, policy=dataclasses.replace(fetcher.policy, blocked_domains=blocked))
    key = await _verified_key(conn, delivery, fetcher, key_id, activity)
    if key is None:  # the actor deleted itself and its key is gone (line 13)
        return False
    if key.owner != actor:
        raise SignatureError("the activity's actor is not the one who signed it")
    stored = await store.store_activity(conn, activity["id"], actor, kind, delivery.body)
    log.info("inbox: %s %s from %s (%s)", kind, activity["id"], actor,
             "stored" if stored else "already had it")
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
