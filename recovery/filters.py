"""A member's filters (docs.joinmastodon.org/methods/filters): keywords and
posts that are hidden (``hide``) or shown behind a warning (``warn``) in the
contexts named. Private to the member. Every change tells the member's open
streams (``filters_changed``). Version 1 of the API sees each keyword as a
filter of its own; both versions work on the same rows."""

from __future__ import annotations

import re
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from federation.sanitize import html_to_text
from recovery import events
from recovery import posts as recovery_posts
from recovery.errors import InvalidInput, NotFound
from recovery.filter_models import (
    Filter,
    FilterChange,
    FilterKeyword,
    FilterMatch,
    FilterStatus,
    KeywordChange,
)
from recovery.models import Member, Post
from recovery.store import filters as store

CONTEXTS = ("home", "notifications", "public", "thread", "account")
ACTIONS = ("warn", "hide")
FILTERS_MAX = 100
KEYWORDS_MAX = 100
STATUSES_MAX = 100
TEXT_MAX = 200
EXPIRES_MAX = 10 * 366 * 24 * 3600
NOT_FOUND = "Record not found"


# -- checking input --------------------------------------------------------------

def _title(raw: str | None) -> str:
    title = " ".join((raw or "").split())
    if not title:
        raise InvalidInput("title", "title can't be blank")
    if len(title) > TEXT_MAX:
        raise InvalidInput("title", f"title is longer than {TEXT_MAX} characters")
    return title


def _keyword_text(raw: str | None) -> str:
    keyword = (raw or "").strip()
    if not keyword:
        raise InvalidInput("keyword", "keyword can't be blank")
    if len(keyword) > TEXT_MAX:
        raise InvalidInput("keyword", f"keyword is longer than {TEXT_MAX} characters")
    return keyword


def _context(raw: Sequence[str] | None) -> tuple[str, ...]:
    if not raw:
        raise InvalidInput("context", "context can't be blank")
    unknown = sorted(set(raw) - set(CONTEXTS))
    if unknown:
        raise InvalidInput("context", f"context {unknown[0]!r} is not one of "
                           + ", ".join(CONTEXTS))
    return tuple(c for c in CONTEXTS if c in raw)


def _action(raw: str | None) -> str:
    if raw not in ACTIONS:
        raise InvalidInput("filter_action", "filter_action must be warn or hide")
    return raw


def _expires_at(change: FilterChange, now: datetime, was: datetime | None) -> datetime | None:
    if change.clear_expiry:
        return None
    if change.expires_in is None:
        return was
    if not 0 < change.expires_in <= EXPIRES_MAX:
        raise InvalidInput("expires_in", "expires_in must be a number of seconds, "
                           "at most ten years")
    return now + timedelta(seconds=change.expires_in)


# -- filters ---------------------------------------------------------------------

async def of_member(conn: Any, member: Member) -> list[Filter]:
    return await store.filters_of(conn, member.id)


async def get(conn: Any, member: Member, filter_id: int) -> Filter:
    found = await store.filters_of(conn, member.id, filter_id=filter_id)
    if not found:
        raise NotFound(NOT_FOUND)
    return found[0]


async def create(conn: Any, member: Member, change: FilterChange, now: datetime) -> Filter:
    """A new filter with its keywords; run in a transaction."""
    title, context = _title(change.title), _context(change.context)
    action = _action(change.action or "warn")
    if await store.count_filters(conn, member.id) >= FILTERS_MAX:
        raise InvalidInput("title", f"You can have at most {FILTERS_MAX} filters.")
    filter_id = await store.insert_filter(conn, member.id, title, context, action,
                                          _expires_at(change, now, None))
    await _change_keywords(conn, member, filter_id, change.keywords, 0)
    await events.filters_changed(conn, member.id)
    return await get(conn, member, filter_id)


async def update(conn: Any, member: Member, filter_id: int, change: FilterChange,
                 now: datetime) -> Filter:
    """Change what is given; keywords are added, changed or removed as
    ``change.keywords`` says. Run in a transaction."""
    was = await get(conn, member, filter_id)
    await store.update_filter(
        conn, member.id, filter_id,
        _title(change.title) if change.title is not None else was.title,
        _context(change.context) if change.context is not None else was.context,
        _action(change.action) if change.action is not None else was.action,
        _expires_at(change, now, was.expires_at))
    await _change_keywords(conn, member, filter_id, change.keywords, len(was.keywords))
    await events.filters_changed(conn, member.id)
    return await get(conn, member, filter_id)


