"""What every Mastodon API route needs: the caller's token and scopes, one
parameter reader for every body shape, paging with Link headers, routes that
answer with and without a trailing slash, and errors rendered as Mastodon
renders them (JSON ``{"error": ...}``)."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import orjson
from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from recovery import oauth
from recovery.models import Member, OAuthApp
from web.http import connection

INVALID_TOKEN = "The access token is invalid"  # noqa: S105 (a message, not a secret)
OUTSIDE_SCOPES = "This action is outside the authorized scopes"
USER_REQUIRED = "This method requires an authenticated user"
MAX_FIELDS = 200
MAX_FILES = 4
_UNSET = object()


class ApiError(Exception):
    """An API error: rendered as ``{"error": message}`` with ``status``."""

    def __init__(self, status: int, message: str,
                 headers: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = headers or {}


async def api_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, ApiError)
    return JSONResponse({"error": exc.message}, status_code=exc.status, headers=exc.headers)


async def oauth_error_response(request: Request, exc: Exception) -> Response:
    assert isinstance(exc, oauth.OAuthError)
    headers = {"cache-control": "no-store"}
    if exc.status == 401:
        headers["www-authenticate"] = 'Bearer error="invalid_client"'
    return JSONResponse({"error": exc.error, "error_description": exc.description},
                        status_code=exc.status, headers=headers)


EXCEPTION_HANDLERS: dict[Any, Callable[[Request, Exception], Awaitable[Response]]] = {
    ApiError: api_error_response,
    oauth.OAuthError: oauth_error_response,
}


# -- routes -----------------------------------------------------------------------

def api_routes(path: str, endpoint: Callable[..., Any], methods: Sequence[str]) -> list[Route]:
    """The route at ``path`` and at ``path/``, so neither answers with a redirect."""
    bare = path.rstrip("/")
    closing = _closing(endpoint)
    return [Route(bare, closing, methods=list(methods)),
            Route(bare + "/", closing, methods=list(methods))]


def _closing(endpoint: Callable[..., Any]) -> Callable[[Request], Awaitable[Response]]:
    """The endpoint, with any uploaded files of the request closed after it."""
    async def wrapped(request: Request) -> Response:
        try:
            response: Response = await endpoint(request)
            return response
        finally:
            await request.close()
    wrapped.__name__ = getattr(endpoint, "__name__", "endpoint")
    wrapped.__doc__ = endpoint.__doc__
    return wrapped


class ApiJSONResponse(JSONResponse):
    """JSON encoded with orjson: a page of 40 statuses took the standard
    library's encoder about a tenth of the request (bench/timeline.py)."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)


def json_response(payload: Any, status_code: int = 200,
                  headers: dict[str, str] | None = None) -> JSONResponse:
    return ApiJSONResponse(payload, status_code=status_code, headers=headers)


# -- authentication ---------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Caller:
    """Who is calling: the token's app, its member (None for an app-only
    token) and its scopes."""

    token_id: int
    app: OAuthApp
    member: Member | None
    scopes: tuple[str, ...]
    home_version: int = 0  # what the member's home timeline lists changes it

    def allows(self, scope: str) -> bool:
        return oauth.allows(self.scopes, scope)


