"""SQL for posts (boosts among them: rows with ``reblog_of_id``), tombstones
and reactions (likes)."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recovery.models import AccountStats, Author, Post, PostMilestone, Visibility

_POST_SELECT = """
    SELECT p.id, p.uri, p.author_member_id, p.author_remote_id, p.visibility,
           p.content_html, p.summary, p.sensitive, p.in_reply_to_id, p.in_reply_to_uri,
           p.context_uri, p.url, p.recipients, p.published_at, p.edited_at, p.reblog_of_id,
           p.milestone, p.language,
           coalesce(m.username, r.preferred_username, r.uri) AS author_username,
           coalesce(nullif(m.display_name, ''), m.username, r.name,
                    r.preferred_username, r.uri) AS author_name,
           r.host AS author_host, r.uri AS author_uri, r.url AS author_url,
           coalesce(pc.likes, 0) AS likes, coalesce(pc.boosts, 0) AS boosts,
           coalesce(pc.replies, 0) AS replies,
           p.xmin AS version, coalesce(m.xmin, r.xmin) AS author_version,
           coalesce(mc.followers, rc.followers, 0) AS author_followers,
           coalesce(mc.following, rc.following, 0) AS author_following,
           coalesce(mc.statuses, rc.statuses, 0) AS author_statuses,
           coalesce(mc.last_status_at, rc.last_status_at) AS author_last_status_at
    FROM posts p
    LEFT JOIN members m ON m.id = p.author_member_id
    LEFT JOIN remote_actors r ON r.id = p.author_remote_id
    LEFT JOIN post_counts pc ON pc.post_id = p.id
    LEFT JOIN account_counts mc ON mc.member_id = p.author_member_id
    LEFT JOIN account_counts rc ON rc.remote_id = p.author_remote_id
"""
# ``version`` and ``author_version`` are the rows' xmin, the transaction that
# wrote this version of the post's and of its author's row: the client API's
# entity cache (web/api/entity_cache.py) keeps what it built from a version
# until the row changes. The author's counts come with the post for the same
# reason: they change too often to keep.


def _visible(alias: str) -> str:
    """What a viewer may see of post ``alias`` ($1 the member's id, $2 their
    actor URI; both NULL for a visitor): their own posts; public and unlisted
    posts; community posts of members here, to members here; followers-only
    posts of those they follow (follow accepted); direct posts that name them."""
    return f"""
    ({alias}.author_member_id = $1::bigint
     OR {alias}.visibility IN ('public', 'unlisted')
     OR ({alias}.visibility = 'community' AND $1::bigint IS NOT NULL
         AND {alias}.author_member_id IS NOT NULL)
     OR ({alias}.visibility = 'followers' AND EXISTS (
            SELECT 1 FROM follows f
            WHERE f.follower_member_id = $1::bigint AND f.state = 'accepted'
              AND (f.followed_member_id = {alias}.author_member_id
                   OR f.followed_remote_id = {alias}.author_remote_id)))
     OR ({alias}.visibility = 'direct' AND $2::text = ANY ({alias}.recipients)))
"""


# A post the viewer may see, and for a boost, the boosted post too. (A
# scalar subquery, not EXISTS: the planner would hash an EXISTS over every
# post, ~65 ms with 100,000 of them, where this looks up each boost's post.)
_VISIBLE_TO = _visible("p") + f"""
    AND (p.reblog_of_id IS NULL OR (
            SELECT {_visible("o")} FROM posts o WHERE o.id = p.reblog_of_id))
