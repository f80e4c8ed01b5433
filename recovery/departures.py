"""Members who deleted their accounts. Their usernames are never given out
again, so their addresses (actor, posts) can say "gone" for good: 410, as
Mastodon answers for a deleted account, not the 404 of a name never used."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from recovery.store import departures as store


async def departed_at(conn: Any, username: str) -> datetime | None:
    """When the member called ``username`` deleted their account, or None."""
    return await store.retired_at(conn, username) if username else None
