"""Web Push for Mastodon apps (docs.joinmastodon.org/methods/push).

Each access token may hold one subscription: where its app's push service
takes pushes (``endpoint``), the keys they are encrypted to (RFC 8291), which
alerts it wants and from whom (``policy``). Revoking the token removes it
(a trigger in schema.sql). The instance signs pushes with one VAPID key pair
(RFC 8292), made on first use and kept in the database. The access token,
which Mastodon's push payload carries, is kept sealed with AES-GCM (never in
plain text: oauth_tokens keeps only hashes of tokens).

When a member is notified, ``queue`` adds a push for each of their
subscriptions that wants that alert; the push job (web/push_sender.py)
claims them, sends them and reports back with ``sent``, ``gone`` or
``failed``. A milestone notification is never pushed: it is private until
the member shares it (recovery/notices.py)."""

from __future__ import annotations

import base64
import binascii
import os
from collections.abc import Mapping
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from recovery.errors import InvalidInput, NotFound
from recovery.oauth import is_loopback
from recovery.progress_models import Notification
from recovery.push_models import (
    ALERTS,
    POLICIES,
    PushJob,
    Subscription,
    SubscriptionInput,
    VapidKey,
)
from recovery.store import push as store

ENDPOINT_MAX = 2048
AUTH_BYTES = 16  # RFC 8291: the user agent's authentication secret
MAX_ATTEMPTS = 5
LEASE = timedelta(minutes=5)  # a claimed push is left alone this long
NOT_FOUND = "Record not found"


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def b64url_decode(text: str) -> bytes:
    """base64url or plain base64, padded or not (apps send either)."""
    cleaned = text.strip().replace("+", "-").replace("/", "_").rstrip("=")
    return base64.urlsafe_b64decode(cleaned + "=" * (-len(cleaned) % 4))


# -- the instance's key ------------------------------------------------------------

async def vapid_key(conn: Any) -> VapidKey:
    """The instance's VAPID key pair, made and stored the first time it is
    asked for (several processes at once keep the first one stored)."""
    found = await store.get_vapid_key(conn)
    if found is not None:
        return found
    private = ec.generate_private_key(ec.SECP256R1())
    public = private.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint)
    scalar = private.private_numbers().private_value.to_bytes(32, "big")
    made = VapidKey(b64url(scalar), b64url(public), AESGCM.generate_key(bit_length=256))
    return await store.insert_vapid_key(conn, made)


_SEAL_LABEL = b"hearth push access token"


def seal(key: VapidKey, token_id: int, access_token: str) -> bytes:
    """The access token encrypted for storage, bound to its token's id."""
    nonce = os.urandom(12)
    return nonce + AESGCM(key.token_key).encrypt(
        nonce, access_token.encode(), _SEAL_LABEL + str(token_id).encode())


def access_token(key: VapidKey, subscription: Subscription) -> str | None:
    """The subscription's access token; None if it cannot be unsealed."""
    sealed = subscription.sealed_token
    try:
        plain = AESGCM(key.token_key).decrypt(
            sealed[:12], sealed[12:], _SEAL_LABEL + str(subscription.token_id).encode())
    except (InvalidTag, ValueError):
        return None
    return plain.decode()


# -- what an app sends -------------------------------------------------------------

def check_endpoint(endpoint: str) -> str:
    """An https URL, or http to this machine's loopback (a push service in
    development); no user name or password in it."""
    if len(endpoint) > ENDPOINT_MAX:
        raise InvalidInput("endpoint", f"Endpoint is longer than {ENDPOINT_MAX} characters")
    try:
        parts = urlsplit(endpoint)
        host, _ = parts.hostname, parts.port
    except ValueError:
        raise InvalidInput("endpoint", "Endpoint is not a valid URL") from None
    if parts.scheme not in ("http", "https") or not host:
        raise InvalidInput("endpoint", "Endpoint must be an https:// URL")
    if parts.username is not None or parts.password is not None:
        raise InvalidInput("endpoint", "Endpoint must not contain credentials")
    if parts.scheme == "http" and not is_loopback(host):
        raise InvalidInput("endpoint", "Endpoint must be an https:// URL")
    return endpoint


