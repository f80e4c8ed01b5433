"""SQL for a member's own marks on posts: bookmarks, pins of their own posts
and muted conversations (a conversation is named by its first post)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.models import Post
from recovery.status_models import ListPage, Marked
from recovery.store import paging
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _with_reblogs

__all__ = [
    "add_bookmark", "add_conversation_mute", "add_pin", "bookmarked_posts", "count_pins",
    "is_conversation_muted", "marks_among", "pinned_posts", "remove_bookmark",
    "remove_conversation_mute", "remove_pin", "thread_root",
]


async def add_bookmark(conn: Any, member_id: int, post_id: int) -> None:
    await conn.execute(
        """INSERT INTO bookmarks (member_id, post_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""", member_id, post_id)


async def remove_bookmark(conn: Any, member_id: int, post_id: int) -> None:
    await conn.execute(
        "DELETE FROM bookmarks WHERE member_id = $1 AND post_id = $2", member_id, post_id)


async def bookmarked_posts(
    conn: Any, member_id: int, member_uri: str, page: ListPage,
) -> list[Marked]:
    """The member's bookmarks they may still see, newest bookmark first."""
    rows = await conn.fetch(
        _POST_SELECT.replace("SELECT p.id,", "SELECT b.id AS mark_id, p.id,", 1)
        + f" JOIN bookmarks b ON b.post_id = p.id"
        f" WHERE b.member_id = $1 AND {_VISIBLE_TO}" + paging.bounds("b.id", 4)
        + paging.order("b.id", page) + " LIMIT $3",
        member_id, member_uri, page.limit, *paging.values(page))
    rows = paging.newest_first(rows, page)
    posts = await _with_reblogs(conn, rows)
    return [Marked(row["mark_id"], post) for row, post in zip(rows, posts, strict=True)]


async def add_pin(conn: Any, member_id: int, post_id: int) -> None:
    await conn.execute(
        "INSERT INTO status_pins (member_id, post_id) VALUES ($1, $2) ON CONFLICT DO NOTHING",
        member_id, post_id)


async def remove_pin(conn: Any, member_id: int, post_id: int) -> None:
    await conn.execute(
        "DELETE FROM status_pins WHERE member_id = $1 AND post_id = $2", member_id, post_id)


async def count_pins(conn: Any, member_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM status_pins WHERE member_id = $1", member_id)
    return count


async def pinned_posts(
    conn: Any, member_id: int, viewer_id: int | None = None, viewer_uri: str | None = None,
) -> list[Post]:
    """The member's pinned posts that the viewer (None: a visitor) may see,
    newest pin first: what ``GET /api/v1/accounts/:id/statuses?pinned=true``
    lists."""
    rows = await conn.fetch(
        _POST_SELECT + f""" JOIN status_pins s ON s.post_id = p.id
        WHERE s.member_id = $3 AND p.author_member_id = $3 AND {_VISIBLE_TO}
        ORDER BY s.id DESC""",
        viewer_id, viewer_uri, member_id)
    return await _with_reblogs(conn, rows)


async def thread_root(conn: Any, post_id: int) -> int:
    """The first post of the thread ``post_id`` is in (replies followed up,
    at most 100 steps)."""
    root: int = await conn.fetchval(
        """WITH RECURSIVE up (id, parent, depth) AS (
               SELECT id, in_reply_to_id, 0 FROM posts WHERE id = $1
               UNION ALL
               SELECT p.id, p.in_reply_to_id, up.depth + 1
               FROM posts p JOIN up ON p.id = up.parent WHERE up.depth < 100)
           SELECT id FROM up ORDER BY depth DESC LIMIT 1""", post_id)
    return root if root is not None else post_id


async def add_conversation_mute(conn: Any, member_id: int, root_post_id: int) -> None:
    await conn.execute(
        """INSERT INTO conversation_mutes (member_id, root_post_id) VALUES ($1, $2)
           ON CONFLICT DO NOTHING""", member_id, root_post_id)


async def is_conversation_muted(conn: Any, member_id: int, post_id: int) -> bool:
    root = await thread_root(conn, post_id)
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM conversation_mutes
                          WHERE member_id = $1 AND root_post_id = $2)""", member_id, root))


async def remove_conversation_mute(conn: Any, member_id: int, root_post_id: int) -> None:
    await conn.execute(
        "DELETE FROM conversation_mutes WHERE member_id = $1 AND root_post_id = $2",
        member_id, root_post_id)


# The walk up from each of the posts $2 to the root of its conversation, for
# the member $1's muted conversations: ``up`` has (start, id, parent) rows,
# the root's with parent NULL. Empty for a member with no muted conversation.
MUTED_WALK = """WITH RECURSIVE up (start, id, parent, depth) AS (
    SELECT id, id, in_reply_to_id, 0 FROM posts
    WHERE id = ANY($2::bigint[])
      AND EXISTS (SELECT 1 FROM conversation_mutes WHERE member_id = $1)
    UNION ALL
    SELECT up.start, p.id, p.in_reply_to_id, up.depth + 1
    FROM posts p JOIN up ON p.id = up.parent WHERE up.depth < 100)
"""


async def marks_among(
    conn: Any, member_id: int, post_ids: Sequence[int],
) -> set[tuple[str, int]]:
    """(mark, post id) for each of these posts the member liked ("like"),
    boosted ("boost"), bookmarked, pinned, or whose conversation they muted:
    every flag a status shows its viewer, in one query."""
    if not post_ids:
        return set()
    rows = await conn.fetch(
        MUTED_WALK + """
           SELECT kind AS mark, post_id FROM reactions
           WHERE actor_member_id = $1 AND post_id = ANY($2::bigint[])
           UNION ALL
           SELECT 'boost', reblog_of_id FROM posts
           WHERE author_member_id = $1 AND reblog_of_id = ANY($2::bigint[])
           UNION ALL
           SELECT 'bookmarked', post_id FROM bookmarks
           WHERE member_id = $1 AND post_id = ANY($2::bigint[])
           UNION ALL
           SELECT 'pinned', post_id FROM status_pins
           WHERE member_id = $1 AND post_id = ANY($2::bigint[])
           UNION ALL
           SELECT DISTINCT 'muted', up.start FROM up
           JOIN conversation_mutes c ON c.root_post_id = up.id AND c.member_id = $1
           WHERE up.parent IS NULL""",
        member_id, list(post_ids))
    return {(row["mark"], row["post_id"]) for row in rows}
