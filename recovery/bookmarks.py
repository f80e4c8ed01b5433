"""A member's own marks on posts they can see: bookmarks, pins of their own
posts (shown on their profile, at most ``MAX_PINS``) and muted conversations.
None of it leaves the instance or is shown to anyone else but the pins."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.errors import InvalidInput
from recovery.models import Member, Post, Visibility
from recovery.status_models import ListPage, Marked
from recovery.store import bookmarks as store

MAX_PINS = 5
LIST_MAX = 40


async def bookmark(conn: Any, member: Member, post: Post) -> None:
    await store.add_bookmark(conn, member.id, post.id)


async def unbookmark(conn: Any, member: Member, post: Post) -> None:
    await store.remove_bookmark(conn, member.id, post.id)


async def bookmarked(conn: Any, member: Member, member_uri: str, page: ListPage) -> list[Marked]:
    return await store.bookmarked_posts(conn, member.id, member_uri, _capped(page))


async def pin(conn: Any, member: Member, post: Post) -> None:
    """Pin the member's own post (not a boost, not a direct post)."""
    if post.author.member_id != member.id or post.is_boost:
        raise InvalidInput("id", "Only your own posts can be pinned.")
    if post.visibility is Visibility.DIRECT:
        raise InvalidInput("id", "Direct posts cannot be pinned.")
    if await store.count_pins(conn, member.id) >= MAX_PINS:
        raise InvalidInput("id", f"You can pin at most {MAX_PINS} posts.")
    await store.add_pin(conn, member.id, post.id)


async def unpin(conn: Any, member: Member, post: Post) -> None:
    await store.remove_pin(conn, member.id, post.id)


async def pinned(
    conn: Any, author: Member, viewer: Member | None, viewer_uri: str | None,
) -> list[Post]:
    """The author's pinned posts the viewer (None: a visitor) may see."""
    return await store.pinned_posts(conn, author.id, viewer.id if viewer else None,
                                    viewer_uri if viewer else None)


async def mute_conversation(conn: Any, member: Member, post: Post) -> None:
    await store.add_conversation_mute(conn, member.id, await store.thread_root(conn, post.id))


async def unmute_conversation(conn: Any, member: Member, post: Post) -> None:
    await store.remove_conversation_mute(conn, member.id,
                                         await store.thread_root(conn, post.id))


async def conversation_muted(conn: Any, member_id: int, post_id: int) -> bool:
    """Whether the member muted the conversation ``post_id`` is in: a
    notification about it (a mention, a reply) should not be made."""
    return await store.is_conversation_muted(conn, member_id, post_id)


async def marks(conn: Any, member: Member, posts: Sequence[Post]) -> set[tuple[str, int]]:
    """(flag, post id) among ``posts`` and the posts boosted by those that are
    boosts, in one query: "like" and "boost" (as ``posts.reacted`` has them),
    "bookmarked", "pinned" and "muted" (the conversation)."""
    ids = {p.id for p in posts} | {p.reblog_of_id for p in posts if p.reblog_of_id}
    return await store.marks_among(conn, member.id, sorted(ids))


def _capped(page: ListPage) -> ListPage:
    return ListPage(min(max(page.limit, 1), LIST_MAX), page.max_id, page.since_id, page.min_id)