def _key(name: str, text: str) -> bytes:
    try:
        return b64url_decode(text)
    except (binascii.Error, ValueError):
        raise InvalidInput(name, f"{name} is not valid base64") from None


def check_keys(p256dh: str, auth: str) -> tuple[str, str]:
    """The keys in base64url: ``p256dh`` a P-256 public key (uncompressed
    point), ``auth`` a 16-byte secret."""
    point = _key("keys[p256dh]", p256dh)
    try:
        ec.EllipticCurvePublicKey.from_encoded_point(ec.SECP256R1(), point)
    except ValueError:
        raise InvalidInput("keys[p256dh]", "keys[p256dh] is not a P-256 public key") from None
    secret = _key("keys[auth]", auth)
    if len(secret) != AUTH_BYTES:
        raise InvalidInput("keys[auth]", f"keys[auth] must be {AUTH_BYTES} bytes")
    return b64url(point), b64url(secret)


def check_policy(policy: str | None) -> str | None:
    if policy is not None and policy not in POLICIES:
        raise InvalidInput("policy", f"policy must be one of {', '.join(POLICIES)}")
    return policy


def alerts_of(switches: Mapping[str, bool]) -> tuple[str, ...]:
    """The alerts switched on, in Mastodon's order (unknown names ignored)."""
    return tuple(a for a in ALERTS if switches.get(a))


def parse_input(endpoint: str, p256dh: str, auth: str, switches: Mapping[str, bool],
                policy: str | None, standard: bool = False) -> SubscriptionInput:
    p256dh, auth = check_keys(p256dh, auth)
    return SubscriptionInput(check_endpoint(endpoint), p256dh, auth, alerts_of(switches),
                             check_policy(policy) or "all", standard)


# -- subscriptions -----------------------------------------------------------------

async def subscribe(conn: Any, token_id: int, member_id: int, token: str,
                    given: SubscriptionInput) -> Subscription:
    """The token's subscription; one it had before is replaced."""
    sealed = seal(await vapid_key(conn), token_id, token)
    return await store.upsert_subscription(conn, token_id, member_id, sealed, given)


async def current(conn: Any, token_id: int) -> Subscription:
    found = await store.get_subscription(conn, token_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def update(conn: Any, token_id: int, switches: Mapping[str, bool] | None,
                 policy: str | None) -> Subscription:
    """New alerts (None: unchanged) and policy (None: unchanged)."""
    alerts = alerts_of(switches) if switches is not None else None
    found = await store.update_subscription(conn, token_id, alerts, check_policy(policy))
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def unsubscribe(conn: Any, token_id: int) -> None:
    await store.delete_subscription(conn, token_id=token_id)


# -- the queue ---------------------------------------------------------------------

async def queue(conn: Any, notification: Notification) -> int:
    """Pushes for a new notification, in the caller's transaction. Only
    Mastodon's alert types are pushed; milestones never are."""
    if notification.kind not in ALERTS:
        return 0
    return await store.queue_jobs(conn, notification.id, notification.kind)


async def claim(conn: Any, limit: int) -> list[PushJob]:
    return await store.claim_jobs(conn, limit, LEASE)


async def sent(conn: Any, job: PushJob) -> None:
    await store.delete_job(conn, job.id)


async def gone(conn: Any, job: PushJob) -> None:
    """The push service no longer knows the subscription (404 or 410)."""
    await store.delete_subscription(conn, subscription_id=job.subscription.id)


def backoff(attempts: int) -> timedelta:
    """30 s, 2 min, 8 min, 32 min after the 1st to 4th failed attempt."""
    return timedelta(seconds=30 * 4 ** (attempts - 1))


async def failed(conn: Any, job: PushJob, retry: bool = True) -> bool:
    """Try again later, or drop the push after MAX_ATTEMPTS (or when not
    ``retry``). True when it will be tried again."""
    if not retry or job.attempts >= MAX_ATTEMPTS:
        await store.delete_job(conn, job.id)
        return False
    await store.retry_job(conn, job.id, backoff(job.attempts))
    return True
