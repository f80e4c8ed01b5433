"""Public pages: home, about (rules), crisis resources, member profiles, health."""

from __future__ import annotations

import asyncio
import logging

import asyncpg
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from recovery import community, members
from recovery.errors import NotFound
from web import social
from web.http import DatabaseUnavailable, accepts_activity_json, connection, render, viewer
from web.routes import actors as actor_routes

log = logging.getLogger(__name__)


async def home(request: Request) -> Response:
    return await render(request, "home.html")


async def about(request: Request) -> Response:
    return await render(request, "about.html")


async def crisis(request: Request) -> Response:
    resources = request.app.state.settings.crisis_resources
    return await render(request, "crisis.html", {"regions": community.regions(resources)})


async def profile(request: Request) -> Response:
    username = request.path_params["username"]
    if accepts_activity_json(request):  # a server asking for the actor
        return await actor_routes.member_json(request, username)
    shown_to = await viewer(request)
    async with connection(request) as conn:
        try:
            member = await members.get_profile(conn, username)
        except NotFound:
            member = None
        if member is not None:
            page = await social.profile_page(conn, social.Site.of(request), shown_to, member)
    if member is None:  # a member who left: 410 Gone, as at their actor URL
        actor = f"{request.app.state.settings.url}/users/{username}"
        if (gone := await actor_routes.gone(request, username, actor, "Person")) is not None:
            return gone
        raise NotFound("There is no member with that name here.")
    response = await render(request, "profile.html", {"member": member, **page})
    response.headers["vary"] = "Accept"
    return response


async def healthz(request: Request) -> Response:
    try:
        async with asyncio.timeout(3):
            async with connection(request) as conn:
                await conn.fetchval("SELECT 1")
    except (DatabaseUnavailable, OSError, TimeoutError, asyncpg.PostgresError,
            asyncpg.InterfaceError, asyncpg.InternalClientError) as exc:
        log.warning("health check: database unavailable: %s", exc)
        return JSONResponse({"status": "unavailable", "database": "down"}, status_code=503)
    return JSONResponse({"status": "ok", "database": "up"})


routes = [
    Route("/", home, methods=["GET"]),
    Route("/about", about, methods=["GET"]),
    Route("/crisis", crisis, methods=["GET"]),
    Route("/@{username}", profile, methods=["GET"]),
    Route("/healthz", healthz, methods=["GET"]),
]
