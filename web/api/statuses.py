"""Statuses (docs.joinmastodon.org/methods/statuses): write, read, edit and
delete posts, their thread, history and source. Writing goes through the same
services as the web pages (web.posting): the post and the activities it
causes commit together, and visibility is the posts store's rule."""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import accounts, filters, idempotency, media, posts, threads
from recovery import polls as recovery_polls
from recovery.models import Member, Post, Visibility
from recovery.poll_models import PollDraft
from recovery.scheduled_models import Planned
from web import posting
from web.api import entities, polls, scheduled_statuses
from web.api.http import (
    ApiError,
    Caller,
    Params,
    api_routes,
    authenticate,
    authenticate_member,
    json_response,
    read_params,
)
from web.api.ids import parse_status_id
from web.api.relationships import domain_errors
from web.api.status_view import render, render_one, visible
from web.http import connection, transaction
from web.social import Site

MANY_MAX = 20
_LANGUAGE = re.compile(r"^[A-Za-z]{2,3}([-_][A-Za-z0-9]{1,8}){0,3}$")
_VISIBILITIES = "public, unlisted, private, direct or local"
BLANK = "Validation failed: Text can't be blank"


@dataclass(frozen=True, slots=True)
class Draft:
    """What a client asked to post, checked."""

    text: str
    summary: str
    visibility: Visibility
    sensitive: bool
    in_reply_to_id: int | None
    language: str | None
    media_ids: tuple[int, ...] = ()
    poll: PollDraft | None = None


# -- writing ----------------------------------------------------------------------

async def create(request: Request) -> Response:
    caller, member = await authenticate_member(request, "write:statuses")
    params = await read_params(request)
    async with connection(request) as conn:
        saved = (await accounts.settings(conn, member.id)).default_privacy
    draft = _draft(params, member, entities.visibility_from_api(saved) if saved else None)
    key = _idempotency_key(request)
    when = params.get_str("scheduled_at")
    if when and draft.poll is not None:
        raise ApiError(422, "Validation failed: scheduled posts with a poll are not supported")
    if when:  # kept, and written later by web.scheduling
        return await scheduled_statuses.schedule(request, caller, member, Planned(
            draft.text, draft.summary, draft.visibility, draft.sensitive,
            draft.in_reply_to_id, draft.language, draft.media_ids), when, key)
    site = Site.of(request)
    async with connection(request) as conn:
        post = await _made_by_key(conn, caller, key)
        if post is None:
            try:
                post = await _write(conn, site, member, draft, caller, key)
            except idempotency.KeyTaken:  # a twin request won the race
                post = await _made_by_key(conn, caller, key)
                if post is None:
                    raise ApiError(409, "A request with this Idempotency-Key is under way") \
                        from None
        return json_response(await render_one(conn, post, member, site.base))


async def _write(conn: Any, site: Site, member: Member, draft: Draft, caller: Caller,
                 key: str | None) -> Post:
    async def remember(conn: Any, post: Post) -> None:
        if draft.media_ids:  # recovery.media.attach_media's contract: before the Create
            with domain_errors():
                await media.attach_media(conn, member.id, post.id, draft.media_ids)
        if draft.poll is not None:
            await recovery_polls.attach(conn, post, draft.poll)
        if key is not None:
            await idempotency.remember(conn, caller.token_id, key, post.id)

    if draft.in_reply_to_id is not None:
        _, post = await posting.reply(
            conn, site, member, draft.in_reply_to_id, draft.text, draft.summary,
            draft.visibility.value, sensitive=draft.sensitive, language=draft.language,
            on_written=remember, with_media=bool(draft.media_ids))
        return post
    return await posting.compose(conn, site, member, draft.text, draft.summary,
                                 draft.visibility.value, sensitive=draft.sensitive,
                                 language=draft.language, on_written=remember,
                                 with_media=bool(draft.media_ids))


async def _made_by_key(conn: Any, caller: Caller, key: str | None) -> Post | None:
    if key is None:
        return None
    post_id = await idempotency.made_by(conn, caller.token_id, key)
    return await posts.by_id(conn, post_id) if post_id is not None else None


def _idempotency_key(request: Request) -> str | None:
    key = request.headers.get("idempotency-key", "").strip()
    if len(key) > idempotency.KEY_MAX:
        raise ApiError(422, f"Validation failed: Idempotency-Key is longer than "
                       f"{idempotency.KEY_MAX} characters")
    return key or None


