"""What the client API builds for a status besides its own row, kept per
process so a timeline page costs its page query and the viewer's marks
instead of a round trip for each kind of thing a status names.

A post's parts (its media, mentions, hashtags, the author it replies to,
whether it has a poll) are kept under the post's row version, and an
author's Account entity under the author's row version: the ``xmin`` of the
row, which PostgreSQL gives every new version of a row (the transaction
that wrote it). The page query reads both versions with the posts
(``_POST_SELECT`` in recovery/store/posts.py), so an entry is used only for
the very row version it was built from, and nothing needs telling when a row
changes: an edit, a new avatar or a refetched remote profile makes a new
version, a deleted post is simply not on the page. What is not in those rows
is touched: changing an attached image's description writes its post's row
again (a trigger in schema.sql). Counts and the viewer's own flags are never
kept; they come with each page.

A member's home timeline pages are kept too, under their home version
(``home_versions`` in schema.sql, raised by triggers on whatever changes what
the page lists: their feed's rows, follows, blocks both ways, mutes, lists,
filters, a listed post's visibility). The token look-up reads the version,
so a kept page is used only while nothing it depends on changed; then one
light query (recovery.timelines.still_current) checks that no post or
author on it has a newer row and brings the counts and the member's marks.
A token the full way found live is remembered (with its member and scopes,
which a token never changes) for ``CALLER_SECONDS``: for such a token that
same query also checks that it is still live and reads the home version, so
a kept page costs one round trip. A page is kept at most
``PAGE_SECONDS``, so a mute that runs out shows its posts again soon after.
The response built from a kept page is kept with what it was built from
(the page's counts and the member's marks, the filters in force, the
request's URL): the next request whose check finds the same is answered
with the same bytes. A page with a poll is built each time (votes change no
row the check reads).

Only what was read outside a transaction is kept: inside one, the row may be
written again under the same ``xmin`` before it commits, or never commit.
The cache belongs to one app (one database), a bounded least-recently-used
map of each kind."""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from recovery.filter_models import Filter
from recovery.models import Author, Party, Post
from recovery.status_models import ListPage

POSTS_KEPT = 20_000
ACCOUNTS_KEPT = 10_000
PAGES_KEPT = 500  # pages and responses: a page is up to 40 posts, a response ~35 KB
CALLERS_KEPT = 2_000
PAGE_SECONDS = 60.0
CALLER_SECONDS = 60.0  # a token's last use is recorded at most once a minute


@dataclass(frozen=True, slots=True)
class PostParts:
    """What a post's Status entity names besides its row, as JSON."""

    version: int
    media: tuple[dict[str, Any], ...]
    mentions: tuple[dict[str, Any], ...]
    tags: tuple[dict[str, Any], ...]
    parent: Party | None  # the author of the post it replies to, when known here
    has_poll: bool


@dataclass(frozen=True, slots=True)
class HomePage:
    """A page of a member's home timeline as read under ``version``, with
    the member's filters (expired ones too) as they were then."""

    version: int
    read_at: float  # time.monotonic()
    listed: tuple[Post, ...]
    filters: tuple[Filter, ...]


class _Lru(OrderedDict[Any, Any]):
    def __init__(self, size: int) -> None:
        super().__init__()
        self.size = size

    def take(self, key: Any) -> Any:
        found = self.get(key)
        if found is not None:
            self.move_to_end(key)
        return found

    def keep(self, key: Any, value: Any) -> None:
        self[key] = value
        self.move_to_end(key)
        while len(self) > self.size:
            self.popitem(last=False)


def of(request: Any) -> EntityCache | None:
    """The app's cache (``create_app`` makes it)."""
    return getattr(request.app.state, "entity_cache", None)


class EntityCache:
    """One app's kept post parts, Account entities, home pages, their
    responses and the tokens seen (see the module)."""

    def __init__(self, posts: int = POSTS_KEPT, accounts: int = ACCOUNTS_KEPT,
                 pages: int = PAGES_KEPT) -> None:
        self._posts = _Lru(posts)
        self._accounts = _Lru(accounts)
        self._pages = _Lru(pages)
        self._responses = _Lru(pages)
        self._callers = _Lru(CALLERS_KEPT)
        self.hits = self.misses = 0

    def home_response(self, member_id: int, page: ListPage, version: int,
                      signature: Any) -> tuple[bytes, str | None] | None:
        """The body and Link header answered for the same page, version and
        ``signature`` (what the body was built from)."""
        found = self._responses.take((member_id, page))
        if found is None or found[0] != version or found[1] != signature:
            return None
        return found[2]

    def keep_home_response(self, member_id: int, page: ListPage, version: int,
                           signature: Any, body: bytes, link: str | None) -> None:
        self._responses.keep((member_id, page), (version, signature, (body, link)))

    def home_page(self, member_id: int, page: ListPage) -> HomePage | None:
        """The page kept for the member (under ``version``: callers compare)."""
        found: HomePage | None = self._pages.take((member_id, page))
        if found is None or time.monotonic() - found.read_at > PAGE_SECONDS:
            return None
        return found

    def caller(self, token_digest: bytes) -> Any:
        """The caller (web.api.http.Caller) a token named when it was last
        checked the full way, within ``CALLER_SECONDS``."""
        found = self._callers.take(token_digest)
        if found is None or time.monotonic() - found[0] > CALLER_SECONDS:
            return None
        return found[1]

    def keep_caller(self, token_digest: bytes, caller: Any) -> None:
        self._callers.keep(token_digest, (time.monotonic(), caller))

    def keep_home_page(self, conn: Any, member_id: int, page: ListPage, version: int,
                       listed: Sequence[Post], filters: Sequence[Filter]) -> None:
        if not conn.is_in_transaction():
            self._pages.keep((member_id, page), HomePage(
                version, time.monotonic(), tuple(listed), tuple(filters)))

    def post(self, post: Post) -> PostParts | None:
        if not post.version:
            return None
        found: PostParts | None = self._posts.take(post.id)
        if found is not None and found.version == post.version:
            self.hits += 1
            return found
        self.misses += 1
        return None

    def keep_post(self, conn: Any, post_id: int, parts: PostParts) -> None:
        if parts.version and not conn.is_in_transaction():
            self._posts.keep(post_id, parts)

    def author(self, author: Author) -> dict[str, Any] | None:
        """The author's Account entity as built from their current row (its
        counts as they were then: callers put the post's in)."""
        if not author.version:
            return None
        found = self._accounts.take((author.member_id, author.remote_id))
        if found is not None and found[0] == author.version:
            return found[1]
        return None

    def keep_author(self, conn: Any, author: Author, account: dict[str, Any]) -> None:
        if author.version and not conn.is_in_transaction():
            self._accounts.keep((author.member_id, author.remote_id), (author.version, account))

    def clear(self) -> None:
        self._posts.clear()
        self._accounts.clear()
        self._pages.clear()
        self._responses.clear()
        self._callers.clear()
