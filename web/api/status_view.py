"""Statuses as the caller sees them: only posts they may see (404 otherwise,
exactly as for a post that does not exist), rendered with the caller's own
flags (web.api.entities looks up favourited, bookmarked, pinned, muted)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery import filters
from recovery.errors import NotFound
from recovery.filter_models import Filter
from recovery.models import Member, Post, PostState
from web.api import entities
from web.api.entity_cache import EntityCache
from web.api.http import ApiError
from web.social import Site, once_each, visible_post

NOT_FOUND = "Record not found"


async def visible(conn: Any, site: Site, viewer: Member | None, post_id: int) -> Post:
    try:
        return await visible_post(conn, site, viewer, post_id)
    except NotFound:
        raise ApiError(404, NOT_FOUND) from None


async def visible_target(conn: Any, site: Site, viewer: Member | None, post_id: int) -> Post:
    """The post an action acts on: a boost stands for the post it boosts."""
    post = await visible(conn, site, viewer, post_id)
    if post.reblog_of_id is not None:
        post = await visible(conn, site, viewer, post.reblog_of_id)
    return post


async def render(conn: Any, shown: Sequence[Post], viewer: Member | None,
                 base_url: str) -> list[dict[str, Any]]:
    """Status entities for ``shown``, in order, with the viewer's flags
    (favourited, bookmarked, pinned, muted...)."""
    return await entities.statuses(conn, list(shown), viewer, base_url)


async def render_page(conn: Any, listed: Sequence[Post], viewer: Member | None,
                      base_url: str, context: str, cache: EntityCache | None = None, *,
                      states: dict[int, PostState] | None = None,
                      marks: set[tuple[str, int]] | None = None,
                      known_filters: Sequence[Filter] | None = None,
                      ) -> list[dict[str, Any]]:
    """A timeline page as Status entities: each post once (web.social.once_each),
    without those the viewer's ``hide`` filters for ``context`` catch. One
    batch of look-ups serves both the filtering and the entities; ``cache``
    keeps what every viewer sees the same (web/api/entity_cache.py); for
    ``states``, ``marks`` and ``known_filters`` see ``entities.status_context``."""
    ctx = await entities.status_context(conn, list(listed), viewer, base_url, cache,
                                        states=states, marks=marks, filters=known_filters)
    kept = [p for p in listed
            if not filters.hidden(ctx.filtered.get(p.reblog_of_id or p.id, ()), context)]
    return [s for s in (entities.status(p, ctx) for p in once_each(kept)) if s is not None]


async def render_one(conn: Any, post: Post, viewer: Member | None,
                     base_url: str) -> dict[str, Any]:
    found = await render(conn, [post], viewer, base_url)
    if not found:  # its author is gone: as if the post were
        raise ApiError(404, NOT_FOUND)
    return found[0]
