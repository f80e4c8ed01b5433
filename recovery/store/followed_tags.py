"""SQL for followed hashtags (``followed_tags`` in schema.sql). Following
brings the tag's newest public and community posts into the member's home
feed (later ones come by the ``home_feed_tag_added`` trigger); unfollowing
takes out those that were there for that tag alone."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from typing import Any

from recovery.status_models import ListPage
from recovery.store import paging

BACKFILL = 100  # posts brought into the home feed when a member starts following


async def follow(conn: Any, member_id: int, name: str) -> None:
    added = await conn.fetchval(
        """INSERT INTO followed_tags (member_id, name) VALUES ($1, $2)
           ON CONFLICT DO NOTHING RETURNING id""", member_id, name)
    if added is None:
        return
    await conn.execute(
        """INSERT INTO home_feed (member_id, post_id)
           SELECT $1, p.id FROM post_tags t JOIN posts p ON p.id = t.post_id
           WHERE t.name = $2 AND p.visibility IN ('public', 'community')
             AND p.reblog_of_id IS NULL
           ORDER BY p.id DESC LIMIT $3
           ON CONFLICT DO NOTHING""", member_id, name, BACKFILL)


async def unfollow(conn: Any, member_id: int, name: str) -> None:
    """Stop following; the posts that were in the home feed for this tag
    only (not the member's own, nor by an account they follow, nor naming
    them, nor carrying another tag they follow) leave it."""
    removed = await conn.fetchval(
        "DELETE FROM followed_tags WHERE member_id = $1 AND name = $2 RETURNING id",
        member_id, name)
    if removed is None:
        return
    await conn.execute(
        """DELETE FROM home_feed h USING post_tags t, posts p
           WHERE h.member_id = $1 AND t.name = $2 AND t.post_id = h.post_id
             AND p.id = h.post_id AND p.visibility IN ('public', 'community')
             AND p.author_member_id IS DISTINCT FROM $1
             AND NOT EXISTS (
                 SELECT 1 FROM follows f
                 WHERE f.follower_member_id = $1 AND f.state = 'accepted'
                   AND (f.followed_member_id = p.author_member_id
                        OR f.followed_remote_id = p.author_remote_id))
             AND NOT EXISTS (
                 SELECT 1 FROM post_tags other JOIN followed_tags ft
                   ON ft.member_id = $1 AND ft.name = other.name
                 WHERE other.post_id = p.id)""", member_id, name)


async def followed_page(conn: Any, member_id: int, page: ListPage) -> list[tuple[int, str]]:
    """(row id, name) of the tags the member follows, newest follow first."""
    rows = await conn.fetch(
        f"""SELECT id, name FROM followed_tags WHERE member_id = $1
            {paging.bounds("id", 2)} {paging.order("id", page)} LIMIT $5""",
        member_id, *paging.values(page), page.limit)
    return [(row["id"], row["name"]) for row in paging.newest_first(list(rows), page)]


async def following_among(conn: Any, member_id: int, names: Sequence[str]) -> set[str]:
    rows = await conn.fetch(
        "SELECT name FROM followed_tags WHERE member_id = $1 AND name = ANY($2::text[])",
        member_id, list(names))
    return {row["name"] for row in rows}


async def uses_per_day(conn: Any, names: Sequence[str], since: date
                       ) -> dict[str, dict[date, tuple[int, int]]]:
    """For each tag: (posts, distinct authors) per day since ``since``, as
    the tag history counts them (store/timelines.py ``tag_uses``), in one query."""
    rows = await conn.fetch(
        """SELECT t.name, (p.published_at AT TIME ZONE 'UTC')::date AS day,
                  count(*) AS uses,
                  count(DISTINCT (p.author_member_id, p.author_remote_id)) AS accounts
           FROM post_tags t JOIN posts p ON p.id = t.post_id
           WHERE t.name = ANY($1::text[]) AND p.visibility IN ('public', 'community')
             AND p.published_at >= $2::date
           GROUP BY 1, 2""", list(names), since)
    found: dict[str, dict[date, tuple[int, int]]] = {}
    for row in rows:
        found.setdefault(row["name"], {})[row["day"]] = (row["uses"], row["accounts"])
    return found


async def tag_followers_among(conn: Any, member_ids: Sequence[int]) -> set[int]:
    """Those of ``member_ids`` who follow at least one hashtag."""
    rows = await conn.fetch(
        """SELECT DISTINCT member_id FROM followed_tags
           WHERE member_id = ANY($1::bigint[])""", list(member_ids))
    return {row["member_id"] for row in rows}
