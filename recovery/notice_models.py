"""Plain data for the notifications clients list: which ones a request asks
for, and each one found with the post it shows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recovery.models import Party
from recovery.progress_models import Notification


@dataclass(frozen=True, slots=True)
class NoticeQuery:
    """Which notifications: of these kinds only (None: any), none of
    ``exclude``, from one account only (None: anyone)."""

    kinds: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()
    sender: Party | None = None


@dataclass(frozen=True, slots=True)
class Listed:
    """A notification as a client is shown it: ``post_id`` is the post it is
    about (for a milestone, the post that shared it)."""

    notification: Notification
    post_id: int | None

    @property
    def sender(self) -> Party | None:
        n = self.notification
        if n.from_member_id is None and n.from_remote_id is None:
            return None
        return Party(n.from_member_id, n.from_remote_id)


@dataclass(frozen=True, slots=True)
class Marker:
    """Where the member stopped reading a timeline (``home`` or
    ``notifications``); ``version`` counts the changes."""

    timeline: str
    last_read_id: int
    version: int
    updated_at: datetime
