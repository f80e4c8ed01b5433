"""The progress API's check-ins (morning pledge, evening review) and
milestones (reached and upcoming, the member's own, sharing one as a
post), under /api/hearth/v1; the rest is in web/api/progress.py."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from recovery import checkins, progress
from web import progress_share
from web.api import progress_entities as entities
from web.api import status_view
from web.api.http import (
    OUTSIDE_SCOPES,
    ApiError,
    api_routes,
    authenticate_member,
    json_response,
    page_of,
    paged_response,
    read_params,
)
from web.api.progress import BASE, READ, WRITE, now, path_id, values_of
from web.api.relationships import domain_errors
from web.http import connection, transaction
from web.social import Site

_REVIEW = ("day_went", "cravings", "mood", "note")
UPCOMING_DEFAULT, UPCOMING_MAX = 5, 20

# -- check-ins ---------------------------------------------------------------------------


async def list_checkins(request: Request) -> Response:
    """Newest day first; ``limit`` (max 40), ``max_id``/``since_id``/``min_id``
    and a Link header, as Mastodon pages."""
    _, member = await authenticate_member(request, READ)
    page = page_of(await read_params(request))
    async with connection(request) as conn:
        found = await checkins.page(conn, member, page.limit, page.max_id, page.since_id,
                                    page.min_id)
    return paged_response(request, [entities.checkin_entity(c) for c in found],
                          [c.id for c in found])


async def get_checkin(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    checkin_id = path_id(request)
    with domain_errors():
        async with connection(request) as conn:
            found = await checkins.get(conn, member, checkin_id)
    return json_response(entities.checkin_entity(found))


async def pledge(request: Request) -> Response:
    """Today's morning pledge ("I won't drink today"); again is harmless."""
    _, member = await authenticate_member(request, WRITE)
    async with transaction(request) as conn:
        day = await checkins.pledge(conn, member, now())
        found = await checkins.of_day(conn, member, day)
    assert found is not None
    return json_response(entities.checkin_entity(found))


async def review(request: Request) -> Response:
    """The evening review of today (or ``day=yesterday``)."""
    _, member = await authenticate_member(request, WRITE)
    params = await read_params(request)
    v = values_of(params, ("day", *_REVIEW))
    if v["day"] not in ("", "today", "yesterday"):
        raise ApiError(422, "Validation failed: day must be today or yesterday")
    with domain_errors():
        async with transaction(request) as conn:
            day = await checkins.review(conn, member, v, now())
            found = await checkins.of_day(conn, member, day)
    assert found is not None
    return json_response(entities.checkin_entity(found))


async def edit_checkin(request: Request) -> Response:
    """Rewrite the review of one check-in (all four fields, as the form)."""
    _, member = await authenticate_member(request, WRITE)
    checkin_id = path_id(request)
    v = values_of(await read_params(request), _REVIEW)
    with domain_errors():
        async with transaction(request) as conn:
            changed = await checkins.edit(conn, member, checkin_id, v, now())
    return json_response(entities.checkin_entity(changed))


async def delete_checkin(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    checkin_id = path_id(request)
    with domain_errors():
        async with transaction(request) as conn:
            await checkins.delete(conn, member, checkin_id)
    return json_response({})


# -- milestones ----------------------------------------------------------------------------


async def list_milestones(request: Request) -> Response:
    """Every milestone reached (all streaks, oldest first) and the next
    ``limit`` (default 5) of the running streak."""
    _, member = await authenticate_member(request, READ)
    limit = (await read_params(request)).get_int(
        "limit", UPCOMING_DEFAULT, minimum=1, maximum=UPCOMING_MAX, clamp=True)
    async with transaction(request) as conn:
        counter = await progress.counter(conn, member, now())
        reached = await progress.reached(conn, member)
    current = [r for r in reached if counter and r.attempt_id == counter.attempt.id]
    coming = progress.coming(counter, current)[:limit] if counter else []
    return json_response({"reached": [entities.reached_entity(r) for r in reached],
                          "upcoming": [entities.upcoming_entity(d) for d in coming]})


async def list_custom(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    async with connection(request) as conn:
        found = await progress.customs(conn, member)
    return json_response([entities.custom_entity(c) for c in found])


async def add_custom(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    v = values_of(await read_params(request), ("days", "name"))
    with domain_errors():
        async with transaction(request) as conn:
            await progress.add_custom(conn, member, v["days"], v["name"], now())
            added = [c for c in await progress.customs(conn, member)
                     if str(c.days) == v["days"].strip()]
    return json_response(entities.custom_entity(added[0]))


async def edit_custom(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    milestone_id = path_id(request)
    v = values_of(await read_params(request), ("days", "name"))
    with domain_errors():
        async with transaction(request) as conn:
            changed = await progress.edit_custom(conn, member, milestone_id, v["days"],
                                                 v["name"], now())
    return json_response(entities.custom_entity(changed))


async def delete_custom(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    milestone_id = path_id(request)
    with domain_errors():
        async with transaction(request) as conn:
            await progress.delete_custom(conn, member, milestone_id, now())
    return json_response({})


async def share(request: Request) -> Response:
    """Share a reached milestone as a post ("90 days today", then ``line``),
    to followers or (``visibility=public``) everyone, through the same service
    as the page's button; answers the Status. Needs write:statuses too."""
    caller, member = await authenticate_member(request, WRITE)
    if not caller.allows("write:statuses"):
        raise ApiError(403, OUTSIDE_SCOPES)
    attempt_id = path_id(request, "attempt_id")
    key = request.path_params["key"]
    v = values_of(await read_params(request), ("visibility", "line"))
    site = Site.of(request)
    with domain_errors():
        async with connection(request) as conn:
            post = await progress_share.share(conn, site, member, attempt_id, key,
                                              v["visibility"] or "followers", v["line"])
            payload = await status_view.render_one(conn, post, member, site.base)
    return json_response(payload)


M = f"{BASE}/milestones"
routes = [
    *api_routes(f"{BASE}/checkins", list_checkins, ["GET"]),
    *api_routes(f"{BASE}/checkins/pledge", pledge, ["POST"]),
    *api_routes(f"{BASE}/checkins/review", review, ["POST"]),
    *api_routes(f"{BASE}/checkins/{{id}}", get_checkin, ["GET"]),
    *api_routes(f"{BASE}/checkins/{{id}}", edit_checkin, ["PUT"]),
    *api_routes(f"{BASE}/checkins/{{id}}", delete_checkin, ["DELETE"]),
    *api_routes(M, list_milestones, ["GET"]),
    *api_routes(f"{M}/custom", list_custom, ["GET"]),
    *api_routes(f"{M}/custom", add_custom, ["POST"]),
    *api_routes(f"{M}/custom/{{id}}", edit_custom, ["PUT"]),
    *api_routes(f"{M}/custom/{{id}}", delete_custom, ["DELETE"]),
    *api_routes(f"{M}/{{attempt_id}}/{{key}}/share", share, ["POST"]),
]
