"""SQL for follows between members and remote actors."""

from __future__ import annotations

from typing import Any

from recovery.models import Follow, Party, RemoteActor
from recovery.store.peers import _ACTOR_COLUMNS, _remote_actor

_FOLLOW_COLUMNS = (
    "id, uri, follower_member_id, follower_remote_id, followed_member_id, "
    "followed_remote_id, state"
)


def _follow(row: Any) -> Follow:
    return Follow(
        id=row["id"], uri=row["uri"],
        follower=Party(row["follower_member_id"], row["follower_remote_id"]),
        followed=Party(row["followed_member_id"], row["followed_remote_id"]),
        state=row["state"],
    )


async def insert_follow(
    conn: Any, uri: str, follower: Party, followed: Party, state: str
) -> Follow:
    """The follow between the two, inserted now or as it already was."""
    row = await conn.fetchrow(
        f"""INSERT INTO follows (uri, follower_member_id, follower_remote_id,
                                 followed_member_id, followed_remote_id, state)
            VALUES ($1, $2, $3, $4, $5, $6)
            ON CONFLICT DO NOTHING
            RETURNING {_FOLLOW_COLUMNS}""",
        uri, follower.member_id, follower.remote_id, followed.member_id, followed.remote_id,
        state,
    )
    if row is not None:
        return _follow(row)
    existing = await get_follow_between(conn, follower, followed)
    assert existing is not None
    return existing


async def get_follow_between(conn: Any, follower: Party, followed: Party) -> Follow | None:
    row = await conn.fetchrow(
        f"""SELECT {_FOLLOW_COLUMNS} FROM follows
            WHERE coalesce(follower_member_id, 0) = coalesce($1, 0)
              AND coalesce(follower_remote_id, 0) = coalesce($2, 0)
              AND coalesce(followed_member_id, 0) = coalesce($3, 0)
              AND coalesce(followed_remote_id, 0) = coalesce($4, 0)""",
        follower.member_id, follower.remote_id, followed.member_id, followed.remote_id,
    )
    return _follow(row) if row else None


async def get_follow_by_uri(conn: Any, uri: str) -> Follow | None:
    row = await conn.fetchrow(
        f"SELECT {_FOLLOW_COLUMNS} FROM follows WHERE uri = $1", uri
    )
    return _follow(row) if row else None


async def get_follow(conn: Any, follow_id: int) -> Follow | None:
    row = await conn.fetchrow(
        f"SELECT {_FOLLOW_COLUMNS} FROM follows WHERE id = $1", follow_id
    )
    return _follow(row) if row else None


async def accept_follow(conn: Any, follow_id: int) -> None:
    await conn.execute("UPDATE follows SET state = 'accepted' WHERE id = $1", follow_id)


async def delete_follow(conn: Any, follow_id: int) -> None:
    await conn.execute("DELETE FROM follows WHERE id = $1", follow_id)


async def remote_follower_inboxes(conn: Any, member_id: int) -> list[str]:
    """One inbox per remote follower (their shared inbox when they have one)."""
    rows = await conn.fetch(
        """SELECT DISTINCT coalesce(r.shared_inbox, r.inbox) AS inbox
           FROM follows f JOIN remote_actors r ON r.id = f.follower_remote_id
           WHERE f.followed_member_id = $1 AND f.state = 'accepted'
             AND r.gone_at IS NULL AND coalesce(r.shared_inbox, r.inbox) IS NOT NULL""",
        member_id,
    )
    return [r["inbox"] for r in rows]


_JOINED = (
    "f.id AS follow_id, f.uri AS follow_uri, f.follower_member_id, f.follower_remote_id, "
    "f.followed_member_id, f.followed_remote_id, f.state, "
    + ", ".join("r." + column.strip() for column in _ACTOR_COLUMNS.split(","))
)


def _pair(row: Any) -> tuple[Follow, RemoteActor]:
    follow = Follow(row["follow_id"], row["follow_uri"],
                    Party(row["follower_member_id"], row["follower_remote_id"]),
                    Party(row["followed_member_id"], row["followed_remote_id"]),
                    row["state"])
    return follow, _remote_actor(row)


async def pending_remote_followers(conn: Any, member_id: int) -> list[tuple[Follow, RemoteActor]]:
    """Follow requests waiting for the member's answer, oldest first."""
    rows = await conn.fetch(
        f"""SELECT {_JOINED} FROM follows f JOIN remote_actors r ON r.id = f.follower_remote_id
            WHERE f.followed_member_id = $1 AND f.state = 'pending'
            ORDER BY f.created_at""",
        member_id,
    )
    return [_pair(row) for row in rows]


async def followed_remote_actors(conn: Any, member_id: int) -> list[tuple[Follow, RemoteActor]]:
    """Remote actors the member follows or asked to follow."""
    rows = await conn.fetch(
        f"""SELECT {_JOINED} FROM follows f JOIN remote_actors r ON r.id = f.followed_remote_id
            WHERE f.follower_member_id = $1
            ORDER BY f.created_at""",
        member_id,
    )
    return [_pair(row) for row in rows]


async def count_follows(conn: Any, member_id: int) -> tuple[int, int]:
    """(followers, following) counted over accepted follows."""
    row = await conn.fetchrow(
        """SELECT count(*) FILTER (WHERE followed_member_id = $1) AS followers,
                  count(*) FILTER (WHERE follower_member_id = $1) AS following
           FROM follows
           WHERE state = 'accepted' AND (followed_member_id = $1 OR follower_member_id = $1)""",
        member_id,
    )
    return row["followers"], row["following"]


async def has_local_followers(conn: Any, remote_id: int) -> bool:
    """Whether some member here follows the remote actor (accepted)."""
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM follows
                          WHERE followed_remote_id = $1 AND state = 'accepted'
                            AND follower_member_id IS NOT NULL)""",
        remote_id,
    ))


async def related_remote_inboxes(conn: Any, member_id: int) -> list[str]:
    """Where to tell the world a member is gone: the inbox (the shared one
    when there is one) of every remote actor who follows or is followed by
    them, in either state, whose posts they liked, boosted or replied to, or
    who boosted or liked theirs; each once."""
    rows = await conn.fetch(
        """WITH related AS (
             SELECT follower_remote_id AS id FROM follows WHERE followed_member_id = $1
             UNION SELECT followed_remote_id FROM follows WHERE follower_member_id = $1
             UNION SELECT p.author_remote_id FROM reactions x JOIN posts p ON p.id = x.post_id
                   WHERE x.actor_member_id = $1
             UNION SELECT o.author_remote_id FROM posts b JOIN posts o
                   ON o.id = coalesce(b.reblog_of_id, b.in_reply_to_id)
                   WHERE b.author_member_id = $1
             UNION SELECT x.actor_remote_id FROM reactions x JOIN posts p ON p.id = x.post_id
                   WHERE p.author_member_id = $1
             UNION SELECT b.author_remote_id FROM posts b JOIN posts p ON p.id = b.reblog_of_id
                   WHERE p.author_member_id = $1)
           SELECT DISTINCT coalesce(r.shared_inbox, r.inbox) AS inbox
           FROM remote_actors r JOIN related ON related.id = r.id
           WHERE r.gone_at IS NULL AND coalesce(r.shared_inbox, r.inbox) IS NOT NULL
           ORDER BY 1""",
        member_id,
    )
    return [row["inbox"] for row in rows]
