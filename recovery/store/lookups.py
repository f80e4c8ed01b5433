"""Batched reads for the client API: the accounts and counts behind a page of
statuses in a few queries, never one per status."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.models import AccountStats, Member, Party, RemoteProfile, Role, Status
from recovery.store.peers import _ACTOR_COLUMNS, _remote_actor

__all__ = [
    "account_stats", "known_hosts", "members_by_ids", "members_with_stats", "parties_named",
    "post_authors", "remote_profiles_by_ids", "remote_profiles_with_stats",
]

_MEMBER_COLUMNS = (
    "id, username, display_name, bio, role, status, created_at, "
    "manually_approves_followers, discoverable, avatar_file, header_file"
)


# An account's counts beside it (``c``: its ``account_counts`` row, if any).
_STATS_COLUMNS = """coalesce(c.followers, 0) AS followers_count,
                    coalesce(c.following, 0) AS following_count,
                    coalesce(c.statuses, 0) AS statuses_count, c.last_status_at"""


def _stats(r: Any) -> AccountStats:
    return AccountStats(r["followers_count"], r["following_count"], r["statuses_count"],
                        r["last_status_at"])


def _qualified(columns: str, alias: str) -> str:
    return ", ".join(f"{alias}.{c.strip()}" for c in columns.split(","))


def _member(r: Any) -> Member:
    return Member(
        id=r["id"], username=r["username"], display_name=r["display_name"], bio=r["bio"],
        role=Role(r["role"]), status=Status(r["status"]), created_at=r["created_at"],
        manually_approves_followers=r["manually_approves_followers"],
        discoverable=r["discoverable"],
        avatar_file=r["avatar_file"], header_file=r["header_file"],
    )


async def members_by_ids(conn: Any, ids: Sequence[int]) -> list[Member]:
    rows = await conn.fetch(
        f"SELECT {_MEMBER_COLUMNS} FROM members WHERE id = ANY($1::bigint[])", list(ids))
    return [_member(r) for r in rows]


async def members_with_stats(conn: Any, ids: Sequence[int],
                             ) -> list[tuple[Member, AccountStats]]:
    """Members and their counts, in one query."""
    rows = await conn.fetch(
        f"""SELECT {_qualified(_MEMBER_COLUMNS, "m")}, {_STATS_COLUMNS}
            FROM members m LEFT JOIN account_counts c ON c.member_id = m.id
            WHERE m.id = ANY($1::bigint[])""", list(ids))
    return [(_member(r), _stats(r)) for r in rows]


_PROFILE_COLUMNS = """
    coalesce(document->>'summary', '') AS summary,
    coalesce(document->'icon'->>'url', document->>'icon') AS avatar,
    coalesce(document->'image'->>'url', document->>'image') AS header,
    document->>'published' AS published,
    coalesce((document->>'discoverable')::boolean, false) AS discoverable"""


def _profile(r: Any) -> RemoteProfile:
    return RemoteProfile(
        actor=_remote_actor(r), summary_html=r["summary"], avatar=_url(r["avatar"]),
        header=_url(r["header"]), published=r["published"], fetched_at=r["fetched_at"],
        discoverable=r["discoverable"],
    )


async def remote_profiles_by_ids(conn: Any, ids: Sequence[int]) -> list[RemoteProfile]:
    """Remote actors with the profile parts of their stored document."""
    rows = await conn.fetch(
        f"""SELECT {_ACTOR_COLUMNS}, fetched_at, {_PROFILE_COLUMNS}
            FROM remote_actors WHERE id = ANY($1::bigint[])""",
        list(ids),
    )
    return [_profile(r) for r in rows]


async def remote_profiles_with_stats(conn: Any, ids: Sequence[int],
                                     ) -> list[tuple[RemoteProfile, AccountStats]]:
    """Remote actors' profiles and their counts as known here, in one query."""
    rows = await conn.fetch(
        f"""SELECT {_qualified(_ACTOR_COLUMNS, "r")}, r.fetched_at,
                   {_PROFILE_COLUMNS.replace("document", "r.document")}, {_STATS_COLUMNS}
            FROM remote_actors r LEFT JOIN account_counts c ON c.remote_id = r.id
            WHERE r.id = ANY($1::bigint[])""",
        list(ids),
    )
    return [(_profile(r), _stats(r)) for r in rows]


def _url(value: str | None) -> str | None:
    return value if value and value.startswith(("https://", "http://")) else None


async def account_stats(
    conn: Any, member_ids: Sequence[int], remote_ids: Sequence[int]
) -> tuple[dict[int, AccountStats], dict[int, AccountStats]]:
    """Followers, following and post counts (members', remote actors' as known
    here), keyed by member id and by remote actor id, from ``account_counts``
    (kept by triggers on posts and follows)."""
    rows = await conn.fetch(
        """SELECT m.id AS member_id, NULL::bigint AS remote_id,
                  coalesce(c.followers, 0) AS followers, coalesce(c.following, 0) AS following,
                  coalesce(c.statuses, 0) AS statuses, c.last_status_at
           FROM members m LEFT JOIN account_counts c ON c.member_id = m.id
           WHERE m.id = ANY($1::bigint[])
           UNION ALL
           SELECT NULL, r.id, coalesce(c.followers, 0), coalesce(c.following, 0),
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


async def parties_named(conn: Any, usernames: Sequence[str], remote_uris: Sequence[str],
                        ) -> tuple[dict[str, Party], dict[str, Party]]:
    """The accounts a post addresses, in one query: members by lower-cased
    username, and remote actors by URI (addresses that are neither, such as
    collections, are simply not found)."""
    rows = await conn.fetch(
        """SELECT lower(username) AS key, id AS member_id, NULL::bigint AS remote_id
           FROM members WHERE lower(username) = ANY($1::text[])
           UNION ALL
           SELECT uri, NULL, id FROM remote_actors WHERE uri = ANY($2::text[])""",
        [name.lower() for name in usernames], list(remote_uris))
    local = {r["key"]: Party(r["member_id"], None) for r in rows if r["member_id"] is not None}
    remote = {r["key"]: Party(None, r["remote_id"]) for r in rows if r["remote_id"] is not None}
    return local, remote
