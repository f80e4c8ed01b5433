"""Sign up, log in, log out, and reset a password with a recovery code."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery import invites, members, sessions
from recovery.errors import InvalidInput, LoginRefused, RateLimited
from recovery.models import Registration, Status
from web.http import (
    clear_session_cookie,
    connection,
    field,
    form,
    render,
    safe_next,
    session_token,
    set_session_cookie,
    transaction,
    viewer,
)


async def signup_page(request: Request) -> Response:
    if await viewer(request) is not None:
        return RedirectResponse("/", status_code=303)
    invite = request.query_params.get("invite", "")
    return await _signup_form(request, invite, {}, {})


async def _signup_form(
    request: Request, invite: str, values: dict[str, str], errors: dict[str, str],
    status_code: int = 200,
) -> Response:
    registration = request.app.state.settings.registration
    invite_ok = True
    if registration is Registration.INVITE:
        async with connection(request) as conn:
            invite_ok = await invites.is_usable(conn, invite)
        if not invite_ok and status_code == 200:
            status_code = 403
    return await render(request, "signup.html", {
        "invite": invite, "invite_ok": invite_ok, "values": values, "errors": errors,
    }, status_code=status_code)


async def signup(request: Request) -> Response:
    data = await form(request)
    username, invite = field(data, "username"), field(data, "invite")
    settings = request.app.state.settings
    try:
        if field(data, "password") != field(data, "password_confirm"):
            raise InvalidInput("password_confirm", "The two passwords are not the same.")
        async with transaction(request) as conn:
            registered = await members.register(
                conn, username, field(data, "password"),
                accepted_guidelines=field(data, "accept") == "yes",
                registration=settings.registration, invite_code=invite,
            )
            token = None
            if registered.member.status is Status.ACTIVE:
                token = await sessions.start(conn, registered.member.id)
    except InvalidInput as exc:
        return await _signup_form(
            request, invite, {"username": username}, {exc.field: exc.message}, 422
        )
    request.state.viewer = registered.member if token else None
    response = await render(request, "welcome.html", {
        "member": registered.member, "codes": registered.recovery_codes,
    }, status_code=201)
    response.headers["cache-control"] = "no-store"  # the recovery codes are on it
    if token:
        set_session_cookie(request, response, token)
    return response


async def login_page(request: Request) -> Response:
    return await render(request, "login.html", {
        "next": safe_next(request.query_params.get("next")), "values": {}, "error": None,
    })


async def login(request: Request) -> Response:
    data = await form(request)
    username, next_path = field(data, "username"), safe_next(field(data, "next"))
    try:
        async with connection(request) as conn:
            member = await members.authenticate(conn, username, field(data, "password"))
            old = session_token(request)
            if old:
                await sessions.end(conn, old)
            token = await sessions.start(conn, member.id)
    except (LoginRefused, RateLimited) as exc:
        status = 429 if isinstance(exc, RateLimited) else 401
        response = await render(request, "login.html", {
            "next": next_path, "values": {"username": username}, "error": str(exc),
        }, status_code=status)
        if isinstance(exc, RateLimited):
            response.headers["retry-after"] = str(exc.retry_after)
        return response
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(request, response, token)
    return response


async def logout(request: Request) -> Response:
    await form(request)
    token = session_token(request)
    if token:
        async with connection(request) as conn:
            await sessions.end(conn, token)
    response = RedirectResponse("/", status_code=303)
    clear_session_cookie(request, response)
    return response


async def reset_page(request: Request) -> Response:
    return await render(request, "reset.html", {"values": {}, "errors": {}})


async def reset(request: Request) -> Response:
    data = await form(request)
    username = field(data, "username")
    try:
        if field(data, "password") != field(data, "password_confirm"):
            raise InvalidInput("password_confirm", "The two passwords are not the same.")
        async with connection(request) as conn:
            await members.reset_password(
                conn, username, field(data, "code"), field(data, "password")
            )
    except (InvalidInput, LoginRefused, RateLimited) as exc:
        name = exc.field if isinstance(exc, InvalidInput) else "code"
        status = 429 if isinstance(exc, RateLimited) else 422
        return await render(request, "reset.html", {
            "values": {"username": username}, "errors": {name: str(exc)},
        }, status_code=status)
    return await render(request, "login.html", {
        "next": "/", "values": {"username": username}, "error": None,
        "notice": "Your password has been changed and every session ended. "
                  "Log in with your new password.",
    })


routes = [
    Route("/signup", signup_page, methods=["GET"]),
    Route("/signup", signup, methods=["POST"]),
    Route("/login", login_page, methods=["GET"]),
    Route("/login", login, methods=["POST"]),
    Route("/logout", logout, methods=["POST"]),
    Route("/reset-password", reset_page, methods=["GET"]),
    Route("/reset-password", reset, methods=["POST"]),
]
