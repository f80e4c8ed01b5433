"""SQL for the lists around likes and boosts that clients show: a member's
favourites, and who favourited or boosted a post."""

from __future__ import annotations

from typing import Any

from recovery.models import Party
from recovery.status_models import ListPage, Marked, Reactor
from recovery.store import paging
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _with_reblogs

__all__ = ["favourited_by", "favourited_posts", "reblogged_by"]


async def favourited_posts(
    conn: Any, member_id: int, member_uri: str, page: ListPage,
) -> list[Marked]:
    """The posts the member liked and may still see, newest like first."""
    rows = await conn.fetch(
        _POST_SELECT.replace("SELECT p.id,", "SELECT x.id AS mark_id, p.id,", 1)
        + " JOIN reactions x ON x.post_id = p.id"
        f" WHERE x.actor_member_id = $1 AND x.kind = 'like' AND {_VISIBLE_TO}"
        + paging.bounds("x.id", 4) + paging.order("x.id", page) + " LIMIT $3",
        member_id, member_uri, page.limit, *paging.values(page))
    rows = paging.newest_first(rows, page)
    posts = await _with_reblogs(conn, rows)
    return [Marked(row["mark_id"], post) for row, post in zip(rows, posts, strict=True)]


async def favourited_by(conn: Any, post_id: int, page: ListPage) -> list[Reactor]:
    """Who liked the post, newest first (members no longer active left out)."""
    rows = await conn.fetch(
        """SELECT x.id, x.actor_member_id, x.actor_remote_id FROM reactions x
           LEFT JOIN members m ON m.id = x.actor_member_id
           LEFT JOIN remote_actors r ON r.id = x.actor_remote_id
           WHERE x.post_id = $1 AND x.kind = 'like'
             AND (m.status = 'active' OR r.gone_at IS NULL AND r.id IS NOT NULL)"""
        + paging.bounds("x.id", 3) + paging.order("x.id", page) + " LIMIT $2",
        post_id, page.limit, *paging.values(page))
    return [Reactor(row["id"], Party(row["actor_member_id"], row["actor_remote_id"]))
            for row in paging.newest_first(rows, page)]


async def reblogged_by(conn: Any, post_id: int, page: ListPage) -> list[Reactor]:
    """Who boosted the post, newest boost first."""
    rows = await conn.fetch(
        """SELECT b.id, b.author_member_id, b.author_remote_id FROM posts b
           LEFT JOIN members m ON m.id = b.author_member_id
           LEFT JOIN remote_actors r ON r.id = b.author_remote_id
           WHERE b.reblog_of_id = $1
             AND (m.status = 'active' OR r.gone_at IS NULL AND r.id IS NOT NULL)"""
        + paging.bounds("b.id", 3) + paging.order("b.id", page) + " LIMIT $2",
        post_id, page.limit, *paging.values(page))
    return [Reactor(row["id"], Party(row["author_member_id"], row["author_remote_id"]))
            for row in paging.newest_first(rows, page)]
