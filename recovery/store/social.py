"""SQL for what a member's social pages show beyond the other stores: follow
requests from members here, the pending count for the navigation, the
member's own likes and boosts among a page of posts, and the replies to a
post that a viewer may see."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.models import Follow, Member, Party, Post
from recovery.store.members import _MEMBER_COLUMNS, _member
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _post

_JOINED = (
    "f.id AS follow_id, f.uri AS follow_uri, f.follower_member_id, f.follower_remote_id, "
    "f.followed_member_id, f.followed_remote_id, f.state, "
    + ", ".join("m." + column.strip() for column in _MEMBER_COLUMNS.split(","))
)


async def pending_member_followers(conn: Any, member_id: int) -> list[tuple[Follow, Member]]:
    """Follow requests from members of this instance, oldest first."""
    rows = await conn.fetch(
        f"""SELECT {_JOINED} FROM follows f JOIN members m ON m.id = f.follower_member_id
            WHERE f.followed_member_id = $1 AND f.state = 'pending' AND m.status = 'active'
            ORDER BY f.created_at""",
        member_id,
    )
    return [
        (Follow(row["follow_id"], row["follow_uri"],
                Party(row["follower_member_id"], row["follower_remote_id"]),
                Party(row["followed_member_id"], row["followed_remote_id"]),
                row["state"]), _member(row))
        for row in rows
    ]


async def count_pending_follows(conn: Any, member_id: int) -> int:
    count: int = await conn.fetchval(
        """SELECT count(*) FROM follows f
           LEFT JOIN members m ON m.id = f.follower_member_id
           WHERE f.followed_member_id = $1 AND f.state = 'pending'
             AND (m.id IS NULL OR m.status = 'active')""",
        member_id,
    )
    return count


async def reactions_among(
    conn: Any, member_id: int, post_ids: Sequence[int]
) -> set[tuple[str, int]]:
    """(kind, post id) of each like and boost the member made among these posts."""
    if not post_ids:
        return set()
    rows = await conn.fetch(
        """SELECT kind, post_id FROM reactions
           WHERE actor_member_id = $1 AND post_id = ANY($2::bigint[])
           UNION ALL
           SELECT 'boost', reblog_of_id FROM posts
           WHERE author_member_id = $1 AND reblog_of_id = ANY($2::bigint[])""",
        member_id, list(post_ids),
    )
    return {(row["kind"], row["post_id"]) for row in rows}


async def visible_replies(
    conn: Any, post_id: int, viewer_id: int | None, viewer_uri: str | None
) -> list[Post]:
    """The direct replies to a post that the viewer (None: a visitor) may see,
    oldest first."""
    rows = await conn.fetch(
        _POST_SELECT + f" WHERE p.in_reply_to_id = $3 AND {_VISIBLE_TO} ORDER BY p.id",
        viewer_id, viewer_uri, post_id,
    )
    return [_post(row) for row in rows]


async def member_follows_of_remote(conn: Any, remote_id: int) -> list[tuple[Follow, Member]]:
    """Follows (pending or accepted) of a remote actor by active members here."""
    rows = await conn.fetch(
        f"""SELECT {_JOINED} FROM follows f JOIN members m ON m.id = f.follower_member_id
            WHERE f.followed_remote_id = $1 AND m.status = 'active'
            ORDER BY f.id""",
        remote_id,
    )
    return [
        (Follow(row["follow_id"], row["follow_uri"],
                Party(row["follower_member_id"], row["follower_remote_id"]),
                Party(row["followed_member_id"], row["followed_remote_id"]),
                row["state"]), _member(row))
        for row in rows
    ]
