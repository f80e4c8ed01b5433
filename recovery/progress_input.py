"""Reading what a member types into the progress forms: dates and times in
their zone, amounts, choices. Each reader raises InvalidInput naming the
field, with a message that never repeats the value (RELIABILITY.md 29: a
date of a last drink must not travel in an error)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from decimal import Decimal, InvalidOperation
from zoneinfo import ZoneInfo

from recovery import milestones
from recovery.errors import InvalidInput

EARLIEST = date(1900, 1, 1)


def zone(name: str, field: str = "time_zone") -> ZoneInfo:
    try:
        return milestones.zone(name.strip())
    except ValueError:
        raise InvalidInput(field, "Choose a time zone from the list, e.g. Europe/London "
                           "or America/Chicago.") from None


def moment(day: str, clock: str, tz: ZoneInfo, now: datetime, field: str = "date") -> datetime:
    """The wall-clock ``day`` (YYYY-MM-DD) and ``clock`` (HH:MM, blank for
    midnight) in ``tz`` as a UTC moment, not in the future."""
    try:
        parsed_day = date.fromisoformat(day.strip())
    except ValueError:
        raise InvalidInput(field, "Give the date as year-month-day, e.g. 2026-03-14.") from None
    try:
        parsed_time = time.fromisoformat(clock.strip()) if clock.strip() else time(0, 0)
    except ValueError:
        raise InvalidInput(field, "Give the time as hours and minutes, e.g. 21:30.") from None
    if parsed_day < EARLIEST:
        raise InvalidInput(field, "That date is too long ago; check the year.")
    local = datetime.combine(parsed_day, parsed_time.replace(tzinfo=None, second=0,
                                                             microsecond=0))
    at = milestones.wall_clock(local, tz)
    if at > now.astimezone(UTC):
        raise InvalidInput(field, "That is still to come: give a date and time that has passed.")
    return at


def amount(raw: str, field: str, *, most: Decimal, places: int = 2) -> Decimal | None:
    """A non-negative number of at most ``most``; blank is None."""
    text = raw.strip().replace(",", ".")
    if not text:
        return None
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise InvalidInput(field, "Give a number, e.g. 45 or 12.50.") from None
    if not value.is_finite() or value < 0 or value > most:
        raise InvalidInput(field, f"Give a number from 0 to {most}.")
    return round(value, places)


def whole(raw: str, field: str, *, least: int, most: int) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise InvalidInput(field, f"Give a whole number from {least} to {most}.") from None
    if not least <= value <= most:
        raise InvalidInput(field, f"Give a whole number from {least} to {most}.")
    return value


def text(raw: str, field: str, *, most: int) -> str:
    value = raw.strip()
    if len(value) > most:
        raise InvalidInput(field, f"Keep it to {most} characters.")
    return value
