"""One post's page, replying to it, editing, liking, boosting and deleting it."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Route

from outbox import uris
from recovery.errors import InvalidInput
from recovery.models import Member
from web import polls, posting, social
from web.http import (
    accepts_activity_json,
    connection,
    field,
    form,
    render,
    require_member,
    safe_next,
    transaction,
    viewer,
)


async def post_page(request: Request) -> Response:
    name, post_id = request.path_params["username"], request.path_params["post_id"]
    if "@" not in name and accepts_activity_json(request):  # a server asking for the Note
        base = request.app.state.settings.url
        return RedirectResponse(uris.post_uri(base, name, post_id), status_code=303,
                                headers={"vary": "Accept"})
    return await _page(request, await viewer(request), name, post_id)


async def _page(
    request: Request, member: Member | None, name: str | None, post_id: int,
    status_code: int = 200, errors: dict[str, str] | None = None,
    values: dict[str, str] | None = None,
) -> Response:
    async with connection(request) as conn:
        page = await social.post_page(conn, social.Site.of(request), member, name, post_id)
    response = await render(request, "post.html", {
        **page, "errors": errors or {}, "values": values or {},
    }, status_code=status_code)
    response.headers["vary"] = "Accept"
    return response


async def reply(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    post_id = request.path_params["post_id"]
    values = {name: field(data, name) for name in ("text", "summary", "visibility")}
    try:
        async with connection(request) as conn:
            parent, written = await posting.reply(
                conn, social.Site.of(request), member, post_id, values["text"],
                values["summary"], values["visibility"])
    except InvalidInput as exc:
        return await _page(request, member, None, post_id, 422, {exc.field: exc.message}, values)
    return RedirectResponse(f"/@{social.path_name(parent)}/{parent.id}#post-{written.id}",
                            status_code=303)


async def edit_page(request: Request) -> Response:
    member = await require_member(request)
    return await _edit_page(request, member, request.path_params["post_id"])


async def _edit_page(
    request: Request, member: Member, post_id: int, status_code: int = 200,
    errors: dict[str, str] | None = None, values: dict[str, str] | None = None,
) -> Response:
    async with connection(request) as conn:
        post = await posting.editable(conn, social.Site.of(request), member, post_id)
        page = await social.nav(conn, member)
    shown = values or {"text": posting.text_of(post), "summary": post.summary}
    return await render(request, "edit.html", {
        **page, "post": post, "post_page": f"/@{social.path_name(post)}/{post.id}",
        "errors": errors or {}, "values": shown,
    }, status_code=status_code)


async def edit(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    post_id = request.path_params["post_id"]
    values = {name: field(data, name) for name in ("text", "summary")}
    try:
        async with transaction(request) as conn:
            edited = await posting.edit(conn, social.Site.of(request), member, post_id,
                                        values["text"], values["summary"])
    except InvalidInput as exc:
        return await _edit_page(request, member, post_id, 422, {exc.field: exc.message},
                                values)
    return RedirectResponse(f"/@{social.path_name(edited)}/{edited.id}#post-{edited.id}",
                            status_code=303)


Action = Callable[[Any, social.Site, Member, int], Awaitable[Any]]


def _action(act: Action) -> Callable[[Request], Awaitable[Response]]:
    """A button on a post: check the form, act in one transaction, go back."""

    async def endpoint(request: Request) -> Response:
        member = await require_member(request)
        data = await form(request)
        async with transaction(request) as conn:
            await act(conn, social.Site.of(request), member, request.path_params["post_id"])
        return RedirectResponse(safe_next(field(data, "next") or "/home"), status_code=303)

    return endpoint


async def _like(conn: Any, site: social.Site, member: Member, post_id: int) -> Any:
    return await posting.react(conn, site, member, post_id, "like")


async def _unlike(conn: Any, site: social.Site, member: Member, post_id: int) -> Any:
    return await posting.unreact(conn, site, member, post_id, "like")


async def _boost(conn: Any, site: social.Site, member: Member, post_id: int) -> Any:
    return await posting.react(conn, site, member, post_id, "boost")


async def _unboost(conn: Any, site: social.Site, member: Member, post_id: int) -> Any:
    return await posting.unreact(conn, site, member, post_id, "boost")


async def vote(request: Request) -> Response:
    """Vote in a post's poll from its card; a refused vote shows the post's
    page with the reason."""
    member = await require_member(request)
    data = await form(request)
    post_id = request.path_params["post_id"]
    raw = [c for c in data.getlist("choice") if isinstance(c, str)]
    try:
        if not raw:
            raise InvalidInput("poll", "Choose an option first.")
        choices = [int(c) if c.isdigit() and len(c) < 4 else -1 for c in raw]
        async with transaction(request) as conn:
            await polls.vote(conn, social.Site.of(request), member, post_id, choices)
    except InvalidInput as exc:
        return await _page(request, member, None, post_id, 422, {"poll": exc.message},
                           {"poll": str(post_id)})
    return RedirectResponse(safe_next(field(data, "next") or "/home"), status_code=303)


async def delete(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    async with transaction(request) as conn:
        gone = await posting.delete(conn, social.Site.of(request), member,
                                   request.path_params["post_id"])
    back = safe_next(field(data, "next") or "/home")
    if back.partition("#")[0] == f"/@{social.path_name(gone)}/{gone.id}":
        back = "/home?deleted=1"  # its own page went with it
    return RedirectResponse(back, status_code=303)


routes = [
    Route("/@{username}/{post_id:int}", post_page, methods=["GET"]),
    Route("/posts/{post_id:int}/reply", reply, methods=["POST"]),
    Route("/posts/{post_id:int}/edit", edit_page, methods=["GET"]),
    Route("/posts/{post_id:int}/edit", edit, methods=["POST"]),
    Route("/posts/{post_id:int}/like", _action(_like), methods=["POST"]),
    Route("/posts/{post_id:int}/unlike", _action(_unlike), methods=["POST"]),
    Route("/posts/{post_id:int}/boost", _action(_boost), methods=["POST"]),
    Route("/posts/{post_id:int}/unboost", _action(_unboost), methods=["POST"]),
    Route("/posts/{post_id:int}/delete", delete, methods=["POST"]),
    Route("/posts/{post_id:int}/vote", vote, methods=["POST"]),
]
