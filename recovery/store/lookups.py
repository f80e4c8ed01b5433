"""Batched reads for the client API: the accounts and counts behind a page of
statuses in a few queries, never one per status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.models import AccountStats, Member, Party, RemoteProfile, Role, Status
from recovery.store.peers import _ACTOR_COLUMNS, _remote_actor

__all__ = [
    "account_stats", "known_hosts", "members_by_ids", "post_authors", "remote_profiles_by_ids",
]

_MEMBER_COLUMNS = (
    "id, username, display_name, bio, role, status, created_at, "
    "manually_approves_followers, discoverable, avatar_file, header_file"
)


async def members_by_ids(conn: Any, ids: Sequence[int]) -> list[Member]:
    rows = await conn.fetch(
        f"SELECT {_MEMBER_COLUMNS} FROM members WHERE id = ANY($1::bigint[])", list(ids))
    return [Member(
        id=r["id"], username=r["username"], display_name=r["display_name"], bio=r["bio"],
        role=Role(r["role"]), status=Status(r["status"]), created_at=r["created_at"],
        manually_approves_followers=r["manually_approves_followers"],
        discoverable=r["discoverable"],
        avatar_file=r["avatar_file"], header_file=r["header_file"],
    ) for r in rows]


async def remote_profiles_by_ids(conn: Any, ids: Sequence[int]) -> list[RemoteProfile]:
    """Remote actors with the profile parts of their stored document."""
    rows = await conn.fetch(
        f"""SELECT {_ACTOR_COLUMNS}, fetched_at,
                   coalesce(document->>'summary', '') AS summary,
                   coalesce(document->'icon'->>'url', document->>'icon') AS avatar,
                   coalesce(document->'image'->>'url', document->>'image') AS header,
                   document->>'published' AS published,
                   coalesce((document->>'discoverable')::boolean, false) AS discoverable
            FROM remote_actors WHERE id = ANY($1::bigint[])""",
        list(ids),
    )
    return [RemoteProfile(
        actor=_remote_actor(r), summary_html=r["summary"], avatar=_url(r["avatar"]),
        header=_url(r["header"]), published=r["published"], fetched_at=r["fetched_at"],
        discoverable=r["discoverable"],
    ) for r in rows]


def _url(value: str | None) -> str | None:
    return value if value and value.startswith(("https://", "http://")) else None


async def account_stats(
    conn: Any, member_ids: Sequence[int], remote_ids: Sequence[int]
) -> tuple[dict[int, AccountStats], dict[int, AccountStats]]:
    """Followers, following and post counts (members', remote actors' as known
    here), keyed by member id and by remote actor id. Post counts and the
    latest post come from ``account_counts``, kept by a trigger on posts."""
    rows = await conn.fetch(
        """SELECT m.id AS member_id, NULL::bigint AS remote_id,
                  (SELECT count(*) FROM follows f
                   WHERE f.followed_member_id = m.id AND f.state = 'accepted') AS followers,
                  (SELECT count(*) FROM follows f
                   WHERE f.follower_member_id = m.id AND f.state = 'accepted') AS following,
                  coalesce(c.statuses, 0) AS statuses, c.last_status_at
           FROM members m LEFT JOIN account_counts c ON c.member_id = m.id
           WHERE m.id = ANY($1::bigint[])
           UNION ALL
           SELECT NULL, r.id,
                  (SELECT count(*) FROM follows f
                   WHERE f.followed_remote_id = r.id AND f.state = 'accepted'),
                  (SELECT count(*) FROM follows f
                   WHERE f.follower_remote_id = r.id AND f.state = 'accepted'),
                  coalesce(c.statuses, 0), c.last_status_at
           FROM remote_actors r LEFT JOIN account_counts c ON c.remote_id = r.id
           WHERE r.id = ANY($2::bigint[])""",
        list(member_ids), list(remote_ids),
    )
    local: dict[int, AccountStats] = {}
    remote: dict[int, AccountStats] = {}
    for r in rows:
        stats = AccountStats(r["followers"], r["following"], r["statuses"], r["last_status_at"])
        if r["member_id"] is not None:
            local[r["member_id"]] = stats
        else:
            remote[r["remote_id"]] = stats
    return local, remote


async def post_authors(conn: Any, post_ids: Sequence[int]) -> dict[int, Party]:
    """Who wrote each of these posts (for in_reply_to_account_id)."""
    rows = await conn.fetch(
        """SELECT id, author_member_id, author_remote_id FROM posts
           WHERE id = ANY($1::bigint[])""", list(post_ids))
    return {r["id"]: Party(r["author_member_id"], r["author_remote_id"]) for r in rows}


async def known_hosts(conn: Any) -> list[str]:
    """Hosts of the remote actors this instance knows (the instance's peers)."""
    rows = await conn.fetch(
        "SELECT DISTINCT host FROM remote_actors WHERE gone_at IS NULL ORDER BY host")
    return [r["host"] for r in rows]