def _draft(params: Params, member: Member, default: Visibility | None = None) -> Draft:
    """A post has text, media or both (as Mastodon: ``status`` may be left
    out when ``media_ids[]`` are given)."""
    _refuse_unsupported(params, scheduling=True)
    text = params.get_str("status", "") or ""
    media_ids = _media_ids(params)
    if not text.strip() and not media_ids:
        raise ApiError(422, BLANK)
    reply_to = params.get_str("in_reply_to_id")
    reply_id = parse_status_id(reply_to) if reply_to else None
    if reply_to and reply_id is None:
        raise ApiError(404, "Record not found")
    poll = polls.draft_of(params)
    if poll is not None and media_ids:
        raise ApiError(422, "Validation failed: a post with a poll cannot have media attached")
    return Draft(
        text=text, summary=params.get_str("spoiler_text", "") or "",
        visibility=_visibility(params, member, default),
        sensitive=bool(params.get_bool("sensitive", False)), in_reply_to_id=reply_id,
        language=_language(params), media_ids=media_ids, poll=poll)


def _visibility(params: Params, member: Member, default: Visibility | None) -> Visibility:
    """The visibility asked for (``local``/``local_only`` mean community-only);
    when none is, the member's saved default (``source[privacy]``), else
    followers-only for members who approve followers, as /api/v1/preferences
    reports."""
    value = params.get_str("visibility")
    local_only = bool(params.get_bool("local_only", False))
    if not value and not local_only:
        if default is not None:
            return default
        return Visibility.FOLLOWERS if member.manually_approves_followers else Visibility.PUBLIC
    chosen = entities.visibility_from_api(value, local_only)
    if chosen is None:
        raise ApiError(422, f"Validation failed: visibility must be {_VISIBILITIES}")
    return chosen


def _refuse_unsupported(params: Params, *, scheduling: bool = False) -> None:
    """Scheduling (but where a new post is written) is refused whole, before
    anything is stored; a language must look like one, media ids like ids."""
    if params.get_str("scheduled_at") and not scheduling:
        raise ApiError(422, "Validation failed: scheduled posts are not supported here")
    _media_ids(params)
    _language(params)


def _media_ids(params: Params) -> tuple[int, ...]:
    """``media_ids[]``: uploads to attach (recovery.media.attach_media checks them)."""
    ids = [i for i in params.strs("media_ids", max_items=media.MAX_ATTACHMENTS) if i]
    if not all(i.isdigit() and len(i) <= 18 for i in ids):
        raise ApiError(422, "Validation failed: media_ids names media that do not exist")
    return tuple(int(i) for i in ids)


async def _same_media(conn: Any, post_id: int, params: Params, text: str) -> None:
    """An edit may resend the post's images as they are, but not change
    them; it may leave the text blank only when the post has images."""
    current = (await media.of_posts(conn, [post_id])).get(post_id, [])
    if "media_ids" in params and _media_ids(params) != tuple(m.id for m in current):
        raise ApiError(422, "Validation failed: changing a post's images is not supported")
    if not text.strip() and not current:
        raise ApiError(422, BLANK)


def _language(params: Params) -> str | None:
    """An ISO 639 code (``en``, ``pt-BR``), or None when none is given."""
    language = params.get_str("language", max_length=16)
    if language and not _LANGUAGE.match(language):
        raise ApiError(422, "Validation failed: language must be an ISO 639 code")
    if not language:
        return None
    primary, _, region = language.replace("_", "-").partition("-")
    return primary.lower() + (f"-{region}" if region else "")


async def edit(request: Request) -> Response:
    _, member = await authenticate_member(request, "write:statuses")
    post_id = _status_id(request)
    params = await read_params(request)
    _refuse_unsupported(params)
    text = params.get_str("status", "") or ""
    summary = params.get_str("spoiler_text", "") or ""
    sensitive = bool(params.get_bool("sensitive", False))
    site = Site.of(request)
    async with transaction(request) as conn:
        await _own(conn, site, member, post_id)
        await _same_media(conn, post_id, params, text)
        await polls.same_poll(conn, post_id, params)
        edited = await posting.edit(conn, site, member, post_id, text, summary,
                                    sensitive=sensitive)
        return json_response(await render_one(conn, edited, member, site.base))


async def delete(request: Request) -> Response:
    """Delete the member's post (or take back their boost, as Mastodon lets a
    client delete a reblog); the answer is the post with its ``text``, so a
    client can offer to write it again, with its images unless
    ``delete_media`` is true."""
    _, member = await authenticate_member(request, "write:statuses")
    post_id = _status_id(request)
    site = Site.of(request)
    keep_media = not (await read_params(request)).get_bool("delete_media", False)
    async with transaction(request) as conn:
        post = await visible(conn, site, member, post_id)
        if post.is_boost and post.author.member_id == member.id:
            assert post.reblog_of_id is not None
            payload = await render_one(conn, post, member, site.base)
            await posting.unreact(conn, site, member, post.reblog_of_id, "boost")
            return json_response({**payload, "text": ""})
        await _own(conn, site, member, post_id)
        if keep_media:
            await media.keep_for_redraft(conn, post_id)
        gone = await posting.delete(conn, site, member, post_id)
        payload = await render_one(conn, gone, member, site.base)
    payload["text"] = posting.text_of(gone)
    return json_response(payload)


