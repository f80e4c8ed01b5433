"""Timelines (docs.joinmastodon.org/methods/timelines): home, public, tag
and list, paged with max_id/since_id/min_id/limit and Link headers; and
hashtags (docs.joinmastodon.org/methods/tags)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import filters, followed_tags, lists, oauth, timelines
from recovery.errors import NotFound
from recovery.filter_models import Filter
from recovery.models import Member, Post, PostState
from recovery.status_models import ListPage
from web.api import entity_cache, status_view
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate,
    authenticate_member,
    bearer_token,
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
    """The home timeline. A page kept under the member's home version
    (web/api/entity_cache.py) is used while its posts are still current; a
    token seen before is then checked in the same query as the page."""
    cache = entity_cache.of(request)
    token = bearer_token(request)
    if cache is not None and token is not None:
        fast = await _home_kept(request, cache, token)
        if fast is not None:
            return fast
    caller, member = await authenticate_member(request, READ)
    page = list_page(await read_params(request))
    site = Site.of(request)
    version = caller.home_version
    async with connection(request) as conn:
        kept = cache.home_page(member.id, page) if cache else None
        current = None
        if kept is not None and kept.version == version:
            current = await timelines.still_current(conn, member, kept.listed)
        if kept is not None and current is not None:
            listed, known = list(kept.listed), list(kept.filters)
            states, marks = current[0], current[1]
        else:
            listed = await timelines.home(conn, member, site.actor(member), page)
            known = await filters.of_member(conn, member)
            states, marks = None, None
            if cache is not None:
                cache.keep_home_page(conn, member.id, page, version, listed, known)
        shown = await status_view.render_page(conn, listed, member, site.base, "home", cache,
                                              states=states, marks=marks, known_filters=known)
    if cache is not None and token is not None:
        cache.keep_caller(oauth.token_digest(token), caller)
    response = paged_response(request, shown, [p.id for p in listed])
    if cache is not None and states is not None and marks is not None \
            and not _any_poll(shown):
        cache.keep_home_response(member.id, page, version,
                                 _signature(request, states, marks, known),
                                 bytes(response.body), response.headers.get("link"))
    return response


async def _home_kept(request: Request, cache: entity_cache.EntityCache,
                     token: str) -> Response | None:
    """The home page from what this process kept, when the token is one it
    saw (within a minute: its last use is recorded once a minute) and the
    page it kept for the member is still current: one query checks the
    token, the member's home version, and the page's posts, counts and
    marks. None when anything is not so (the full way then answers)."""
    digest = oauth.token_digest(token)
    caller = cache.caller(digest)
    if caller is None or caller.member is None or not caller.allows(READ):
        return None
    try:
        page = list_page(await read_params(request))
    except ApiError:
        return None  # the full way says what is wrong, after the token
    member = caller.member
    kept = cache.home_page(member.id, page)
    if kept is None:
        return None
    async with connection(request) as conn:
        current = await timelines.still_current(conn, member, kept.listed, token_digest=digest)
        if current is None or current[2] != kept.version:
            return None
        states, marks, _ = current
        signature = _signature(request, states, marks, list(kept.filters))
        answered = cache.home_response(member.id, page, kept.version, signature)
        if answered is not None:
            return _replay(*answered)
        shown = await status_view.render_page(
            conn, list(kept.listed), member, Site.of(request).base, "home", cache,
            states=states, marks=marks, known_filters=list(kept.filters))
    response = paged_response(request, shown, [p.id for p in kept.listed])
    if not _any_poll(shown):
        cache.keep_home_response(member.id, page, kept.version, signature,
                                 bytes(response.body), response.headers.get("link"))
    return response


def _signature(request: Request, states: dict[int, PostState],
               marks: set[tuple[str, int]], known: list[Filter]) -> Any:
    """What a kept home page's response was built from besides the page
    itself (web/api/entity_cache.py)."""
    now = datetime.now(UTC)
    return (str(request.url), tuple(sorted(states.items())), frozenset(marks),
            tuple(f.id for f in known if f.expires_at is None or f.expires_at > now))


def _any_poll(shown: list[dict[str, Any]]) -> bool:
    return any(s["poll"] is not None or (s["reblog"] and s["reblog"]["poll"] is not None)
               for s in shown)


def _replay(body: bytes, link: str | None) -> Response:
    return Response(body, media_type="application/json",
                    headers={"link": link} if link else None)


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
