"""Notifications (docs.joinmastodon.org/methods/notifications): the list
with types[], exclude_types[], account_id and paging, one by id, clear,
dismiss, the unread count; and the Notification entity, which streaming
(web/streams.py) sends too. What each kind means, and why a milestone shows
as a ``status`` only once shared: recovery/notices.py."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from outbox import uris
from recovery import filters, notices
from recovery.errors import NotFound
from recovery.models import Member, Party
from recovery.notice_models import Listed, NoticeQuery
from recovery.progress_models import Notification
from web.api import entities, status_view
from web.api.http import (
    Params,
    api_routes,
    authenticate_member,
    json_response,
    paged_response,
    read_params,
)
from web.api.ids import parse_account_id
from web.api.relationships import domain_errors
from web.api.timelines import list_page
from web.http import connection, transaction
from web.social import Site

READ, WRITE = "read:notifications", "write:notifications"
# Hearth's kinds as Mastodon's notification types (the rest are the same).
_TYPE_OF = {"milestone": "status"}
_KINDS_OF = {"status": ("milestone", "status")}
_HAS_STATUS = {"mention", "favourite", "reblog", "update", "status", "poll"}
_NOTHING = NoticeQuery(kinds=())


def _kinds(types: list[str]) -> tuple[str, ...]:
    return tuple(k for t in types for k in _KINDS_OF.get(t, (t,)))


def query_of(params: Params) -> NoticeQuery:
    """The types[], exclude_types[] and account_id a client asked for (an
    account id that names nobody finds nothing)."""
    types = params.strs("types", max_items=40)
    exclude = params.strs("exclude_types", max_items=40)
    sender = None
    raw_account = params.get_str("account_id")
    if raw_account:
        sender = parse_account_id(raw_account)
        if sender is None:
            return _NOTHING
    return NoticeQuery(kinds=_kinds(types) if types else None, exclude=_kinds(exclude),
                       sender=sender)


async def entities_of(conn: Any, listed: list[Listed], member: Member,
                      base_url: str) -> list[dict[str, Any]]:
    """Notification entities in order; one whose account or post cannot be
    shown any more, or whose post the member's ``hide`` filters for
    notifications catch, is left out."""
    posts = await notices.posts_of(conn, listed)
    hidden = await filters.hidden_ids(conn, member, posts, "notifications")
    posts = [p for p in posts if p.id not in hidden]
    shown = {int(s["id"]): s for s in await status_view.render(conn, posts, member, base_url)}
    parties = [item.sender or Party(member_id=member.id) for item in listed]
    accounts = await entities.accounts_context(conn, parties)
    result = []
    for item, party in zip(listed, parties, strict=True):
        account = entities.account_of(party, accounts, base_url)
        status = shown.get(item.post_id) if item.post_id is not None else None
        kind = _TYPE_OF.get(item.notification.kind, item.notification.kind)
        if account is None or (kind in _HAS_STATUS and status is None):
            continue
        entity = {"id": str(item.notification.id), "type": kind,
                  "created_at": entities.iso(item.notification.created_at),
                  "group_key": f"ungrouped-{item.notification.id}", "account": account}
        if status is not None:
            entity["status"] = status
        result.append(entity)
    return result


async def streamed(conn: Any, notification: Notification, base_url: str) -> dict[str, Any] | None:
    """The entity a stream sends for a new notification, checked as the list
    checks it; None when the member's list would not show it."""
    found = await entities.accounts_context(conn, [Party(member_id=notification.member_id)])
    member = found.members.get(notification.member_id)
    if member is None:
        return None
    member_uri = uris.actor_uri(base_url, member.username)
    try:
        listed = await notices.one(conn, member, member_uri, notification.id)
    except NotFound:
        return None
    shown = await entities_of(conn, [listed], member, base_url)
    return shown[0] if shown else None


async def index(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    params = await read_params(request)
    query, page = query_of(params), list_page(params)
    site = Site.of(request)
    async with connection(request) as conn:
        listed = await notices.page(conn, member, site.actor(member), query, page)
        shown = await entities_of(conn, listed, member, site.base)
    return paged_response(request, shown, [item.notification.id for item in listed])


def _notification_id(request: Request) -> int:
    raw = request.path_params["id"]
    if not raw.isdigit() or len(raw) > 18:
        raise NotFound(notices.NOT_FOUND)
    return int(raw)


async def show(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    site = Site.of(request)
    with domain_errors():
        async with connection(request) as conn:
            listed = await notices.one(conn, member, site.actor(member),
                                       _notification_id(request))
            shown = await entities_of(conn, [listed], member, site.base)
        if not shown:
            raise NotFound(notices.NOT_FOUND)
    return json_response(shown[0])


async def clear(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    async with transaction(request) as conn:
        await notices.clear(conn, member)
    return json_response({})


async def dismiss(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE)
    with domain_errors():
        notification_id = _notification_id(request)
        async with transaction(request) as conn:
            await notices.dismiss(conn, member, notification_id)
    return json_response({})


async def unread_count(request: Request) -> Response:
    _, member = await authenticate_member(request, READ)
    params = await read_params(request)
    query = query_of(params)
    limit = params.get_int("limit", 100, minimum=1, maximum=notices.UNREAD_MAX, clamp=True)
    site = Site.of(request)
    async with connection(request) as conn:
        count = await notices.unread_count(conn, member, site.actor(member), query,
                                           limit or 100)
    return json_response({"count": count})


routes = [
    *api_routes("/api/v1/notifications", index, ["GET"]),
    *api_routes("/api/v1/notifications/clear", clear, ["POST"]),
    *api_routes("/api/v1/notifications/unread_count", unread_count, ["GET"]),
    *api_routes("/api/v1/notifications/{id}", show, ["GET"]),
    *api_routes("/api/v1/notifications/{id}/dismiss", dismiss, ["POST"]),
]
