"""Mastodon's streaming API (docs.joinmastodon.org/methods/streaming):
server-sent events at /api/v1/streaming/<stream>, a multiplexed WebSocket
at /api/v1/streaming, and /api/v1/streaming/health. What each stream shows
is decided by the hub (web/streams.py); this module authenticates, parses
the stream asked for, and writes events in each transport's shape."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response, StreamingResponse
from starlette.routing import BaseRoute, WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect

# A module import: web.streams imports web.api (entities), which imports this.
import web.streams as streams
from recovery import lists, oauth
from recovery.errors import NotFound
from recovery.models import Member
from web.api.http import INVALID_TOKEN, OUTSIDE_SCOPES, ApiError, api_routes, authenticate
from web.api.http import bearer_token as _bearer_token
from web.api.ids import parse_status_id

HEARTBEAT = 15.0  # seconds between SSE heartbeat comments
WS_IDLE = 30.0
TAG_MAX = 100
TOO_MANY = "Too many streams open at once; close some first"
NOT_YOUR_LIST = "Not authorized to stream this list"
_CLOSE_CODES = {"the server is stopping": 1012}


class StreamError(Exception):
    """A stream that cannot be opened: ``status`` and what the client is told."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def scope_of(name: str) -> str:
    return "read:notifications" if name == "user:notification" else "read:statuses"


def channel_of(name: str, tag: str | None, list_id: str | None) -> streams.Channel:
    """The channel a client asked for, checked (Mastodon's messages)."""
    if name not in streams.STREAMS:
        raise StreamError(400, "Unknown stream type")
    if name.startswith("hashtag"):
        tag = (tag or "").strip().lstrip("#")
        if not tag:
            raise StreamError(400, "Missing tag name parameter")
        if len(tag) > TAG_MAX:
            raise StreamError(400, f"Tag names are at most {TAG_MAX} characters")
        return streams.Channel(name, tag.casefold())
    if name == "list":
        if not list_id:
            raise StreamError(400, "Missing list name parameter")
        number = parse_status_id(list_id)  # the same digits rule
        if number is None:
            raise StreamError(404, NOT_YOUR_LIST)
        return streams.Channel(name, str(number))
    return streams.Channel(name)


async def check_owner(app: Any, member: Member, channel: streams.Channel) -> None:
    """A ``list`` channel must name one of the member's lists (Mastodon's
    answer for another's: 404, as for one that does not exist)."""
    if channel.name != "list" or channel.param is None:
        return
    try:
        async with app.state.pool.acquire() as conn:
            await lists.get(conn, member, int(channel.param))
    except NotFound:
        raise StreamError(404, NOT_YOUR_LIST) from None
    except streams.DB_ERRORS:
        raise StreamError(503, "The database is not answering; try again in a minute") from None


def _hub(app: Any) -> streams.Hub:
    hub: streams.Hub = app.state.hub
    return hub


def _open(hub: streams.Hub, token_id: int, member: Member,
          scopes: tuple[str, ...]) -> streams.Stream:
    stream = hub.open(token_id, member)
    stream.notifications = oauth.allows(scopes, "read:notifications")
    return stream


# -- server-sent events -------------------------------------------------------------

async def health(request: Request) -> Response:
    return PlainTextResponse("OK", headers={"cache-control": "no-store"})


def _sse_endpoint(name: str) -> Any:
    async def endpoint(request: Request) -> Response:
        return await _sse(request, name)
    endpoint.__name__ = f"stream_{name.replace(':', '_')}"
    return endpoint


