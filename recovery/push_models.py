"""Plain data for Web Push (recovery/push.py): a member's subscription as an
app registered it, what a request asks to store, the instance's VAPID key
pair, and a claimed push waiting to be sent."""

from __future__ import annotations

from dataclasses import dataclass, field

from recovery.progress_models import Notification

# Mastodon's alert names (docs.joinmastodon.org/methods/push), in its order.
ALERTS: tuple[str, ...] = ("mention", "status", "reblog", "follow", "follow_request",
                           "favourite", "poll", "update", "admin.sign_up", "admin.report")
POLICIES: tuple[str, ...] = ("all", "followed", "follower", "none")


@dataclass(frozen=True, slots=True)
class VapidKey:
    """base64url: the private key as its 32-byte scalar, the public key as
    the uncompressed P-256 point (what clients call the server key); and
    the AES key that seals subscriptions' access tokens."""

    private_key: str = field(repr=False)
    public_key: str
    token_key: bytes = field(repr=False)


@dataclass(frozen=True, slots=True)
class SubscriptionInput:
    """What a POST asks to store (already checked by ``push.parse_input``)."""

    endpoint: str
    p256dh: str
    auth: str = field(repr=False)
    alerts: tuple[str, ...]
    policy: str
    standard: bool = False


@dataclass(frozen=True, slots=True)
class Subscription:
    """One access token's subscription; ``alerts`` are those switched on."""

    id: int
    token_id: int
    member_id: int
    endpoint: str
    p256dh: str
    auth: str = field(repr=False)
    sealed_token: bytes = field(repr=False)  # the access token (push.seal)
    alerts: tuple[str, ...] = ()
    policy: str = "all"
    # RFC 8291 aes128gcm and RFC 8292 "vapid"; False: the drafts' aesgcm and
    # "WebPush", as Mastodon sends to apps that do not ask for the standard.
    standard: bool = False


@dataclass(frozen=True, slots=True)
class PushJob:
    """A claimed push: ``attempts`` counts this one."""

    id: int
    attempts: int
    subscription: Subscription
    notification: Notification
