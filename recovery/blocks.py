"""Blocking: a member blocks a member here or a remote actor. The block ends
follows both ways and hides the account's posts from the member's home
timeline; the caller sends a remote actor its Block (and an Undo on
unblock) in the same transaction. Private notes and relationships live here
too: what the member has done about an account, and it about them."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.account_models import Block, Listed, Relationship
from recovery.errors import InvalidInput
from recovery.models import Follow, Member, Party
from recovery.store import blocks as store

NOTE_MAX = 2000
RELATIONSHIPS_MAX = 80


def _not_self(member: Member, target: Party) -> None:
    if target.member_id == member.id:
        raise InvalidInput("id", "You cannot do that to your own account.")


async def block(conn: Any, member: Member, target: Party, uri: str,
                ) -> tuple[Block | None, list[Follow]]:
    """Block the account: (the new block, or None when it was blocked
    already; the follows both ways that the block ended)."""
    _not_self(member, target)
    made = await store.insert_block(conn, uri, member.id, target)
    ended = await store.end_follows_between(conn, member.id, target)
    return made, ended


async def unblock(conn: Any, member: Member, target: Party) -> Block | None:
    """Lift the block; the block that was lifted, if there was one."""
    return await store.delete_block(conn, member.id, target)


async def blocked_either_way(conn: Any, member: Member, target: Party) -> bool:
    return await store.blocked_either_way(conn, member.id, target)


async def listed(conn: Any, member: Member, limit: int, max_id: int | None,
                 since_id: int | None, min_id: int | None) -> list[Listed]:
    return await store.blocks_of(conn, member.id, limit, max_id, since_id, min_id)


async def relationships(conn: Any, member: Member, targets: Sequence[Party],
                        ) -> list[Relationship]:
    if len(targets) > RELATIONSHIPS_MAX:
        raise InvalidInput("id", f"Ask for at most {RELATIONSHIPS_MAX} accounts at once.")
    return await store.relationships(conn, member.id, list(targets)) if targets else []


async def relationship(conn: Any, member: Member, target: Party) -> Relationship:
    return (await store.relationships(conn, member.id, [target]))[0]


async def set_note(conn: Any, member: Member, target: Party, note: str) -> None:
    """The member's private note on an account (empty removes it)."""
    text = note.strip()
    if len(text) > NOTE_MAX:
        raise InvalidInput("comment", f"Notes can be at most {NOTE_MAX} characters.")
    await store.set_note(conn, member.id, target, text)
