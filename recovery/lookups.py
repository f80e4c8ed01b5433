"""Batched look-ups behind the client API's entities: every account a page of
statuses names, and their counts, in a few queries."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from recovery import store
from recovery.models import AccountStats, Member, Party, RemoteProfile


@dataclass
class Accounts:
    """Members and remote actors by id, with their counts."""

    members: dict[int, Member] = field(default_factory=dict)
    remotes: dict[int, RemoteProfile] = field(default_factory=dict)
    member_stats: dict[int, AccountStats] = field(default_factory=dict)
    remote_stats: dict[int, AccountStats] = field(default_factory=dict)


async def accounts(conn: Any, member_ids: Iterable[int], remote_ids: Iterable[int]) -> Accounts:
    mids, rids = sorted(set(member_ids)), sorted(set(remote_ids))
    found = Accounts()
    if mids:
        for member, stats in await store.members_with_stats(conn, mids):
            found.members[member.id] = member
            found.member_stats[member.id] = stats
    if rids:
        for profile, stats in await store.remote_profiles_with_stats(conn, rids):
            found.remotes[profile.actor.id] = profile
            found.remote_stats[profile.actor.id] = stats
    return found


async def post_authors(conn: Any, post_ids: Iterable[int]) -> dict[int, Party]:
    ids = sorted(set(post_ids))
    return await store.post_authors(conn, ids) if ids else {}


async def parties_named(conn: Any, usernames: Iterable[str], remote_uris: Iterable[str],
                        ) -> tuple[dict[str, Party], dict[str, Party]]:
    """Members by lower-cased username and remote actors by URI (for mentions)."""
    names, found = sorted(set(usernames)), sorted(set(remote_uris))
    if not names and not found:
        return {}, {}
    return await store.parties_named(conn, names, found)


async def peer_hosts(conn: Any) -> list[str]:
    return await store.known_hosts(conn)
