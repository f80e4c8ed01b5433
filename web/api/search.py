"""Search (docs.joinmastodon.org/methods/search): ``GET /api/v2/search``
with q, type (accounts, statuses, hashtags), resolve, following, account_id,
limit, offset and max_id/min_id. Accounts by name (``name@host`` looked up
through WebFinger with resolve=true), or by address; posts by their text
and Mastodon's operators (from:, has:, is:, language:, before:...) among
those the member may see, or by address (a remote one fetched with
resolve=true); hashtags used here by name."""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation.errors import FederationError, InvalidDocument
from federation.webfinger import parse_handle
from inbox.remote import resolve_actor
from inbox.remote_posts import fetch_post
from recovery import accounts, peers, posts, search, timelines
from recovery.errors import NotFound
from recovery.models import Member, Party, Post
from web.api import status_view
from web.api.accounts import accounts_json
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate_member,
    json_response,
    read_params,
)
from web.api.ids import parse_account_id
from web.api.timelines import list_page, tag_entity
from web.following import LookupFailed, lookup
from web.http import connection
from web.social import Site

log = logging.getLogger(__name__)
TYPES = ("accounts", "statuses", "hashtags")
QUERY_MAX = 500
OFFSET_MAX = 10_000


@dataclasses.dataclass
class _Found:
    parties: list[Party] = dataclasses.field(default_factory=list)
    posts: list[Post] = dataclasses.field(default_factory=list)
    tags: list[str] = dataclasses.field(default_factory=list)


def _is_address(query: str) -> bool:
    return query.startswith(("https://", "http://")) and " " not in query


def _handle(query: str, site: Site) -> tuple[str, str | None] | None:
    """(username, host or None for here) of a ``name`` or ``name@host``
    query; None when it cannot be an account name."""
    text = query.removeprefix("@")
    if "@" not in text:
        return (text, None) if text and " " not in text else None
    try:
        username, host = parse_handle(text)
    except InvalidDocument:
        return None
    return username, None if host.lower() == site.domain.lower() else host


async def _fetcher(conn: Any, site: Site) -> Any:
    blocked = await peers.blocked_domains(conn)
    return dataclasses.replace(
        site.fetcher, policy=dataclasses.replace(site.fetcher.policy, blocked_domains=blocked))


async def _by_address(conn: Any, site: Site, member: Member, url: str, resolve: bool,
                      found: _Found) -> None:
    """A known post or actor at ``url``; with ``resolve``, fetched if not known."""
    post = await posts.by_uri(conn, url)
    actor = await peers.by_uri(conn, url) if post is None else None
    if post is None and actor is None and resolve:
        try:
            async with conn.transaction():
                fetcher = await _fetcher(conn, site)
                post = await fetch_post(conn, fetcher, url)
                if post is None:
                    actor = await resolve_actor(conn, fetcher, url)
        except (FederationError, ValueError) as exc:
            log.info("search could not resolve an address: %s", type(exc).__name__)
            return
    if post is not None:
        try:
            found.posts.append(await posts.visible(conn, member, site.actor(member), post.id))
        except NotFound:
            pass
    elif actor is not None and not actor.gone:
        found.parties.append(Party(remote_id=actor.id))


async def _accounts(conn: Any, site: Site, member: Member, query: str, params: Params,
                    limit: int, offset: int, found: _Found) -> None:
    handle = _handle(query, site)
    if handle is None:
        return
    username, host = handle
    if host is not None and params.get_bool("resolve", False) and offset == 0:
        try:
            async with conn.transaction():
                await lookup(conn, site, username, host)
        except LookupFailed:
            pass
    following = bool(params.get_bool("following", False))
    found.parties += await accounts.search(conn, username, host, limit=limit, offset=offset,
                                           following_of=member if following else None)


async def _statuses(conn: Any, site: Site, member: Member, query: str, params: Params,
                    offset: int, found: _Found) -> None:
    author = None
    raw_account = params.get_str("account_id")
    if raw_account:
        author = parse_account_id(raw_account)
        if author is None:
            return
    found.posts += await search.posts(conn, member, site.actor(member), query, author,
                                      list_page(params), offset, local_host=site.domain)


async def _respond(conn: Any, site: Site, member: Member, found: _Found) -> dict[str, Any]:
    shown_accounts = await accounts_json(conn, site.base, found.parties)
    return {
        "accounts": [a for a in shown_accounts if a is not None],
        "statuses": await status_view.render(conn, found.posts, member, site.base),
        "hashtags": [tag_entity(timelines.Tag(name, ()), site.base) for name in found.tags],
    }


async def search_v2(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:search")
    params = await read_params(request)
    query = (params.get_str("q", required=True, max_length=QUERY_MAX) or "").strip()
    kind = params.get_str("type")
    if kind and kind not in TYPES:
        raise ApiError(422, "Validation failed: type must be accounts, statuses or hashtags")
    limit = list_page(params).limit
    offset = params.get_int("offset", 0, minimum=0, maximum=OFFSET_MAX) or 0
    site, found = Site.of(request), _Found()
    async with connection(request) as conn:
        if _is_address(query):
            if offset == 0:
                await _by_address(conn, site, member, query,
                                  bool(params.get_bool("resolve", False)), found)
        else:
            if kind in (None, "", "accounts"):
                await _accounts(conn, site, member, query, params, limit, offset, found)
            if kind in (None, "", "statuses"):
                await _statuses(conn, site, member, query, params, offset, found)
            if kind in (None, "", "hashtags"):
                found.tags = await search.hashtags(conn, query, limit, offset)
        if kind:  # an address finds what it finds; only the type asked for is shown
            found = _Found(found.parties if kind == "accounts" else [],
                           found.posts if kind == "statuses" else [],
                           found.tags if kind == "hashtags" else [])
        return json_response(await _respond(conn, site, member, found))


routes = [*api_routes("/api/v2/search", search_v2, ["GET"])]
