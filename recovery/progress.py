"""The sobriety counter: a member's streaks (attempts), milestones reached,
settings, and what others may see of it (only the count, only when the
member allows; the date of the last drink never leaves the member's own
pages). Every function takes ``now`` so time is the caller's to choose.

Starting again closes the current streak at the new last drink and opens a
new one; the history stays, private, for the member to edit or delete.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from decimal import Decimal
from typing import Any

from recovery import milestones, notifications, progress_input
from recovery.errors import InvalidInput, NotFound
from recovery.models import Member
from recovery.progress_models import (
    Attempt,
    CounterVisibility,
    CustomMilestone,
    ProgressSettings,
    Reached,
)
from recovery.store import progress as store

DUE_BATCH = 100
ENCOURAGEMENT = (
    "Starting again takes courage, and you did it. Every day counts, and the "
    "days before this one still count too: they are kept in your history."
)
FIRST_START = "Your counter is running. One day at a time; this community is with you."


@dataclass(frozen=True, slots=True)
class Stats:
    attempts: int
    longest_days: int
    total_days: int
    days_this_year: int


@dataclass(frozen=True, slots=True)
class Savings:
    money: Decimal | None
    currency: str
    hours: Decimal | None


@dataclass(frozen=True, slots=True)
class Counter:
    """The member's own view of their current streak."""

    attempt: Attempt
    days: int
    hours: int
    minutes: int
    next: milestones.Due | None
    schedule: list[milestones.Due]


# -- settings -----------------------------------------------------------------------


async def settings(conn: Any, member: Member) -> ProgressSettings:
    return await store.get_settings(conn, member.id)


async def save_settings(conn: Any, member: Member, values: dict[str, str]) -> ProgressSettings:
    """Visibility, time zone and the optional money and time; all or nothing."""
    try:
        visibility = CounterVisibility(values.get("visibility", "private"))
    except ValueError:
        raise InvalidInput("visibility", "Choose who can see your count.") from None
    tz_name = values.get("time_zone", "UTC").strip()
    progress_input.zone(tz_name)
    saved = ProgressSettings(
        member_id=member.id, time_zone=tz_name, visibility=visibility,
        weekly_spend=progress_input.amount(values.get("weekly_spend", ""), "weekly_spend",
                                           most=Decimal("100000")),
        currency=progress_input.text(values.get("currency", ""), "currency", most=8),
        hours_per_drinking_day=progress_input.amount(
            values.get("hours_per_drinking_day", ""), "hours_per_drinking_day",
            most=Decimal(24), places=1),
        drinking_days_per_week=progress_input.whole(
            values.get("drinking_days_per_week", "") or "7", "drinking_days_per_week",
            least=1, most=7),
    )
    await store.save_settings(conn, saved)
    return saved


async def update_settings(conn: Any, member: Member,
                          changes: dict[str, str]) -> ProgressSettings:
    """Change only the settings named in ``changes``; the rest stay."""
    s = await store.get_settings(conn, member.id)
    current = {
        "visibility": s.visibility.value, "time_zone": s.time_zone,
        "weekly_spend": "" if s.weekly_spend is None else str(s.weekly_spend),
        "currency": s.currency, "drinking_days_per_week": str(s.drinking_days_per_week),
        "hours_per_drinking_day": ("" if s.hours_per_drinking_day is None
                                   else str(s.hours_per_drinking_day)),
    }
    return await save_settings(conn, member, {**current, **changes})


# -- the counter ---------------------------------------------------------------------


async def start(conn: Any, member: Member, day: str, clock: str, now: datetime,
                time_zone: str | None = None) -> tuple[Attempt, str]:
    """Set the counter, or start again: the new last drink closes the streak
    that runs. Returns the new streak and a word of encouragement."""
    current_settings = await store.get_settings(conn, member.id)
    tz_name = time_zone or current_settings.time_zone
    tz = progress_input.zone(tz_name)
    last_drink = progress_input.moment(day, clock, tz, now)
    current = await store.current_attempt(conn, member.id, lock=True)
    if current is not None and last_drink < current.started_at:
        raise InvalidInput("date", "That is before your current streak began. To correct "
                           "the streak, edit it in your history.")
    for attempt in await store.attempts(conn, member.id):
        if attempt.ended_at is not None and attempt.ended_at > last_drink:
            raise InvalidInput("date", "Your history already has a streak after that date; "
                               "edit it in your history instead.")
    if current is not None:
        await store.update_attempt(conn, current.id, current.started_at, last_drink)
        await store.set_next_milestone(conn, current.id, None)
    if time_zone and time_zone != current_settings.time_zone:
        await store.save_settings(conn, _with_zone(current_settings, time_zone))
    attempt = await store.insert_attempt(conn, member.id, last_drink, tz_name, now)
    await check(conn, attempt, now, notify_since=now)
    return attempt, ENCOURAGEMENT if current is not None else FIRST_START


def _with_zone(s: ProgressSettings, tz_name: str) -> ProgressSettings:
    return ProgressSettings(s.member_id, tz_name, s.visibility, s.weekly_spend, s.currency,
                            s.hours_per_drinking_day, s.drinking_days_per_week)


