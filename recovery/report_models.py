"""Plain data for reports: a member's (from a client) or another server's
(a ``Flag``), for this community's moderators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recovery.models import Party


@dataclass(frozen=True, slots=True)
class NewReport:
    """What a member reports: an account, some of its posts, why."""

    target: Party
    post_ids: tuple[int, ...]
    comment: str
    category: str
    rule_ids: tuple[int, ...]
    forward: bool


@dataclass(frozen=True, slots=True)
class Report:
    id: int
    uri: str
    reporter_member_id: int | None
    reporter_remote_id: int | None
    target: Party | None
    post_ids: tuple[int, ...]
    object_uris: tuple[str, ...]
    comment: str
    category: str
    rule_ids: tuple[int, ...]
    forwarded: bool
    created_at: datetime
    resolved_at: datetime | None


@dataclass(frozen=True, slots=True)
class ReportView:
    """A report as the moderation page lists it: who reported (a username
    here or an actor URI), about whom."""

    report: Report
    reporter: str
    target: str
