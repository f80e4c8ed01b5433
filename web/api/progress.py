"""Hearth's own progress API under /api/hearth/v1 (issue #5): the counter,
the history of streaks and its stats, settings and savings, export and
deletion, and the count of another member where they allow it. Check-ins
and milestones are in web/api/progress_daily.py; every path is described in
web/api/openapi_progress.py (served at /api/hearth/v1/openapi.json).

Thin routes over recovery/progress*.py, with the Mastodon API's tokens
(scopes ``read:progress`` and ``write:progress``, which ``read`` and
``write`` cover), parameter reader and JSON errors. No path takes another
member's id for private data: each works on the token's own member."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from recovery import checkins, progress, progress_export
from recovery.models import Member
from web.api import progress_entities as entities
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate,
    authenticate_member,
    json_response,
    read_params,
)
from web.api.ids import member_account_id, parse_status_id
from web.api.openapi_progress import document
from web.api.relationships import domain_errors, party_of
from web.http import connection, transaction

BASE = "/api/hearth/v1"
READ, WRITE = "read:progress", "write:progress"
NOT_FOUND = "Record not found"
BIGINT_MAX = 2**63 - 1
_SETTINGS = ("visibility", "time_zone", "weekly_spend", "currency", "hours_per_drinking_day",
             "drinking_days_per_week")
_ATTEMPT = ("start_date", "start_time", "end_date", "end_time")


def now() -> datetime:
    return datetime.now(UTC)


def path_id(request: Request, name: str = "id") -> int:
    """A numeric id from the path; anything else is a 404, as for a missing one."""
    value = parse_status_id(request.path_params[name])
    if value is None or value > BIGINT_MAX:
        raise ApiError(404, NOT_FOUND)
    return value


def values_of(params: Params, names: tuple[str, ...], *,
              only_given: bool = False) -> dict[str, str]:
    """The named parameters as the domain's form values (blank when absent,
    or left out with ``only_given``)."""
    return {name: params.get_str(name, "", max_length=10_000) or ""
            for name in names if not only_given or name in params}


# -- the counter ---------------------------------------------------------------------


async def _counter_payload(conn: Any, member: Member, at: datetime) -> dict[str, Any]:
    settings = await progress.settings(conn, member)
    counter = await progress.counter(conn, member, at)
    sober_for = at - counter.attempt.started_at if counter else timedelta(0)
    return entities.counter_entity(counter, settings, progress.savings(settings, sober_for))


async def get_counter(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    async with transaction(request) as conn:
        return json_response(await _counter_payload(conn, member, now()))


async def put_counter(request: Request) -> Response:
    """Set the counter, or start again: ``date``, ``time``, ``time_zone``, and
    optionally who may see the count (``visibility``)."""
    _, member = await authenticate_member(request, WRITE)
    params = await read_params(request)
    v = values_of(params, ("date", "time", "time_zone", "visibility"))
    if not v["date"]:
        raise ApiError(422, "Validation failed: date is required")
    at = now()
    with domain_errors():
        async with transaction(request) as conn:
            if v["visibility"]:
                await progress.update_settings(conn, member, {"visibility": v["visibility"]})
            _, message = await progress.start(conn, member, v["date"], v["time"], at,
                                              time_zone=v["time_zone"] or None)
            payload = await _counter_payload(conn, member, at)
    return json_response({"message": message, "counter": payload})


async def account_counter(request: Request) -> Response:
    """The whole days sober of a member of this community, when they let the
    caller see it (as their profile page does); ``days`` is null otherwise."""
    found = await authenticate(request, (READ, "read:accounts"), required=False, user=False)
    viewer = found.member if found else None
    async with connection(request) as conn:
        _, member = await party_of(conn, request.path_params["id"])
        if not isinstance(member, Member):
            raise ApiError(404, NOT_FOUND)
        days = await progress.shown_count(conn, member, viewer, now())
    return json_response({"id": member_account_id(member.id), "days": days})


# -- history ---------------------------------------------------------------------------


async def list_attempts(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    async with connection(request) as conn:
        attempts = await progress.history(conn, member)
    return json_response([entities.attempt_entity(a) for a in attempts])


async def edit_attempt(request: Request) -> Response:
    """Correct a streak: ``start_date``/``start_time`` (and, for a past one,
    ``end_date``/``end_time``) on the streak's own clock."""
    _, member = await authenticate_member(request, WRITE)
    attempt_id = path_id(request)
    v = values_of(await read_params(request), _ATTEMPT)
    with domain_errors():
        async with transaction(request) as conn:
            changed = await progress.edit_attempt(conn, member, attempt_id, v, now())
    return json_response(entities.attempt_entity(changed))