async def counter(conn: Any, member: Member, now: datetime) -> Counter | None:
    """The running streak, after recording any milestone it has reached."""
    attempt = await store.current_attempt(conn, member.id)
    if attempt is None:
        return None
    await check(conn, attempt, now)
    tz = milestones.zone(attempt.time_zone)
    days, hours, minutes = milestones.elapsed(attempt.started_at, tz, now)
    plan = await _schedule(conn, attempt, now)
    return Counter(attempt, days, hours, minutes, milestones.upcoming(plan, now), plan)


async def shown_count(conn: Any, member: Member, viewer: Member | None,
                      now: datetime) -> int | None:
    """The whole days sober that ``viewer`` may see on the member's profile:
    None unless the member allows it (community: members logged in here)."""
    if viewer is not None and viewer.id == member.id:
        allowed = True
    else:
        visibility = await store.counter_visibility(conn, member.id)
        allowed = visibility is CounterVisibility.PUBLIC or (
            visibility is CounterVisibility.COMMUNITY and viewer is not None)
    attempt = await store.current_attempt(conn, member.id) if allowed else None
    if attempt is None:
        return None
    return milestones.whole_days(attempt.started_at, milestones.zone(attempt.time_zone), now)


# -- milestones ----------------------------------------------------------------------


async def _schedule(conn: Any, attempt: Attempt, now: datetime) -> list[milestones.Due]:
    customs = [milestones.custom(c.days, c.name)
               for c in await store.custom_milestones(conn, attempt.member_id)]
    return milestones.schedule(attempt.started_at, milestones.zone(attempt.time_zone), customs,
                               now)


async def check(conn: Any, attempt: Attempt, now: datetime,
                notify_since: datetime | None = None) -> list[Reached]:
    """Record the milestones the streak has reached and not yet recorded;
    each fires once per streak, whoever checks first (the job or a page
    view). The member is notified of those reached since ``notify_since``
    (default: since the streak was entered) and of the latest in any case,
    so setting a counter years back does not send a flood."""
    plan = await _schedule(conn, attempt, now)
    since = notify_since or attempt.created_at
    fresh = []
    known = await store.reached_keys(conn, attempt.id)
    for due in milestones.reached(plan, now, attempt.ended_at):
        m = due.milestone
        if m.key not in known and await store.record_reached(
                conn, attempt, m.key, m.name, due.days, due.at):
            fresh.append(Reached(attempt.id, m.key, m.name, due.days, due.at))
    for index, reached in enumerate(fresh):
        if reached.reached_at >= since - timedelta(minutes=1) or index == len(fresh) - 1:
            await notifications.notify(conn, attempt.member_id, notifications.MILESTONE, {
                "attempt_id": attempt.id, "key": reached.key, "name": reached.name,
                "days": reached.days})
    upcoming = milestones.upcoming(plan, now) if attempt.ended_at is None else None
    await store.set_next_milestone(conn, attempt.id, upcoming.at if upcoming else None)
    return fresh


async def check_due(conn: Any, now: datetime, limit: int = DUE_BATCH) -> int:
    """The milestone job: every open streak whose next milestone has come.
    Run in a transaction; streaks locked by another process are skipped."""
    found = 0
    for attempt in await store.claim_due_attempts(conn, now, limit):
        found += len(await check(conn, attempt, now))
    return found


async def reached(conn: Any, member: Member) -> list[Reached]:
    return await store.reached_of_member(conn, member.id)


async def customs(conn: Any, member: Member) -> list[CustomMilestone]:
    return await store.custom_milestones(conn, member.id)


async def add_custom(conn: Any, member: Member, days_raw: str, name_raw: str,
                     now: datetime) -> None:
    days = progress_input.whole(days_raw, "days", least=1, most=milestones.MAX_CUSTOM_DAYS)
    name = progress_input.text(name_raw, "name", most=60) or f"{days} days"
    if not await store.add_custom_milestone(conn, member.id, days, name):
        raise InvalidInput("days", "You already have a milestone of that many days.")
    await _recheck_current(conn, member, now)


async def edit_custom(conn: Any, member: Member, milestone_id: int, days_raw: str,
                      name_raw: str, now: datetime) -> CustomMilestone:
    if not any(c.id == milestone_id for c in await store.custom_milestones(conn, member.id)):
        raise NotFound("That milestone is not there any more.")
    days = progress_input.whole(days_raw, "days", least=1, most=milestones.MAX_CUSTOM_DAYS)
    name = progress_input.text(name_raw, "name", most=60) or f"{days} days"
    if not await store.update_custom_milestone(conn, member.id, milestone_id, days, name):
        raise InvalidInput("days", "You already have a milestone of that many days.")
    await _recheck_current(conn, member, now)
    return CustomMilestone(milestone_id, days, name)


def coming(counter_: Counter, reached_: list[Reached]) -> list[milestones.Due]:
    """The streak's milestones still to come, after the last one reached."""
    done = {r.key for r in reached_}
    after = reached_[-1].reached_at if reached_ else counter_.attempt.started_at
    return [d for d in counter_.schedule if d.milestone.key not in done and d.at > after]


