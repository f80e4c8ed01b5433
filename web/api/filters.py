"""Filters (docs.joinmastodon.org/methods/filters): /api/v2/filters with
keywords and posts, ``warn`` and ``hide``, contexts and ``expires_in``; and
/api/v1/filters, the older shape (one keyword each) over the same rows."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from recovery import filters
from recovery.filter_models import FilterChange, KeywordChange
from recovery.models import Member
from web.api.entities import filter_entity, filter_keyword_entity, filter_status_entity, v1_filter
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate_member,
    json_response,
    read_params,
)
from web.api.ids import parse_status_id
from web.api.relationships import domain_errors
from web.http import connection, transaction
from web.social import Site

READ, WRITE = "read:filters", "write:filters"
KEYWORD_FIELDS = ("id", "keyword", "whole_word", "_destroy")


def _path_id(request: Request, name: str = "id") -> int:
    value = parse_status_id(request.path_params[name])  # the same digits rule
    if value is None:
        raise ApiError(404, "Record not found")
    return value


def _now() -> datetime:
    return datetime.now(UTC)


def _change(params: Params) -> FilterChange:
    """title, context[], filter_action (v1: irreversible), expires_in (empty:
    never), keywords_attributes[]."""
    expires_raw = params.raw("expires_in")
    action = params.get_str("filter_action")
    if action is None and "irreversible" in params:
        action = filters.action_of(params.get_bool("irreversible"))
    return FilterChange(
        title=params.get_str("title"),
        context=tuple(params.strs("context", max_items=10)) if "context" in params else None,
        action=action,
        expires_in=params.get_int("expires_in") if expires_raw not in (None, "") else None,
        clear_expiry="expires_in" in params and expires_raw in (None, ""),
        keywords=tuple(_keyword_change(Params(item))
                       for item in _grouped(params.get_list("keywords_attributes"))))


def _grouped(items: list[Any]) -> list[dict[str, Any]]:
    """``keywords_attributes[][keyword]=a&keywords_attributes[][whole_word]=1``
    arrives as one object per field: a new keyword starts where a field
    repeats (as Rails reads such forms)."""
    groups: list[dict[str, Any]] = []
    for item in items[:filters.KEYWORDS_MAX + 1]:
        if not isinstance(item, dict):
            raise ApiError(422, "Validation failed: keywords_attributes must be objects")
        if not groups or set(item) & set(groups[-1]) or len(item) > 1:
            groups.append(dict(item))
        else:
            groups[-1].update(item)
    return groups


def _keyword_change(item: Params) -> KeywordChange:
    raw_id = item.get_str("id")
    keyword_id = parse_status_id(raw_id) if raw_id else None
    if raw_id and keyword_id is None:
        raise ApiError(422, "Validation failed: keywords_attributes id must be an id")
    return KeywordChange(keyword_id, item.get_str("keyword"), item.get_bool("whole_word"),
                         bool(item.get_bool("_destroy", False)))


def _read(handler: Callable[[Any, Request, Member], Awaitable[Any]], scope: str,
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


# -- v2 ---------------------------------------------------------------------------

async def _index(conn: Any, request: Request, member: Member) -> Any:
    return [filter_entity(f) for f in await filters.of_member(conn, member)]


async def _show(conn: Any, request: Request, member: Member) -> Any:
    return filter_entity(await filters.get(conn, member, _path_id(request)))


async def _create(conn: Any, request: Request, member: Member) -> Any:
    change = _change(await read_params(request))
    return filter_entity(await filters.create(conn, member, change, _now()))


async def _update(conn: Any, request: Request, member: Member) -> Any:
    change = _change(await read_params(request))
    return filter_entity(await filters.update(conn, member, _path_id(request), change, _now()))


async def _delete(conn: Any, request: Request, member: Member) -> Any:
    await filters.delete(conn, member, _path_id(request))
    return {}


async def _keywords(conn: Any, request: Request, member: Member) -> Any:
    found = await filters.get(conn, member, _path_id(request))
    return [filter_keyword_entity(k) for k in found.keywords]


async def _add_keyword(conn: Any, request: Request, member: Member) -> Any:
    params = await read_params(request)
    return filter_keyword_entity(await filters.add_keyword(
        conn, member, _path_id(request), params.get_str("keyword"),
        params.get_bool("whole_word")))


async def _keyword(conn: Any, request: Request, member: Member) -> Any:
    return filter_keyword_entity(await filters.keyword(conn, member, _path_id(request)))


async def _change_keyword(conn: Any, request: Request, member: Member) -> Any:
    params = await read_params(request)
    return filter_keyword_entity(await filters.change_keyword(
        conn, member, _path_id(request), params.get_str("keyword"),
        params.get_bool("whole_word")))


async def _remove_keyword(conn: Any, request: Request, member: Member) -> Any:
    await filters.remove_keyword(conn, member, _path_id(request))
    return {}


async def _statuses(conn: Any, request: Request, member: Member) -> Any:
    found = await filters.get(conn, member, _path_id(request))
    return [filter_status_entity(s) for s in found.statuses]


async def _add_status(conn: Any, request: Request, member: Member) -> Any:
    params = await read_params(request)
    post_id = parse_status_id(params.get_str("status_id", required=True) or "")
    if post_id is None:
        raise ApiError(404, "Record not found")
    return filter_status_entity(await filters.add_status(
        conn, member, Site.of(request).actor(member), _path_id(request), post_id))


async def _status(conn: Any, request: Request, member: Member) -> Any:
    return filter_status_entity(await filters.status(conn, member, _path_id(request)))


async def _remove_status(conn: Any, request: Request, member: Member) -> Any:
    await filters.remove_status(conn, member, _path_id(request))
    return {}


# -- v1 ---------------------------------------------------------------------------

async def _v1_index(conn: Any, request: Request, member: Member) -> Any:
    return [v1_filter(f, k) for f, k in filters.v1_pairs(await filters.of_member(conn, member))]


async def _v1_entity(conn: Any, member: Member, keyword_id: int) -> Any:
    keyword = await filters.keyword(conn, member, keyword_id)
    return v1_filter(await filters.get(conn, member, keyword.filter_id), keyword)


async def _v1_show(conn: Any, request: Request, member: Member) -> Any:
    return await _v1_entity(conn, member, _path_id(request))


async def _v1_create(conn: Any, request: Request, member: Member) -> Any:
    params = await read_params(request)
    keyword = await filters.create_v1(conn, member, params.get_str("phrase"), _change(params),
                                      params.get_bool("whole_word"), _now())
    return await _v1_entity(conn, member, keyword.id)


async def _v1_update(conn: Any, request: Request, member: Member) -> Any:
    params = await read_params(request)
    keyword = await filters.update_v1(conn, member, _path_id(request), params.get_str("phrase"),
                                      _change(params), params.get_bool("whole_word"), _now())
    return await _v1_entity(conn, member, keyword.id)


async def _v1_delete(conn: Any, request: Request, member: Member) -> Any:
    await filters.delete_v1(conn, member, _path_id(request))
    return {}


_V2 = "/api/v2/filters"
routes = [
    *api_routes(_V2, _read(_index, READ), ["GET"]),
    *api_routes(_V2, _read(_create, WRITE), ["POST"]),
    *api_routes(_V2 + "/keywords/{id}", _read(_keyword, READ), ["GET"]),
    *api_routes(_V2 + "/keywords/{id}", _read(_change_keyword, WRITE), ["PUT"]),
    *api_routes(_V2 + "/keywords/{id}", _read(_remove_keyword, WRITE), ["DELETE"]),
    *api_routes(_V2 + "/statuses/{id}", _read(_status, READ), ["GET"]),
    *api_routes(_V2 + "/statuses/{id}", _read(_remove_status, WRITE), ["DELETE"]),
    *api_routes(_V2 + "/{id}", _read(_show, READ), ["GET"]),
    *api_routes(_V2 + "/{id}", _read(_update, WRITE), ["PUT"]),
    *api_routes(_V2 + "/{id}", _read(_delete, WRITE), ["DELETE"]),
    *api_routes(_V2 + "/{id}/keywords", _read(_keywords, READ), ["GET"]),
    *api_routes(_V2 + "/{id}/keywords", _read(_add_keyword, WRITE), ["POST"]),
    *api_routes(_V2 + "/{id}/statuses", _read(_statuses, READ), ["GET"]),
    *api_routes(_V2 + "/{id}/statuses", _read(_add_status, WRITE), ["POST"]),
    *api_routes("/api/v1/filters", _read(_v1_index, READ), ["GET"]),
    *api_routes("/api/v1/filters", _read(_v1_create, WRITE), ["POST"]),
    *api_routes("/api/v1/filters/{id}", _read(_v1_show, READ), ["GET"]),
    *api_routes("/api/v1/filters/{id}", _read(_v1_update, WRITE), ["PUT"]),
    *api_routes("/api/v1/filters/{id}", _read(_v1_delete, WRITE), ["DELETE"]),
]
