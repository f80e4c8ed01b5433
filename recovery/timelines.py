"""Timelines: the home feed, this community's public posts, posts with a
hashtag, and a member's direct conversations. Each shows only what the
viewer may see (the one visibility rule), without accounts they blocked or
muted (store/timelines.py)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from recovery.errors import NotFound
from recovery.models import Member, Party, Post, PostState
from recovery.status_models import ListPage
from recovery.store import timelines as store

TIMELINE_MAX = 40
CONVERSATIONS_MAX = 40
TAGS_PER_MODE = 4  # any[], all[], none[]: at most this many each, as Mastodon
TAG_HISTORY_DAYS = 7
# The instance publishes (web/api/instance.py, timelines_access) that its live
# and hashtag feeds are for members and hold this community's posts only:
# remote posts never appear in them (``remote=true`` gives an empty list).
REMOTE_FEEDS = False
_TAG = re.compile(r"\w{1,100}")
NO_CONVERSATION = "Record not found"


@dataclass(frozen=True, slots=True)
class Origin:
    """Which authors a public or tag feed shows (Mastodon's local/remote)."""

    local: bool
    remote: bool

    @classmethod
    def asked(cls, local: bool, remote: bool) -> Origin:
        only_local, only_remote = local and not remote, remote and not local
        return cls(local=not only_remote, remote=REMOTE_FEEDS and not only_local)

    @property
    def empty(self) -> bool:
        return not (self.local or self.remote)


@dataclass(frozen=True, slots=True)
class TagDay:
    day: date
    uses: int
    accounts: int


@dataclass(frozen=True, slots=True)
class Tag:
    name: str
    history: tuple[TagDay, ...]


@dataclass(frozen=True, slots=True)
class Conversation:
    """A direct conversation as the member sees it: named by its thread's
    first post, with its newest post and whether that is unread."""

    id: int
    last_post_id: int
    unread: bool


def _capped(page: ListPage, most: int = TIMELINE_MAX) -> ListPage:
    return ListPage(min(max(page.limit, 1), most), page.max_id, page.since_id, page.min_id)


def tag_name(raw: str) -> str | None:
    """A hashtag as stored (case-folded, without '#'); None when it cannot be one."""
    name = raw.strip().lstrip("#")
    if not _TAG.fullmatch(name) or not any(c.isalpha() for c in name):
        return None
    return name.casefold()


def _tag_names(raw: Sequence[str]) -> list[str]:
    return [n for n in (tag_name(r) for r in raw[:TAGS_PER_MODE]) if n]


async def home(conn: Any, member: Member, member_uri: str, page: ListPage) -> list[Post]:
    return await store.home_posts(conn, member.id, member_uri, _capped(page))


async def still_current(
    conn: Any, member: Member, listed: Sequence[Post], token_digest: bytes | None = None,
) -> tuple[dict[int, PostState], set[tuple[str, int]], int | None] | None:
    """The counts of a page of posts read earlier (and of the posts they
    boost), the member's marks on them (as ``bookmarks.marks``) and, given
    the digest of the member's token, their home version if the token is
    still live (else None): when every post and author is still the row
    version it was read from; None when any changed or is gone."""
    every = [*listed, *(p.reblog for p in listed if p.reblog is not None)]
    if not every:
        return None
    states, marks, version = await store.post_states(
        conn, member.id, sorted({p.id for p in every}), token_digest)
    for post in every:
        state = states.get(post.id)
        if (state is None or not post.version or state.version != post.version
                or state.author_version != post.author.version):
            return None
    return states, marks, version


async def public(
    conn: Any, viewer: Member | None, viewer_uri: str | None, page: ListPage,
    origin: Origin, *, only_media: bool = False,
) -> list[Post]:
    """Public posts (and community-only ones, for members), newest first;
    with ``only_media``, those with media attached only."""
    if origin.empty:
        return []
    return await store.public_posts(conn, viewer.id if viewer else None,
                                    viewer_uri if viewer else None, _capped(page),
                                    local=origin.local, remote=origin.remote,
                                    only_media=only_media)


async def tagged(
    conn: Any, viewer: Member | None, viewer_uri: str | None, name: str, page: ListPage,
    origin: Origin, *, any_of: Sequence[str] = (), all_of: Sequence[str] = (),
    none_of: Sequence[str] = (), only_media: bool = False,
) -> list[Post]:
    """Posts with the hashtag ``name`` (or any of ``any_of``), all of
    ``all_of`` and none of ``none_of`` (with ``only_media``, those with media
    attached only); an impossible tag name finds nothing."""
    first = tag_name(name)
    if first is None or origin.empty:
        return []
    return await store.tag_posts(
        conn, viewer.id if viewer else None, viewer_uri if viewer else None, _capped(page),
        any_of=[first, *_tag_names(any_of)], all_of=_tag_names(all_of),
        none_of=_tag_names(none_of), local=origin.local, remote=origin.remote,
        only_media=only_media)


async def tag(conn: Any, raw: str, today: date | None = None, *,
              unused: bool = False) -> Tag:
    """A hashtag used here, with its uses per day over the last week (newest
    day first, days without uses included); NotFound when never used, unless
    ``unused`` (a followed hashtag nobody has used yet)."""
    name = tag_name(raw)
    if name is None or (not unused and not await store.tag_exists(conn, name)):
        raise NotFound("Record not found")
    today = today or datetime.now(UTC).date()
    since = today - timedelta(days=TAG_HISTORY_DAYS - 1)
    counts = {day: (uses, accounts) for day, uses, accounts
              in await store.tag_uses(conn, name, since)}
    days = [since + timedelta(days=n) for n in range(TAG_HISTORY_DAYS)]
    return Tag(name, tuple(TagDay(d, *counts.get(d, (0, 0))) for d in reversed(days)))


async def conversations(
    conn: Any, member: Member, member_uri: str, page: ListPage,
) -> list[Conversation]:
    found = await store.conversation_threads(conn, member.id, member_uri,
                                             _capped(page, CONVERSATIONS_MAX))
    return [Conversation(root, last, unread) for root, last, unread in found]


async def read_conversation(
    conn: Any, member: Member, member_uri: str, conversation_id: int,
) -> Conversation:
    last = await _last_of(conn, member, member_uri, conversation_id)
    await store.mark_conversation(conn, member.id, conversation_id, read_up_to=last)
    return Conversation(conversation_id, last, False)


async def remove_conversation(
    conn: Any, member: Member, member_uri: str, conversation_id: int,
) -> None:
    """Take the conversation off the member's list (the posts stay); a newer
    post in it brings it back."""
    last = await _last_of(conn, member, member_uri, conversation_id)
    await store.mark_conversation(conn, member.id, conversation_id, read_up_to=last,
                                  removed_up_to=last)


async def _last_of(conn: Any, member: Member, member_uri: str, conversation_id: int) -> int:
    last = await store.thread_of_direct(conn, member.id, member_uri, conversation_id)
    if last is None:
        raise NotFound(NO_CONVERSATION)
    return last


async def last_posts(conn: Any, found: Sequence[Conversation]) -> list[Post]:
    return await store.posts_by_ids(conn, [c.last_post_id for c in found])


async def participants(
    conn: Any, member: Member, base_url: str, posts: Sequence[Post],
) -> dict[int, list[Party]]:
    """For each post (by id), who takes part besides the member: its author
    and the accounts it names that are known here."""
    uris = sorted({u for p in posts for u in p.recipients})
    known = await store.parties_by_uris(conn, uris, f"{base_url}/users/")
    result: dict[int, list[Party]] = {}
    for post in posts:
        author = Party(post.author.member_id, post.author.remote_id)
        named = [known[u] for u in post.recipients if u in known]
        result[post.id] = [p for p in dict.fromkeys([author, *named])
                           if p != Party(member_id=member.id)]
    return result
