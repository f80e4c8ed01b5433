"""POST /inbox and /users/NAME/inbox: verify, store, 202."""

from __future__ import annotations

import logging
from functools import partial

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from federation.errors import FederationError, FetchFailed
from inbox.receive import Delivery, ReceiveCache, receive
from recovery import members
from web.http import connection

log = logging.getLogger(__name__)


async def shared_inbox(request: Request) -> Response:
    return await _receive(request)


async def member_inbox(request: Request) -> Response:
    async with connection(request) as conn:
        await members.get_profile(conn, request.path_params["username"])  # 404 if none
    return await _receive(request)


async def _receive(request: Request) -> Response:
    settings = request.app.state.settings
    query = f"?{request.url.query}" if request.url.query else ""
    delivery = Delivery(f"{settings.url}{request.url.path}{query}",
                        {k.lower(): v for k, v in request.headers.items()},
                        await request.body())
    try:
        # receive() opens connections as it needs them, never across a key fetch
        await receive(partial(connection, request), delivery, request.app.state.fetcher,
                      receive_cache(request))
    except FederationError as exc:
        log.info("inbox refused a delivery (%d): %s", exc.status, exc.reason)
        headers = {"retry-after": "60"} if isinstance(exc, FetchFailed) else None
        status = 503 if isinstance(exc, FetchFailed) else exc.status
        return JSONResponse({"error": exc.reason}, status_code=status, headers=headers)
    return Response(status_code=202)


def receive_cache(request: Request) -> ReceiveCache:
    """The app's inbox cache, made on first use (one per app: tests run many
    apps, on as many databases, in one process); signed GETs use it too."""
    state = request.app.state
    cache: ReceiveCache | None = getattr(state, "inbox_cache", None)
    if cache is None:
        cache = state.inbox_cache = ReceiveCache()
    return cache


routes = [
    Route("/inbox", shared_inbox, methods=["POST"]),
    Route("/users/{username}/inbox", member_inbox, methods=["POST"]),
]
