"""What a member or the instance shows other servers: actors and their keys.

Key pairs are RSA-2048, made when an account is created (in a thread: it
takes tens of milliseconds of CPU). The private half never leaves the
database except to sign requests.
"""

from __future__ import annotations

import asyncio
from typing import Any

from federation.keys import generate_rsa_keypair
from recovery import store
from recovery.errors import NotFound
from recovery.models import KeyPair, Member, Status


async def new_key_pair() -> KeyPair:
    private_pem, public_pem = await asyncio.to_thread(generate_rsa_keypair)
    return KeyPair(public_key_pem=public_pem, private_key_pem=private_pem)


async def public_member(conn: Any, username: str) -> tuple[Member, str]:
    """An active member and their public key, for their actor document.

    Accounts made before keys existed get theirs on first request."""
    member = await store.get_member_by_username(conn, username)
    if member is None or member.status is not Status.ACTIVE:
        raise NotFound("There is no member with that name here.")
    pem = await store.get_public_key(conn, member.id)
    if pem is None:
        await store.insert_member_keys(conn, member.id, await new_key_pair())
        pem = await store.get_public_key(conn, member.id)
    assert pem is not None
    return member, pem


async def instance_keys(conn: Any) -> KeyPair:
    """The instance actor's key pair, made once and shared by every process."""
    keys = await store.get_or_create_instance_keys(conn, None)
    if keys is None:
        keys = await store.get_or_create_instance_keys(conn, await new_key_pair())
    assert keys is not None
    return keys


async def local_member_count(conn: Any) -> int:
    return await store.count_members(conn)
