"""The app factory: routes, middleware, error pages, and the lifespan that
owns the database pool."""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from http import HTTPStatus
from typing import Any

import asyncpg
import httpx2
import jinja2
from starlette.applications import Starlette
from starlette.exceptions import HTTPException
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Mount
from starlette.staticfiles import StaticFiles
from starlette.templating import Jinja2Templates

from federation.fetch import FetchPolicy, make_client
from federation.fetch import Signer as RequestSigner
from federation.signatures import sign_request
from inbox.remote import RemoteFetcher
from recovery import actors as recovery_actors
from recovery import community, store
from recovery.errors import HearthError, InvalidInput, NotFound, PermissionDenied, RateLimited
from web import api, database, filters
from web.api import cors
from web.api.cors import Cors
from web.api.entity_cache import EntityCache
from web.http import DatabaseUnavailable, LoginRequired, login_redirect, render
from web.routes import (
    account,
    activitypub,
    actors,
    auth,
    discovery,
    follows,
    inbox,
    moderation,
    pages,
    posts,
    timeline,
)
from web.routes import media as media_routes
from web.routes import notifications as notification_routes
from web.routes import progress as progress_routes
from web.routes.discovery import hearth_version
from web.routing import indexed
from web.security import BodyLimit, SecurityHeaders, Signer
from web.settings import Settings
from web.streams import Hub
from web.workers import JobContext, run_forever

log = logging.getLogger(__name__)

BODY_LIMIT = 1024 * 1024
# Errors that mean "the database is not answering", not "Hearth has a bug".
DATABASE_DOWN = (
    DatabaseUnavailable,
    OSError,
    TimeoutError,
    asyncpg.PostgresConnectionError,
    asyncpg.CannotConnectNowError,
    asyncpg.TooManyConnectionsError,
    asyncpg.InterfaceError,
    # A pooled connection that read the server's shutdown notice but has not
    # yet seen its socket close raises this on its next query.
    asyncpg.InternalClientError,
)
_REASONS = {
    400: "The request could not be understood.",
    403: "You are not allowed to do that.",
    404: "There is nothing at this address.",
    405: "This address does not accept that kind of request.",
    413: "What you sent is too large.",
    422: "Some of what you entered needs another look.",
    429: "Too many attempts. Please wait a little and try again.",
    503: "The community's server is having trouble right now. Please try again in a minute.",
}


def create_app(
    settings: Settings, database_url: str | None = None, *, workers: bool = False,
    http_client_factory: Callable[[FetchPolicy], httpx2.AsyncClient] = make_client,
) -> Starlette:
    """A Hearth app for these settings; ``database_url`` overrides the settings'.
    With ``workers`` the background jobs run inside the server process.
    ``http_client_factory`` makes the client for requests to other servers
    (tests pass one on an httpx2.MockTransport)."""
    url = database_url or settings.database_url
    if not url:
        raise ValueError("create_app needs a database URL (the CLI starts the embedded one)")

    @asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        pool = await database.create_pool(url, max_size=settings.database_pool)
        try:
            async with pool.acquire() as conn:
                await database.apply_schema(conn)
                key = await store.get_or_create_signing_key(conn, secrets.token_bytes(32))
                instance_keys = await recovery_actors.instance_keys(conn)
            http_client = http_client_factory(_fetch_policy(settings))
            app.state.pool = pool
            app.state.signer = Signer(key)
            app.state.fetcher = RemoteFetcher(
                http_client, _fetch_policy(settings),
                _instance_signer(settings, instance_keys.private_key_pem))
            stop = asyncio.Event()
            context = JobContext(http_client, settings, stop, app.state.fetcher)
            background = (asyncio.create_task(run_forever(pool, stop, context=context))
                          if workers else None)
            await app.state.hub.start(pool)
            try:
                yield
            finally:
                await app.state.hub.stop()
                stop.set()
                if background is not None:
                    await background
                await http_client.aclose()
        finally:
            await pool.close()

    app = Starlette(
        routes=indexed([
            *pages.routes, *auth.routes, *account.routes, *moderation.routes,
            *discovery.routes, *actors.routes, *inbox.routes, *activitypub.routes,
            *timeline.routes, *posts.routes, *follows.routes, *api.routes,
            *progress_routes.routes, *notification_routes.routes, *media_routes.routes,
            Mount("/static", StaticFiles(packages=[("web", "static")]), name="static"),
        ]),
        middleware=[Middleware(Cors), Middleware(SecurityHeaders),
                    Middleware(BodyLimit, limit=BODY_LIMIT,
                               larger=dict.fromkeys(media_routes.UPLOAD_PATHS,
                                                    media_routes.UPLOAD_BODY_LIMIT))],
        exception_handlers=_exception_handlers(),
        lifespan=lifespan,
    )
    app.state.settings = settings
    app.state.hub = Hub(url, settings.url)  # streaming: started by the lifespan
    app.state.entity_cache = EntityCache()
    app.state.templates = Jinja2Templates(env=_template_env())
    return app


