"""Plain data of what the client API adds to posts: a member's marks on
them (bookmarks, pins, muted conversations), who reacted, and earlier
versions of an edited post. The store returns these, never records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recovery.models import Party, Post

BOOKMARKED = "bookmarked"
PINNED = "pinned"
MUTED = "muted"


@dataclass(frozen=True, slots=True)
class Marked:
    """A post in a member's list (bookmarks, favourites): ``mark_id`` orders
    and pages the list, as Mastodon pages by the bookmark's id."""

    mark_id: int
    post: Post


@dataclass(frozen=True, slots=True)
class Reactor:
    """Who liked or boosted a post; ``mark_id`` (the like's or boost's id)
    pages the list."""

    mark_id: int
    party: Party


@dataclass(frozen=True, slots=True)
class PostVersion:
    """One version of a post, as it read from ``created_at`` on."""

    content_html: str
    summary: str
    sensitive: bool
    created_at: datetime


@dataclass(frozen=True, slots=True)
class ListPage:
    """Bounds of a page, newest first (``min_id``: the page just above it)."""

    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None
