"""Search (docs.joinmastodon.org/methods/search) over what is here: posts by
their text, among those the member may see; hashtags by name. Accounts are
recovery/accounts.py's ``search``; looking things up elsewhere (resolve) is
the caller's, through inbox."""

from __future__ import annotations

from typing import Any

from recovery.models import Member, Party, Post
from recovery.status_models import ListPage
from recovery.store import search as store
from recovery.timelines import tag_name

WORDS_MAX = 5
WORD_MAX = 100
LIMIT_MAX = 40


def words_of(query: str) -> list[str]:
    return [w[:WORD_MAX] for w in query.split()[:WORDS_MAX]]


async def posts(conn: Any, member: Member, member_uri: str, query: str, author: Party | None,
                page: ListPage, offset: int) -> list[Post]:
    words = words_of(query)
    if not words:
        return []
    capped = ListPage(min(max(page.limit, 1), LIMIT_MAX), page.max_id, page.since_id,
                      page.min_id)
    return await store.search_posts(conn, member.id, member_uri, words, author, capped, offset)


async def hashtags(conn: Any, query: str, limit: int, offset: int) -> list[str]:
    name = tag_name(query)
    if name is None:
        return []
    return await store.search_tags(conn, name, min(max(limit, 1), LIMIT_MAX), offset)
