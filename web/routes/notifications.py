"""The notifications page: milestones reached (and, with the client API,
follows, mentions, favourites and boosts); mark all read, dismiss one."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery import notifications
from web import progress_view
from web.http import connection, form, render, require_member, transaction


async def page(request: Request) -> Response:
    member = await require_member(request)
    async with connection(request) as conn:
        shown = await notifications.of_member(conn, member)
        nav = await progress_view.nav(conn, member)
    return await render(request, "notifications.html", {"notifications": shown, **nav})


async def mark_read(request: Request) -> Response:
    member = await require_member(request)
    await form(request)
    async with transaction(request) as conn:
        await notifications.mark_read(conn, member)
    return RedirectResponse("/notifications", status_code=303)


async def dismiss(request: Request) -> Response:
    member = await require_member(request)
    await form(request)
    async with transaction(request) as conn:
        await notifications.dismiss(conn, member, request.path_params["notification_id"])
    return RedirectResponse("/notifications", status_code=303)


routes = [
    Route("/notifications", page, methods=["GET"]),
    Route("/notifications/read", mark_read, methods=["POST"]),
    Route("/notifications/{notification_id:int}/dismiss", dismiss, methods=["POST"]),
]