async def _own(conn: Any, site: Site, member: Member, post_id: int) -> Post:
    """The member's own post (not a boost); 404 otherwise, as Mastodon answers."""
    post = await visible(conn, site, member, post_id)
    if post.author.member_id != member.id or post.is_boost:
        raise ApiError(404, "Record not found")
    return post


# -- reading ----------------------------------------------------------------------

async def show(request: Request) -> Response:
    viewer = await _viewer(request)
    post_id = _status_id(request)
    site = Site.of(request)
    async with connection(request) as conn:
        post = await visible(conn, site, viewer, post_id)
        return json_response(await render_one(conn, post, viewer, site.base))


async def show_many(request: Request) -> Response:
    """``GET /api/v1/statuses?id[]=``: those the caller may see, in the order asked."""
    viewer = await _viewer(request)
    params = await read_params(request)
    ids = [parse_status_id(v) for v in params.strs("id", max_items=MANY_MAX)]
    site = Site.of(request)
    async with connection(request) as conn:
        shown = []
        for post_id in dict.fromkeys(i for i in ids if i is not None):
            try:
                shown.append(await visible(conn, site, viewer, post_id))
            except ApiError:
                continue
        return json_response(await render(conn, shown, viewer, site.base))


async def context(request: Request) -> Response:
    """The post's ancestors and descendants, but those the viewer's ``hide``
    filters for the ``thread`` context catch (the post asked for stays)."""
    viewer = await _viewer(request)
    post_id = _status_id(request)
    site = Site.of(request)
    async with connection(request) as conn:
        post = await visible(conn, site, viewer, post_id)
        thread = await threads.context(conn, post, viewer, site.actor(viewer))
        hidden = await filters.hidden_ids(
            conn, viewer, [*thread.ancestors, *thread.descendants], "thread")
        return json_response({
            "ancestors": await render(
                conn, [p for p in thread.ancestors if p.id not in hidden], viewer, site.base),
            "descendants": await render(
                conn, [p for p in thread.descendants if p.id not in hidden], viewer,
                site.base),
        })


async def history(request: Request) -> Response:
    viewer = await _viewer(request)
    post_id = _status_id(request)
    site = Site.of(request)
    async with connection(request) as conn:
        post = await visible(conn, site, viewer, post_id)
        shown = await render_one(conn, post, viewer, site.base)
        versions = await threads.versions(conn, post.reblog or post)
    original = shown["reblog"] or shown
    # An edit cannot change a post's images (_same_media), so every version
    # has the images the post has now.
    return json_response([{
        "content": v.content_html, "spoiler_text": v.summary,
        "sensitive": v.sensitive or bool(v.summary), "created_at": entities.iso(v.created_at),
        "account": original["account"], "poll": None,
        "media_attachments": original["media_attachments"], "emojis": [],
    } for v in versions])


async def source(request: Request) -> Response:
    _, member = await authenticate_member(request, ("read:statuses", "write:statuses"))
    post_id = _status_id(request)
    async with connection(request) as conn:
        post = await _own(conn, Site.of(request), member, post_id)
    return json_response({"id": str(post.id), "text": posting.text_of(post),
                          "spoiler_text": post.summary})


# -- helpers ----------------------------------------------------------------------

async def _viewer(request: Request) -> Member | None:
    """The member calling, when a token is given (read:statuses); public
    posts are readable without one."""
    found = await authenticate(request, "read:statuses", required=False, user=False)
    return found.member if found else None


def _status_id(request: Request) -> int:
    post_id = parse_status_id(request.path_params["id"])
    if post_id is None:
        raise ApiError(404, "Record not found")
    return post_id


routes = [
    *api_routes("/api/v1/statuses", create, ["POST"]),
    *api_routes("/api/v1/statuses", show_many, ["GET"]),
    *api_routes("/api/v1/statuses/{id}", show, ["GET"]),
    *api_routes("/api/v1/statuses/{id}", edit, ["PUT"]),
    *api_routes("/api/v1/statuses/{id}", delete, ["DELETE"]),
    *api_routes("/api/v1/statuses/{id}/context", context, ["GET"]),
    *api_routes("/api/v1/statuses/{id}/history", history, ["GET"]),
    *api_routes("/api/v1/statuses/{id}/source", source, ["GET"]),
]
