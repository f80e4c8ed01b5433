"""Moderators' pages: sign-ups waiting for approval, invites, roles."""

from __future__ import annotations

from typing import Any

from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery import invites, members, reports
from recovery.errors import InvalidInput
from recovery.models import Member, Role, Status
from web.http import connection, field, form, render, require_member, transaction


async def _moderator(request: Request) -> Member:
    member = await require_member(request)
    if not member.is_moderator:
        raise HTTPException(403, "This page is for the community's moderators.")
    return member


async def _page(request: Request, status_code: int = 200, **context: Any) -> Response:
    await _moderator(request)
    async with connection(request) as conn:
        pending = await members.list_members(conn, Status.PENDING)
        usable = await invites.list_usable(conn)
        everyone = await members.list_members(conn)
        open_reports = await reports.open_reports(conn)
    return await render(request, "moderation.html", {
        "pending": pending, "invites": usable, "members": everyone, "reports": open_reports,
        "roles": [r.value for r in Role], "errors": {}, **context,
    }, status_code=status_code)


async def moderation_page(request: Request) -> Response:
    return await _page(request, done=request.query_params.get("done"))


async def approve(request: Request) -> Response:
    actor = await _moderator(request)
    data = await form(request)
    async with transaction(request) as conn:
        if field(data, "decision") == "reject":
            await members.reject(conn, actor, field(data, "username"))
            done = "rejected"
        else:
            await members.approve(conn, actor, field(data, "username"))
            done = "approved"
    return RedirectResponse(f"/moderation?done={done}", status_code=303)


async def create_invite(request: Request) -> Response:
    actor = await _moderator(request)
    data = await form(request)
    try:
        max_uses = _number(field(data, "max_uses") or "1", "max_uses")
        days = field(data, "expires_in_days")
        expires = None if days == "never" else _number(days or "7", "expires_in_days")
        async with transaction(request) as conn:
            invite = await invites.create(conn, actor, max_uses, expires)
    except InvalidInput as exc:
        return await _page(request, 422, errors={exc.field: exc.message})
    link = f"{request.app.state.settings.url}/signup?invite={invite.code}"
    return await _page(request, new_invite=link)


async def revoke_invite(request: Request) -> Response:
    actor = await _moderator(request)
    data = await form(request)
    async with transaction(request) as conn:
        await invites.revoke(conn, actor, field(data, "code"))
    return RedirectResponse("/moderation?done=revoked", status_code=303)


async def set_role(request: Request) -> Response:
    actor = await _moderator(request)
    data = await form(request)
    try:
        role = Role(field(data, "role"))
    except ValueError:
        return await _page(request, 422, errors={"role": "Choose member, moderator or admin."})
    async with transaction(request) as conn:
        await members.set_role_by(conn, actor, field(data, "username"), role)
    return RedirectResponse("/moderation?done=role", status_code=303)


def _number(raw: str, name: str) -> int:
    try:
        return int(raw)
    except ValueError:
        raise InvalidInput(name, "Enter a whole number.") from None


routes = [
    Route("/moderation", moderation_page, methods=["GET"]),
    Route("/moderation/signups", approve, methods=["POST"]),
    Route("/moderation/invites", create_invite, methods=["POST"]),
    Route("/moderation/invites/revoke", revoke_invite, methods=["POST"]),
    Route("/moderation/roles", set_role, methods=["POST"]),
]