async def delete_custom(conn: Any, member: Member, milestone_id: int, now: datetime) -> None:
    if not await store.delete_custom_milestone(conn, member.id, milestone_id):
        raise NotFound("That milestone is not there any more.")
    await _recheck_current(conn, member, now)


async def _recheck_current(conn: Any, member: Member, now: datetime) -> None:
    current = await store.current_attempt(conn, member.id)
    if current is not None:
        await check(conn, current, now, notify_since=now)


async def shareable(conn: Any, member: Member, attempt_id: int, key: str) -> Reached:
    """A milestone the member reached and has not shared yet, locked."""
    found = await store.get_reached(conn, member.id, attempt_id, key, lock=True)
    if found is None:
        raise NotFound("There is no such milestone of yours.")
    if found.shared_post_id is not None:
        raise InvalidInput("share", "You have shared this milestone already.")
    return found


def share_text(reached_: Reached, line: str) -> str:
    """What Mastodon shows as-is: "90 days today", then the member's line."""
    extra = progress_input.text(line, "line", most=500)
    return f"{reached_.name} today" + (f"\n\n{extra}" if extra else "")


async def mark_shared(conn: Any, reached_: Reached, post_id: int) -> None:
    await store.mark_shared(conn, reached_.attempt_id, reached_.key, post_id)


# -- history -------------------------------------------------------------------------


async def history(conn: Any, member: Member) -> list[Attempt]:
    """Every streak, newest first."""
    return list(reversed(await store.attempts(conn, member.id)))


def stats(attempts: list[Attempt], now: datetime, tz_name: str) -> Stats:
    """Longest streak, sober days overall and this year (in the member's
    zone), and how many streaks there have been."""
    tz = milestones.zone(tz_name)
    year_start = milestones.wall_clock(datetime(now.astimezone(tz).year, 1, 1), tz)
    longest = total = this_year = 0
    for a in attempts:
        a_tz = milestones.zone(a.time_zone)
        end = min(a.ended_at or now, now)
        days = milestones.whole_days(a.started_at, a_tz, end)
        longest, total = max(longest, days), total + days
        if end > year_start:
            this_year += milestones.whole_days(max(a.started_at, year_start), a_tz, end)
    return Stats(len(attempts), longest, total, this_year)


async def edit_attempt(conn: Any, member: Member, attempt_id: int, values: dict[str, str],
                       now: datetime) -> Attempt:
    """Correct a streak's start (and end, for a past one)."""
    attempt = await _own_attempt(conn, member, attempt_id)
    tz = milestones.zone(attempt.time_zone)
    started = progress_input.moment(values.get("start_date", ""),
                                     values.get("start_time", ""), tz, now, "start_date")
    ended = None
    if not attempt.is_current:
        ended = progress_input.moment(values.get("end_date", ""), values.get("end_time", ""),
                                      tz, now, "end_date")
        if ended < started:
            raise InvalidInput("end_date", "A streak ends after it starts.")
    await _no_overlap(conn, member, attempt.id, started, ended or now)
    await store.update_attempt(conn, attempt.id, started, ended)
    changed = await store.get_attempt(conn, member.id, attempt.id)
    assert changed is not None
    plan = await _schedule(conn, changed, now)
    still = [d.milestone.key for d in milestones.reached(plan, now, ended)]
    await store.forget_reached(conn, changed.id, still)
    await check(conn, changed, now, notify_since=now)
    return changed


async def _no_overlap(conn: Any, member: Member, attempt_id: int, start: datetime,
                      end: datetime) -> None:
    for other in await store.attempts(conn, member.id):
        if other.id != attempt_id and start < (other.ended_at or datetime.max.replace(
                tzinfo=UTC)) and other.started_at < end:
            raise InvalidInput("start_date", "That overlaps another streak in your history.")


async def delete_attempt(conn: Any, member: Member, attempt_id: int) -> None:
    await _own_attempt(conn, member, attempt_id)
    await store.delete_attempt(conn, member.id, attempt_id)


async def _own_attempt(conn: Any, member: Member, attempt_id: int) -> Attempt:
    attempt = await store.get_attempt(conn, member.id, attempt_id)
    if attempt is None:
        raise NotFound("That streak is not in your history.")
    return attempt


async def delete_everything(conn: Any, member: Member) -> None:
    """The counter, every streak, milestone, milestone notification and
    setting (posts stay: delete them from their pages, which tells other
    servers too)."""
    await store.delete_all(conn, member.id)
    await notifications.forget_milestones(conn, member)


# -- money and time ------------------------------------------------------------------


def savings(s: ProgressSettings, sober: timedelta) -> Savings:
    """What not drinking for ``sober`` has saved, from the usual spend per
    week and hours per drinking day."""
    weeks = Decimal(max(sober.total_seconds(), 0)) / Decimal(7 * 86400)
    money = round(s.weekly_spend * weeks, 2) if s.weekly_spend is not None else None
    hours = None
    if s.hours_per_drinking_day is not None:
        hours = round(s.hours_per_drinking_day * s.drinking_days_per_week * weeks, 1)
    return Savings(money, s.currency, hours)