"""


def _post(row: Any) -> Post:
    author = Author(
        member_id=row["author_member_id"], remote_id=row["author_remote_id"],
        username=row["author_username"], name=row["author_name"], host=row["author_host"],
        uri=row["author_uri"], url=row["author_url"], version=row["author_version"] or 0,
    )
    return Post(
        id=row["id"], uri=row["uri"], author=author, visibility=Visibility(row["visibility"]),
        content_html=row["content_html"], summary=row["summary"], sensitive=row["sensitive"],
        in_reply_to_id=row["in_reply_to_id"], in_reply_to_uri=row["in_reply_to_uri"],
        context_uri=row["context_uri"], url=row["url"], recipients=tuple(row["recipients"]),
        published_at=row["published_at"], edited_at=row["edited_at"],
        likes=row["likes"], boosts=row["boosts"], replies=row["replies"],
        reblog_of_id=row["reblog_of_id"],
        milestone=PostMilestone.from_json(row["milestone"]), language=row["language"],
        version=row["version"],
        author_stats=AccountStats(row["author_followers"], row["author_following"],
                                  row["author_statuses"], row["author_last_status_at"]),
    )


async def _with_reblogs(conn: Any, rows: Sequence[Any]) -> list[Post]:
    """Posts from rows, each boost with the post it boosts."""
    shown = [_post(row) for row in rows]
    wanted = sorted({p.reblog_of_id for p in shown if p.reblog_of_id is not None})
    if not wanted:
        return shown
    originals = {row["id"]: _post(row) for row in await conn.fetch(
        # (a join, not ``= ANY``: PostgreSQL then keeps one generic plan)
        _POST_SELECT + " JOIN unnest($1::bigint[]) AS wanted (id) ON wanted.id = p.id",
        wanted)}
    return [dataclasses.replace(p, reblog=originals.get(p.reblog_of_id))
            if p.reblog_of_id is not None else p for p in shown]


async def insert_post(conn: Any, values: dict[str, Any]) -> int | None:
    """Insert a post; its id, or None when a remote post with that uri exists."""
    post_id: int | None = await conn.fetchval(
        """INSERT INTO posts (uri, author_member_id, author_remote_id, visibility,
                              content_html, summary, sensitive, in_reply_to_id,
                              in_reply_to_uri, context_uri, url, recipients, published_at,
                              language)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                   coalesce($13, now()), $14)
           ON CONFLICT (uri) DO NOTHING RETURNING id""",
        values.get("uri"), values.get("author_member_id"), values.get("author_remote_id"),
        values["visibility"].value, values["content_html"], values.get("summary", ""),
        values.get("sensitive", False), values.get("in_reply_to_id"),
        values.get("in_reply_to_uri"), values.get("context_uri"), values.get("url"),
        list(values.get("recipients", ())), values.get("published_at"),
        values.get("language"),
    )
    if post_id is not None and values.get("tags"):
        await set_post_tags(conn, post_id, values["tags"])
    return post_id


async def set_post_tags(conn: Any, post_id: int, names: Sequence[str]) -> None:
    """The post's hashtags (case-folded, without '#'), replacing any it had."""
    # Two statements: in one WITH, the DELETE and the INSERT see the same
    # snapshot, so a tag the post keeps across an edit would be deleted and
    # its re-insert skipped as a conflict.
    wanted = sorted({n.casefold() for n in names})
    await conn.execute(
        "DELETE FROM post_tags WHERE post_id = $1 AND NOT (name = ANY($2::text[]))",
        post_id, wanted)
    await conn.execute(
        """INSERT INTO post_tags (name, post_id)
           SELECT n, $1 FROM unnest($2::text[]) AS n ON CONFLICT DO NOTHING""",
        post_id, wanted)


async def tags_of_posts(conn: Any, post_ids: Sequence[int]) -> dict[int, list[str]]:
    """The hashtags of each post (by id, names sorted), for a whole page in one query."""
    rows = await conn.fetch(
        """SELECT t.post_id, array_agg(t.name ORDER BY t.name) AS names
           FROM post_tags t JOIN unnest($1::bigint[]) AS wanted (id) ON wanted.id = t.post_id
           GROUP BY t.post_id""",
        sorted(set(post_ids)))
    return {row["post_id"]: list(row["names"]) for row in rows}


async def update_post(
    conn: Any, post_id: int, content_html: str, summary: str, sensitive: bool,
    edited_at: datetime | None = None,
) -> None:
    await conn.execute(
        """UPDATE posts SET content_html = $2, summary = $3, sensitive = $4,
                            edited_at = coalesce($5, now())
           WHERE id = $1""",
        post_id, content_html, summary, sensitive, edited_at,
    )


async def get_post(conn: Any, post_id: int) -> Post | None:
    row = await conn.fetchrow(_POST_SELECT + " WHERE p.id = $1", post_id)
    return (await _with_reblogs(conn, [row]))[0] if row else None


async def get_post_by_uri(conn: Any, uri: str) -> Post | None:
    row = await conn.fetchrow(_POST_SELECT + " WHERE p.uri = $1", uri)
    return (await _with_reblogs(conn, [row]))[0] if row else None


async def insert_boost(
    conn: Any, post_id: int, visibility: str, *, member_id: int | None = None,
    remote_id: int | None = None, uri: str | None = None, published_at: datetime | None = None,
) -> int | None:
    """A boost of ``post_id``; its id, or None when this actor has boosted it
    already (or a post with that uri exists)."""
    boost_id: int | None = await conn.fetchval(
        """INSERT INTO posts (uri, author_member_id, author_remote_id, visibility,
                              content_html, reblog_of_id, published_at)
           VALUES ($1, $2, $3, $4, '', $5, coalesce($6, now()))
           ON CONFLICT DO NOTHING RETURNING id""",
        uri, member_id, remote_id, visibility, post_id, published_at,
    )
    return boost_id


async def boost_by_member(conn: Any, post_id: int, member_id: int) -> Post | None:
    """The member's boost of ``post_id``, if any."""
    row = await conn.fetchrow(
        _POST_SELECT + " WHERE p.reblog_of_id = $1 AND p.author_member_id = $2",
        post_id, member_id)
    return (await _with_reblogs(conn, [row]))[0] if row else None


async def delete_remote_boost(conn: Any, uri: str, remote_id: int) -> bool:
    """Remove the remote actor's boost whose Announce had id ``uri``."""
    result: str = await conn.execute(
        """DELETE FROM posts WHERE uri = $1 AND author_remote_id = $2
             AND reblog_of_id IS NOT NULL""",
        uri, remote_id,
    )
    return result != "DELETE 0"


