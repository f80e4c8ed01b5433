"""Finding people, following and unfollowing them, and answering follow requests."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from recovery.errors import InvalidInput
from web import following, social
from web.http import connection, field, form, render, require_member, safe_next, transaction


async def search(request: Request) -> Response:
    member = await require_member(request)
    query = request.query_params.get("q", "")
    account, message, status = None, None, 200
    async with connection(request) as conn:
        if query.strip():
            try:
                account = await following.find_account(conn, social.Site.of(request), member, query)
            except InvalidInput as exc:
                message, status = exc.message, 422
            except following.LookupFailed as exc:
                message = str(exc)
        page = await social.nav(conn, member)
    return await render(request, "search.html", {
        **page, "q": query, "account": account, "message": message,
    }, status_code=status)


async def follow(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    async with transaction(request) as conn:
        await following.follow(conn, social.Site.of(request), member, field(data, "target"))
    return RedirectResponse(safe_next(field(data, "next") or "/home"), status_code=303)


async def unfollow(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    async with transaction(request) as conn:
        await following.unfollow(conn, social.Site.of(request), member, field(data, "target"))
    return RedirectResponse(safe_next(field(data, "next") or "/home"), status_code=303)


async def follow_requests(request: Request) -> Response:
    member = await require_member(request)
    async with connection(request) as conn:
        waiting = await following.follow_requests(conn, social.Site.of(request), member)
        page = await social.nav(conn, member)
    return await render(request, "follow_requests.html", {
        **page, "waiting": waiting, "done": request.query_params.get("done"),
    })


async def accept(request: Request) -> Response:
    return await _answer(request, accept=True)


async def reject(request: Request) -> Response:
    return await _answer(request, accept=False)


async def _answer(request: Request, *, accept: bool) -> Response:
    member = await require_member(request)
    await form(request)
    async with transaction(request) as conn:
        await following.answer(conn, social.Site.of(request), member,
                            request.path_params["follow_id"], accept)
    done = "accepted" if accept else "rejected"
    return RedirectResponse(f"/follow-requests?done={done}", status_code=303)


routes = [
    Route("/search", search, methods=["GET"]),
    Route("/follow", follow, methods=["POST"]),
    Route("/unfollow", unfollow, methods=["POST"]),
    Route("/follow-requests", follow_requests, methods=["GET"]),
    Route("/follow-requests/{follow_id:int}/accept", accept, methods=["POST"]),
    Route("/follow-requests/{follow_id:int}/reject", reject, methods=["POST"]),
]
