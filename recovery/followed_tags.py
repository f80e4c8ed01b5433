"""Followed hashtags: a member follows a hashtag, and public and community
posts that carry it come into their home timeline (and the ``user`` stream),
as on Mastodon. The home timeline still applies its own rules to them
(visibility, blocks, mutes, filters). A hashtag may be followed before
anyone here has used it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from recovery.errors import InvalidInput
from recovery.models import Member
from recovery.status_models import ListPage
from recovery.store import followed_tags as store
from recovery.timelines import TAG_HISTORY_DAYS, Tag, TagDay, tag_name

MOST = 200  # followed_tags lists at most this many a page (Mastodon's limit)


@dataclass(frozen=True, slots=True)
class FollowedTag:
    row_id: int  # pages the list
    name: str


def _name(raw: str) -> str:
    name = tag_name(raw)
    if name is None:
        raise InvalidInput("name", "A hashtag is letters, digits and underscores, "
                                   "with at least one letter.")
    return name


async def follow(conn: Any, member: Member, raw: str) -> str:
    """Follow the hashtag (again: nothing changes); its name as stored."""
    name = _name(raw)
    await store.follow(conn, member.id, name)
    return name


async def unfollow(conn: Any, member: Member, raw: str) -> str:
    name = _name(raw)
    await store.unfollow(conn, member.id, name)
    return name


async def followed(conn: Any, member: Member, page: ListPage) -> list[FollowedTag]:
    capped = ListPage(min(max(page.limit, 1), MOST), page.max_id, page.since_id, page.min_id)
    return [FollowedTag(row_id, name)
            for row_id, name in await store.followed_page(conn, member.id, capped)]


async def following(conn: Any, member: Member | None, names: list[str]) -> set[str]:
    """Which of ``names`` (as stored) the member follows."""
    if member is None or not names:
        return set()
    return await store.following_among(conn, member.id, names)


async def histories(conn: Any, names: list[str]) -> list[Tag]:
    """Each hashtag with its last week's uses, as ``timelines.tag`` gives
    one, for a whole page in one query."""
    today = datetime.now(UTC).date()
    since = today - timedelta(days=TAG_HISTORY_DAYS - 1)
    uses = await store.uses_per_day(conn, names, since)
    days = [since + timedelta(days=n) for n in reversed(range(TAG_HISTORY_DAYS))]
    return [Tag(name, tuple(TagDay(d, *uses.get(name, {}).get(d, (0, 0))) for d in days))
            for name in names]


async def tag_followers_among(conn: Any, member_ids: list[int]) -> set[int]:
    """Those of ``member_ids`` following any hashtag: a deleted public post
    may have been in their home timeline for a tag (its tags are gone with it)."""
    return await store.tag_followers_among(conn, member_ids) if member_ids else set()
