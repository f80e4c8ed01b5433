"""The push job: sends queued Web Push messages (recovery/push.py) to the
push services apps subscribed with.

Each push is the Notification entity the member's own list would show,
reduced to Mastodon's push payload (access_token, preferred_locale,
notification_id, notification_type, icon, title, body): a one-line title
and at most BODY_MAX characters of the post's content warning or text, as
the member themself would see it. A notification the list would not show
(dismissed, from someone silenced since, about a post gone or no longer
visible) is not pushed. The payload is encrypted to the subscription's keys
(RFC 8291, aes128gcm, ``http_ece``) and signed with the instance's VAPID key
(RFC 8292, ``py_vapid``); subscriptions that did not ask for the standard
get the drafts' aesgcm and ``WebPush`` header, as from Mastodon. The POST
goes through the same guarded poster as deliveries (no private addresses
outside tests, no redirects).

An answer of 404 or 410 means the push service forgot the subscription: it
is deleted. Other failures are tried again with backoff, MAX_ATTEMPTS in all.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import time
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import http_ece
import httpx2
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from py_vapid import Vapid01, Vapid02, VapidException

from federation.errors import FetchFailed, FetchRefused
from federation.post import InboxPoster, poster_for
from federation.sanitize import html_to_text
from recovery import push
from recovery.push_models import PushJob, Subscription, VapidKey
from web.api import notifications as api_notifications
from web.settings import Settings

log = logging.getLogger(__name__)

BATCH = 20
BODY_MAX = 140
TTL = 48 * 3600  # seconds a push service keeps an undelivered push (as Mastodon)
JWT_LIFETIME = 12 * 3600
_HIGH = {"mention", "follow_request"}  # Urgency: high; the rest normal
_TITLES = {
    "mention": "You were mentioned by {name}",
    "status": "{name} just posted",
    "reblog": "{name} boosted your post",
    "follow": "{name} is now following you",
    "follow_request": "New follow request from {name}",
    "favourite": "{name} favourited your post",
    "poll": "A poll has ended",
    "update": "{name} edited a post",
}
_GONE = {404, 410}


async def send_until_idle(pool: asyncpg.Pool, http: httpx2.AsyncClient, settings: Settings,
                          stop: asyncio.Event) -> int:
    """Claim and send due pushes batch after batch until none is due."""
    poster = poster_for(http)
    handled = 0
    while not stop.is_set():
        async with pool.acquire() as conn:
            async with conn.transaction():
                jobs = await push.claim(conn, BATCH)
            key = await push.vapid_key(conn) if jobs else None
        if not jobs or key is None:
            break
        for job in jobs:
            await _send(pool, poster, settings, key, job)
        handled += len(jobs)
    return handled


async def _send(pool: asyncpg.Pool, poster: InboxPoster, settings: Settings, key: VapidKey,
                job: PushJob) -> None:
    request = await _request_for(pool, settings, key, job)
    if request is None:
        await _finish(pool, push.failed, job, False)
        return
    headers, body = request
    try:
        answer = await poster.post(job.subscription.endpoint, headers, body)
    except FetchRefused as exc:  # nothing sent: a private address, an unusable URL
        log.warning("push %d to subscription %d refused, dropped: %s",
                    job.id, job.subscription.id, exc)
        await _finish(pool, push.failed, job, False)
        return
    except (FetchFailed, TimeoutError) as exc:
        log.info("push %d to subscription %d failed (attempt %d): %r",
                 job.id, job.subscription.id, job.attempts, exc)
        await _finish(pool, push.failed, job, True)
        return
    await _record(pool, job, answer.status)


async def _request_for(pool: asyncpg.Pool, settings: Settings, key: VapidKey,
                       job: PushJob) -> tuple[dict[str, str], bytes] | None:
    """Headers and encrypted body of the push; None when there is nothing
    to send (the member's list would not show the notification)."""
    async with pool.acquire() as conn:
        shown = await api_notifications.streamed(conn, job.notification, settings.url)
    token = push.access_token(key, job.subscription)
    if shown is None or token is None:
        log.info("push %d: notification %d is not shown (or its token unusable); dropped",
                 job.id, job.notification.id)
        return None
    plain = json.dumps(payload(job, shown, token)).encode()
    try:
        headers, body = encrypted_request(key, job.subscription, settings.url, plain)
    except (VapidException, ValueError) as exc:  # an endpoint py_vapid cannot sign for
        log.warning("push %d to subscription %d cannot be signed: %s",
                    job.id, job.subscription.id, exc)
        return None
    headers.update({"TTL": str(TTL), "Urgency": "high" if shown["type"] in _HIGH else "normal"})
    return headers, body


async def _record(pool: asyncpg.Pool, job: PushJob, status: int) -> None:
    if 200 <= status < 300:
        await _finish(pool, push.sent, job)
    elif status in _GONE:
        log.info("push subscription %d is gone (%d); removed", job.subscription.id, status)
        await _finish(pool, push.gone, job)
    else:
        log.info("push %d answered %d (attempt %d)", job.id, status, job.attempts)
        await _finish(pool, push.failed, job, True)


async def _finish(pool: asyncpg.Pool, outcome: Any, job: PushJob, *args: Any) -> None:
    async with pool.acquire() as conn:
        await outcome(conn, job, *args)


def payload(job: PushJob, shown: dict[str, Any], token: str) -> dict[str, Any]:
    """Mastodon's push payload for a Notification entity."""
    account = shown.get("account") or {}
    name = account.get("display_name") or account.get("username") or ""
    kind = shown["type"]
    return {
        "access_token": token,
        "preferred_locale": "en",
        "notification_id": job.notification.id,
        "notification_type": kind,
        "icon": account.get("avatar_static") or "",
        "title": _TITLES.get(kind, "New notification").format(name=name)[:BODY_MAX],
        "body": _body(shown),
    }


def _body(shown: dict[str, Any]) -> str:
    status = shown.get("status")
    if status is None:
        account = shown.get("account") or {}
        return f"@{account.get('acct', '')}"[:BODY_MAX]
    text = status.get("spoiler_text") or html_to_text(status.get("content") or "")
    text = " ".join(text.split())
    return text if len(text) <= BODY_MAX else text[:BODY_MAX - 1] + "…"


def encrypted_request(key: VapidKey, subscription: Subscription, contact: str,
                      plain: bytes) -> tuple[dict[str, str], bytes]:
    """Headers and body of the push: RFC 8291 aes128gcm with an RFC 8292
    ``vapid`` Authorization for a ``standard`` subscription, else the drafts
    Mastodon sent before 4.4 (aesgcm; ``WebPush`` JWT, keys in Crypto-Key)."""
    sender = ec.generate_private_key(ec.SECP256R1())
    salt = os.urandom(16)
    signer = _signer(key, subscription.standard)
    claims = _claims(subscription.endpoint, contact)
    encrypted: bytes = http_ece.encrypt(
        plain, private_key=sender, dh=push.b64url_decode(subscription.p256dh),
        auth_secret=push.b64url_decode(subscription.auth), salt=salt,
        version="aes128gcm" if subscription.standard else "aesgcm")
    headers = {"Content-Type": "application/octet-stream"}
    if subscription.standard:
        headers.update(signer.sign(claims))
        headers["Content-Encoding"] = "aes128gcm"
        return headers, encrypted
    sender_key = push.b64url(sender.public_key().public_bytes(
        serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))
    headers.update(signer.sign(claims, crypto_key=f"dh={sender_key}"))
    headers["Content-Encoding"] = "aesgcm"
    headers["Encryption"] = f"salt={push.b64url(salt)}"
    return headers, encrypted


def _signer(key: VapidKey, standard: bool) -> Vapid01:
    """py_vapid's signer: Vapid02 writes RFC 8292's ``vapid t=..,k=..``,
    Vapid01 the draft's ``WebPush <JWT>`` with the key in Crypto-Key."""
    scalar = int.from_bytes(push.b64url_decode(key.private_key), "big")
    kind = Vapid02 if standard else Vapid01
    signer: Vapid01 = kind(ec.derive_private_key(scalar, ec.SECP256R1()),
                           conf={"no-strict": True})
    return signer


def _claims(endpoint: str, contact: str) -> dict[str, Any]:
    """RFC 8292 claims: the endpoint's origin, the instance's URL as
    contact, valid JWT_LIFETIME."""
    parts = urlsplit(endpoint)
    return {"aud": f"{parts.scheme}://{parts.netloc}", "sub": contact,
            "exp": int(time.time()) + JWT_LIFETIME}
