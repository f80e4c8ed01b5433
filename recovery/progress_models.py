"""Plain data of progress tracking: the store returns these, never records.
Everything here is the member's own and private (RELIABILITY.md 29)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from decimal import Decimal
from enum import StrEnum
from typing import Any


class CounterVisibility(StrEnum):
    PRIVATE = "private"  # the member alone
    COMMUNITY = "community"  # members of this instance, logged in
    PUBLIC = "public"  # anyone who opens the profile


@dataclass(frozen=True, slots=True)
class ProgressSettings:
    member_id: int
    time_zone: str = "UTC"
    visibility: CounterVisibility = CounterVisibility.PRIVATE
    weekly_spend: Decimal | None = None
    currency: str = ""
    hours_per_drinking_day: Decimal | None = None
    drinking_days_per_week: int = 7


@dataclass(frozen=True, slots=True)
class Attempt:
    """One streak: from the last drink until a reset (``ended_at``) or now."""

    id: int
    member_id: int
    started_at: datetime
    time_zone: str
    ended_at: datetime | None
    created_at: datetime

    @property
    def is_current(self) -> bool:
        return self.ended_at is None


@dataclass(frozen=True, slots=True)
class Reached:
    attempt_id: int
    key: str
    name: str
    days: int
    reached_at: datetime
    shared_post_id: int | None = None


@dataclass(frozen=True, slots=True)
class CustomMilestone:
    id: int
    days: int
    name: str


class DayWent(StrEnum):
    GOOD = "good"
    OKAY = "okay"
    HARD = "hard"
    DRANK = "drank"


class Mood(StrEnum):
    GREAT = "great"
    GOOD = "good"
    OKAY = "okay"
    LOW = "low"
    AWFUL = "awful"


@dataclass(frozen=True, slots=True)
class Checkin:
    id: int
    day: date
    pledged_at: datetime | None
    reviewed_at: datetime | None
    day_went: DayWent | None
    cravings: int | None
    mood: Mood | None
    note: str


@dataclass(frozen=True, slots=True)
class Notification:
    id: int
    member_id: int
    kind: str  # "milestone"; later "follow", "mention", "favourite", "reblog"
    from_member_id: int | None
    from_remote_id: int | None
    post_id: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    created_at: datetime | None = None
    read_at: datetime | None = None
    dismissed: bool = False
