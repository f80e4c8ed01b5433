"""Plain data for scheduled posts (docs.joinmastodon.org/entities/ScheduledStatus):
what a member asked to post, and when."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recovery.models import Visibility


@dataclass(frozen=True, slots=True)
class Planned:
    """The post to write when the time comes, checked as an immediate one is."""

    text: str
    summary: str
    visibility: Visibility
    sensitive: bool
    in_reply_to_id: int | None
    language: str | None
    media_ids: tuple[int, ...] = ()


@dataclass(frozen=True, slots=True)
class ScheduledPost:
    id: int
    member_id: int
    app_id: int | None
    scheduled_at: datetime
    planned: Planned
    idempotency: str | None
    created_at: datetime