async def _change_keywords(conn: Any, member: Member, filter_id: int,
                           changes: Sequence[KeywordChange], had: int) -> None:
    if had + sum(1 for c in changes if c.id is None) > KEYWORDS_MAX:
        raise InvalidInput("keywords_attributes", f"at most {KEYWORDS_MAX} keywords a filter")
    for item in changes:
        if item.id is None:
            if not item.destroy:
                await store.add_keyword(conn, filter_id, _keyword_text(item.keyword),
                                        True if item.whole_word is None else item.whole_word)
            continue
        found = await store.keyword_of(conn, member.id, item.id)
        if found is None or found.filter_id != filter_id:
            raise NotFound(NOT_FOUND)
        if item.destroy:
            await store.delete_keyword(conn, member.id, item.id)
        else:
            await _set_keyword(conn, member, found, item.keyword, item.whole_word)


async def delete(conn: Any, member: Member, filter_id: int) -> None:
    if not await store.delete_filter(conn, member.id, filter_id):
        raise NotFound(NOT_FOUND)
    await events.filters_changed(conn, member.id)


# -- keywords --------------------------------------------------------------------

async def add_keyword(conn: Any, member: Member, filter_id: int, keyword: str | None,
                      whole_word: bool | None) -> FilterKeyword:
    was = await get(conn, member, filter_id)
    if len(was.keywords) >= KEYWORDS_MAX:
        raise InvalidInput("keyword", f"at most {KEYWORDS_MAX} keywords a filter")
    added = await store.add_keyword(conn, filter_id, _keyword_text(keyword),
                                    True if whole_word is None else whole_word)
    await events.filters_changed(conn, member.id)
    return added


