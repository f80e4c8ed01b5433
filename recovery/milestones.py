"""Milestones of a sober streak, and when each is reached. Pure functions: no
database, no clock (``now`` is always passed in).

The conventional ones are 24 hours, 2 and 3 days, 1 and 2 weeks, 30, 60 and
90 days, 4, 6 and 9 months, 1 year, 18 months, then every year; members add
their own counted in days (100 days...). Hours are elapsed time; days, weeks,
months and years are counted on the wall clock of the member's time zone, so
"30 days" falls at the same time of day as the last drink even across a
daylight-saving change, and "1 year" on the calendar anniversary (29 February
falls back to the 28th, 31 January plus a month to the end of February).

Each milestone has a key ("h24", "d90", "m12") that is the same for a custom
milestone of the same length, so a custom "30 days" is the conventional one.
"""

from __future__ import annotations

import calendar
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

MAX_CUSTOM_DAYS = 36_600  # a hundred years
YEARS_AHEAD = 100


@dataclass(frozen=True, slots=True)
class Milestone:
    key: str  # "h24", "d90", "m12": unique per length
    name: str  # "90 days", "1 year"
    unit: str  # "hours", "days" or "months"
    amount: int
    custom: bool = False


@dataclass(frozen=True, slots=True)
class Due:
    """A milestone of one streak and the moment it is (or was) reached."""

    milestone: Milestone
    at: datetime
    days: int  # whole days from the last drink to ``at``, as shared with others


def _conventional() -> tuple[Milestone, ...]:
    first = (
        Milestone("h24", "24 hours", "hours", 24),
        Milestone("d2", "2 days", "days", 2),
        Milestone("d3", "3 days", "days", 3),
        Milestone("d7", "1 week", "days", 7),
        Milestone("d14", "2 weeks", "days", 14),
        Milestone("d30", "30 days", "days", 30),
        Milestone("d60", "60 days", "days", 60),
        Milestone("d90", "90 days", "days", 90),
        Milestone("m4", "4 months", "months", 4),
        Milestone("m6", "6 months", "months", 6),
        Milestone("m9", "9 months", "months", 9),
        Milestone("m12", "1 year", "months", 12),
        Milestone("m18", "18 months", "months", 18),
    )
    years = tuple(Milestone(f"m{12 * y}", f"{y} years", "months", 12 * y)
                  for y in range(2, YEARS_AHEAD + 1))
    return first + years


CONVENTIONAL = _conventional()


def custom(days: int, name: str = "") -> Milestone:
    """A member's own milestone of ``days`` days."""
    return Milestone(f"d{days}", name or f"{days} days", "days", days, custom=True)


def zone(name: str) -> ZoneInfo:
    """The IANA time zone ``name``; ValueError when there is none by that name."""
    if not name or name not in _zone_names():
        raise ValueError("unknown time zone")
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValueError("unknown time zone") from exc


_ZONES: list[frozenset[str]] = []


def _zone_names() -> frozenset[str]:
    if not _ZONES:
        _ZONES.append(frozenset(available_timezones()))
    return _ZONES[0]


def zone_names() -> list[str]:
    return sorted(_zone_names())


def wall_clock(local: datetime, tz: ZoneInfo) -> datetime:
    """A naive wall-clock time in ``tz`` as an aware UTC moment. A time that
    a daylight-saving change skips is read with the offset before the change
    (so 02:30 on a spring-forward night is 03:30 local); an hour that repeats
    is its first occurrence."""
    return local.replace(tzinfo=tz, fold=0).astimezone(UTC)


def add_months(local: datetime, months: int) -> datetime:
    """A naive date-time ``months`` calendar months later, the day clamped to
    the month's last."""
    index = local.month - 1 + months
    year, month = local.year + index // 12, index % 12 + 1
    day = min(local.day, calendar.monthrange(year, month)[1])
    return local.replace(year=year, month=month, day=day)


def reached_at(milestone: Milestone, start: datetime, tz: ZoneInfo) -> datetime:
    """When a streak whose last drink was at ``start`` reaches ``milestone``."""
    if milestone.unit == "hours":
        return start.astimezone(UTC) + timedelta(hours=milestone.amount)
    local = start.astimezone(tz).replace(tzinfo=None)
    if milestone.unit == "days":
        return wall_clock(local + timedelta(days=milestone.amount), tz)
    return wall_clock(add_months(local, milestone.amount), tz)


def whole_days(start: datetime, tz: ZoneInfo, moment: datetime) -> int:
    """Whole days from ``start`` to ``moment`` on the wall clock of ``tz``."""
    if moment < start:
        return 0
    begin = start.astimezone(tz).replace(tzinfo=None)
    days = (moment.astimezone(tz).replace(tzinfo=None) - begin).days
    while days > 0 and wall_clock(begin + timedelta(days=days), tz) > moment:
        days -= 1
    return max(days, 0)


def elapsed(start: datetime, tz: ZoneInfo, now: datetime) -> tuple[int, int, int]:
    """(days, hours, minutes) sober at ``now``: days on the wall clock, then
    the hours and minutes since the last whole day."""
    days = whole_days(start, tz, now)
    anchor = wall_clock(start.astimezone(tz).replace(tzinfo=None) + timedelta(days=days), tz)
    rest = max(now - anchor, timedelta(0)) if days else max(now - start, timedelta(0))
    minutes = int(rest.total_seconds() // 60)
    return days, minutes // 60, minutes % 60


def schedule(
    start: datetime, tz: ZoneInfo, customs: Sequence[Milestone] = (),
    now: datetime | None = None,
) -> list[Due]:
    """The milestones of a streak, conventional and the member's own, in the
    order they are reached; one per key (a custom one of a conventional
    length is that conventional one). With ``now``, yearly ones stop at the
    year after next (the rest are decades away)."""
    years = (now - start).days // 365 + 2 if now else YEARS_AHEAD
    by_key: dict[str, Milestone] = {m.key: m for m in customs}
    by_key.update({m.key: m for m in CONVENTIONAL
                   if m.unit != "months" or m.amount <= max(years, 2) * 12})
    due = []
    for milestone in by_key.values():
        at = reached_at(milestone, start, tz)
        due.append(Due(milestone, at, whole_days(start, tz, at)))
    return sorted(due, key=lambda d: (d.at, d.milestone.key))


def reached(schedule_: list[Due], now: datetime, until: datetime | None = None) -> list[Due]:
    """The milestones reached by ``now`` (and before ``until``, the end of a
    streak that has ended)."""
    limit = min(now, until) if until else now
    return [d for d in schedule_ if d.at <= limit]


def upcoming(schedule_: list[Due], now: datetime) -> Due | None:
    """The next milestone not yet reached."""
    return next((d for d in schedule_ if d.at > now), None)
