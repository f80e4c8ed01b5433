"""SQL for search: posts whose text has every word asked for, among those
the member may see (the one visibility rule) and not from accounts they
silenced; hashtags used here by the start of their name."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.models import Party, Post
from recovery.status_models import ListPage
from recovery.store import paging
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _with_reblogs
from recovery.store.timelines import _UNSILENCED

__all__ = ["search_posts", "search_tags"]


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


async def search_posts(
    conn: Any, member_id: int, member_uri: str, words: Sequence[str], author: Party | None,
    page: ListPage, offset: int,
) -> list[Post]:
    """Posts (not boosts) with every word in their text or content warning,
    newest first. (A scan of the posts the rest allows: no text index yet.)"""
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE p.reblog_of_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) AS w (pattern)
                          WHERE NOT (regexp_replace(p.content_html, '<[^>]*>', ' ', 'g')
                                       ILIKE w.pattern
                                     OR p.summary ILIKE w.pattern))
          AND ($4::bigint IS NULL OR p.author_member_id = $4)
          AND ($5::bigint IS NULL OR p.author_remote_id = $5)
          AND {_VISIBLE_TO} AND {_UNSILENCED}"""
        + paging.bounds("p.id", 8) + paging.order("p.id", page) + " LIMIT $6 OFFSET $7",
        member_id, member_uri, [like_pattern(w) for w in words],
        author.member_id if author else None, author.remote_id if author else None,
        page.limit, offset, *paging.values(page))
    return await _with_reblogs(conn, paging.newest_first(rows, page))


async def search_tags(conn: Any, prefix: str, limit: int, offset: int) -> list[str]:
    """Hashtags used here whose name starts with ``prefix`` (case-folded)."""
    rows = await conn.fetch(
        r"""SELECT DISTINCT name FROM post_tags WHERE name LIKE $1 || '%'
            ORDER BY name LIMIT $2 OFFSET $3""",
        like_pattern(prefix)[1:-1], limit, offset)
    return [r["name"] for r in rows]