def bearer_token(request: Request) -> str | None:
    """The token from ``Authorization: Bearer``, else the ``access_token`` query
    parameter (streaming clients use it)."""
    header = request.headers.get("authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() == "bearer" and value.strip():
        return value.strip()
    return request.query_params.get("access_token") or None


async def caller(request: Request) -> Caller | None:
    """The caller a valid token names, looked up once per request; a token that
    is given but not valid is a 401."""
    found = getattr(request.state, "api_caller", _UNSET)
    if found is _UNSET:
        token = bearer_token(request)
        found = None
        if token:
            async with connection(request) as conn:
                row = await oauth.token_for(conn, token)
            if row is None:
                raise ApiError(401, INVALID_TOKEN,
                               {"www-authenticate": 'Bearer error="invalid_token"'})
            found = Caller(row.id, row.app, row.member, row.scopes, row.home_version)
        request.state.api_caller = found
    result: Caller | None = found  # type: ignore[assignment]
    return result


async def authenticate(
    request: Request, scope: str | Sequence[str], *, required: bool = True, user: bool = True,
) -> Caller | None:
    """The caller, when its token allows ``scope`` (or any one of several).

    No token: 401 when ``required``, else None. A token without the scope: 403.
    An app-only token where ``user`` (a member) is needed: 422."""
    found = await caller(request)
    if found is None:
        if required:
            raise ApiError(401, INVALID_TOKEN)
        return None
    wanted = (scope,) if isinstance(scope, str) else tuple(scope)
    if not any(found.allows(s) for s in wanted):
        raise ApiError(403, OUTSIDE_SCOPES)
    if user and found.member is None:
        raise ApiError(422, USER_REQUIRED)
    return found


async def authenticate_member(
    request: Request, scope: str | Sequence[str],
) -> tuple[Caller, Member]:
    """For routes that need a member: the caller and its member (typed non-None)."""
    found = await authenticate(request, scope)
    assert found is not None and found.member is not None
    return found, found.member


# -- parameters -------------------------------------------------------------------

class Params:
    """Parameters from the query string and the body, with ``key[]`` arrays and
    ``key[sub]`` objects unfolded. Getters raise a 422 with the reason."""

    def __init__(self, values: dict[str, Any]) -> None:
        self._values = values

    def __contains__(self, name: str) -> bool:
        return name in self._values

    def raw(self, name: str, default: Any = None) -> Any:
        return self._values.get(name, default)

    def as_dict(self) -> dict[str, Any]:
        return dict(self._values)

    def get_str(self, name: str, default: str | None = None, *, required: bool = False,
            max_length: int | None = None) -> str | None:
        value = self._values.get(name)
        if value is None or (value == "" and not required):
            if required:
                raise ApiError(422, f"Validation failed: {name} is required")
            return default if value is None else value
        if isinstance(value, bool | int | float) and not isinstance(value, bool):
            value = str(value)
        if not isinstance(value, str):
            raise ApiError(422, f"Validation failed: {name} must be a string")
        if max_length is not None and len(value) > max_length:
            raise ApiError(422, f"Validation failed: {name} is longer than {max_length} "
                           "characters")
        return value

    def get_int(self, name: str, default: int | None = None, *, minimum: int | None = None,
            maximum: int | None = None, clamp: bool = False) -> int | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool) or not isinstance(value, int | str):
            raise ApiError(422, f"Validation failed: {name} must be a whole number")
        try:
            number = int(value)
        except ValueError:
            raise ApiError(422, f"Validation failed: {name} must be a whole number") from None
        if minimum is not None and number < minimum:
            if not clamp:
                raise ApiError(422, f"Validation failed: {name} must be at least {minimum}")
            number = minimum
        if maximum is not None and number > maximum:
            if not clamp:
                raise ApiError(422, f"Validation failed: {name} must be at most {maximum}")
            number = maximum
        return number

    def get_bool(self, name: str, default: bool | None = None) -> bool | None:
        value = self._values.get(name)
        if value is None or value == "":
            return default
        if isinstance(value, bool):
            return value
        text = str(value).strip().lower()
        if text in ("1", "true", "on", "yes"):
            return True
        if text in ("0", "false", "off", "no"):
            return False
        raise ApiError(422, f"Validation failed: {name} must be true or false")

    def get_list(self, name: str) -> list[Any]:
        """``name[]`` values (or a single ``name``) as a list."""
        value = self._values.get(name)
        if value is None:
            return []
        if isinstance(value, list):
            return value
        if isinstance(value, dict):  # name[0]=a&name[1]=b, as some clients send
            return [value[k] for k in sorted(value, key=_index_key)]
        return [value]

    def strs(self, name: str, *, max_items: int | None = None) -> list[str]:
        items = self.get_list(name)
        if not all(isinstance(i, str | int) and not isinstance(i, bool) for i in items):
            raise ApiError(422, f"Validation failed: {name} must be a list of strings")
        if max_items is not None and len(items) > max_items:
            raise ApiError(422, f"Validation failed: {name} has more than {max_items} items")
        return [str(i) for i in items]

    def sub(self, name: str) -> Params:
        """The ``name[...]`` object as Params (empty when absent)."""
        value = self._values.get(name)
        if value is None:
            return Params({})
        if not isinstance(value, dict):
            raise ApiError(422, f"Validation failed: {name} must be an object")
        return Params(value)

    def file(self, name: str) -> UploadFile | None:
        value = self._values.get(name)
        if value is None:
            return None
        if not isinstance(value, UploadFile):
            raise ApiError(422, f"Validation failed: {name} must be a file")
        return value