async def _sse(request: Request, name: str) -> Response:
    caller = await authenticate(request, scope_of(name))
    assert caller is not None and caller.member is not None
    query = request.query_params
    if name.startswith("public") and query.get("only_media", "").lower() in ("1", "true"):
        name += ":media"
    try:
        channel = channel_of(name, query.get("tag"), query.get("list"))
        await check_owner(request.app, caller.member, channel)
    except StreamError as exc:
        raise ApiError(exc.status, exc.message) from None
    hub = _hub(request.app)
    try:
        stream = _open(hub, caller.token_id, caller.member, caller.scopes)
    except streams.TooManyStreams:
        raise ApiError(429, TOO_MANY) from None
    stream.channels.add(channel)
    return StreamingResponse(
        _events(hub, stream), media_type="text/event-stream",
        headers={"cache-control": "no-store", "x-accel-buffering": "no"},
        background=BackgroundTask(hub.close, stream))


async def _events(hub: streams.Hub, stream: streams.Stream) -> AsyncIterator[str]:
    try:
        yield ":)\n\n"
        while True:
            try:
                message = await stream.next(HEARTBEAT)
            except streams.StreamClosed:
                return
            if message is None:
                yield ":thump\n\n"
            else:
                data = message.payload if message.payload is not None else "undefined"
                yield f"event: {message.event}\ndata: {data}\n\n"
    finally:
        hub.close(stream)


async def unknown_channel(request: Request) -> Response:
    return JSONResponse({"error": "Unknown channel requested"}, status_code=400)


async def same_host(request: Request) -> Response:
    """Plain HTTP to the WebSocket's address: "Not Found when the same host
    should be used" (the docs' streaming host discovery)."""
    return JSONResponse({"error": "Streaming is served on this host"}, status_code=404)


# -- WebSocket ----------------------------------------------------------------------

async def websocket(ws: WebSocket) -> None:
    token, from_protocol = _ws_token(ws)
    found = await _ws_caller(ws, token)
    if found is None:
        return
    token_id, member, scopes = found
    hub = _hub(ws.app)
    try:
        stream = _open(hub, token_id, member, scopes)
    except streams.TooManyStreams:
        await _deny(ws, 429, TOO_MANY)
        return
    try:
        await ws.accept(subprotocol=token if from_protocol else None)
        session = _Session(ws, stream, scopes)
        first = ws.query_params.get("stream")
        if first:
            await session.subscribe(first, ws.query_params.get("tag"),
                                    ws.query_params.get("list"))
        await session.run()
    finally:
        hub.close(stream)


def _ws_token(ws: WebSocket) -> tuple[str | None, bool]:
    """The token from the Authorization header or ``access_token``, else the
    Sec-WebSocket-Protocol header (as browsers send it); and whether it came
    from that header (the server then names it as the chosen protocol)."""
    token = _bearer_token(ws)  # type: ignore[arg-type]  # reads headers and query only
    if token:
        return token, False
    protocol = ws.headers.get("sec-websocket-protocol", "").split(",")[0].strip()
    return (protocol or None), bool(protocol)


async def _ws_caller(ws: WebSocket, token: str | None,
                     ) -> tuple[int, Member, tuple[str, ...]] | None:
    """The token's id, member and scopes; None once the handshake was refused."""
    if not token:
        await _deny(ws, 401, INVALID_TOKEN)
        return None
    try:
        async with ws.app.state.pool.acquire() as conn:
            row = await oauth.token_for(conn, token)
    except streams.DB_ERRORS:
        await _deny(ws, 503, "The database is not answering; try again in a minute")
        return None
    if row is None or row.member is None:
        await _deny(ws, 401, INVALID_TOKEN)
        return None
    if not any(oauth.allows(row.scopes, s) for s in ("read:statuses", "read:notifications")):
        await _deny(ws, 403, OUTSIDE_SCOPES)
        return None
    return row.id, row.member, row.scopes


async def _deny(ws: WebSocket, status: int, message: str) -> None:
    if "websocket.http.response" in ws.scope.get("extensions", {}):
        await ws.send_denial_response(JSONResponse({"error": message}, status_code=status))
    else:
        await ws.close(code=1008, reason=message)


