"""Plain data for a member's filters (docs.joinmastodon.org/entities/Filter):
keywords and posts hidden, or shown behind a warning, in some contexts."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True, slots=True)
class FilterKeyword:
    id: int
    filter_id: int
    keyword: str
    whole_word: bool


@dataclass(frozen=True, slots=True)
class FilterStatus:
    id: int
    filter_id: int
    post_id: int


@dataclass(frozen=True, slots=True)
class Filter:
    id: int
    member_id: int
    title: str
    context: tuple[str, ...]
    action: str  # "warn" or "hide"
    expires_at: datetime | None
    keywords: tuple[FilterKeyword, ...] = ()
    statuses: tuple[FilterStatus, ...] = ()


@dataclass(frozen=True, slots=True)
class KeywordChange:
    """One of ``keywords_attributes[]``: a new keyword (no id), a change to
    one (id), or its removal (id and ``destroy``)."""

    id: int | None
    keyword: str | None
    whole_word: bool | None
    destroy: bool = False


@dataclass(frozen=True, slots=True)
class FilterChange:
    """What a create or update asks for; None leaves a field as it is.
    ``expires_in`` seconds from now; ``clear_expiry`` makes it never expire."""

    title: str | None = None
    context: tuple[str, ...] | None = None
    action: str | None = None
    expires_in: int | None = None
    clear_expiry: bool = False
    keywords: tuple[KeywordChange, ...] = ()


@dataclass(frozen=True, slots=True)
class FilterMatch:
    """Why a post is filtered for its viewer: the filter, the keywords of it
    found in the post, and whether the post is one of the filter's posts."""

    filter: Filter
    keyword_matches: tuple[str, ...]
    status_matches: tuple[int, ...]
