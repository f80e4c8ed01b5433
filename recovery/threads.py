"""A post's conversation as a viewer may see it (the client API's context),
and the versions of an edited post."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from recovery.models import Member, Post
from recovery.status_models import PostVersion
from recovery.store import post_edits as edits_store
from recovery.store import threads as store

ANCESTORS_MAX = 40
DESCENDANTS_DEPTH = 40
DESCENDANTS_MAX = 4096


@dataclass(frozen=True, slots=True)
class Thread:
    ancestors: list[Post]
    descendants: list[Post]


async def context(conn: Any, post: Post, viewer: Member | None, viewer_uri: str | None) -> Thread:
    """The posts ``post`` replies to (oldest first) and the replies below it
    (in thread order), each only if the viewer may see it; bounded in depth
    and count (RELIABILITY.md 36)."""
    viewer_id = viewer.id if viewer else None
    uri = viewer_uri if viewer else None
    return Thread(
        await store.ancestors(conn, post.id, viewer_id, uri, ANCESTORS_MAX),
        await store.descendants(conn, post.id, viewer_id, uri, DESCENDANTS_DEPTH,
                                DESCENDANTS_MAX))


async def versions(conn: Any, post: Post) -> list[PostVersion]:
    """Every version of the post, oldest first, the current one last."""
    current = PostVersion(post.content_html, post.summary, post.sensitive,
                          post.edited_at or post.published_at)
    return [*await edits_store.earlier_versions(conn, post.id), current]


async def keep_version(conn: Any, post: Post) -> None:
    """Keep the post as it reads now: call it before each edit."""
    await edits_store.keep_version(conn, post)
