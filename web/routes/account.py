"""A member's own settings: profile, password, recovery codes, deletion."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery import members, oauth, sessions
from recovery.errors import InvalidInput, NotFound
from web import leaving, profile_updates
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
        async with transaction(request) as conn, profile_updates.announced(
                conn, request.app.state.settings, member):
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


async def apps_page(request: Request) -> Response:
    member = await require_member(request)
    async with connection(request) as conn:
        apps = await oauth.authorised_apps(conn, member.id)
    response = await render(request, "settings_apps.html", {
        "apps": apps, "revoked": request.query_params.get("done") == "revoked",
    })
    response.headers["cache-control"] = "no-store"
    return response


async def revoke_app(request: Request) -> Response:
    """Every token of the member's for one app ends, and its open streams."""
    member = await require_member(request)
    await form(request)
    app_id = request.path_params["app_id"]
    if app_id > _BIGINT_MAX:
        raise NotFound("That app has no access to your account.")
    async with transaction(request) as conn:
        await oauth.revoke_app(conn, member.id, app_id)
    return RedirectResponse("/settings/apps?done=revoked", status_code=303)


_BIGINT_MAX = 2**63 - 1

routes = [
    Route("/settings", settings_page, methods=["GET"]),
    Route("/settings/profile", update_profile, methods=["POST"]),
    Route("/settings/password", change_password, methods=["POST"]),
    Route("/settings/recovery-codes", new_recovery_codes, methods=["POST"]),
    Route("/settings/delete", delete_account, methods=["POST"]),
    Route("/settings/apps", apps_page, methods=["GET"]),
    Route("/settings/apps/{app_id:int}/revoke", revoke_app, methods=["POST"]),
]
