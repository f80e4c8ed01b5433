"""Search (docs.joinmastodon.org/methods/search) over what is here: posts by
their text and Mastodon's operators (recovery/search_query.py), among those
the member may see; hashtags by name. Accounts are recovery/accounts.py's
``search``; looking things up elsewhere (resolve) is the caller's, through
inbox."""

from __future__ import annotations

from typing import Any

from federation.errors import InvalidDocument
from federation.webfinger import parse_handle
from recovery import peers
from recovery.models import Member, Party, Post, Status
from recovery.search_query import PostQuery, PostSearch, parse
from recovery.status_models import ListPage
from recovery.store import members as member_store
from recovery.store import search as store
from recovery.timelines import tag_name

LIMIT_MAX = 40


async def posts(conn: Any, member: Member, member_uri: str, query: str, author: Party | None,
                page: ListPage, offset: int, *, local_host: str) -> list[Post]:
    """Posts matching ``query`` (words and operators) by ``author`` when one
    is given. A from: naming nobody known here finds nothing."""
    asked = parse(query)
    if not asked.narrows:
        return []
    wanted = {author} if author is not None else set()
    for name in asked.authors:
        found = await _party(conn, member, name, local_host)
        if found is None:
            return []
        wanted.add(found)
    if len(wanted) > 1:
        return []
    unwanted = [p for p in [await _party(conn, member, name, local_host)
                            for name in asked.not_authors] if p is not None]
    capped = ListPage(min(max(page.limit, 1), LIMIT_MAX), page.max_id, page.since_id,
                      page.min_id)
    return await store.search_posts(conn, member.id, member_uri,
                                    _search(asked, next(iter(wanted), None), unwanted),
                                    capped, offset)


def _search(asked: PostQuery, author: Party | None, unwanted: list[Party]) -> PostSearch:
    return PostSearch(
        words=asked.words, without=asked.without, author=author,
        not_member_ids=tuple(p.member_id for p in unwanted if p.member_id is not None),
        not_remote_ids=tuple(p.remote_id for p in unwanted if p.remote_id is not None),
        required=tuple(k for k, v in asked.properties.items() if v),
        excluded=tuple(k for k, v in asked.properties.items() if not v),
        languages=asked.languages, not_languages=asked.not_languages,
        since=asked.since, until=asked.until, library=asked.library)


async def _party(conn: Any, member: Member, name: str, local_host: str) -> Party | None:
    """The account a from: value names: ``me``, a member here by name, or
    ``name@host`` (here, or a remote account already known here)."""
    if name.lower() == "me":
        return Party(member_id=member.id)
    if "@" in name:
        try:
            username, host = parse_handle(name)
        except InvalidDocument:
            return None
        if host.lower() != local_host.lower():
            remote = await peers.by_handle(conn, username, host)
            return Party(remote_id=remote.id) if remote is not None and not remote.gone else None
        name = username
    local = await member_store.get_member_by_username(conn, name)
    if local is None or local.status is not Status.ACTIVE:
        return None
    return Party(member_id=local.id)


async def hashtags(conn: Any, query: str, limit: int, offset: int) -> list[str]:
    name = tag_name(query)
    if name is None:
        return []
    return await store.search_tags(conn, name, min(max(limit, 1), LIMIT_MAX), offset)
