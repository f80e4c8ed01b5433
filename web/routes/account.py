"""A member's own settings: profile, password, recovery codes, deletion."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery import members, sessions
from recovery.errors import InvalidInput
from web import leaving
from web.http import (
    clear_session_cookie,
    connection,
    field,
    form,
    render,
    require_member,
    session_token,
    transaction,
)
from web.social import Site


async def _settings_page(
    request: Request, status_code: int = 200, **context: Any
) -> Response:
    member = await require_member(request)
    async with connection(request) as conn:
        codes_left = await members.unused_recovery_codes(conn, member.id)
    context.setdefault("errors", {})
    return await render(request, "settings.html", {
        "codes_left": codes_left, **context,
    }, status_code=status_code)


async def settings_page(request: Request) -> Response:
    return await _settings_page(request, saved=request.query_params.get("saved"))


async def update_profile(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    try:
        async with transaction(request) as conn:
            await members.update_profile(
                conn, member.id, field(data, "display_name"), field(data, "bio"),
                manually_approves_followers=field(data, "approve_followers") == "yes",
                discoverable=field(data, "discoverable") == "yes",
            )
    except InvalidInput as exc:
        return await _settings_page(request, 422, errors={exc.field: exc.message})
    return RedirectResponse("/settings?saved=profile", status_code=303)


async def change_password(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    token = session_token(request)
    try:
        if field(data, "password") != field(data, "password_confirm"):
            raise InvalidInput("password_confirm", "The two new passwords are not the same.")
        async with transaction(request) as conn:
            await members.change_password(
                conn, member.id, field(data, "current_password"), field(data, "password"),
                keep_session=sessions.token_hash(token) if token else None,
            )
    except InvalidInput as exc:
        return await _settings_page(request, 422, errors={exc.field: exc.message})
    return RedirectResponse("/settings?saved=password", status_code=303)


async def new_recovery_codes(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    try:
        async with transaction(request) as conn:
            codes = await members.regenerate_recovery_codes(
                conn, member.id, field(data, "codes_password")
            )
    except InvalidInput as exc:
        return await _settings_page(request, 422, errors={"codes_password": exc.message})
    return await _settings_page(request, new_codes=codes)


async def delete_account(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    try:
        async with transaction(request) as conn:
            await leaving.delete_account(
                conn, Site.of(request), member.id, field(data, "delete_password"),
                field(data, "confirm"),
            )
    except InvalidInput as exc:
        name = "delete_password" if exc.field == "current_password" else exc.field
        return await _settings_page(request, 422, errors={name: exc.message})
    request.state.viewer = None
    response = await render(request, "deleted.html")
    clear_session_cookie(request, response)
    return response


routes = [
    Route("/settings", settings_page, methods=["GET"]),
    Route("/settings/profile", update_profile, methods=["POST"]),
    Route("/settings/password", change_password, methods=["POST"]),
    Route("/settings/recovery-codes", new_recovery_codes, methods=["POST"]),
    Route("/settings/delete", delete_account, methods=["POST"]),
]
