"""A remote post fetched by its address (a client's search with
resolve=true): read from its own server, its author resolved, and stored as
a post of theirs when it is public or unlisted. Nothing it replies to is
fetched (RELIABILITY.md 36); a post already here is not fetched again."""

from __future__ import annotations

from typing import Any

from federation.activities import visibility_of
from federation.addresses import same_origin
from federation.fetch import fetch_document
from federation.objects import parse_object
from inbox.remote import RemoteFetcher, resolve_actor
from recovery import media, posts
from recovery.media_models import RemoteMedia
from recovery.models import Post, Visibility

NOTE_TYPES = ("Note", "Article", "Page", "Question")
_PUBLICLY = (Visibility.PUBLIC, Visibility.UNLISTED)


async def fetch_post(conn: Any, fetcher: RemoteFetcher, url: str) -> Post | None:
    """The post at ``url``; None when it is not a public post of an actor on
    its own server. Federation errors (refused, gone, unreachable) propagate."""
    known = await posts.by_uri(conn, url)
    if known is not None:
        return known
    note = parse_object(await fetch_document(fetcher.client, url, policy=fetcher.policy,
                                             sign=fetcher.sign))
    if note.type not in NOTE_TYPES or note.attributed_to is None:
        return None
    if not same_origin(note.attributed_to, note.id):
        return None  # RELIABILITY.md 17
    known = await posts.by_uri(conn, note.id)  # fetched by its url, known by its id
    if known is not None:
        return known
    author = await resolve_actor(conn, fetcher, note.attributed_to)
    visibility = Visibility(visibility_of(note, author.followers))
    if author.gone or visibility not in _PUBLICLY:
        return None
    reply_to = await posts.by_uri(conn, note.in_reply_to) if note.in_reply_to else None
    stored = await posts.received(conn, author, note, visibility,
                                  None if reply_to is None or reply_to.is_boost else reply_to)
    if stored is not None and note.attachments:  # as the inbox stores them
        await media.received(conn, stored.id, [
            RemoteMedia(a.url, a.media_type, a.name) for a in note.attachments])
    return stored
