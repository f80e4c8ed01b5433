"""What a client does to a status (docs.joinmastodon.org/methods/statuses):
favourite, boost, bookmark, mute its conversation, pin; who favourited or
boosted it; and the member's bookmarks and favourites. Likes and boosts go
through web.posting, as the web pages' buttons do (the activity is queued
in the same transaction); the marks are the member's own and stay here."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import bookmarks, favourites, posts
from recovery.models import Member, Post, Visibility
from recovery.status_models import ListPage, Marked, Reactor
from web import posting
from web.api import entities
from web.api.http import (
    ApiError,
    api_routes,
    authenticate,
    authenticate_member,
    json_response,
    page_of,
    paged_response,
    read_params,
)
from web.api.ids import parse_status_id
from web.api.status_view import render, render_one, visible, visible_target
from web.http import connection, transaction
from web.social import Site

Act = Callable[[Any, Site, Member, Post], Awaitable[Post]]


def _action(scope: str, act: Act) -> Callable[[Request], Awaitable[Response]]:
    """POST /api/v1/statuses/:id/<action>: act in one transaction on a post
    the member may see (404 otherwise); the answer is the status it returns."""

    async def endpoint(request: Request) -> Response:
        _, member = await authenticate_member(request, scope)
        post_id = _status_id(request)
        await read_params(request)  # a malformed body is a 4xx before anything is done
        site = Site.of(request)
        async with transaction(request) as conn:
            post = await visible(conn, site, member, post_id)
            shown = await act(conn, site, member, post)
            return json_response(await render_one(conn, shown, member, site.base))

    return endpoint


async def _favourite(conn: Any, site: Site, member: Member, post: Post) -> Post:
    target = await posting.react(conn, site, member, post.id, "like")
    return await _fresh(conn, target)


async def _unfavourite(conn: Any, site: Site, member: Member, post: Post) -> Post:
    return await _fresh(conn, await posting.unreact(conn, site, member, post.id, "like"))


def _reblog_as(visibility: Visibility | None) -> Act:
    async def act(conn: Any, site: Site, member: Member, post: Post) -> Post:
        target = await posting.react(conn, site, member, post.id, "boost", visibility)
        boosted = await posts.boost_of(conn, member, target)
        assert boosted is not None
        return boosted
    return act


async def reblog(request: Request) -> Response:
    """A boost; the answer is the boost, wrapping the boosted status."""
    await authenticate_member(request, "write:statuses")
    params = await read_params(request)
    value = params.get_str("visibility")
    visibility = entities.visibility_from_api(value) if value else None
    if value and visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
        raise ApiError(422, "Validation failed: a boost is public or unlisted here")
    endpoint = _action("write:statuses", _reblog_as(visibility))
    return await endpoint(request)


async def _unreblog(conn: Any, site: Site, member: Member, post: Post) -> Post:
    return await _fresh(conn, await posting.unreact(conn, site, member, post.id, "boost"))


async def _bookmark(conn: Any, site: Site, member: Member, post: Post) -> Post:
    target = await visible_target(conn, site, member, post.id)
    await bookmarks.bookmark(conn, member, target)
    return target


async def _unbookmark(conn: Any, site: Site, member: Member, post: Post) -> Post:
    target = await visible_target(conn, site, member, post.id)
    await bookmarks.unbookmark(conn, member, target)
    return target


async def _mute(conn: Any, site: Site, member: Member, post: Post) -> Post:
    target = await visible_target(conn, site, member, post.id)
    await bookmarks.mute_conversation(conn, member, target)
    return target


async def _unmute(conn: Any, site: Site, member: Member, post: Post) -> Post:
    target = await visible_target(conn, site, member, post.id)
    await bookmarks.unmute_conversation(conn, member, target)
    return target


async def _pin(conn: Any, site: Site, member: Member, post: Post) -> Post:
    await bookmarks.pin(conn, member, post)
    return post


async def _unpin(conn: Any, site: Site, member: Member, post: Post) -> Post:
    await bookmarks.unpin(conn, member, post)
    return post


async def _fresh(conn: Any, post: Post) -> Post:
    """The post as it is now (its counts changed)."""
    return await posts.by_id(conn, post.id) or post


# -- lists ------------------------------------------------------------------------

async def favourited_by(request: Request) -> Response:
    return await _reactors(request, favourites.favourited_by)


async def reblogged_by(request: Request) -> Response:
    return await _reactors(request, favourites.reblogged_by)


async def _reactors(
    request: Request, listed: Callable[[Any, Post, ListPage], Awaitable[list[Reactor]]],
) -> Response:
    found = await authenticate(request, "read:statuses", required=False, user=False)
    viewer = found.member if found else None
    post_id = _status_id(request)
    page = _list_page(await read_params(request), 40, 80)
    site = Site.of(request)
    async with connection(request) as conn:
        post = await visible_target(conn, site, viewer, post_id)
        reactors = await listed(conn, post, page)
        accounts = await entities.accounts_context(conn, [r.party for r in reactors])
    shown = [entities.account_of(r.party, accounts, site.base) for r in reactors]
    return paged_response(request, [a for a in shown if a is not None],
                          [r.mark_id for r in reactors])


async def bookmarked(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:bookmarks")
    return await _marked(request, member, bookmarks.bookmarked)


async def favourited(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:favourites")
    return await _marked(request, member, favourites.favourited)


async def _marked(
    request: Request, member: Member,
    listed: Callable[[Any, Member, str, ListPage], Awaitable[list[Marked]]],
) -> Response:
    page = _list_page(await read_params(request), 20, 40)
    site = Site.of(request)
    async with connection(request) as conn:
        found = await listed(conn, member, site.actor(member), page)
        payload = await render(conn, [m.post for m in found], member, site.base)
    return paged_response(request, payload, [m.mark_id for m in found])


def _list_page(params: Any, default: int, maximum: int) -> ListPage:
    page = page_of(params, default=default, maximum=maximum)
    return ListPage(page.limit, page.max_id, page.since_id, page.min_id)


def _status_id(request: Request) -> int:
    post_id = parse_status_id(request.path_params["id"])
    if post_id is None:
        raise ApiError(404, "Record not found")
    return post_id


def _post_routes(actions: Sequence[tuple[str, str, Act]]) -> list[Any]:
    return [route for name, scope, act in actions
            for route in api_routes(f"/api/v1/statuses/{{id}}/{name}", _action(scope, act),
                                    ["POST"])]


routes = [
    *_post_routes([
        ("favourite", "write:favourites", _favourite),
        ("unfavourite", "write:favourites", _unfavourite),
        ("unreblog", "write:statuses", _unreblog),
        ("bookmark", "write:bookmarks", _bookmark),
        ("unbookmark", "write:bookmarks", _unbookmark),
        ("mute", "write:mutes", _mute),
        ("unmute", "write:mutes", _unmute),
        ("pin", "write:accounts", _pin),
        ("unpin", "write:accounts", _unpin),
    ]),
    *api_routes("/api/v1/statuses/{id}/reblog", reblog, ["POST"]),
    *api_routes("/api/v1/statuses/{id}/favourited_by", favourited_by, ["GET"]),
    *api_routes("/api/v1/statuses/{id}/reblogged_by", reblogged_by, ["GET"]),
    *api_routes("/api/v1/bookmarks", bookmarked, ["GET"]),
    *api_routes("/api/v1/favourites", favourited, ["GET"]),
]