async def delete_post(conn: Any, post_id: int) -> None:
    await conn.execute("DELETE FROM posts WHERE id = $1", post_id)


async def add_tombstone(conn: Any, uri: str) -> None:
    await conn.execute(
        "INSERT INTO tombstones (uri) VALUES ($1) ON CONFLICT DO NOTHING", uri
    )


async def is_tombstoned(conn: Any, uri: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM tombstones WHERE uri = $1)", uri
    ))


async def member_posts(
    conn: Any, author_id: int, viewer_id: int | None, viewer_uri: str | None, limit: int,
) -> list[Post]:
    """A member's posts and boosts that the viewer (None: a visitor) may see."""
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE p.author_member_id = $3 AND {_VISIBLE_TO}
        ORDER BY p.id DESC LIMIT $4""",
        viewer_id, viewer_uri, author_id, limit,
    )
    return await _with_reblogs(conn, rows)


async def visible_to(
    conn: Any, post_id: int, viewer_id: int | None, viewer_uri: str | None
) -> bool:
    return bool(await conn.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM posts p WHERE p.id = $3 AND {_VISIBLE_TO})",
        viewer_id, viewer_uri, post_id,
    ))


async def replies_to(conn: Any, post_ids: Sequence[int]) -> list[Post]:
    rows = await conn.fetch(
        _POST_SELECT + """ WHERE p.in_reply_to_id = ANY($1::bigint[])
                           AND p.reblog_of_id IS NULL ORDER BY p.id""",
        list(post_ids),
    )
    return [_post(row) for row in rows]


async def add_reaction(
    conn: Any, kind: str, uri: str, post_id: int, member_id: int | None, remote_id: int | None,
) -> bool:
    added = await conn.fetchval(
        """INSERT INTO reactions (kind, uri, post_id, actor_member_id, actor_remote_id)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        kind, uri, post_id, member_id, remote_id,
    )
    return bool(added)


async def reaction_uri(
    conn: Any, kind: str, post_id: int, member_id: int | None, remote_id: int | None
) -> str | None:
    uri: str | None = await conn.fetchval(
        """SELECT uri FROM reactions WHERE kind = $1 AND post_id = $2
             AND coalesce(actor_member_id, 0) = coalesce($3, 0)
             AND coalesce(actor_remote_id, 0) = coalesce($4, 0)""",
        kind, post_id, member_id, remote_id,
    )
    return uri


async def remove_reaction_by_uri(conn: Any, uri: str, remote_id: int | None) -> bool:
    result: str = await conn.execute(
        """DELETE FROM reactions WHERE uri = $1
             AND ($2::bigint IS NULL OR actor_remote_id = $2)""",
        uri, remote_id,
    )
    return result != "DELETE 0"


# What another server may fetch of a local member's post: public and unlisted
# by anyone; followers-only by an accepted follower of the author that still
# exists; direct by an actor the post names. Community posts never leave.
_FETCHABLE_BY_REMOTE = """
    (p.visibility IN ('public', 'unlisted')
     OR (p.visibility = 'followers' AND EXISTS (
            SELECT 1 FROM follows f JOIN remote_actors r ON r.id = f.follower_remote_id
            WHERE f.follower_remote_id = $3::bigint AND f.followed_member_id = p.author_member_id
              AND f.state = 'accepted' AND r.gone_at IS NULL))
     OR (p.visibility = 'direct' AND $4::text = ANY (p.recipients)))
"""


async def fetchable_by_remote(
    conn: Any, post_id: int, author_id: int, remote_id: int | None, remote_uri: str | None,
) -> bool:
    """Whether the member's post ``post_id`` may be served to the remote actor
    (None, None: an anonymous fetch)."""
    return bool(await conn.fetchval(
        f"""SELECT EXISTS (SELECT 1 FROM posts p
                           WHERE p.id = $1 AND p.author_member_id = $2
                             AND {_FETCHABLE_BY_REMOTE})""",
        post_id, author_id, remote_id, remote_uri,
    ))


async def public_posts_of_member(
    conn: Any, author_id: int, limit: int, max_id: int | None
) -> list[Post]:
    """A member's public posts and boosts (not unlisted), newest first, below
    ``max_id``; a boost comes with the post it boosts."""
    rows = await conn.fetch(
        _POST_SELECT + """
        WHERE p.author_member_id = $1 AND p.visibility = 'public'
          AND ($3::bigint IS NULL OR p.id < $3)
        ORDER BY p.id DESC LIMIT $2""",
        author_id, limit, max_id,
    )
    return await _with_reblogs(conn, rows)


async def count_public_posts_of_member(conn: Any, author_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM posts WHERE author_member_id = $1 AND visibility = 'public'",
        author_id,
    )
    return count


async def count_local_posts(conn: Any) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM posts WHERE author_member_id IS NOT NULL AND reblog_of_id IS NULL"
    )
    return count
