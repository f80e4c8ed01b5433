"""Clients' Idempotency-Keys: the same key from the same token within an hour
names the post the first request made, never a second one."""

from __future__ import annotations

from typing import Any

from recovery.store import idempotency as store

KEY_MAX = 200


class KeyTaken(Exception):
    """Another request with the same key made its post first."""


async def made_by(conn: Any, token_id: int, key: str) -> int | None:
    return await store.post_of_key(conn, token_id, key)


async def remember(conn: Any, token_id: int, key: str, post_id: int) -> None:
    """Name the post the key made, in the post's transaction; KeyTaken (the
    caller's transaction rolls back) when a concurrent request won."""
    if not await store.claim_key(conn, token_id, key, post_id):
        raise KeyTaken(key)
