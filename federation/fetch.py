"""The one way Hearth GETs a document from another server.

``fetch_document`` refuses what must never be fetched (a blocked domain, a
scheme other than https, credentials in the URL, a host that resolves to a
special-purpose address), follows redirects itself re-checking every hop,
stops reading at the size limit and at a total deadline, and accepts only a
200 ActivityStreams document whose ``id`` is the address it came from
(DESIGN.md, "Rules that keep members safe"; RELIABILITY.md 8, 9, 11, 21, 22,
32-34, 38, 46). It raises only FetchError subclasses:

    FetchRefused       nothing was sent: blocked, bad URL, private address,
                       too many redirects
    FetchFailed        worth trying later: DNS, TLS, connection, timeout, 5xx, 429
    FetchGone          404 or 410
    BadRemoteDocument  any other answer, a wrong type, too large, not JSON,
                       an ``id`` that is not the address fetched

How addresses are pinned: the host is resolved once, and every address
checked, before anything is handed to httpx2. The checked addresses travel
to the socket layer in a context variable (``_PINS``). ``make_client`` builds
the httpx2 transport on an httpcore2 connection pool whose network backend
(``_PinnedBackend``) opens the TCP connection to one of those addresses, not
to the name, so a DNS answer that changes between the check and the connect
(DNS rebinding) is never used. Nothing else changes: the URL, the Host header,
TLS SNI and certificate verification all still use the host name, because
httpcore2 takes them from the request's origin, and the pool keeps keying
connections by host name, so a TLS connection verified for one name is never
reused for another that happens to share its IP. (Rewriting the URL to the IP
and passing ``sni_hostname`` would key the pool by IP and lose exactly that.)
Requests made on that client outside ``fetch_document`` (deliveries) carry no
pin; the backend then resolves and checks by itself, with the client's policy.
With ``allow_private`` on (tests) there is nothing to check, so
``fetch_document`` resolves nothing itself: a test's ``httpx2.MockTransport``
client can fetch made-up names without any DNS.
"""

from __future__ import annotations

import asyncio
import contextvars
import re
import ssl
import zlib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from http.cookiejar import CookieJar, DefaultCookiePolicy
from typing import Any
from urllib.parse import urljoin, urlsplit

import httpcore2
import httpx2

from federation.addresses import (
    DEFAULT_PORTS,
    is_blocked,
    normalise_host,
    resolve_public,
    same_origin,
)
from federation.errors import (
    BadRemoteDocument,
    FetchFailed,
    FetchGone,
    FetchRefused,
    InvalidDocument,
)
from federation.jsonsafe import parse_json
from federation.post import AiohttpPoster

__all__ = [
    "ACCEPT", "FederationClient", "FetchPolicy", "Signer", "fetch_document",
    "is_activitystreams_type", "make_client", "normalise_host", "same_origin",
]

ACCEPT = (
    'application/activity+json, application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
)
AS_PROFILE = "https://www.w3.org/ns/activitystreams"
REDIRECTS = frozenset({301, 302, 303, 307, 308})

Signer = Callable[[str, str, dict[str, str]], dict[str, str]]

_PINS: contextvars.ContextVar[Mapping[tuple[str, int], tuple[str, ...]]] = (
    contextvars.ContextVar("hearth_pinned_addresses")
)
_MEDIA_PARAM = re.compile(
    r"""([!#$%&'*+.^_`|~0-9A-Za-z-]+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^;\s"]*))"""
)


@dataclass(frozen=True, kw_only=True)
class FetchPolicy:
    """What a fetch may do. ``user_agent`` names the instance, e.g.
    ``Hearth/0.1.0 (+https://hearth.example)``. ``allow_private`` lets
    tests reach loopback (and allows plain http); never set it in production."""

    user_agent: str
    allow_private: bool = False
    max_bytes: int = 1_000_000
    connect_timeout: float = 5.0
    total_timeout: float = 15.0
    max_redirects: int = 3
    blocked_domains: frozenset[str] = frozenset()


