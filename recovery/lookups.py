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
        found.members = {m.id: m for m in await store.members_by_ids(conn, mids)}
    if rids:
        found.remotes = {p.actor.id: p for p in await store.remote_profiles_by_ids(conn, rids)}
    if mids or rids:
        found.member_stats, found.remote_stats = await store.account_stats(conn, mids, rids)
    return found


async def post_authors(conn: Any, post_ids: Iterable[int]) -> dict[int, Party]:
    ids = sorted(set(post_ids))
    return await store.post_authors(conn, ids) if ids else {}


async def peer_hosts(conn: Any) -> list[str]:
    return await store.known_hosts(conn)
