"""What a member does to another account from a client: follow, unfollow,
remove from followers, block, unblock, mute, unmute, a private note; the lists of blocks, mutes and
follow requests, and answers to those requests. Each action answers with
the Relationship after it (docs.joinmastodon.org/methods/accounts)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import accounts, blocks, follows, mutes
from recovery.models import Member, Party, RemoteActor
from web.api import relationships as actions
from web.api.accounts import bounds, listed_response
from web.api.http import api_routes, authenticate_member, json_response, read_params
from web.api.relationships import domain_errors, party_of, relationship_json
from web.http import connection, transaction
from web.social import Site

Account = Member | RemoteActor
Action = Callable[[Any, Request, Member, Party, Account], Awaitable[None]]


def _action(scope: str | tuple[str, ...], act: Action) -> Callable[[Request], Awaitable[Response]]:
    """A POST /api/v1/accounts/:id/<action> route: the change, then the
    Relationship, in one transaction."""
    async def endpoint(request: Request) -> Response:
        _, member = await authenticate_member(request, scope)
        await read_params(request)  # read (and check) the body before the transaction
        async with transaction(request) as conn:
            party, account = await party_of(conn, request.path_params["id"])
            await act(conn, request, member, party, account)
            return json_response(await relationship_json(conn, member, party))
    endpoint.__name__ = getattr(act, "__name__", "action").lstrip("_")
    return endpoint


async def _follow(conn: Any, request: Request, member: Member, party: Party,
                  account: Account) -> None:
    params = await read_params(request)
    languages = (follows.checked_languages(params.strs("languages", max_items=100))
                 if "languages" in params else None)
    await actions.follow(conn, Site.of(request), member, party, account,
                         reblogs=params.get_bool("reblogs"), notify=params.get_bool("notify"),
                         languages=languages)


async def _unfollow(conn: Any, request: Request, member: Member, party: Party,
                    account: Account) -> None:
    await actions.unfollow(conn, Site.of(request), member, account)


async def _remove_from_followers(conn: Any, request: Request, member: Member, party: Party,
                                 account: Account) -> None:
    await actions.remove_follower(conn, Site.of(request), member, account)


async def _block(conn: Any, request: Request, member: Member, party: Party,
                 account: Account) -> None:
    await actions.block(conn, Site.of(request), member, party, account)


async def _unblock(conn: Any, request: Request, member: Member, party: Party,
                   account: Account) -> None:
    await actions.unblock(conn, Site.of(request), member, party, account)


async def _mute(conn: Any, request: Request, member: Member, party: Party,
                account: Account) -> None:
    params = await read_params(request)
    notifications = params.get_bool("notifications", True)
    duration = params.get_int("duration", 0, minimum=0, maximum=mutes.DURATION_MAX) or 0
    with domain_errors():
        await mutes.mute(conn, member, party, notifications=bool(notifications),
                         duration=duration)


async def _unmute(conn: Any, request: Request, member: Member, party: Party,
                  account: Account) -> None:
    await mutes.unmute(conn, member, party)


async def _note(conn: Any, request: Request, member: Member, party: Party,
                account: Account) -> None:
    comment = (await read_params(request)).get_str("comment", "",
                                                   max_length=blocks.NOTE_MAX) or ""
    with domain_errors():
        await blocks.set_note(conn, member, party, comment)


def _answer(accept: bool) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        _, member = await authenticate_member(request, "write:follows")
        async with transaction(request) as conn:
            party, account = await party_of(conn, request.path_params["id"])
            await actions.answer_request(conn, Site.of(request), member, account, accept)
            return json_response(await relationship_json(conn, member, party))
    endpoint.__name__ = "authorize" if accept else "reject"
    return endpoint


async def list_blocks(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:blocks")
    page = bounds(await read_params(request))
    async with connection(request) as conn:
        listed = await blocks.listed(conn, member, page.limit, page.max_id, page.since_id,
                                     page.min_id)
        return await listed_response(request, conn, listed)


async def list_mutes(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:mutes")
    page = bounds(await read_params(request))
    async with connection(request) as conn:
        listed = await mutes.listed(conn, member, page.limit, page.max_id, page.since_id,
                                    page.min_id)
        return await listed_response(request, conn, listed, extra=True)


async def follow_requests(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:follows")
    page = bounds(await read_params(request))
    async with connection(request) as conn:
        listed = await accounts.follow_requests(conn, member, page)
        return await listed_response(request, conn, listed)


_ACCOUNT = "/api/v1/accounts/{id}"
routes = [
    *api_routes(f"{_ACCOUNT}/follow", _action("write:follows", _follow), ["POST"]),
    *api_routes(f"{_ACCOUNT}/unfollow", _action("write:follows", _unfollow), ["POST"]),
    *api_routes(f"{_ACCOUNT}/remove_from_followers",
                _action("write:follows", _remove_from_followers), ["POST"]),
    *api_routes(f"{_ACCOUNT}/block", _action("write:blocks", _block), ["POST"]),
    *api_routes(f"{_ACCOUNT}/unblock", _action("write:blocks", _unblock), ["POST"]),
    *api_routes(f"{_ACCOUNT}/mute", _action("write:mutes", _mute), ["POST"]),
    *api_routes(f"{_ACCOUNT}/unmute", _action("write:mutes", _unmute), ["POST"]),
    *api_routes(f"{_ACCOUNT}/note", _action("write:accounts", _note), ["POST"]),
    *api_routes("/api/v1/blocks", list_blocks, ["GET"]),
    *api_routes("/api/v1/mutes", list_mutes, ["GET"]),
    *api_routes("/api/v1/follow_requests", follow_requests, ["GET"]),
    *api_routes("/api/v1/follow_requests/{id}/authorize", _answer(True), ["POST"]),
    *api_routes("/api/v1/follow_requests/{id}/reject", _answer(False), ["POST"]),
]
