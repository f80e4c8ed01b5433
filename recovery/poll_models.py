"""Polls as the domain sees them (recovery/polls.py): what was asked, how it
stands, and what one viewer chose."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime


@dataclass(frozen=True, slots=True)
class PollDraft:
    """A poll a member asked for, checked by ``recovery.polls.check``."""

    options: tuple[str, ...]
    expires_in: int  # seconds
    multiple: bool = False
    hide_totals: bool = False


@dataclass(frozen=True, slots=True)
class RemoteQuestion:
    """What a remote ``Question`` says of its poll (federation.objects.PollOption
    turned into plain values)."""

    options: tuple[str, ...]
    counts: tuple[int, ...]
    multiple: bool
    expires_at: datetime | None
    voters: int | None
    closed: bool = False


@dataclass(frozen=True, slots=True)
class Poll:
    """A post's poll, with its counts and one viewer's own votes."""

    post_id: int
    options: tuple[str, ...]
    multiple: bool
    hide_totals: bool
    expires_at: datetime | None
    counts: tuple[int, ...]
    voters: int
    own_votes: tuple[int, ...] = ()
    remote: bool = False
    ended_at: datetime | None = None

    def expired(self, now: datetime | None = None) -> bool:
        if self.ended_at is not None:
            return True
        moment = now or datetime.now(UTC)
        return self.expires_at is not None and self.expires_at <= moment

    @property
    def votes(self) -> int:
        return sum(self.counts)
