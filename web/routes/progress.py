"""The member's own progress pages: the counter, check-ins, milestones and
sharing them, history, settings, export and deletion. Every page and form
here is for the logged-in member alone."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery import checkins, milestones, progress, progress_export
from recovery.errors import InvalidInput, NotFound
from recovery.models import Member
from web import progress_share, progress_view, social
from web.http import connection, field, form, render, require_member, transaction

Values = dict[str, str]
DONE = {"started": progress.FIRST_START, "restarted": progress.ENCOURAGEMENT,
        "pledged": "Pledge made. You've got today.",
        "reviewed": "Thank you for checking in. Rest well.",
        "shared": "Shared. Your followers can celebrate with you.",
        "saved": "Saved.", "deleted": "Deleted.", "added": "Milestone added.",
        "erased": "Your progress data is deleted."}


def now() -> datetime:
    return datetime.now(UTC)


async def _history_page(conn: Any, member: Member, at: datetime) -> dict[str, Any]:
    settings = await progress.settings(conn, member)
    attempts = await progress.history(conn, member)
    return {"attempts": attempts, "stats": progress.stats(attempts, at, settings.time_zone),
            "checkins": await checkins.recent(conn, member), "settings": settings,
            **progress_view.local_formats(), **await progress_view.nav(conn, member)}


async def _settings_page(conn: Any, member: Member, at: datetime) -> dict[str, Any]:
    return {"settings": await progress.settings(conn, member),
            "customs": await progress.customs(conn, member),
            "zones": milestones.zone_names(), "tables": progress_export.CSV_TABLES,
            **await progress_view.nav(conn, member)}


Builder = Callable[[Any, Member, datetime], Awaitable[dict[str, Any]]]
_BUILDERS: dict[str, Builder] = {
    "progress.html": progress_view.progress_page,
    "progress_history.html": _history_page,
    "progress_settings.html": _settings_page,
}


async def _show(request: Request, member: Member, template: str, status_code: int = 200,
                errors: dict[str, str] | None = None, values: Values | None = None) -> Response:
    async with connection(request) as conn, conn.transaction():
        page = await _BUILDERS[template](conn, member, now())
    done = request.query_params.get("done", "")
    return await render(request, template, {
        **page, "errors": errors or {}, "values": values or {}, "done": DONE.get(done),
        "zones": page.get("zones") or milestones.zone_names(),
    }, status_code=status_code)


def _page(template: str) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await _show(request, await require_member(request), template)
    return endpoint


Action = Callable[[Any, Member, Values, Request], Awaitable[str]]


def _action(template: str, act: Action, names: tuple[str, ...]) -> Callable[
        [Request], Awaitable[Response]]:
    """A form: check it, act in one transaction, go back to ``template``'s
    page with what was done; bad input shows the page again with reasons."""

    async def endpoint(request: Request) -> Response:
        member = await require_member(request)
        data = await form(request)
        values = {name: field(data, name) for name in names}
        try:
            async with transaction(request) as conn:
                done = await act(conn, member, values, request)
        except InvalidInput as exc:
            return await _show(request, member, template, 422, {exc.field: exc.message},
                               values)
        return RedirectResponse(f"{_PATHS[template]}?done={done}", status_code=303)

    return endpoint


_PATHS = {"progress.html": "/progress", "progress_history.html": "/progress/history",
          "progress_settings.html": "/progress/settings"}


async def _start(conn: Any, member: Member, v: Values, request: Request) -> str:
    had = await progress.counter(conn, member, now()) is not None
    await progress.start(conn, member, v["date"], v["time"], now(),
                         time_zone=v["time_zone"] or None)
    return "restarted" if had else "started"


async def _pledge(conn: Any, member: Member, v: Values, request: Request) -> str:
    await checkins.pledge(conn, member, now())
    return "pledged"


async def _review(conn: Any, member: Member, v: Values, request: Request) -> str:
    await checkins.review(conn, member, v, now())
    return "reviewed"


async def _save_settings(conn: Any, member: Member, v: Values, request: Request) -> str:
    await progress.save_settings(conn, member, v)
    return "saved"


async def _add_custom(conn: Any, member: Member, v: Values, request: Request) -> str:
    await progress.add_custom(conn, member, v["days"], v["name"], now())
    return "added"


async def _delete_custom(conn: Any, member: Member, v: Values, request: Request) -> str:
    await progress.delete_custom(conn, member, request.path_params["item_id"], now())
    return "deleted"


async def _edit_attempt(conn: Any, member: Member, v: Values, request: Request) -> str:
    await progress.edit_attempt(conn, member, request.path_params["item_id"], v, now())
    return "saved"


async def _delete_attempt(conn: Any, member: Member, v: Values, request: Request) -> str:
    await progress.delete_attempt(conn, member, request.path_params["item_id"])
    return "deleted"


async def _delete_checkin(conn: Any, member: Member, v: Values, request: Request) -> str:
    await checkins.delete(conn, member, request.path_params["item_id"])
    return "deleted"


async def _erase(conn: Any, member: Member, v: Values, request: Request) -> str:
    if v["confirm"] != "yes":
        raise InvalidInput("confirm", "Tick the box to confirm: this cannot be undone.")
    await progress.delete_everything(conn, member)
    if v["checkins"] == "yes":
        await checkins.delete_all(conn, member)
    return "erased"


async def share(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    values = {name: field(data, name) for name in ("visibility", "line")}
    try:
        async with connection(request) as conn:
            post = await progress_share.share(
                conn, social.Site.of(request), member, request.path_params["attempt_id"],
                request.path_params["key"], values["visibility"], values["line"])
    except InvalidInput as exc:
        return await _show(request, member, "progress.html", 422, {exc.field: exc.message},
                           values)
    return RedirectResponse(f"/@{member.username}/{post.id}", status_code=303)


async def export_json(request: Request) -> Response:
    member = await require_member(request)
    async with connection(request) as conn, conn.transaction():
        data = await progress_export.gather(conn, member, now())
    return _download(progress_export.to_json(data), "application/json",
                     f"hearth-{member.username}-progress.json")


async def export_csv(request: Request) -> Response:
    member = await require_member(request)
    table = request.path_params["table"]
    if table not in progress_export.CSV_TABLES:
        raise NotFound("There is no such table to download.")
    async with connection(request) as conn, conn.transaction():
        data = await progress_export.gather(conn, member, now())
    return _download(progress_export.to_csv(data, table), "text/csv; charset=utf-8",
                     f"hearth-{member.username}-{table}.csv")


def _download(body: str, media_type: str, filename: str) -> Response:
    return Response(body, media_type=media_type, headers={
        "content-disposition": f'attachment; filename="{filename}"',
        "cache-control": "no-store"})


_START = ("date", "time", "time_zone")
_REVIEW = ("day", "day_went", "cravings", "mood", "note")
_SETTINGS = ("visibility", "time_zone", "weekly_spend", "currency", "hours_per_drinking_day",
             "drinking_days_per_week")
_ATTEMPT = ("start_date", "start_time", "end_date", "end_time")
P, H, S = "progress.html", "progress_history.html", "progress_settings.html"

routes = [
    Route("/progress", _page(P), methods=["GET"]),
    Route("/progress/start", _action(P, _start, _START), methods=["POST"]),
    Route("/progress/pledge", _action(P, _pledge, ()), methods=["POST"]),
    Route("/progress/review", _action(P, _review, _REVIEW), methods=["POST"]),
    Route("/progress/milestones/{attempt_id:int}/{key:str}/share", share, methods=["POST"]),
    Route("/progress/history", _page(H), methods=["GET"]),
    Route("/progress/attempts/{item_id:int}/edit", _action(H, _edit_attempt, _ATTEMPT),
          methods=["POST"]),
    Route("/progress/attempts/{item_id:int}/delete", _action(H, _delete_attempt, ()),
          methods=["POST"]),
    Route("/progress/checkins/{item_id:int}/delete", _action(H, _delete_checkin, ()),
          methods=["POST"]),
    Route("/progress/settings", _page(S), methods=["GET"]),
    Route("/progress/settings", _action(S, _save_settings, _SETTINGS), methods=["POST"]),
    Route("/progress/custom", _action(S, _add_custom, ("days", "name")), methods=["POST"]),
    Route("/progress/custom/{item_id:int}/delete", _action(S, _delete_custom, ()),
          methods=["POST"]),
    Route("/progress/delete", _action(S, _erase, ("confirm", "checkins")), methods=["POST"]),
    Route("/progress/export.json", export_json, methods=["GET"]),
    Route("/progress/export/{table:str}.csv", export_csv, methods=["GET"]),
]
