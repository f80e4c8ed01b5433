"""The JSON shapes of Hearth's progress API (/api/hearth/v1), one function
per entity; web/api/openapi_progress.py describes each. Timestamps are
Mastodon's (``iso``), calendar days YYYY-MM-DD, amounts strings (never
floats). Every one is the member's own data: only ever sent to them."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from recovery import milestones, progress
from recovery.progress_models import Attempt, Checkin, CustomMilestone, ProgressSettings, Reached
from web.api.entities import iso


def _amount(value: Decimal | None) -> str | None:
    return None if value is None else str(value)


def upcoming_entity(due: milestones.Due) -> dict[str, Any]:
    return {"key": due.milestone.key, "name": due.milestone.name, "days": due.days,
            "at": iso(due.at), "custom": due.milestone.custom}


def savings_entity(saved: progress.Savings) -> dict[str, Any]:
    return {"money": _amount(saved.money), "currency": saved.currency,
            "hours": _amount(saved.hours)}


def counter_entity(counter: progress.Counter | None, settings: ProgressSettings,
                   saved: progress.Savings) -> dict[str, Any]:
    """The running streak (``running`` false and nulls before the first start)."""
    return {
        "running": counter is not None,
        "attempt_id": str(counter.attempt.id) if counter else None,
        "last_drink": iso(counter.attempt.started_at) if counter else None,
        "time_zone": counter.attempt.time_zone if counter else settings.time_zone,
        "days": counter.days if counter else 0,
        "hours": counter.hours if counter else 0,
        "minutes": counter.minutes if counter else 0,
        "next_milestone": upcoming_entity(counter.next) if counter and counter.next else None,
        "visibility": settings.visibility.value,
        "savings": savings_entity(saved),
    }


def attempt_entity(attempt: Attempt) -> dict[str, Any]:
    return {"id": str(attempt.id), "last_drink": iso(attempt.started_at),
            "ended_at": iso(attempt.ended_at), "time_zone": attempt.time_zone,
            "current": attempt.is_current, "created_at": iso(attempt.created_at)}


def stats_entity(stats: progress.Stats) -> dict[str, Any]:
    return {"attempts": stats.attempts, "longest_streak_days": stats.longest_days,
            "sober_days": stats.total_days, "sober_days_this_year": stats.days_this_year}


def reached_entity(reached: Reached) -> dict[str, Any]:
    return {"attempt_id": str(reached.attempt_id), "key": reached.key, "name": reached.name,
            "days": reached.days, "reached_at": iso(reached.reached_at),
            "shared_status_id": (None if reached.shared_post_id is None
                                 else str(reached.shared_post_id))}


def custom_entity(custom: CustomMilestone) -> dict[str, Any]:
    return {"id": str(custom.id), "days": custom.days, "name": custom.name}


def checkin_entity(checkin: Checkin) -> dict[str, Any]:
    return {"id": str(checkin.id), "day": checkin.day.isoformat(),
            "pledged_at": iso(checkin.pledged_at), "reviewed_at": iso(checkin.reviewed_at),
            "day_went": checkin.day_went.value if checkin.day_went else None,
            "cravings": checkin.cravings, "mood": checkin.mood.value if checkin.mood else None,
            "note": checkin.note}


def settings_entity(settings: ProgressSettings, saved: progress.Savings) -> dict[str, Any]:
    return {"visibility": settings.visibility.value, "time_zone": settings.time_zone,
            "weekly_spend": _amount(settings.weekly_spend), "currency": settings.currency,
            "hours_per_drinking_day": _amount(settings.hours_per_drinking_day),
            "drinking_days_per_week": settings.drinking_days_per_week,
            "savings": savings_entity(saved)}
