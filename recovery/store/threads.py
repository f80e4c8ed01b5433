"""SQL for a post's thread as a viewer may see it: the posts it replies to
and the replies below it. The visibility rule is the posts store's, and
accounts the viewer blocked or muted (or members who blocked them) are left
out as the timelines leave them out."""

from __future__ import annotations

from typing import Any

from recovery.models import Post
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _with_reblogs
from recovery.store.timelines import _UNSILENCED

__all__ = ["ancestors", "descendants"]


async def ancestors(
    conn: Any, post_id: int, viewer_id: int | None, viewer_uri: str | None, depth: int,
) -> list[Post]:
    """The posts ``post_id`` replies to, up to ``depth`` steps, oldest first;
    those the viewer may not see are left out."""
    rows = await conn.fetch(
        """WITH RECURSIVE up (id, parent, depth) AS (
               SELECT id, in_reply_to_id, 0 FROM posts WHERE id = $3
               UNION ALL
               SELECT p.id, p.in_reply_to_id, up.depth + 1
               FROM posts p JOIN up ON p.id = up.parent WHERE up.depth < $4)"""
        + _POST_SELECT + f""" JOIN up ON up.id = p.id
        WHERE up.depth > 0 AND {_VISIBLE_TO} AND {_UNSILENCED} ORDER BY up.depth DESC""",
        viewer_id, viewer_uri, post_id, depth)
    return await _with_reblogs(conn, rows)


async def descendants(
    conn: Any, post_id: int, viewer_id: int | None, viewer_uri: str | None, depth: int,
    limit: int,
) -> list[Post]:
    """The replies below ``post_id``, in thread order (each reply followed by
    its own replies, oldest first), at most ``depth`` levels and ``limit``
    posts; those the viewer may not see are left out."""
    rows = await conn.fetch(
        """WITH RECURSIVE down (id, path) AS (
               SELECT id, ARRAY[id] FROM posts
               WHERE in_reply_to_id = $3 AND reblog_of_id IS NULL
               UNION ALL
               SELECT p.id, down.path || p.id
               FROM posts p JOIN down ON p.in_reply_to_id = down.id
               WHERE p.reblog_of_id IS NULL AND cardinality(down.path) < $4)"""
        + _POST_SELECT + f""" JOIN down ON down.id = p.id
        WHERE {_VISIBLE_TO} AND {_UNSILENCED} ORDER BY down.path LIMIT $5""",
        viewer_id, viewer_uri, post_id, depth, limit)
    return await _with_reblogs(conn, rows)
