"""POSTs of activities to other servers' inboxes: the delivery worker's request.

Deliveries are the one request Hearth makes in bulk (one post to 10,000
followers is 10,000 signed POSTs), so they do not go through httpx2: over a
kept-alive connection an httpx2 POST costs 0.36-0.45 ms of CPU here, an
aiohttp one 0.05-0.08 ms (bench/README.md). ``AiohttpPoster`` keeps the
rules ``fetch.py`` keeps for GETs:

- Every TCP connection goes to an address ``resolve_public`` checked: the
  connector's resolver is ``_CheckedResolver`` and aiohttp connects to the
  addresses it returns and no others (DNS rebinding gains nothing). Nothing
  is cached: each new connection resolves and checks again. aiohttp does not
  ask the resolver about an IP literal, so ``post`` checks those itself.
- TLS is verified on the host name against the same trust store as
  ``make_client`` (``SSL_CERT_FILE``/``SSL_CERT_DIR``); connections are pooled
  by host, port and TLS, so one verified for a name never serves another.
- Redirects are never followed, no cookies are kept, no proxy is taken from
  the environment, answers are not decompressed.
- Each POST has a total deadline and a connect deadline; at most
  ``max_answer_bytes`` of an answer are read, and a longer answer closes its
  connection instead of returning it to the pool.
- Connections are kept alive and reused; ``close=True`` (the last request
  for a host in a batch) sends ``Connection: close``, so the peer closes the
  connection once it has answered, and drops the connection if still held.

``HttpxPoster`` does the same over any httpx2 client: what a client that is
not ``make_client``'s (a test's ``httpx2.MockTransport``) gets. Both raise
only: ``FetchRefused`` (nothing sent: a special-purpose address, an unusable
URL), ``FetchFailed`` (DNS, connection, TLS, a broken answer) and
``TimeoutError``.
"""

from __future__ import annotations

import ipaddress
import socket
import ssl
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Protocol

import aiohttp
import httpx2
import yarl

from federation.addresses import normalise_host, resolve_public
from federation.errors import FetchFailed, FetchRefused, InvalidDocument

MAX_ANSWER_BYTES = 64 * 1024
KEEPALIVE = 5.0  # seconds an idle connection stays open for the next POST


@dataclass(frozen=True)
class PostAnswer:
    """What a peer answered: the status and its ``Retry-After``, nothing else
    (the body is read and dropped)."""

    status: int
    retry_after: str | None = None


class InboxPoster(Protocol):
    async def post(
        self, url: str, headers: Mapping[str, str], body: bytes, *, close: bool = False
    ) -> PostAnswer: ...


def poster_for(client: httpx2.AsyncClient) -> InboxPoster:
    """The client's own poster when it has one (``make_client``'s), else one
    over the client itself."""
    poster: InboxPoster | None = getattr(client, "inbox_poster", None)
    return poster if poster is not None else HttpxPoster(client)


class AiohttpPoster:
    """Signed POSTs over a pool of kept-alive aiohttp connections (the
    module docstring). Made anywhere; its session is opened on the first
    POST, in the running event loop, and closed by ``aclose``."""

    def __init__(
        self, ssl_context: ssl.SSLContext, *, allow_private: bool, user_agent: str,
        total_timeout: float, connect_timeout: float, max_connections: int = 100,
        max_answer_bytes: int = MAX_ANSWER_BYTES,
    ) -> None:
        self._ssl = ssl_context
        self._allow_private = allow_private
        self._user_agent = user_agent
        self._timeout = aiohttp.ClientTimeout(total=total_timeout, connect=connect_timeout)
        self._connect_timeout = connect_timeout
        self._max_connections = max_connections
        self._max_answer = max_answer_bytes
        self._session: aiohttp.ClientSession | None = None

    async def post(
        self, url: str, headers: Mapping[str, str], body: bytes, *, close: bool = False
    ) -> PostAnswer:
        target = _parse(url)
        if _is_ip_literal(target.raw_host or ""):  # aiohttp asks no resolver about these
            try:
                host = normalise_host(target.raw_host or "")
            except InvalidDocument as exc:
                raise FetchRefused("the inbox is not a usable URL") from exc
            await resolve_public(host, target.port or 443, allow_private=self._allow_private,
                                 dns_timeout=self._connect_timeout)
        sent = dict(headers)
        if close:
            sent["Connection"] = "close"  # the peer closes it after answering (RFC 9112 9.6)
        try:
            async with self._open().post(
                target, data=body, headers=sent, allow_redirects=False,
            ) as response:
                status = response.status
                retry_after = response.headers.get("Retry-After")
                if close or not await self._drain(response.content):
                    response.close()  # the connection, if still held, is not reused
            return PostAnswer(status, retry_after)
        except (FetchRefused, FetchFailed, TimeoutError):
            raise
        except aiohttp.InvalidURL as exc:
            raise FetchRefused("the inbox is not a usable URL") from exc
        except (aiohttp.ClientError, OSError) as exc:
            raise FetchFailed(f"{type(exc).__name__}: {exc}"[:200]) from exc

    async def aclose(self) -> None:
        if self._session is not None:
            session, self._session = self._session, None
            await session.close()

    def _open(self) -> aiohttp.ClientSession:
        if self._session is None:
            connector = aiohttp.TCPConnector(
                resolver=_CheckedResolver(self._allow_private, self._connect_timeout),
                use_dns_cache=False, ssl=self._ssl, limit=self._max_connections,
                keepalive_timeout=KEEPALIVE, enable_cleanup_closed=False,
            )
            self._session = aiohttp.ClientSession(
                connector=connector, timeout=self._timeout, trust_env=False,
                cookie_jar=aiohttp.DummyCookieJar(), auto_decompress=False,
                headers={"User-Agent": self._user_agent},
            )
        return self._session

    async def _drain(self, content: aiohttp.StreamReader) -> bool:
        """Read and drop the answer; False when it is longer than allowed."""
        size = 0
        while chunk := await content.readany():
            size += len(chunk)
            if size > self._max_answer:
                return False
        return True


