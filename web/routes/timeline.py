"""The home timeline, the hashtag pages, and writing a post."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery import followed_tags
from recovery.errors import InvalidInput
from recovery.models import Member
from web import posting, social
from web.http import connection, field, form, render, require_member, transaction, viewer

_ID = re.compile(r"[0-9]{1,18}")


async def home(request: Request) -> Response:
    member = await require_member(request)
    return await _home(request, member, _max_id(request))


async def _home(
    request: Request, member: Member, max_id: int | None, status_code: int = 200,
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
) -> Response:
    async with connection(request) as conn:
        page = await social.home_page(conn, social.Site.of(request), member, max_id)
    return await render(request, "timeline.html", {
        **page, "errors": errors or {}, "values": values or {},
        "posted": request.query_params.get("posted") == "1",
    }, status_code=status_code)


async def tag(request: Request) -> Response:
    """GET /tags/NAME: the posts with that hashtag the viewer may see."""
    member, max_id = await viewer(request), _max_id(request)
    async with connection(request) as conn:  # NotFound: the app's 404 page
        page = await social.tag_page(conn, social.Site.of(request), member,
                                     request.path_params["name"], max_id)
    return await render(request, "tag.html", page)


async def follow_tag(request: Request) -> Response:
    return await _tag_followed(request, following=True)


async def unfollow_tag(request: Request) -> Response:
    return await _tag_followed(request, following=False)


async def _tag_followed(request: Request, *, following: bool) -> Response:
    """Follow or stop following a hashtag: its posts come into (or leave)
    the member's home timeline (recovery/followed_tags.py)."""
    member = await require_member(request)
    await form(request)
    change = followed_tags.follow if following else followed_tags.unfollow
    try:
        async with transaction(request) as conn:
            name = await change(conn, member, request.path_params["name"])
    except InvalidInput:
        raise HTTPException(404, "There is no such hashtag.") from None
    return RedirectResponse(f"/tags/{quote(name)}", status_code=303)


def _max_id(request: Request) -> int | None:
    raw = request.query_params.get("max_id")
    if not raw:
        return None
    if not _ID.fullmatch(raw):
        raise HTTPException(400, "That page of the timeline does not exist.")
    return int(raw)


async def create_post(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    values = _values(data)
    try:
        async with connection(request) as conn:
            await posting.compose(conn, social.Site.of(request), member, values["text"],
                                 values["summary"], values["visibility"])
    except InvalidInput as exc:
        return await _home(request, member, None, 422, {exc.field: exc.message}, values)
    return RedirectResponse("/home?posted=1", status_code=303)


def _values(data: Any) -> dict[str, str]:
    return {name: field(data, name) for name in ("text", "summary", "visibility")}


routes = [
    Route("/home", home, methods=["GET"]),
    Route("/tags/{name}", tag, methods=["GET"]),
    Route("/tags/{name}/follow", follow_tag, methods=["POST"]),
    Route("/tags/{name}/unfollow", unfollow_tag, methods=["POST"]),
    Route("/posts", create_post, methods=["POST"]),
]
