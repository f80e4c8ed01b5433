"""Direct conversations (docs.joinmastodon.org/methods/conversations): the
member's direct posts grouped by thread, newest first, paged by each
conversation's last post; mark one read or remove it from the list. The
``direct`` stream (web/streams.py) sends the same entity as a
``conversation`` event when a conversation gets a new last post."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import timelines
from recovery.errors import NotFound
from recovery.models import Member, Post
from recovery.status_models import ListPage
from web.api import entities, status_view
from web.api.http import (
    ApiError,
    api_routes,
    authenticate_member,
    json_response,
    paged_response,
    read_params,
)
from web.api.ids import parse_status_id
from web.api.timelines import list_page
from web.http import connection
from web.social import Site

NOT_FOUND = "Record not found"
READ_SCOPE = "read:statuses"
WRITE_SCOPE = "write:conversations"


async def index(request: Request) -> Response:
    _, member = await authenticate_member(request, READ_SCOPE)
    page = list_page(await read_params(request))
    site = Site.of(request)
    async with connection(request) as conn:
        found = await timelines.conversations(conn, member, site.actor(member), page)
        payload = await _entities(conn, site.base, member, found)
    return paged_response(request, payload, [c.last_post_id for c in found])


async def read(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE_SCOPE)
    conversation_id = _conversation_id(request)
    site = Site.of(request)
    async with connection(request) as conn, conn.transaction():
        try:
            found = await timelines.read_conversation(conn, member, site.actor(member),
                                                      conversation_id)
        except NotFound:
            raise ApiError(404, NOT_FOUND) from None
        payload = await _entities(conn, site.base, member, [found])
    if not payload:
        raise ApiError(404, NOT_FOUND)
    return json_response(payload[0])


async def remove(request: Request) -> Response:
    _, member = await authenticate_member(request, WRITE_SCOPE)
    conversation_id = _conversation_id(request)
    site = Site.of(request)
    async with connection(request) as conn, conn.transaction():
        try:
            await timelines.remove_conversation(conn, member, site.actor(member),
                                                conversation_id)
        except NotFound:
            raise ApiError(404, NOT_FOUND) from None
    return json_response({})


def _conversation_id(request: Request) -> int:
    found = parse_status_id(request.path_params["conversation_id"])
    if found is None:
        raise ApiError(404, NOT_FOUND)
    return found


async def streamed(conn: Any, base_url: str, member: Member, member_uri: str,
                   post: Post) -> dict[str, Any] | None:
    """The member's conversation whose last post is ``post``, as the list
    shows it; None when there is none (an older post of a conversation, one
    they cannot see, or one removed from their list)."""
    around = ListPage(1, max_id=post.id + 1, since_id=post.id - 1)
    found = await timelines.conversations(conn, member, member_uri, around)
    shown = await _entities(conn, base_url, member, found) if found else []
    return shown[0] if shown else None


async def _entities(conn: Any, base_url: str, member: Member,
                    found: list[timelines.Conversation]) -> list[dict[str, Any]]:
    """Conversation entities: the accounts taking part (the member left out)
    and the last status, looked up in one batch for the page."""
    lasts = await timelines.last_posts(conn, found)
    by_id = {p.id: p for p in lasts}
    statuses = {int(s["id"]): s for s in
                await status_view.render(conn, lasts, member, base_url)}
    taking_part = await timelines.participants(conn, member, base_url, lasts)
    accounts = await entities.accounts_context(
        conn, [party for parties in taking_part.values() for party in parties])
    result = []
    for conversation in found:
        status = statuses.get(conversation.last_post_id)
        if status is None or conversation.last_post_id not in by_id:
            continue
        shown = [entities.account_of(p, accounts, base_url)
                 for p in taking_part[conversation.last_post_id]]
        result.append({
            "id": str(conversation.id),
            "unread": conversation.unread,
            "accounts": [a for a in shown if a is not None],
            "last_status": status,
        })
    return result


routes = [
    *api_routes("/api/v1/conversations", index, ["GET"]),
    *api_routes("/api/v1/conversations/{conversation_id}/read", read, ["POST"]),
    *api_routes("/api/v1/conversations/{conversation_id}", remove, ["DELETE"]),
]
