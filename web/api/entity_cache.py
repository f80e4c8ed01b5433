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

Only what was read outside a transaction is kept: inside one, the row may be
written again under the same ``xmin`` before it commits, or never commit.
The cache belongs to one app (one database), a bounded least-recently-used
map of each kind."""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from recovery.models import Author, Party, Post

POSTS_KEPT = 20_000
ACCOUNTS_KEPT = 10_000


@dataclass(frozen=True, slots=True)
class PostParts:
    """What a post's Status entity names besides its row, as JSON."""

    version: int
    media: tuple[dict[str, Any], ...]
    mentions: tuple[dict[str, Any], ...]
    tags: tuple[dict[str, Any], ...]
    parent: Party | None  # the author of the post it replies to, when known here
    has_poll: bool


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
    """One app's kept post parts and Account entities (see the module)."""

    def __init__(self, posts: int = POSTS_KEPT, accounts: int = ACCOUNTS_KEPT) -> None:
        self._posts = _Lru(posts)
        self._accounts = _Lru(accounts)
        self.hits = self.misses = 0

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