async def keyword(conn: Any, member: Member, keyword_id: int) -> FilterKeyword:
    found = await store.keyword_of(conn, member.id, keyword_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def change_keyword(conn: Any, member: Member, keyword_id: int, text: str | None,
                         whole_word: bool | None) -> FilterKeyword:
    found = await keyword(conn, member, keyword_id)
    changed = await _set_keyword(conn, member, found, text, whole_word)
    await events.filters_changed(conn, member.id)
    return changed


async def _set_keyword(conn: Any, member: Member, found: FilterKeyword, text: str | None,
                       whole_word: bool | None) -> FilterKeyword:
    changed = await store.update_keyword(
        conn, member.id, found.id, _keyword_text(text) if text is not None else found.keyword,
        found.whole_word if whole_word is None else whole_word)
    assert changed is not None
    return changed


async def remove_keyword(conn: Any, member: Member, keyword_id: int) -> None:
    if not await store.delete_keyword(conn, member.id, keyword_id):
        raise NotFound(NOT_FOUND)
    await events.filters_changed(conn, member.id)


# -- posts -----------------------------------------------------------------------

async def add_status(conn: Any, member: Member, member_uri: str, filter_id: int,
                     post_id: int) -> FilterStatus:
    """Filter one post the member may see (a boost stands for its post)."""
    was = await get(conn, member, filter_id)
    if len(was.statuses) >= STATUSES_MAX:
        raise InvalidInput("status_id", f"at most {STATUSES_MAX} posts a filter")
    post = await recovery_posts.visible(conn, member, member_uri, post_id)
    added = await store.add_filter_status(conn, filter_id, post.reblog_of_id or post.id)
    await events.filters_changed(conn, member.id)
    return added


async def status(conn: Any, member: Member, filter_status_id: int) -> FilterStatus:
    found = await store.filter_status_of(conn, member.id, filter_status_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def remove_status(conn: Any, member: Member, filter_status_id: int) -> None:
    if not await store.delete_filter_status(conn, member.id, filter_status_id):
        raise NotFound(NOT_FOUND)
    await events.filters_changed(conn, member.id)


# -- version 1: one keyword, one filter --------------------------------------------

def action_of(irreversible: bool | None) -> str | None:
    return None if irreversible is None else ("hide" if irreversible else "warn")


async def create_v1(conn: Any, member: Member, phrase: str | None, change: FilterChange,
                    whole_word: bool | None, now: datetime) -> FilterKeyword:
    """A filter titled ``phrase`` with that one keyword."""
    text = _keyword_text(phrase)
    made = await create(conn, member, FilterChange(
        title=text[:TEXT_MAX], context=change.context, action=change.action or "warn",
        expires_in=change.expires_in,
        keywords=(KeywordChange(None, text, True if whole_word is None else whole_word),)),
        now)
    return made.keywords[0]


async def update_v1(conn: Any, member: Member, keyword_id: int, phrase: str | None,
                    change: FilterChange, whole_word: bool | None,
                    now: datetime) -> FilterKeyword:
    found = await keyword(conn, member, keyword_id)
    await update(conn, member, found.filter_id, change, now)
    changed = await _set_keyword(conn, member, found, phrase, whole_word)
    return changed


async def delete_v1(conn: Any, member: Member, keyword_id: int) -> None:
    """Remove the keyword, and its filter when it was the last."""
    found = await keyword(conn, member, keyword_id)
    await remove_keyword(conn, member, keyword_id)
    left = await get(conn, member, found.filter_id)
    if not left.keywords and not left.statuses:
        await delete(conn, member, found.filter_id)


def v1_pairs(found: Sequence[Filter]) -> list[tuple[Filter, FilterKeyword]]:
    """Every keyword with its filter: what version 1 lists."""
    return [(f, k) for f in found for k in f.keywords]


# -- what a member's filters do to posts --------------------------------------------

async def matches(conn: Any, member: Member | None, shown: Sequence[Post],
                  known: Sequence[Filter] | None = None) -> dict[int, list[FilterMatch]]:
    """For each post (by id) that the member's active filters catch, why:
    one query for the filters (none when the caller ``known`` them all,
    expired ones included), the matching done here."""
    if member is None or not shown:
        return {}
    if known is None:
        active = await store.filters_of(conn, member.id, active=True)
    else:
        now = datetime.now(UTC)
        active = [f for f in known if f.expires_at is None or f.expires_at > now]
    if not active:
        return {}
    found = {}
    for post in shown:
        text = _text_of(post)
        caught = [m for m in (_match(f, post, text) for f in active) if m is not None]
        if caught:
            found[post.id] = caught
    return found


def hidden(found: Sequence[FilterMatch], context: str) -> bool:
    """Whether a ``hide`` filter for ``context`` caught the post."""
    return any(m.filter.action == "hide" and context in m.filter.context for m in found)


async def hidden_ids(conn: Any, member: Member | None, shown: Sequence[Post],
                     context: str) -> set[int]:
    """The posts (a boost by its own id, caught by its post) that ``hide``
    filters for ``context`` take out of a list."""
    targets = [p.reblog or p for p in shown]
    found = await matches(conn, member, targets)
    return {p.id for p, t in zip(shown, targets, strict=True)
            if hidden(found.get(t.id, ()), context)}


def _text_of(post: Post) -> str:
    return f"{post.summary}\n{html_to_text(post.content_html)}"


def _match(filter_: Filter, post: Post, text: str) -> FilterMatch | None:
    keywords = tuple(k.keyword for k in filter_.keywords if _pattern(k).search(text))
    statuses = tuple(s.post_id for s in filter_.statuses if s.post_id == post.id)
    if not keywords and not statuses:
        return None
    return FilterMatch(filter_, keywords, statuses)


def _pattern(keyword: FilterKeyword) -> re.Pattern[str]:
    """As Mastodon matches: case-insensitive; a whole-word keyword needs a
    word boundary where it starts or ends with a letter or digit."""
    body = re.escape(keyword.keyword)
    if keyword.whole_word:
        start = r"\b" if re.match(r"\w", keyword.keyword) else ""
        end = r"\b" if re.search(r"\w$", keyword.keyword) else ""
        body = f"{start}{body}{end}"
    return re.compile(body, re.IGNORECASE)
