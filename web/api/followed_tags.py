"""Followed hashtags (docs.joinmastodon.org/methods/tags, followed_tags):
follow and unfollow a hashtag, and the list of those followed, paged with
Link headers. Their posts come into the home timeline (recovery/followed_tags.py)."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from recovery import followed_tags, timelines
from recovery.errors import InvalidInput
from recovery.status_models import ListPage
from web.api.http import (
    ApiError,
    api_routes,
    authenticate_member,
    json_response,
    page_of,
    paged_response,
    read_params,
)
from web.api.timelines import tag_entity
from web.http import connection, transaction
from web.social import Site

READ, WRITE = "read:follows", "write:follows"


async def follow(request: Request) -> Response:
    return await _change(request, following=True)


async def unfollow(request: Request) -> Response:
    return await _change(request, following=False)


async def _change(request: Request, *, following: bool) -> Response:
    _, member = await authenticate_member(request, WRITE)
    change = followed_tags.follow if following else followed_tags.unfollow
    try:
        async with transaction(request) as conn:
            name = await change(conn, member, request.path_params["name"])
            found = await timelines.tag(conn, name, unused=True)
    except InvalidInput:
        raise ApiError(422, "Validation failed: Name is not a valid hashtag") from None
    return json_response(tag_entity(found, Site.of(request).base, following=following))


async def followed(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    page = page_of(await read_params(request), default=100, maximum=followed_tags.MOST)
    async with connection(request) as conn:
        listed = await followed_tags.followed(
            conn, member, ListPage(page.limit, page.max_id, page.since_id, page.min_id))
        found = await followed_tags.histories(conn, [entry.name for entry in listed])
    base = Site.of(request).base
    shown = [tag_entity(tag, base, following=True) for tag in found]
    return paged_response(request, shown, [entry.row_id for entry in listed])


routes = [
    *api_routes("/api/v1/tags/{name}/follow", follow, ["POST"]),
    *api_routes("/api/v1/tags/{name}/unfollow", unfollow, ["POST"]),
    *api_routes("/api/v1/followed_tags", followed, ["GET"]),
]