@dataclass(frozen=True)
class _Expect:
    """What a fetch accepts: the Accept header, the content types, and
    whether the document's id must be the URL fetched."""

    accept: str
    content_type_ok: Callable[[str], bool]
    id_is_url: bool
    id_on_origin: bool = False  # (when not id_is_url) the id must be on the final URL's origin


@dataclass(frozen=True)
class _Target:
    scheme: str
    host: str
    port: int
    url: str


def make_client(
    policy: FetchPolicy, *, network_backend: httpcore2.AsyncNetworkBackend | None = None
) -> httpx2.AsyncClient:
    """An httpx2 client for federation: pooled keep-alive connections, no
    automatic redirects, no cookies, no proxies from the environment, the
    policy's timeouts, and every TCP connection opened to a checked address
    (see the module docstring). ``network_backend`` opens the sockets
    (default: httpcore2's AnyIO backend); tests pass one that records.

    Certificates: httpx2 verifies against ``SSL_CERT_FILE`` or ``SSL_CERT_DIR``
    when set (``httpx2.create_ssl_context`` with ``trust_env``, which hands over
    to ``httpcore2.default_ssl_context``), otherwise against the system store.
    The variables are read here, when the client is made.

    Deliveries do not use the httpx2 side: the client carries an
    ``inbox_poster`` (``federation.post.AiohttpPoster``, the same checks on a
    much cheaper HTTP stack) that closes with it.
    """
    ssl_context = httpx2.create_ssl_context(verify=True, trust_env=True)
    backend = _PinnedBackend(policy, network_backend or httpcore2.AnyIOBackend())
    poster = AiohttpPoster(
        ssl_context, allow_private=policy.allow_private, user_agent=policy.user_agent,
        total_timeout=policy.total_timeout, connect_timeout=policy.connect_timeout,
    )
    return FederationClient(
        inbox_poster=poster,
        transport=_PinnedTransport(ssl_context, backend),
        follow_redirects=False,
        timeout=_timeout(policy),
        trust_env=False,
        cookies=CookieJar(policy=DefaultCookiePolicy(allowed_domains=[])),
        headers={"User-Agent": policy.user_agent},
    )


