"""Lists (docs.joinmastodon.org/methods/lists): a member's lists, the
accounts in each (only accounts they follow), and the lists that hold an
account. The list timeline is in web/api/timelines.py, the ``list`` stream
in web/api/streaming.py. Another member's list answers 404, as one that
does not exist."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import lists
from recovery.list_models import ListChange, MemberList
from recovery.models import Member, Party, Status
from web.api import entities
from web.api.accounts import bounds, listed_response
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate_member,
    json_response,
    read_params,
)
from web.api.ids import parse_account_id, parse_status_id
from web.api.relationships import NOT_FOUND, domain_errors, party_of
from web.http import connection, transaction

READ, WRITE = "read:lists", "write:lists"


def list_entity(found: MemberList) -> dict[str, Any]:
    return {"id": str(found.id), "title": found.title,
            "replies_policy": found.replies_policy, "exclusive": found.exclusive}


def path_list_id(request: Request, name: str = "id") -> int:
    value = parse_status_id(request.path_params[name])  # the same digits rule
    if value is None:
        raise ApiError(404, NOT_FOUND)
    return value


def _change(params: Params) -> ListChange:
    return ListChange(title=params.get_str("title"),
                      replies_policy=params.get_str("replies_policy"),
                      exclusive=params.get_bool("exclusive"))


async def _accounts_named(conn: Any, params: Params) -> list[Party]:
    """``account_ids[]``: each an account known here, else 404 (as Mastodon)."""
    raw = params.strs("account_ids", max_items=lists.ACCOUNTS_PER_CALL)
    parties = [parse_account_id(r) for r in raw]
    found = await entities.accounts_context(conn, [p for p in parties if p is not None])
    for party in parties:
        member = found.members.get(party.member_id or 0) if party else None
        remote = found.remotes.get(party.remote_id or 0) if party else None
        if not ((member is not None and member.status is Status.ACTIVE)
                or (remote is not None and not remote.actor.gone)):
            raise ApiError(404, NOT_FOUND)
    return [p for p in parties if p is not None]


def _call(handler: Callable[[Any, Request, Member], Awaitable[Any]], scope: str,
          ) -> Callable[[Request], Awaitable[Response]]:
    """A route: the member, the body read, one call in a transaction (for a
    write) or on a connection, the domain's errors as 404/422."""
    async def endpoint(request: Request) -> Response:
        _, member = await authenticate_member(request, scope)
        await read_params(request)
        with domain_errors():
            if scope == WRITE:
                async with transaction(request) as conn:
                    return json_response(await handler(conn, request, member))
            async with connection(request) as conn:
                return json_response(await handler(conn, request, member))
    endpoint.__name__ = handler.__name__.lstrip("_")
    return endpoint


async def _index(conn: Any, request: Request, member: Member) -> Any:
    return [list_entity(found) for found in await lists.of_member(conn, member)]


async def _show(conn: Any, request: Request, member: Member) -> Any:
    return list_entity(await lists.get(conn, member, path_list_id(request)))


async def _create(conn: Any, request: Request, member: Member) -> Any:
    change = _change(await read_params(request))
    return list_entity(await lists.create(conn, member, change))


async def _update(conn: Any, request: Request, member: Member) -> Any:
    change = _change(await read_params(request))
    return list_entity(await lists.update(conn, member, path_list_id(request), change))


async def _delete(conn: Any, request: Request, member: Member) -> Any:
    await lists.delete(conn, member, path_list_id(request))
    return {}


async def _add_accounts(conn: Any, request: Request, member: Member) -> Any:
    list_id = path_list_id(request)
    await lists.get(conn, member, list_id)  # a list not theirs: 404 before the accounts
    named = await _accounts_named(conn, await read_params(request))
    await lists.add_accounts(conn, member, list_id, named)
    return {}


async def _remove_accounts(conn: Any, request: Request, member: Member) -> Any:
    list_id = path_list_id(request)
    await lists.get(conn, member, list_id)
    named = await _accounts_named(conn, await read_params(request))
    await lists.remove_accounts(conn, member, list_id, named)
    return {}


async def list_accounts(request: Request) -> Response:
    """The list's accounts, paged with Link headers (40 by default, at most
    80); ``limit=0`` gives all of them, as Mastodon."""
    _, member = await authenticate_member(request, READ)
    params = await read_params(request)
    page = bounds(params)
    everything = params.get_int("limit") == 0
    async with connection(request) as conn:
        with domain_errors():
            listed = await lists.accounts(
                conn, member, path_list_id(request), None if everything else page.limit,
                page.max_id, page.since_id, page.min_id)
        response = await listed_response(request, conn, listed)
    if everything and "link" in response.headers:
        del response.headers["link"]
    return response


async def account_lists(request: Request) -> Response:
    """The member's lists that hold the account (GET /api/v1/accounts/:id/lists)."""
    _, member = await authenticate_member(request, READ)
    async with connection(request) as conn:
        party, _ = await party_of(conn, request.path_params["id"])
        found = await lists.containing(conn, member, party)
    return json_response([list_entity(f) for f in found])


_LISTS = "/api/v1/lists"
routes = [
    *api_routes(_LISTS, _call(_index, READ), ["GET"]),
    *api_routes(_LISTS, _call(_create, WRITE), ["POST"]),
    *api_routes(_LISTS + "/{id}", _call(_show, READ), ["GET"]),
    *api_routes(_LISTS + "/{id}", _call(_update, WRITE), ["PUT"]),
    *api_routes(_LISTS + "/{id}", _call(_delete, WRITE), ["DELETE"]),
    *api_routes(_LISTS + "/{id}/accounts", list_accounts, ["GET"]),
    *api_routes(_LISTS + "/{id}/accounts", _call(_add_accounts, WRITE), ["POST"]),
    *api_routes(_LISTS + "/{id}/accounts", _call(_remove_accounts, WRITE), ["DELETE"]),
    *api_routes("/api/v1/accounts/{id}/lists", account_lists, ["GET"]),
]
