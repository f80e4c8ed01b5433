"""What every HTML route needs: the viewer, rendering, forms with CSRF checks,
and a connection or transaction from the pool."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any
from urllib.parse import quote

import asyncpg
from starlette.datastructures import FormData
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response

from recovery import sessions
from recovery.models import Member
from web.security import CSRF_COOKIE, CSRF_FIELD, SESSION_COOKIE, new_csrf_cookie

log = logging.getLogger(__name__)

MAX_FORM_FIELDS = 50
_UNSET = object()


class CsrfFailed(HTTPException):
    def __init__(self) -> None:
        super().__init__(
            403,
            "This form has expired or your browser did not send its cookie. "
            "Go back, reload the page and try again.",
        )


class DatabaseUnavailable(Exception):
    """No connection could be had: the server is down, refusing, or gone."""


@asynccontextmanager
async def connection(request: Request) -> AsyncIterator[Any]:
    pool = request.app.state.pool
    try:
        conn = await pool.acquire()
    except (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
        raise DatabaseUnavailable(f"{type(exc).__name__}: {exc}") from exc
    try:
        yield conn
    finally:
        try:
            await pool.release(conn)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError,
                asyncpg.InternalClientError) as exc:
            # The server went away under this connection; asyncpg has closed
            # it. The response is already decided: log, do not raise over it.
            log.warning("could not return a database connection to the pool: %r", exc)


@asynccontextmanager
async def transaction(request: Request) -> AsyncIterator[Any]:
    async with connection(request) as conn, conn.transaction():
        yield conn


def session_token(request: Request) -> str | None:
    return request.app.state.signer.unsign("session", request.cookies.get(SESSION_COOKIE))


async def viewer(request: Request) -> Member | None:
    """The logged-in member, looked up once per request."""
    if getattr(request.state, "viewer", _UNSET) is _UNSET:
        token = session_token(request)
        member = None
        if token:
            async with connection(request) as conn:
                member = await sessions.member_for(conn, token)
        request.state.viewer = member
    found: Member | None = request.state.viewer
    return found


class LoginRequired(Exception):
    def __init__(self, next_path: str) -> None:
        super().__init__(next_path)
        self.next_path = next_path


async def require_member(request: Request) -> Member:
    member = await viewer(request)
    if member is None:
        raise LoginRequired(request.url.path)
    return member


def login_redirect(next_path: str) -> RedirectResponse:
    return RedirectResponse(f"/login?next={quote(next_path)}", status_code=303)


def safe_next(value: str | None) -> str:
    """Only same-site paths: never an open redirect."""
    if value and value.startswith("/") and not value.startswith(("//", "/\\")):
        return value
    return "/"


async def form(request: Request) -> FormData:
    """The posted form, once its CSRF token checks out."""
    data = await request.form(max_files=0, max_fields=MAX_FORM_FIELDS)
    token = data.get(CSRF_FIELD)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not isinstance(token, str) or not request.app.state.signer.csrf_ok(cookie, token):
        raise CsrfFailed()
    return data


def field(data: FormData, name: str) -> str:
    value = data.get(name)
    return value if isinstance(value, str) else ""


async def render(
    request: Request, template: str, context: dict[str, Any] | None = None,
    status_code: int = 200,
) -> Response:
    csrf_cookie = request.cookies.get(CSRF_COOKIE)
    fresh_cookie = None
    if not csrf_cookie:
        csrf_cookie = fresh_cookie = new_csrf_cookie()
    settings = request.app.state.settings
    member = await viewer(request)
    page = {
        "request": request,
        "community": settings.community,
        "viewer": member,
        "csrf_token": request.app.state.signer.csrf_token(csrf_cookie),
        **(context or {}),
    }
    response: Response = request.app.state.templates.TemplateResponse(
        request, template, page, status_code=status_code
    )
    if fresh_cookie:
        response.set_cookie(
            CSRF_COOKIE, fresh_cookie, httponly=True, samesite="lax",
            secure=settings.secure_cookies, path="/",
        )
    if member is not None or fresh_cookie:
        response.headers["cache-control"] = "no-store"
    return response


def set_session_cookie(request: Request, response: Response, token: str) -> None:
    settings = request.app.state.settings
    response.set_cookie(
        SESSION_COOKIE, request.app.state.signer.sign("session", token),
        max_age=int(sessions.SESSION_LIFETIME.total_seconds()),
        httponly=True, samesite="lax", secure=settings.secure_cookies, path="/",
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE, httponly=True, samesite="lax",
        secure=request.app.state.settings.secure_cookies, path="/",
    )


_AP_TYPES = ("application/activity+json", "application/ld+json")


def accepts_activity_json(request: Request) -> bool:
    """True when the client prefers ActivityStreams JSON to an HTML page."""
    best_ap, best_html = 0.0, 0.0
    for part in request.headers.get("accept", "").split(","):
        media, _, params = part.strip().partition(";")
        media = media.strip().lower()
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        if media in _AP_TYPES:
            best_ap = max(best_ap, q)
        elif media in ("text/html", "application/xhtml+xml"):
            best_html = max(best_html, q)
    return best_ap > 0 and best_ap >= best_html
