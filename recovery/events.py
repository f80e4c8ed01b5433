"""Live events for streaming clients (Mastodon's streaming API).

Whatever stores a post, a boost, an edit, a deletion or a notification calls
one of the functions below in the same transaction: the event is sent when
that transaction commits and never if it rolls back. Every ``hearth serve``
process listens (web/streams.py) and shows each event to the streams whose
owner may see it, checked with ``audience`` and ``notification``.

An event is small and says nothing private: its kind and ids, and for a
deletion whom the post was for (its content is gone by then), e.g.
``{"k": "post", "id": 42}``."""

from __future__ import annotations

import json
import logging
from dataclasses import dataclass
from typing import Any

from recovery.models import Member, Party, Post, Visibility
from recovery.progress_models import Notification
from recovery.store import events as store

log = logging.getLogger(__name__)

POST = "post"  # a new post or boost
EDIT = "edit"
DELETE = "delete"
NOTIFICATION = "notification"
FILTERS = "filters"  # a member's filters changed
TOKENS = "tokens"  # tokens were revoked or a member removed: streams check theirs
KINDS = frozenset({POST, EDIT, DELETE, NOTIFICATION, FILTERS, TOKENS})
_RECIPIENTS_MAX = 50


@dataclass(frozen=True, slots=True)
class Event:
    """One event as every process receives it. ``id`` is the post's or the
    notification's; ``member_id`` whose notification or filters it is; a
    deletion also carries the post's author, visibility, boost flag and (for
    a direct post) the actor URIs it named."""

    kind: str
    id: int | None = None
    member_id: int | None = None
    author: Party | None = None
    visibility: Visibility | None = None
    boost: bool = False
    recipients: tuple[str, ...] = ()


def encode(event: Event) -> str:
    data: dict[str, Any] = {"k": event.kind}
    if event.id is not None:
        data["id"] = event.id
    if event.member_id is not None:
        data["m"] = event.member_id
    if event.author is not None:
        data["a"] = [event.author.member_id, event.author.remote_id]
    if event.visibility is not None:
        data["v"] = event.visibility.value
    if event.boost:
        data["b"] = 1
    if event.recipients:
        data["to"] = list(event.recipients)
    return json.dumps(data, separators=(",", ":"))


def decode(payload: str) -> Event | None:
    """The event, or None (logged) for a payload this version cannot read."""
    try:
        data = json.loads(payload)
        kind = data["k"]
        if kind not in KINDS:
            raise ValueError(f"unknown kind {kind!r}")
        author = data.get("a")
        return Event(
            kind=kind, id=_optional_int(data.get("id")), member_id=_optional_int(data.get("m")),
            author=Party(author[0], author[1]) if author else None,
            visibility=Visibility(data["v"]) if "v" in data else None,
            boost=bool(data.get("b")),
            recipients=tuple(str(r) for r in data.get("to", ())),
        )
    except (ValueError, KeyError, TypeError, IndexError) as exc:
        log.warning("ignored an event this process cannot read (%s)", exc)
        return None


def _optional_int(value: Any) -> int | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError("ids are whole numbers")
    return value


# -- sending (in the caller's transaction) ----------------------------------------

async def post_created(conn: Any, post_id: int) -> None:
    """A new post or boost, local or remote."""
    await store.notify(conn, encode(Event(POST, id=post_id)))


async def post_edited(conn: Any, post_id: int) -> None:
    await store.notify(conn, encode(Event(EDIT, id=post_id)))


async def post_deleted(conn: Any, post: Post) -> None:
    """A post or boost is gone; called with the post as it was."""
    recipients = post.recipients[:_RECIPIENTS_MAX] if post.visibility is Visibility.DIRECT \
        else ()
    event = Event(DELETE, id=post.id,
                  author=Party(post.author.member_id, post.author.remote_id),
                  visibility=post.visibility, boost=post.is_boost, recipients=recipients)
    payload = encode(event)
    if len(payload.encode()) > store.PAYLOAD_MAX:  # very long actor URIs
        payload = encode(Event(DELETE, id=post.id, author=event.author,
                               visibility=post.visibility, boost=post.is_boost))
    await store.notify(conn, payload)


async def notification_created(conn: Any, notification: Notification) -> None:
    await store.notify(conn, encode(Event(NOTIFICATION, id=notification.id,
                                          member_id=notification.member_id)))


async def filters_changed(conn: Any, member_id: int) -> None:
    """The member added, changed or removed a filter."""
    await store.notify(conn, encode(Event(FILTERS, member_id=member_id)))


async def tokens_changed(conn: Any) -> None:
    """Tokens were revoked or a member removed: every process checks the
    tokens of its open streams now."""
    await store.notify(conn, encode(Event(TOKENS)))


# -- receiving (one dedicated connection per process) -----------------------------

async def listen(conn: Any, callback: Any) -> None:
    """``callback(payload)`` for each event; ``conn`` must be a connection
    of its own, kept open for this alone."""
    def received(_conn: Any, _pid: int, _channel: str, payload: str) -> None:
        callback(payload)
    await store.subscribe(conn, received)


async def ping(conn: Any) -> None:
    await store.ping(conn)


# -- checks a stream makes before showing an event --------------------------------

@dataclass(frozen=True, slots=True)
class Audience:
    visible: bool  # the member may see it (visibility, blocks, mutes)
    home: bool  # and it belongs in their home timeline


async def audience(conn: Any, post: Post, member: Member, member_uri: str) -> Audience:
    visible, home = await store.post_audience(conn, post.id, member.id, member_uri)
    return Audience(visible, visible and home)


async def live_tokens(conn: Any, token_ids: list[int]) -> set[int]:
    return await store.live_tokens(conn, token_ids) if token_ids else set()


async def tags_of(conn: Any, post: Post) -> set[str]:
    return await store.post_tags(conn, post.id)


async def followers_among(conn: Any, author: Party, member_ids: list[int]) -> set[int]:
    return await store.followers_among(conn, author, member_ids) if member_ids else set()


async def notification(conn: Any, notification_id: int) -> Notification | None:
    """The notification as its member's list would show it; None when
    dismissed, gone, or from an account they silenced."""
    return await store.shown_notification(conn, notification_id)