def _fetch_policy(settings: Settings) -> FetchPolicy:
    return FetchPolicy(
        user_agent=f"Hearth/{hearth_version()} (+{settings.url})",
        allow_private=settings.allow_private_network,
    )


def _instance_signer(settings: Settings, private_key_pem: str) -> RequestSigner:
    """Signs instance-level GETs (key fetches) as the instance actor."""
    key_id = f"{settings.url}/actor#main-key"

    def sign(method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        return sign_request(method, url, headers, None, key_id, private_key_pem)

    return sign


def _template_env() -> jinja2.Environment:
    env = jinja2.Environment(
        loader=jinja2.PackageLoader("web", "templates"),
        autoescape=True,
        undefined=jinja2.StrictUndefined,
    )
    env.filters["initials"] = filters.initials
    env.filters["hue"] = filters.hue
    env.filters["month_year"] = filters.month_year
    env.globals["treatment_notice"] = community.TREATMENT_NOTICE
    return env


def _wants_json(request: Request) -> bool:
    accept = request.headers.get("accept", "")
    return request.url.path.startswith("/api/") or (
        "json" in accept and "html" not in accept
    )


async def _error(request: Request, status: int, message: str | None = None) -> Response:
    message = message or _REASONS.get(status, "Something went wrong.")
    if _wants_json(request):
        return JSONResponse({"error": message}, status_code=status)
    try:
        return await render(request, "error.html", {"status": status, "message": message},
                            status_code=status)
    except DATABASE_DOWN:
        request.state.viewer = None  # the page still renders, without the viewer
        return await render(request, "error.html", {"status": status, "message": message},
                            status_code=status)


def _exception_handlers() -> dict[Any, Any]:
    async def http_error(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, HTTPException)
        detail = exc.detail if exc.detail and exc.detail != _default_phrase(exc) else None
        response = await _error(request, exc.status_code, detail)
        if exc.headers:
            response.headers.update(exc.headers)
        return response

    async def domain_error(request: Request, exc: Exception) -> Response:
        status = {NotFound: 404, PermissionDenied: 403, RateLimited: 429,
                  InvalidInput: 422}.get(type(exc), 400)
        response = await _error(request, status, str(exc))
        if isinstance(exc, RateLimited):
            response.headers["retry-after"] = str(exc.retry_after)
        return response

    async def login_required(request: Request, exc: Exception) -> Response:
        assert isinstance(exc, LoginRequired)
        return login_redirect(exc.next_path)

    async def database_down(request: Request, exc: Exception) -> Response:
        log.error("database unavailable during %s %s: %r",
                  request.method, request.url.path, exc)
        response = await _error(request, 503)
        response.headers["retry-after"] = "30"
        return response

    async def server_error(request: Request, exc: Exception) -> Response:
        log.error("unhandled error in %s %s", request.method, request.url.path, exc_info=exc)
        if _wants_json(request):
            return JSONResponse({"error": "Something went wrong on our side."}, status_code=500,
                                headers=cors.error_headers(request.url.path))
        return PlainTextResponse(
            "Something went wrong on our side. It has been logged; please try again.",
            status_code=500, headers=cors.error_headers(request.url.path),
        )

    handlers: dict[Any, Any] = {
        HTTPException: http_error,
        HearthError: domain_error,
        **api.EXCEPTION_HANDLERS,
        LoginRequired: login_required,
        Exception: server_error,
    }
    for exc_type in DATABASE_DOWN:
        handlers[exc_type] = database_down
    return handlers


def _default_phrase(exc: HTTPException) -> str:
    try:
        return HTTPStatus(exc.status_code).phrase
    except ValueError:
        return ""
