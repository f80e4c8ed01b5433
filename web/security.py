"""Signed cookies, CSRF tokens and the response headers every page carries.

The session cookie holds a random token plus an HMAC of it under the
instance's signing key (shared by every process through the database); the
sessions table holds only the token's hash. CSRF uses a signed double submit:
a random ``hearth_csrf`` cookie, and in each form an HMAC of it.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets

from starlette.types import ASGIApp, Message, Receive, Scope, Send

SESSION_COOKIE = "hearth_session"
CSRF_COOKIE = "hearth_csrf"
CSRF_FIELD = "csrf_token"

_CSP = (
    "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; frame-ancestors 'none'; base-uri 'none'; object-src 'none'"
)


class Signer:
    def __init__(self, key: bytes) -> None:
        self._key = key

    def _mac(self, purpose: str, value: str) -> str:
        digest = hmac.new(self._key, f"{purpose}:{value}".encode(), hashlib.sha256).digest()
        return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()

    def sign(self, purpose: str, value: str) -> str:
        return f"{value}.{self._mac(purpose, value)}"

    def unsign(self, purpose: str, signed: str | None) -> str | None:
        """The value, when the signature is right; otherwise None."""
        if not signed or "." not in signed:
            return None
        value, mac = signed.rsplit(".", 1)
        if not hmac.compare_digest(mac, self._mac(purpose, value)):
            return None
        return value

    def csrf_token(self, csrf_cookie: str) -> str:
        return self._mac("csrf", csrf_cookie)

    def csrf_ok(self, csrf_cookie: str | None, token: str | None) -> bool:
        if not csrf_cookie or not token:
            return False
        return hmac.compare_digest(self.csrf_token(csrf_cookie), token)


def new_csrf_cookie() -> str:
    return secrets.token_urlsafe(24)


class SecurityHeaders:
    """Adds safe defaults to every HTTP response (pure ASGI, streams untouched)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = list(message.get("headers", []))
                present = {k.lower() for k, _ in headers}
                for name, value in (
                    (b"x-content-type-options", b"nosniff"),
                    (b"referrer-policy", b"same-origin"),
                    (b"x-frame-options", b"DENY"),
                    (b"content-security-policy", _CSP.encode()),
                ):
                    if name not in present:
                        headers.append((name, value))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, send_with_headers)


class BodyLimit:
    """Refuses request bodies over ``limit`` bytes with 413, reading no further;
    paths in ``larger`` (uploads) have their own limit."""

    def __init__(self, app: ASGIApp, limit: int,
                 larger: dict[str, int] | None = None) -> None:
        self.app = app
        self.limit = limit
        self.larger = larger or {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.larger.get(scope.get("path", "").rstrip("/"), self.limit)
        for name, value in scope.get("headers", []):
            if name == b"content-length" and value.isdigit() and int(value) > limit:
                await _too_large(send)
                return
        received = 0
        response_started = False

        async def limited_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise _BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except _BodyTooLarge:
            if not response_started:
                await _too_large(send)


class _BodyTooLarge(Exception):
    pass


async def _too_large(send: Send) -> None:
    body = b"Request body too large.\n"
    await send({
        "type": "http.response.start", "status": 413,
        "headers": [(b"content-type", b"text/plain; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"connection", b"close")],
    })
    await send({"type": "http.response.body", "body": body})
