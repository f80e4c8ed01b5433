"""What a member sees of the client apps they let into their account."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class AuthorisedApp:
    """An app holding live tokens for one member: the scopes of all of them,
    when the first was issued and when any was last used (None: never)."""

    app_id: int
    name: str
    website: str | None
    scopes: tuple[str, ...]
    authorised_at: datetime
    last_used_at: datetime | None
