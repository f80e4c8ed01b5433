"""Scheduled statuses (docs.joinmastodon.org/methods/scheduled_statuses):
``POST /api/v1/statuses`` with ``scheduled_at`` keeps a post to be written
later (web.api.statuses hands it to ``schedule``); the member lists, reads,
moves (PUT ``scheduled_at``) and cancels them here. A scheduled post's
images are held until web.scheduling writes it, when due."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import media, posts, scheduled
from recovery.media_models import MediaAttachment
from recovery.models import Member
from recovery.scheduled_models import Planned, ScheduledPost
from recovery.status_models import ListPage
from web.api import entities
from web.api.http import (
    ApiError,
    Caller,
    api_routes,
    authenticate_member,
    json_response,
    page_of,
    paged_response,
    read_params,
)
from web.api.ids import parse_status_id
from web.api.relationships import domain_errors
from web.api.status_view import visible
from web.http import connection, transaction
from web.social import Site

READ, WRITE = "read:statuses", "write:statuses"
NOT_A_TIME = "Validation failed: Scheduled at is not an ISO 8601 date and time"


def scheduled_entity(found: ScheduledPost, held: list[MediaAttachment] | None = None,
                     base_url: str = "") -> dict[str, Any]:
    """A ScheduledStatus (docs.joinmastodon.org/entities/ScheduledStatus);
    ``held``: the uploads it will carry."""
    planned = found.planned
    return {
        "id": str(found.id),
        "scheduled_at": entities.iso(found.scheduled_at),
        "params": {
            "text": planned.text,
            "poll": None,
            "media_ids": [str(i) for i in planned.media_ids] or None,
            "sensitive": planned.sensitive,
            "spoiler_text": planned.summary,
            "visibility": entities.api_visibility(planned.visibility),
            "idempotency": found.idempotency,
            "scheduled_at": None,
            "language": planned.language,
            "in_reply_to_id": (str(planned.in_reply_to_id)
                               if planned.in_reply_to_id is not None else None),
            "application_id": found.app_id,
            "with_rate_limit": False,
        },
        "media_attachments": [entities.media_attachment(m, base_url) for m in held or []],
    }


async def _entities(conn: Any, request: Request, found: list[ScheduledPost],
                    ) -> list[dict[str, Any]]:
    """ScheduledStatus entities, their uploads looked up in one query."""
    held = await media.of_scheduled(conn, [s.id for s in found if s.planned.media_ids])
    base = Site.of(request).base
    return [scheduled_entity(s, held.get(s.id, []), base) for s in found]


def parse_time(raw: str) -> datetime:
    """An ISO 8601 date and time (UTC when it names no zone); 422 otherwise."""
    try:
        moment = datetime.fromisoformat(raw.strip())
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        moment = moment.astimezone(UTC)
    except (ValueError, OverflowError):
        raise ApiError(422, NOT_A_TIME) from None
    if moment.year >= 9999:  # the day after must still be a date
        raise ApiError(422, NOT_A_TIME)
    return moment


async def schedule(request: Request, caller: Caller, member: Member, planned: Planned,
                   raw_time: str, key: str | None) -> Response:
    """What ``POST /api/v1/statuses`` answers when ``scheduled_at`` is given:
    the post checked as an immediate one is (text, reply target), then kept."""
    when = parse_time(raw_time)
    with domain_errors():
        posts.check_text(planned.text, planned.summary, bool(planned.media_ids))
    site = Site.of(request)
    async with transaction(request) as conn:
        if planned.in_reply_to_id is not None:
            await visible(conn, site, member, planned.in_reply_to_id)
        with domain_errors():
            kept = await scheduled.schedule(conn, member.id, caller.app.id, planned, when,
                                            datetime.now(UTC), key)
        return json_response((await _entities(conn, request, [kept]))[0])


async def index(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    page = page_of(await read_params(request))
    async with connection(request) as conn:
        found = await scheduled.listed(conn, member.id, ListPage(
            page.limit, page.max_id, page.since_id, page.min_id))
        shown = await _entities(conn, request, found)
    return paged_response(request, shown, [s.id for s in found])


async def show(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    scheduled_id = _path_id(request)
    async with connection(request) as conn:
        with domain_errors():
            found = await scheduled.get(conn, member.id, scheduled_id)
        return json_response((await _entities(conn, request, [found]))[0])


async def update(request: Request) -> Response:
    """Move a scheduled post to another time (``scheduled_at``)."""
    _, member = await authenticate_member(request, WRITE)
    scheduled_id = _path_id(request)
    params = await read_params(request)
    when = parse_time(params.get_str("scheduled_at", required=True) or "")
    async with transaction(request) as conn:
        with domain_errors():
            moved = await scheduled.reschedule(conn, member.id, scheduled_id, when,
                                               datetime.now(UTC))
        return json_response((await _entities(conn, request, [moved]))[0])


async def destroy(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    scheduled_id = _path_id(request)
    async with connection(request) as conn:
        with domain_errors():
            await scheduled.cancel(conn, member.id, scheduled_id)
    return json_response({})


def _path_id(request: Request) -> int:
    found = parse_status_id(request.path_params["id"])  # the same digits rule
    if found is None:
        raise ApiError(404, "Record not found")
    return found


routes = [
    *api_routes("/api/v1/scheduled_statuses", index, ["GET"]),
    *api_routes("/api/v1/scheduled_statuses/{id}", show, ["GET"]),
    *api_routes("/api/v1/scheduled_statuses/{id}", update, ["PUT"]),
    *api_routes("/api/v1/scheduled_statuses/{id}", destroy, ["DELETE"]),
]