def _index_key(key: str) -> tuple[int, str]:
    return (int(key), "") if key.isdigit() else (1 << 30, key)


async def read_params(request: Request) -> Params:
    """Query string plus body (JSON, urlencoded or multipart); body wins."""
    cached = getattr(request.state, "api_params", None)
    if isinstance(cached, Params):
        return cached
    values: dict[str, Any] = {}
    for key, text in request.query_params.multi_items():
        _put(values, key, text)
    if request.method in ("POST", "PUT", "PATCH", "DELETE"):
        kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
        if kind == "application/json" or kind.endswith("+json"):
            _merge(values, await _json_body(request))
        elif kind in ("application/x-www-form-urlencoded", "multipart/form-data"):
            try:
                data = await request.form(max_files=MAX_FILES, max_fields=MAX_FIELDS)
            except Exception as exc:  # starlette's MultiPartException and parse errors
                raise ApiError(422, f"Could not read the form: {exc}") from exc
            for key, value in data.multi_items():
                _put(values, key, value)
    params = Params(values)
    request.state.api_params = params
    return params


async def _json_body(request: Request) -> dict[str, Any]:
    body = await request.body()
    if not body.strip():
        return {}
    try:
        data = json.loads(body)
    except (ValueError, RecursionError):
        raise ApiError(400, "The request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiError(422, "The JSON body must be an object")
    return data


def _merge(values: dict[str, Any], data: dict[str, Any]) -> None:
    for key, value in data.items():
        if isinstance(key, str) and ("[" in key):
            _put(values, key, value)
        else:
            values[key] = value


def _put(values: dict[str, Any], key: str, value: Any) -> None:
    """Store ``value`` at ``a[b][]``-style ``key`` paths."""
    name, _, rest = key.partition("[")
    path = [name] + ([p.rstrip("]") for p in rest.split("[")] if rest else [])
    if len(path) > 4 or not name:
        values[key] = value  # too deep or odd: kept as the flat name
        return
    target: Any = values
    for index, part in enumerate(path):
        last = index == len(path) - 1
        nxt = None if last else path[index + 1]
        if part == "":
            if not isinstance(target, list):
                return
            if last:
                target.append(value)
            else:
                target.append({} if nxt else [])
                target = target[-1]
            continue
        if not isinstance(target, dict):
            return
        if last:
            target[part] = value
        else:
            wanted: type = list if nxt == "" else dict
            if not isinstance(target.get(part), wanted):
                target[part] = wanted()
            target = target[part]


# -- paging -----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class Page:
    limit: int
    max_id: int | None
    since_id: int | None
    min_id: int | None


def page_of(params: Params, *, default: int = 20, maximum: int = 40) -> Page:
    """``limit`` (clamped to 1..maximum, as Mastodon does) and the id bounds."""
    return Page(
        limit=params.get_int("limit", default, minimum=1, maximum=maximum, clamp=True) or default,
        max_id=_id(params, "max_id"), since_id=_id(params, "since_id"),
        min_id=_id(params, "min_id"),
    )


def _id(params: Params, name: str) -> int | None:
    value = params.get_str(name)
    if not value:
        return None
    if not value.isdigit() or len(value) > 18:
        raise ApiError(422, f"Validation failed: {name} must be an id")
    return int(value)


def link_header(request: Request, ids: Sequence[str | int]) -> str | None:
    """Mastodon's Link header: ``next`` pages older (max_id = the last id),
    ``prev`` newer (min_id = the first id); other query parameters kept."""
    if not ids:
        return None
    kept = [(k, v) for k, v in request.query_params.multi_items()
            if k not in ("max_id", "since_id", "min_id", "access_token")]
    base = str(request.url.replace(query=""))
    next_url = f"{base}?{urlencode([*kept, ('max_id', str(ids[-1]))])}"
    prev_url = f"{base}?{urlencode([*kept, ('min_id', str(ids[0]))])}"
    return f'<{next_url}>; rel="next", <{prev_url}>; rel="prev"'


def paged_response(request: Request, payload: Sequence[Any],
                   ids: Sequence[str | int]) -> JSONResponse:
    """A JSON list with its Link header (none when the page is empty)."""
    link = link_header(request, ids)
    return ApiJSONResponse(list(payload), headers={"link": link} if link else None)
