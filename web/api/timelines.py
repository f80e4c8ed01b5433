"""Timelines (docs.joinmastodon.org/methods/timelines): home, public, tag
and list, paged with max_id/since_id/min_id/limit and Link headers; and
hashtags (docs.joinmastodon.org/methods/tags)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import followed_tags, lists, timelines
from recovery.errors import NotFound
from recovery.models import Member, Post
from recovery.status_models import ListPage
from web.api import entity_cache, status_view
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate,
    authenticate_member,
    json_response,
    page_of,
    paged_response,
    read_params,
)
from web.api.lists import path_list_id
from web.http import connection
from web.social import Site

READ = "read:statuses"


def list_page(params: Params) -> ListPage:
    page = page_of(params)
    return ListPage(page.limit, page.max_id, page.since_id, page.min_id)


async def _respond(request: Request, conn: Any, listed: list[Post],
                   viewer: Member | None, context: str) -> Response:
    """The page as Status entities with its Link header (from the rows found,
    so paging moves on past anything not shown); posts the viewer's ``hide``
    filters for ``context`` (home, public) catch are left out."""
    shown = await status_view.render_page(conn, listed, viewer, Site.of(request).base, context,
                                          entity_cache.of(request))
    return paged_response(request, shown, [p.id for p in listed])


async def home(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    page = list_page(await read_params(request))
    site = Site.of(request)
    async with connection(request) as conn:
        listed = await timelines.home(conn, member, site.actor(member), page)
        return await _respond(request, conn, listed, member, "home")


def _origin(params: Params) -> timelines.Origin:
    return timelines.Origin.asked(bool(params.get_bool("local", False)),
                                  bool(params.get_bool("remote", False)))


async def public(request: Request) -> Response:
    # The instance publishes its live feeds as for members only (instance.py).
    _, member = await authenticate_member(request, READ)
    params = await read_params(request)
    page, origin = list_page(params), _origin(params)
    site = Site.of(request)
    async with connection(request) as conn:
        listed = await timelines.public(conn, member, site.actor(member), page, origin,
                                        only_media=bool(params.get_bool("only_media", False)))
        return await _respond(request, conn, listed, member, "public")


async def tag(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    params = await read_params(request)
    page, origin = list_page(params), _origin(params)
    site = Site.of(request)
    async with connection(request) as conn:
        listed = await timelines.tagged(
            conn, member, site.actor(member), request.path_params["hashtag"], page, origin,
            any_of=params.strs("any"), all_of=params.strs("all"),
            none_of=params.strs("none"),
            only_media=bool(params.get_bool("only_media", False)))
        return await _respond(request, conn, listed, member, "public")


async def list_timeline(request: Request) -> Response:
    """Posts by the list's accounts (web/api/lists.py); a list that is not the
    caller's answers 404, as Mastodon. Home filters apply, as on Mastodon."""
    _, member = await authenticate_member(request, "read:lists")
    page = list_page(await read_params(request))
    site = Site.of(request)
    async with connection(request) as conn:
        try:
            listed = await lists.timeline(conn, member, site.actor(member),
                                          path_list_id(request, "list_id"), page)
        except NotFound:
            raise ApiError(404, "Record not found") from None
        return await _respond(request, conn, listed, member, "home")


async def tag_info(request: Request) -> Response:
    """A hashtag used here or followed by the caller (``following`` says
    which); 404 otherwise, as Mastodon."""
    found_caller = await authenticate(request, "read:follows", required=False, user=False)
    member = found_caller.member if found_caller else None
    site = Site.of(request)
    async with connection(request) as conn:
        name = timelines.tag_name(request.path_params["name"]) or ""
        following = await followed_tags.following(conn, member, [name])
        try:
            found = await timelines.tag(conn, name, unused=bool(following))
        except NotFound:
            raise ApiError(404, "Record not found") from None
    return json_response(tag_entity(found, site.base, following=bool(following)))


def tag_entity(found: timelines.Tag, base_url: str, *, following: bool = False
               ) -> dict[str, Any]:
    return {
        "name": found.name,
        "url": f"{base_url}/tags/{found.name}",
        "history": [{"day": str(int(_midnight(d.day))), "uses": str(d.uses),
                     "accounts": str(d.accounts)} for d in found.history],
        "following": following,
    }


def _midnight(day: date) -> float:
    return datetime.combine(day, time(0), tzinfo=UTC).timestamp()


routes = [
    *api_routes("/api/v1/timelines/home", home, ["GET"]),
    *api_routes("/api/v1/timelines/public", public, ["GET"]),
    *api_routes("/api/v1/timelines/tag/{hashtag}", tag, ["GET"]),
    *api_routes("/api/v1/timelines/list/{list_id}", list_timeline, ["GET"]),
    *api_routes("/api/v1/tags/{name}", tag_info, ["GET"]),
]
