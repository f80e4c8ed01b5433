"""Log-in sessions kept in the database, so logging out ends them everywhere."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from recovery import credentials, store
from recovery.models import Member

SESSION_LIFETIME = timedelta(days=30)


async def start(conn: Any, member_id: int) -> str:
    """A new session token for the member; only its hash is stored."""
    token = credentials.new_token()
    expires = datetime.now(UTC) + SESSION_LIFETIME
    await store.insert_session(conn, credentials.hash_token(token), member_id, expires)
    return token


async def member_for(conn: Any, token: str) -> Member | None:
    return await store.get_session_member(conn, credentials.hash_token(token))


async def end(conn: Any, token: str) -> None:
    await store.delete_session(conn, credentials.hash_token(token))


def token_hash(token: str) -> bytes:
    return credentials.hash_token(token)
