"""What clients list around likes and boosts: the member's favourites, and
who favourited or boosted a post (only asked of a post the caller may see)."""

from __future__ import annotations

from typing import Any

from recovery.models import Member, Post
from recovery.status_models import ListPage, Marked, Reactor
from recovery.store import favourites as store

LIST_MAX = 80


async def favourited(conn: Any, member: Member, member_uri: str, page: ListPage) -> list[Marked]:
    return await store.favourited_posts(conn, member.id, member_uri, _capped(page, 40))


async def favourited_by(conn: Any, post: Post, page: ListPage) -> list[Reactor]:
    return await store.favourited_by(conn, post.id, _capped(page, LIST_MAX))


async def reblogged_by(conn: Any, post: Post, page: ListPage) -> list[Reactor]:
    return await store.reblogged_by(conn, post.id, _capped(page, LIST_MAX))


def _capped(page: ListPage, most: int) -> ListPage:
    return ListPage(min(max(page.limit, 1), most), page.max_id, page.since_id, page.min_id)
