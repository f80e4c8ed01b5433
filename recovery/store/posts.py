"""SQL for posts, tombstones and reactions."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recovery.models import Author, Post, Visibility

_POST_SELECT = """
    SELECT p.id, p.uri, p.author_member_id, p.author_remote_id, p.visibility,
           p.content_html, p.summary, p.sensitive, p.in_reply_to_id, p.in_reply_to_uri,
           p.context_uri, p.url, p.recipients, p.published_at, p.edited_at,
           coalesce(m.username, r.preferred_username, r.uri) AS author_username,
           coalesce(nullif(m.display_name, ''), m.username, r.name,
                    r.preferred_username, r.uri) AS author_name,
           r.host AS author_host, r.uri AS author_uri, r.url AS author_url,
           (SELECT count(*) FROM reactions x WHERE x.post_id = p.id AND x.kind = 'like')
               AS likes,
           (SELECT count(*) FROM reactions x WHERE x.post_id = p.id AND x.kind = 'boost')
               AS boosts,
           (SELECT count(*) FROM posts c WHERE c.in_reply_to_id = p.id) AS replies
    FROM posts p
    LEFT JOIN members m ON m.id = p.author_member_id
    LEFT JOIN remote_actors r ON r.id = p.author_remote_id
"""

# What a viewer may see ($1 the member's id, $2 their actor URI; both NULL for
# a visitor): their own posts; public and unlisted posts; community posts of
# members here, to members here; followers-only posts of those they follow
# (follow accepted); direct posts that name them.
_VISIBLE_TO = """
    (p.author_member_id = $1::bigint
     OR p.visibility IN ('public', 'unlisted')
     OR (p.visibility = 'community' AND $1::bigint IS NOT NULL
         AND p.author_member_id IS NOT NULL)
     OR (p.visibility = 'followers' AND EXISTS (
            SELECT 1 FROM follows f
            WHERE f.follower_member_id = $1::bigint AND f.state = 'accepted'
              AND (f.followed_member_id = p.author_member_id
                   OR f.followed_remote_id = p.author_remote_id)))
     OR (p.visibility = 'direct' AND $2::text = ANY (p.recipients)))
"""


def _post(row: Any) -> Post:
    author = Author(
        member_id=row["author_member_id"], remote_id=row["author_remote_id"],
        username=row["author_username"], name=row["author_name"], host=row["author_host"],
        uri=row["author_uri"], url=row["author_url"],
    )
    return Post(
        id=row["id"], uri=row["uri"], author=author, visibility=Visibility(row["visibility"]),
        content_html=row["content_html"], summary=row["summary"], sensitive=row["sensitive"],
        in_reply_to_id=row["in_reply_to_id"], in_reply_to_uri=row["in_reply_to_uri"],
        context_uri=row["context_uri"], url=row["url"], recipients=tuple(row["recipients"]),
        published_at=row["published_at"], edited_at=row["edited_at"],
        likes=row["likes"], boosts=row["boosts"], replies=row["replies"],
    )


async def insert_post(conn: Any, values: dict[str, Any]) -> int | None:
    """Insert a post; its id, or None when a remote post with that uri exists."""
    post_id: int | None = await conn.fetchval(
        """INSERT INTO posts (uri, author_member_id, author_remote_id, visibility,
                              content_html, summary, sensitive, in_reply_to_id,
                              in_reply_to_uri, context_uri, url, recipients, published_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12,
                   coalesce($13, now()))
           ON CONFLICT (uri) DO NOTHING RETURNING id""",
        values.get("uri"), values.get("author_member_id"), values.get("author_remote_id"),
        values["visibility"].value, values["content_html"], values.get("summary", ""),
        values.get("sensitive", False), values.get("in_reply_to_id"),
        values.get("in_reply_to_uri"), values.get("context_uri"), values.get("url"),
        list(values.get("recipients", ())), values.get("published_at"),
    )
    return post_id


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
    return _post(row) if row else None


async def get_post_by_uri(conn: Any, uri: str) -> Post | None:
    row = await conn.fetchrow(_POST_SELECT + " WHERE p.uri = $1", uri)
    return _post(row) if row else None


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


async def home_timeline(
    conn: Any, member_id: int, member_uri: str, limit: int, max_id: int | None
) -> list[Post]:
    """The member's own posts and what those they follow wrote, newest first."""
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE {_VISIBLE_TO}
          AND (p.author_member_id = $1
               OR p.visibility = 'direct'
               OR EXISTS (SELECT 1 FROM follows f
                          WHERE f.follower_member_id = $1 AND f.state = 'accepted'
                            AND (f.followed_member_id = p.author_member_id
                                 OR f.followed_remote_id = p.author_remote_id)))
          AND ($4::bigint IS NULL OR p.id < $4)
        ORDER BY p.id DESC LIMIT $3""",
        member_id, member_uri, limit, max_id,
    )
    return [_post(row) for row in rows]


async def member_posts(
    conn: Any, author_id: int, viewer_id: int | None, viewer_uri: str | None, limit: int,
) -> list[Post]:
    """A member's posts that the viewer (None: a visitor) may see."""
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE p.author_member_id = $3 AND {_VISIBLE_TO}
        ORDER BY p.id DESC LIMIT $4""",
        viewer_id, viewer_uri, author_id, limit,
    )
    return [_post(row) for row in rows]


async def visible_to(
    conn: Any, post_id: int, viewer_id: int | None, viewer_uri: str | None
) -> bool:
    return bool(await conn.fetchval(
        f"SELECT EXISTS (SELECT 1 FROM posts p WHERE p.id = $3 AND {_VISIBLE_TO})",
        viewer_id, viewer_uri, post_id,
    ))


async def replies_to(conn: Any, post_ids: Sequence[int]) -> list[Post]:
    rows = await conn.fetch(
        _POST_SELECT + " WHERE p.in_reply_to_id = ANY($1::bigint[]) ORDER BY p.id",
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
    """A member's public posts (not unlisted), newest first, below ``max_id``."""
    rows = await conn.fetch(
        _POST_SELECT + """
        WHERE p.author_member_id = $1 AND p.visibility = 'public'
          AND ($3::bigint IS NULL OR p.id < $3)
        ORDER BY p.id DESC LIMIT $2""",
        author_id, limit, max_id,
    )
    return [_post(row) for row in rows]


async def count_public_posts_of_member(conn: Any, author_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM posts WHERE author_member_id = $1 AND visibility = 'public'",
        author_id,
    )
    return count


async def count_local_posts(conn: Any) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM posts WHERE author_member_id IS NOT NULL"
    )
    return count
