"""Markers (docs.joinmastodon.org/methods/markers): where the member stopped
reading home and notifications; GET with timeline[], POST with
``home[last_read_id]`` and/or ``notifications[last_read_id]``."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import markers
from recovery.notice_models import Marker
from web.api.entities import iso
from web.api.http import ApiError, api_routes, authenticate_member, json_response, read_params
from web.api.relationships import domain_errors
from web.http import connection, transaction


def marker_entity(marker: Marker) -> dict[str, Any]:
    return {"last_read_id": str(marker.last_read_id), "version": marker.version,
            "updated_at": iso(marker.updated_at)}


async def index(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:statuses")
    params = await read_params(request)
    timelines = params.strs("timeline", max_items=10)
    async with connection(request) as conn:
        found = await markers.of_member(conn, member, timelines)
    return json_response({m.timeline: marker_entity(m) for m in found})


async def save(request: Request) -> Response:
    _, member = await authenticate_member(request, "write:statuses")
    params = await read_params(request)
    last_read = {}
    for timeline in markers.TIMELINES:
        if timeline in params:
            raw = params.sub(timeline).get_str("last_read_id", required=True) or ""
            if not raw.isdigit() or len(raw) > 18:
                raise ApiError(422, "Validation failed: last_read_id must be an id")
            last_read[timeline] = int(raw)
    if not last_read:
        raise ApiError(422, "Validation failed: give home[last_read_id] or "
                       "notifications[last_read_id]")
    with domain_errors():
        async with transaction(request) as conn:
            saved = await markers.save(conn, member, last_read)
    return json_response({m.timeline: marker_entity(m) for m in saved})


routes = [*api_routes("/api/v1/markers", index, ["GET"]),
          *api_routes("/api/v1/markers", save, ["POST"])]