class HttpxPoster:
    """The same POST over an httpx2 client (redirects not followed, at most
    ``max_answer_bytes`` read), its errors mapped like ``AiohttpPoster``'s."""

    def __init__(
        self, client: httpx2.AsyncClient, max_answer_bytes: int = MAX_ANSWER_BYTES
    ) -> None:
        self._client = client
        self._max_answer = max_answer_bytes

    async def post(
        self, url: str, headers: Mapping[str, str], body: bytes, *, close: bool = False
    ) -> PostAnswer:
        sent = dict(headers)
        if close:
            sent["Connection"] = "close"
        try:
            request = self._client.build_request("POST", url, headers=sent, content=body)
            response = await self._client.send(request, stream=True, follow_redirects=False)
            try:
                await self._drain(response)
            finally:
                await response.aclose()
        except httpx2.InvalidURL as exc:
            raise FetchRefused("the inbox is not a usable URL") from exc
        except httpx2.TimeoutException as exc:
            raise TimeoutError(type(exc).__name__) from exc
        except httpx2.HTTPError as exc:  # connection refused or reset, TLS, protocol
            raise FetchFailed(f"{type(exc).__name__}: {exc}"[:200]) from exc
        return PostAnswer(response.status_code, response.headers.get("retry-after"))

    async def _drain(self, response: httpx2.Response) -> None:
        if response.is_stream_consumed:  # built in memory (httpx2.MockTransport)
            return
        size = 0
        async for chunk in response.aiter_raw():
            size += len(chunk)
            if size > self._max_answer:
                return


class _CheckedResolver(aiohttp.abc.AbstractResolver):
    """Resolves through ``resolve_public``: every address checked, the
    connection made to those addresses only."""

    def __init__(self, allow_private: bool, dns_timeout: float) -> None:
        self._allow_private = allow_private
        self._dns_timeout = dns_timeout

    async def resolve(
        self, host: str, port: int = 0, family: socket.AddressFamily = socket.AF_INET
    ) -> list[aiohttp.abc.ResolveResult]:
        try:
            name = normalise_host(host)
        except InvalidDocument as exc:
            raise FetchRefused(f"not a host name: {host!r}") from exc
        addresses = await resolve_public(name, port, allow_private=self._allow_private,
                                         dns_timeout=self._dns_timeout)
        return [
            {"hostname": host, "host": address, "port": port,
             "family": socket.AF_INET6 if ":" in address else socket.AF_INET,
             "proto": 0, "flags": socket.AI_NUMERICHOST}
            for address in addresses
        ]

    async def close(self) -> None:
        return None


def _parse(url: str) -> yarl.URL:
    """The URL exactly as signed (already quoted and IDNA-encoded by the caller)."""
    try:
        target = yarl.URL(url, encoded=True)
    except (ValueError, TypeError) as exc:
        raise FetchRefused("the inbox is not a usable URL") from exc
    if target.scheme not in ("http", "https") or not target.raw_host:
        raise FetchRefused("the inbox is not a usable URL")
    return target


def _is_ip_literal(host: str) -> bool:
    try:
        ipaddress.ip_address(host.strip("[]"))
    except ValueError:
        return False
    return True

