"""CORS for the client API, so browser apps (Elk, Phanpy) on other origins can
call it: any origin, no cookies (the API takes bearer tokens, never the
session cookie), preflight OPTIONS answered here.

Static files and uploaded media get the same answer: web apps load avatars
and headers with ``crossorigin="anonymous"`` (Phanpy reads their colours
from a canvas), which the browser refuses without the header. They are
public files, read without cookies, so ``*`` opens nothing."""

from __future__ import annotations

from starlette.types import ASGIApp, Message, Receive, Scope, Send

_PREFIXES = ("/api/", "/oauth/token", "/oauth/revoke", "/.well-known/", "/nodeinfo/",
             "/static/", "/media/")
_METHODS = b"GET, HEAD, POST, PUT, PATCH, DELETE, OPTIONS"
_HEADERS = b"Authorization, Content-Type, Idempotency-Key, Accept"
_EXPOSE = (b"Link, X-RateLimit-Reset, X-RateLimit-Limit, X-RateLimit-Remaining, "
           b"X-Request-Id, Idempotency-Key")


def _applies(path: str) -> bool:
    return path.startswith(_PREFIXES) or path in ("/oauth/token/", "/oauth/revoke/")


def error_headers(path: str) -> dict[str, str]:
    """The headers for a response sent from outside this middleware.
    Starlette answers an unhandled error (the 500) from its outermost layer,
    past ``Cors``; without the header a browser app (Elk) reports a CORS
    failure instead of the server's error."""
    if not _applies(path):
        return {}
    return {"access-control-allow-origin": "*",
            "access-control-expose-headers": _EXPOSE.decode()}


class Cors:
    """Pure ASGI; leaves every other path alone."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not _applies(scope["path"]):
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers", []))
        if scope["method"] == "OPTIONS" and b"access-control-request-method" in headers:
            await _preflight(send, headers.get(b"access-control-request-headers"))
            return

        async def send_with_cors(message: Message) -> None:
            if message["type"] == "http.response.start":
                out = list(message.get("headers", []))
                present = {k.lower() for k, _ in out}
                if b"access-control-allow-origin" not in present:
                    out.append((b"access-control-allow-origin", b"*"))
                if b"access-control-expose-headers" not in present:
                    out.append((b"access-control-expose-headers", _EXPOSE))
                message["headers"] = out
            await send(message)

        await self.app(scope, receive, send_with_cors)


async def _preflight(send: Send, requested: bytes | None) -> None:
    allow = requested if requested and len(requested) < 500 else _HEADERS
    await send({
        "type": "http.response.start", "status": 204,
        "headers": [
            (b"access-control-allow-origin", b"*"),
            (b"access-control-allow-methods", _METHODS),
            (b"access-control-allow-headers", allow),
            (b"access-control-max-age", b"86400"),
            (b"vary", b"Origin, Access-Control-Request-Method, Access-Control-Request-Headers"),
        ],
    })
    await send({"type": "http.response.body", "body": b""})