class _Session:
    """One WebSocket: client messages (subscribe, unsubscribe) read beside
    the events written; sends never overlap."""

    def __init__(self, ws: WebSocket, stream: streams.Stream, scopes: tuple[str, ...]) -> None:
        self.ws = ws
        self.stream = stream
        self.scopes = scopes
        self._sending = asyncio.Lock()

    async def run(self) -> None:
        reader = asyncio.create_task(self._read())
        try:
            await self._write(reader)
        finally:
            reader.cancel()
            with contextlib.suppress(asyncio.CancelledError, WebSocketDisconnect):
                await reader

    async def _write(self, reader: asyncio.Task[None]) -> None:
        while not reader.done():
            try:
                message = await self.stream.next(WS_IDLE)
            except streams.StreamClosed as closed:
                with contextlib.suppress(*_GONE):
                    await self.ws.close(code=_CLOSE_CODES.get(str(closed), 1008),
                                        reason=str(closed)[:120])
                return
            if message is not None and not await self._send(_ws_event(message)):
                return

    async def _read(self) -> None:
        with contextlib.suppress(*_GONE, KeyError):  # KeyError: a binary frame
            async for text in self.ws.iter_text():
                await self._handle(text)
        self.stream.close("closed by the client")

    async def _handle(self, text: str) -> None:
        try:
            data = json.loads(text)
            if not isinstance(data, dict):
                raise ValueError
        except (ValueError, RecursionError):
            await self._error(400, "Could not parse the message as JSON")
            return
        kind, name = data.get("type"), data.get("stream")
        if kind not in ("subscribe", "unsubscribe") or not isinstance(name, str):
            await self._error(400, "Unknown message type or missing stream")
            return
        tag, list_id = _text(data.get("tag")), _text(data.get("list"))
        if kind == "subscribe":
            await self.subscribe(name, tag, list_id)
        else:
            with contextlib.suppress(StreamError):
                self.stream.channels.discard(channel_of(name, tag, list_id))

    async def subscribe(self, name: str, tag: str | None, list_id: str | None) -> None:
        if not oauth.allows(self.scopes, scope_of(name)):
            await self._error(401, "Access token does not have the required scopes")
            return
        try:
            channel = channel_of(name, tag, list_id)
            await check_owner(self.ws.app, self.stream.member, channel)
            self.stream.channels.add(channel)
        except StreamError as exc:
            await self._error(exc.status, exc.message)

    async def _error(self, status: int, message: str) -> None:
        await self._send(json.dumps({"error": message, "status": status}))

    async def _send(self, text: str) -> bool:
        async with self._sending:
            try:
                await self.ws.send_text(text)
            except _GONE:
                self.stream.close("the client went away")
                return False
        return True


_GONE = (WebSocketDisconnect, RuntimeError, OSError)


def _text(value: Any) -> str | None:
    return value if isinstance(value, str) else str(value) if isinstance(value, int) else None


def _ws_event(message: streams.Message) -> str:
    data: dict[str, Any] = {"stream": message.stream, "event": message.event}
    if message.payload is not None:
        data["payload"] = message.payload
    return json.dumps(data)


_SSE_PATHS = {
    "user": "/user", "user:notification": "/user/notification",
    "public": "/public", "public:local": "/public/local", "public:remote": "/public/remote",
    "hashtag": "/hashtag", "hashtag:local": "/hashtag/local", "list": "/list",
    "direct": "/direct",
}


def _routes() -> list[BaseRoute]:
    base = "/api/v1/streaming"
    found: list[BaseRoute] = [*api_routes(base + "/health", health, ["GET", "HEAD"])]
    for name, path in _SSE_PATHS.items():
        found += api_routes(base + path, _sse_endpoint(name), ["GET"])
    found += [WebSocketRoute(base, websocket), WebSocketRoute(base + "/", websocket)]
    found += api_routes(base, same_host, ["GET"])
    found += api_routes(base + "/{rest:path}", unknown_channel, ["GET"])
    return found


routes = _routes()