async def delete_attempt(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    attempt_id = path_id(request)
    with domain_errors():
        async with transaction(request) as conn:
            await progress.delete_attempt(conn, member, attempt_id)
    return json_response({})


async def stats(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    async with connection(request) as conn:
        settings = await progress.settings(conn, member)
        attempts = await progress.history(conn, member)
    return json_response(entities.stats_entity(
        progress.stats(attempts, now(), settings.time_zone)))


# -- settings, export and deletion -----------------------------------------------------


async def _settings_payload(conn: Any, member: Member, at: datetime) -> dict[str, Any]:
    settings = await progress.settings(conn, member)
    counter = await progress.counter(conn, member, at)
    sober_for = at - counter.attempt.started_at if counter else timedelta(0)
    return entities.settings_entity(settings, progress.savings(settings, sober_for))


async def get_settings(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    async with transaction(request) as conn:
        return json_response(await _settings_payload(conn, member, now()))


async def put_settings(request: Request) -> Response:
    """Change the settings given; those left out keep their value."""
    _, member = await authenticate_member(request, WRITE)
    changes = values_of(await read_params(request), _SETTINGS, only_given=True)
    with domain_errors():
        async with transaction(request) as conn:
            await progress.update_settings(conn, member, changes)
            payload = await _settings_payload(conn, member, now())
    return json_response(payload)


async def export_json(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    async with transaction(request) as conn:
        data = await progress_export.gather(conn, member, now())
    return Response(progress_export.to_json(data), media_type="application/json",
                    headers={"cache-control": "no-store"})


async def export_csv(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    table = request.path_params["table"]
    if table not in progress_export.CSV_TABLES:
        raise ApiError(404, NOT_FOUND)
    async with transaction(request) as conn:
        data = await progress_export.gather(conn, member, now())
    return Response(progress_export.to_csv(data, table), media_type="text/csv; charset=utf-8",
                    headers={"cache-control": "no-store", "content-disposition":
                             f'attachment; filename="{table}.csv"'})


async def delete_everything(request: Request) -> Response:
    """The counter, every streak, milestone and setting; check-ins too with
    ``checkins=true``. Posts stay (delete them as statuses)."""
    _, member = await authenticate_member(request, WRITE)
    with_checkins = (await read_params(request)).get_bool("checkins", False)
    async with transaction(request) as conn:
        await progress.delete_everything(conn, member)
        if with_checkins:
            await checkins.delete_all(conn, member)
    return json_response({})


async def openapi(request: Request) -> Response:
    return JSONResponse(document(), headers={"cache-control": "public, max-age=3600"})


routes = [
    *api_routes(f"{BASE}/openapi.json", openapi, ["GET"]),
    *api_routes(f"{BASE}/counter", get_counter, ["GET"]),
    *api_routes(f"{BASE}/counter", put_counter, ["PUT"]),
    *api_routes(f"{BASE}/accounts/{{id}}/counter", account_counter, ["GET"]),
    *api_routes(f"{BASE}/attempts", list_attempts, ["GET"]),
    *api_routes(f"{BASE}/attempts/{{id}}", edit_attempt, ["PUT"]),
    *api_routes(f"{BASE}/attempts/{{id}}", delete_attempt, ["DELETE"]),
    *api_routes(f"{BASE}/stats", stats, ["GET"]),
    *api_routes(f"{BASE}/settings", get_settings, ["GET"]),
    *api_routes(f"{BASE}/settings", put_settings, ["PUT"]),
    *api_routes(f"{BASE}/export", export_json, ["GET"]),
    *api_routes(f"{BASE}/export/{{table}}.csv", export_csv, ["GET"]),
    *api_routes(f"{BASE}/progress", delete_everything, ["DELETE"]),
]