class FederationClient(httpx2.AsyncClient):
    """httpx2 for fetches, plus ``inbox_poster`` for deliveries
    (federation/post.py); closing the client closes both."""

    def __init__(self, *, inbox_poster: AiohttpPoster, **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.inbox_poster = inbox_poster

    async def aclose(self) -> None:
        try:
            await super().aclose()
        finally:
            await self.inbox_poster.aclose()

    async def __aexit__(self, *exc_info: Any) -> None:
        try:
            await super().__aexit__(*exc_info)
        finally:
            await self.inbox_poster.aclose()


async def fetch_document(
    client: httpx2.AsyncClient,
    url: str,
    *,
    policy: FetchPolicy,
    sign: Signer | None = None,
    id_may_differ: bool = False,
) -> dict[str, Any]:
    """GET the ActivityStreams document at ``url`` (its fragment dropped).

    ``id_may_differ`` relaxes one check: the document's ``id`` need only be
    on the origin it was served from, not the address itself (a key's
    address that answers with its owner, as GoToSocial's ``/main-key``
    does). The caller must then treat the document as that origin's pointer
    to its ``id``, and fetch what it names from there.

    ``sign(method, url, headers)`` returns the headers to send with a signed
    GET (the instance actor's signature); it is called again for every
    redirect hop. The whole call, redirects and body included, must finish
    within ``policy.total_timeout`` seconds. Use a client from
    ``make_client``: another client still gets every check, but its sockets
    are not pinned to the checked addresses.
    """
    return await _fetch(client, url, policy, sign, _AS2_ON_ORIGIN if id_may_differ else _AS2)


async def fetch_jrd(client: httpx2.AsyncClient, url: str, *, policy: FetchPolicy) -> dict[str, Any]:
    """GET a WebFinger JRD (RFC 7033) with every check ``fetch_document``
    makes but the content type (JRD or JSON) and the id (a JRD has none)."""
    return await _fetch(client, url, policy, None, _JRD)


async def _fetch(
    client: httpx2.AsyncClient, url: str, policy: FetchPolicy, sign: Signer | None,
    expect: _Expect,
) -> dict[str, Any]:
    try:
        async with asyncio.timeout(policy.total_timeout):
            return await _follow(client, _parse_target(url), policy, sign, expect)
    except TimeoutError as exc:
        raise FetchFailed(f"{url}: no complete answer within {policy.total_timeout:g} s") from exc


async def _follow(
    client: httpx2.AsyncClient, target: _Target, policy: FetchPolicy, sign: Signer | None,
    expect: _Expect,
) -> dict[str, Any]:
    for _ in range(policy.max_redirects + 1):
        _check_target(target, policy)
        addresses = None
        if not policy.allow_private:
            addresses = await resolve_public(
                target.host, target.port, allow_private=False, dns_timeout=policy.connect_timeout
            )
        answer = await _get(client, target, addresses, policy, sign, expect)
        if isinstance(answer, dict):
            return answer
        target = _parse_target(urljoin(target.url, answer))
    raise FetchRefused(f"more than {policy.max_redirects} redirects")


async def _get(
    client: httpx2.AsyncClient,
    target: _Target,
    addresses: tuple[str, ...] | None,
    policy: FetchPolicy,
    sign: Signer | None,
    expect: _Expect,
) -> dict[str, Any] | str:
    """One hop: the document, or where a redirect points. ``addresses`` are
    the checked ones to connect to (None: the transport resolves itself)."""
    request = client.build_request(
        "GET", target.url, headers=_request_headers(target.url, policy, sign, expect.accept),
        timeout=_timeout(policy),
    )
    token = _PINS.set({(target.host, target.port): addresses} if addresses else {})
    try:
        response = await client.send(request, stream=True, follow_redirects=False)
        try:
            return await _read_answer(response, target, policy, expect)
        finally:
            await response.aclose()
    except httpx2.TimeoutException as exc:
        raise FetchFailed(f"{target.url}: timed out") from exc
    except httpx2.HTTPError as exc:
        raise FetchFailed(f"{target.url}: {type(exc).__name__}") from exc
    finally:
        _PINS.reset(token)


async def _read_answer(
    response: httpx2.Response, target: _Target, policy: FetchPolicy, expect: _Expect
) -> dict[str, Any] | str:
    status = response.status_code
    if status in REDIRECTS:
        location = response.headers.get("location")
        if not location:
            raise BadRemoteDocument(f"{target.url}: redirect without a Location")
        return location
    if status in (404, 410):
        raise FetchGone(f"{target.url}: answered {status}")
    if status == 429 or status >= 500:
        raise FetchFailed(f"{target.url}: answered {status}")
    if status != 200:
        raise BadRemoteDocument(f"{target.url}: answered {status}")
    content_type = response.headers.get("content-type", "")
    if not expect.content_type_ok(content_type):
        raise BadRemoteDocument(f"{target.url}: content type {content_type!r} is not accepted")
    body = await _read_body(response, target, policy.max_bytes)
    try:
        document = parse_json(body, max_bytes=policy.max_bytes)
    except InvalidDocument as exc:
        raise BadRemoteDocument(f"{target.url}: {exc.reason}") from exc
    if expect.id_is_url:
        _check_id(document, target)
    elif expect.id_on_origin:
        _check_id_origin(document, target)
    return document


def is_activitystreams_type(content_type: str) -> bool:
    """``application/activity+json``, or ``application/ld+json`` with the
    ActivityStreams profile; parameters and case tolerated."""
    media, _, parameters = content_type.partition(";")
    media = media.strip().lower()
    if media == "application/activity+json":
        return True
    if media != "application/ld+json":
        return False
    params = {
        m.group(1).lower(): m.group(2) if m.group(2) is not None else m.group(3)
        for m in _MEDIA_PARAM.finditer(parameters)
    }
    return AS_PROFILE in params.get("profile", "").lower().split()


def _parse_target(url: str) -> _Target:
    """The URL split and rebuilt from its normalised parts, fragment and
    credentials never included. Raises FetchRefused for anything else."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
        host = normalise_host(parts.hostname or "")
    except (ValueError, InvalidDocument) as exc:
        raise FetchRefused(f"not a usable URL: {url!r}") from exc
    scheme = parts.scheme.lower()
    if scheme not in DEFAULT_PORTS:
        raise FetchRefused(f"scheme {scheme!r} is not fetched")
    if "@" in parts.netloc:
        raise FetchRefused("credentials in a URL are not fetched")
    port = DEFAULT_PORTS[scheme] if port is None else port
    if port == 0:
        raise FetchRefused(f"port 0 in {url!r}")
    netloc = f"[{host}]" if ":" in host else host
    if port != DEFAULT_PORTS[scheme]:
        netloc = f"{netloc}:{port}"
    query = f"?{parts.query}" if parts.query else ""
    rebuilt = f"{scheme}://{netloc}{parts.path or '/'}{query}"
    try:
        agreed = httpx2.URL(rebuilt).raw_host.decode("ascii") == host
    except httpx2.InvalidURL as exc:
        raise FetchRefused(f"not a usable URL: {url!r}") from exc
    if not agreed:
        raise FetchRefused(f"URL parsers disagree on the host of {url!r}")
    return _Target(scheme, host, port, rebuilt)


def _check_target(target: _Target, policy: FetchPolicy) -> None:
    if target.scheme != "https" and not policy.allow_private:
        raise FetchRefused(f"{target.url}: only https is fetched")
    if is_blocked(target.host, policy.blocked_domains):
        raise FetchRefused(f"{target.host} is a blocked domain")


def _check_id(document: dict[str, Any], target: _Target) -> None:
    doc_id = document.get("id")
    if not isinstance(doc_id, str):
        raise BadRemoteDocument(f"{target.url}: document has no id")
    try:
        same = _parse_target(doc_id).url == target.url and "#" not in doc_id
    except FetchRefused:
        same = False
    if not same:
        raise BadRemoteDocument(f"{target.url}: document id {doc_id!r} is not the URL fetched")


def _check_id_origin(document: dict[str, Any], target: _Target) -> None:
    doc_id = document.get("id")
    if not isinstance(doc_id, str):
        raise BadRemoteDocument(f"{target.url}: document has no id")
    if not same_origin(doc_id, target.url):
        raise BadRemoteDocument(f"{target.url}: document id {doc_id!r} is on another server")


def _is_jrd_type(content_type: str) -> bool:
    media = content_type.partition(";")[0].strip().lower()
    return media in ("application/jrd+json", "application/json")


_AS2 = _Expect(ACCEPT, is_activitystreams_type, id_is_url=True)
_AS2_ON_ORIGIN = _Expect(ACCEPT, is_activitystreams_type, id_is_url=False, id_on_origin=True)
_JRD = _Expect("application/jrd+json, application/json", _is_jrd_type, id_is_url=False)


def _request_headers(
    url: str, policy: FetchPolicy, sign: Signer | None, accept: str = ACCEPT
) -> dict[str, str]:
    headers = {"Accept": accept, "Accept-Encoding": "gzip", "User-Agent": policy.user_agent}
    if sign is not None:
        headers.update(sign("GET", url, dict(headers)))
    return headers


def _timeout(policy: FetchPolicy) -> httpx2.Timeout:
    return httpx2.Timeout(
        policy.total_timeout, connect=policy.connect_timeout, pool=policy.connect_timeout
    )


async def _read_body(response: httpx2.Response, target: _Target, limit: int) -> bytes:
    """The body, decoded, read chunk by chunk and never past ``limit``."""
    declared = response.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BadRemoteDocument(f"{target.url}: answer of {declared} bytes is over {limit}")
    if response.is_stream_consumed:
        # Built in memory (httpx2.MockTransport): httpx2 has read and decoded it.
        if len(response.content) > limit:
            raise BadRemoteDocument(f"{target.url}: answer is over {limit} bytes")
        return response.content
    chunks: list[bytes] = []
    size = 0
    async for chunk in response.aiter_raw():
        size += len(chunk)
        if size > limit:
            raise BadRemoteDocument(f"{target.url}: answer is over {limit} bytes")
        chunks.append(chunk)
    encoding = response.headers.get("content-encoding", "")
    return _decode(b"".join(chunks), encoding, target, limit)


def _decode(body: bytes, encoding: str, target: _Target, limit: int) -> bytes:
    """The body without its Content-Encoding, never inflated past ``limit``."""
    encoding = encoding.strip().lower()
    if encoding in ("", "identity"):
        return body
    if encoding not in ("gzip", "x-gzip", "deflate"):
        raise BadRemoteDocument(f"{target.url}: unsupported content encoding {encoding!r}")
    inflater = zlib.decompressobj(wbits=32 + zlib.MAX_WBITS)  # gzip or zlib header
    try:
        inflated = inflater.decompress(body, limit + 1)
    except zlib.error as exc:
        raise BadRemoteDocument(f"{target.url}: broken {encoding} body") from exc
    if len(inflated) > limit:
        raise BadRemoteDocument(f"{target.url}: answer inflates to over {limit} bytes")
    if not inflater.eof:
        raise BadRemoteDocument(f"{target.url}: truncated {encoding} body")
    return inflated


class _PinnedBackend(httpcore2.AsyncNetworkBackend):
    """Opens TCP connections to checked addresses only (module docstring)."""

    def __init__(self, policy: FetchPolicy, inner: httpcore2.AsyncNetworkBackend) -> None:
        self._policy = policy
        self._inner = inner

    async def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's interface)
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        try:
            key = (normalise_host(host), port)
        except InvalidDocument as exc:
            raise FetchRefused(f"not a host name: {host!r}") from exc
        addresses = _PINS.get({}).get(key)
        if addresses is None:
            addresses = await resolve_public(
                key[0], port, allow_private=self._policy.allow_private,
                dns_timeout=timeout or self._policy.connect_timeout,
            )
        failure: Exception | None = None
        for address in addresses:
            try:
                return await self._inner.connect_tcp(
                    address, port, timeout=timeout,
                    local_address=local_address, socket_options=socket_options,
                )
            except (httpcore2.ConnectError, httpcore2.ConnectTimeout) as exc:
                failure = exc
        raise failure or FetchFailed(f"{host}: no address to connect to")

    async def connect_unix_socket(
        self,
        path: str,
        timeout: float | None = None,  # noqa: ASYNC109 (httpcore2's interface)
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore2.AsyncNetworkStream:
        raise FetchRefused("unix sockets are not used for federation")

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _PinnedTransport(httpx2.AsyncHTTPTransport):
    """httpx2's own transport, with its connection pool rebuilt on
    ``_PinnedBackend``. httpx2 does not pass a network backend through, so
    the pool it made is replaced (``_pool`` is the one attribute relied on;
    test_fetch.py fails if that ever stops working)."""

    def __init__(self, ssl_context: ssl.SSLContext, backend: _PinnedBackend) -> None:
        super().__init__(verify=ssl_context, trust_env=False)
        self._pool = httpcore2.AsyncConnectionPool(
            ssl_context=ssl_context,
            max_connections=100,
            max_keepalive_connections=20,
            keepalive_expiry=5.0,
            network_backend=backend,
        )
