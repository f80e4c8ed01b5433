"""Polls (docs.joinmastodon.org/methods/polls): read one, vote on one; and
the ``poll[...]`` parameters of a new status. A poll's id is its post's id,
and the caller must be able to see the post (404 as for a post that does not
exist otherwise)."""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import polls
from recovery.errors import InvalidInput, NotFound
from recovery.poll_models import PollDraft
from web import polls as voting
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate,
    authenticate_member,
    json_response,
    read_params,
)
from web.api.ids import parse_status_id
from web.api.poll_entities import poll_entity
from web.api.relationships import domain_errors
from web.api.status_view import NOT_FOUND, visible
from web.http import connection, transaction
from web.social import Site

DEFAULT_EXPIRES_IN = 86400


def draft_of(params: Params) -> PollDraft | None:
    """The ``poll[options][]``, ``poll[expires_in]``, ``poll[multiple]``,
    ``poll[hide_totals]`` of a new status (form or JSON), checked with the
    instance's limits before anything is stored; None when none is asked."""
    raw = params.raw("poll")
    if raw in (None, "", {}):
        return None
    poll = params.sub("poll")
    options = poll.strs("options", max_items=polls.MAX_OPTIONS * 4)
    expires_in = poll.get_int("expires_in", DEFAULT_EXPIRES_IN)
    assert expires_in is not None
    draft = PollDraft(tuple(options), expires_in, bool(poll.get_bool("multiple", False)),
                      bool(poll.get_bool("hide_totals", False)))
    try:
        return polls.check(draft)
    except InvalidInput as exc:
        raise ApiError(422, f"Validation failed: {exc.message}") from exc


async def same_poll(conn: Any, post_id: int, params: Params) -> None:
    """An edit keeps the post's poll as it is (votes and all). Clients resend
    it with the edit, which is fine; a poll added, or options or ``multiple``
    changed, is refused (Mastodon would reset the votes)."""
    if params.raw("poll") in (None, "", {}):
        return
    current = (await polls.of_posts(conn, [post_id], None)).get(post_id)
    sent = params.sub("poll")
    options = tuple(o.strip() for o in sent.strs("options", max_items=polls.MAX_OPTIONS * 4))
    if (current is None or options != current.options
            or bool(sent.get_bool("multiple", current.multiple)) != current.multiple):
        raise ApiError(422, "Validation failed: changing a post's poll is not supported")


def _poll_id(request: Request) -> int:
    post_id = parse_status_id(request.path_params["id"])
    if post_id is None:
        raise ApiError(404, NOT_FOUND)
    return post_id


def _choices(params: Params) -> list[int]:
    raw = params.strs("choices", max_items=polls.REMOTE_MAX_OPTIONS)
    if not raw:
        raise ApiError(422, "Validation failed: choices[] must name at least one option")
    if not all(c.strip().isdigit() and len(c.strip()) <= 4 for c in raw):
        raise ApiError(422, f"Validation failed: {polls.NO_SUCH_OPTION}")
    return [int(c) for c in raw]


async def show(request: Request) -> Response:
    found = await authenticate(request, "read:statuses", required=False, user=False)
    viewer = found.member if found else None
    post_id = _poll_id(request)
    site = Site.of(request)
    async with connection(request) as conn:
        post = await visible(conn, site, viewer, post_id)
        try:
            poll = await polls.of_post(conn, post.id, viewer)
        except NotFound:
            raise ApiError(404, NOT_FOUND) from None
    return json_response(poll_entity(poll, post, viewer))


async def vote(request: Request) -> Response:
    _, member = await authenticate_member(request, "write:statuses")
    post_id = _poll_id(request)
    choices = _choices(await read_params(request))
    site = Site.of(request)
    async with transaction(request) as conn:
        with domain_errors():
            post, poll = await voting.vote(conn, site, member, post_id, choices)
    return json_response(poll_entity(poll, post, member))


routes = [
    *api_routes("/api/v1/polls/{id}", show, ["GET"]),
    *api_routes("/api/v1/polls/{id}/votes", vote, ["POST"]),
]
