"""SQL for the usernames of members who deleted their accounts."""

from __future__ import annotations

from datetime import datetime
from typing import Any


async def retired_at(conn: Any, username: str) -> datetime | None:
    """When the account with this username was deleted; None if it never was."""
    found: datetime | None = await conn.fetchval(
        "SELECT retired_at FROM retired_usernames WHERE username_lower = lower($1)", username,
    )
    return found
