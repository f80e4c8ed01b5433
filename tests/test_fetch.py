"""The safe remote fetch, over real HTTP (and real TLS) on 127.0.0.1.

Nothing here leaves the machine. DNS is a stub (``dns`` fixture, autouse): it
answers the ``*.test`` names a test sets up, resolves numeric spellings
without the network, and lets only ``localhost`` reach the real resolver
(/etc/hosts). Sockets are opened by ``_LoopbackOnly``, a network backend
that connects only to 127.0.0.1 and fails the test on any other address,
except the stand-in "public" address 93.184.216.34, which it routes to
127.0.0.1: that is how a server on loopback plays a public host while
``allow_private`` is off.

Each test names the RELIABILITY.md line it covers.
"""

from __future__ import annotations

import asyncio
import gzip
import ipaddress
import json
import re
import socket
import ssl
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpcore2
import httpx2
import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

from federation import addresses
from federation.addresses import is_public_address, normalise_host, same_origin
from federation.errors import (
    BadRemoteDocument,
    FetchFailed,
    FetchGone,
    FetchRefused,
    InvalidDocument,
)
from federation.fetch import (
    ACCEPT,
    FetchPolicy,
    fetch_document,
    is_activitystreams_type,
    make_client,
)

UA = "Hearth/0.1.0 (+https://hearth.test)"
AS2 = "application/activity+json"
PUBLIC_IP = "93.184.216.34"  # global unicast; always routed to 127.0.0.1 here
TLS_NAMES = ("social.test", "other.test", "rebind.test", "blocked.test", "sub.blocked.test")


# --- a small HTTP/1.1 server on 127.0.0.1 -----------------------------------


@dataclass
class _Request:
    method: str
    path: str
    headers: dict[str, str]
    base: str


Handler = Callable[[_Request, asyncio.StreamWriter], Awaitable[None]]


@dataclass
class _Server:
    routes: dict[str, Handler]
    tls: ssl.SSLContext | None = None
    requests: list[_Request] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> _Server:
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0, ssl=self.tls)
        self.port = self._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        assert self._server is not None
        self._server.close()
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        await self._server.wait_closed()

    def url(self, path: str, host: str = "127.0.0.1") -> str:
        return f"{'https' if self.tls else 'http'}://{host}:{self.port}{path}"

    def paths(self) -> list[str]:
        return [r.path for r in self.requests]

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while not writer.is_closing():
                request = self._parse(await reader.readuntil(b"\r\n\r\n"))
                self.requests.append(request)
                await self.routes.get(request.path, _status(404))(request, writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()
            self._tasks.discard(task)

    def _parse(self, head: bytes) -> _Request:
        lines = head.decode("latin-1").split("\r\n")
        method, path, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        scheme = "https" if self.tls else "http"
        return _Request(method, path, headers, f"{scheme}://{headers.get('host', '')}")


async def _respond(
    writer: asyncio.StreamWriter, status: int, body: bytes = b"", **headers: str
) -> None:
    lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
    lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
    writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
    await writer.drain()


def _note(request: _Request, doc_id: str | None = None) -> bytes:
    return json.dumps({
        "id": doc_id if doc_id is not None else request.base + request.path,
        "type": "Note", "content": "Sober for a year today",
    }).encode()


def _doc(content_type: str = AS2, doc_id: str | None = None) -> Handler:
    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        await _respond(writer, 200, _note(request, doc_id), Content_Type=content_type)
    return handler


def _body(body: bytes, **headers: str) -> Handler:
    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        await _respond(writer, 200, body, Content_Type=AS2, **headers)
    return handler


def _status(status: int) -> Handler:
    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        await _respond(writer, status, b"{}", Content_Type=AS2)
    return handler


def _redirect(location: str, status: int = 302) -> Handler:
    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        await _respond(writer, status, Location=location)
    return handler


# --- sockets and DNS that never leave the machine ---------------------------


class _LoopbackOnly(httpcore2.AsyncNetworkBackend):
    """Records every connection; opens it only on 127.0.0.1."""

    def __init__(self) -> None:
        self.connects: list[tuple[str, int]] = []
        self._inner = httpcore2.AnyIOBackend()

    async def connect_tcp(
        self, host: str, port: int, timeout: float | None = None,  # noqa: ASYNC109
        local_address: str | None = None, socket_options: Any = None,
    ) -> httpcore2.AsyncNetworkStream:
        self.connects.append((host, port))
        if host not in ("127.0.0.1", PUBLIC_IP):
            pytest.fail(f"a test tried to connect to {host}:{port}")
        return await self._inner.connect_tcp("127.0.0.1", port, timeout=timeout)

    async def sleep(self, seconds: float) -> None:
        await self._inner.sleep(seconds)


class _Dns:
    def __init__(self, real: Callable[[str, int], Awaitable[list[tuple[Any, ...]]]]) -> None:
        self.asked: list[str] = []
        self._answers: dict[str, list[list[str]]] = {}
        self._real = real

    def set(self, name: str, *answers: list[str]) -> None:
        """Successive answers for ``name``; the last one repeats."""
        self._answers[name] = list(answers)

    async def getaddrinfo(self, host: str, port: int) -> list[tuple[Any, ...]]:
        self.asked.append(host)
        if host in self._answers:
            queue = self._answers[host]
            answer = queue.pop(0) if len(queue) > 1 else queue[0]
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (ip, port)) for ip in answer]
        if host == "localhost":
            return await self._real(host, port)
        return await asyncio.get_running_loop().getaddrinfo(
            host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST
        )


@pytest.fixture(autouse=True)
def dns(monkeypatch: pytest.MonkeyPatch) -> _Dns:
    stub = _Dns(addresses._getaddrinfo)
    monkeypatch.setattr(addresses, "_getaddrinfo", stub.getaddrinfo)
    for name in TLS_NAMES:
        stub.set(name, [PUBLIC_IP])
    return stub


# --- TLS: a throw-away CA, trusted through SSL_CERT_FILE --------------------


@dataclass
class _Tls:
    ca_file: Path
    cert_file: Path
    key_file: Path

    def server_context(self, seen_sni: list[str] | None = None) -> ssl.SSLContext:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        context.load_cert_chain(self.cert_file, self.key_file)
        if seen_sni is not None:
            context.sni_callback = lambda _obj, name, _ctx: seen_sni.append(name or "")
        return context


@pytest.fixture(scope="session")
def tls(tmp_path_factory: pytest.TempPathFactory) -> _Tls:
    folder = tmp_path_factory.mktemp("tls")
    now = datetime.now(UTC)
    ca_key = ec.generate_private_key(ec.SECP256R1())
    ca_name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "Hearth test CA")])
    ca = (
        _cert_builder(ca_name, ca_name, ca_key.public_key(), now)
        .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=True), critical=True)
        .sign(ca_key, hashes.SHA256())
    )
    key = ec.generate_private_key(ec.SECP256R1())
    names = [x509.DNSName(n) for n in TLS_NAMES]
    leaf = (
        _cert_builder(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "social.test")]),
                      ca_name, key.public_key(), now)
        .add_extension(x509.SubjectAlternativeName(names), critical=False)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(_key_usage(cert_sign=False), critical=True)
        .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
            critical=False,
        )
        .sign(ca_key, hashes.SHA256())
    )
    result = _Tls(folder / "ca.pem", folder / "cert.pem", folder / "key.pem")
    result.ca_file.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    result.cert_file.write_bytes(leaf.public_bytes(serialization.Encoding.PEM))
    result.key_file.write_bytes(key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
        serialization.NoEncryption(),
    ))
    return result


def _cert_builder(
    subject: x509.Name, issuer: x509.Name, public_key: Any, now: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder().subject_name(subject).issuer_name(issuer)
        .public_key(public_key).serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(hours=1)).not_valid_after(now + timedelta(days=1))
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )


def _key_usage(*, cert_sign: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=True, content_commitment=False, key_encipherment=False,
        data_encipherment=False, key_agreement=False, key_cert_sign=cert_sign,
        crl_sign=cert_sign, encipher_only=False, decipher_only=False,
    )


@pytest.fixture
def trusted(tls: _Tls, monkeypatch: pytest.MonkeyPatch) -> _Tls:
    """The test CA trusted the way an operator would: SSL_CERT_FILE."""
    monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)
    return tls


# --- running a fetch --------------------------------------------------------


def _policy(**overrides: Any) -> FetchPolicy:
    settings: dict[str, Any] = {"user_agent": UA, "connect_timeout": 2.0, "total_timeout": 5.0}
    settings.update(overrides)
    return FetchPolicy(**settings)


async def _fetch(
    url: str, *, backend: _LoopbackOnly | None = None, sign: Any = None, **policy: Any
) -> dict[str, Any]:
    chosen = _policy(**policy)
    async with make_client(chosen, network_backend=backend or _LoopbackOnly()) as client:
        return await fetch_document(client, url, policy=chosen, sign=sign)


def _serve_and_fetch(routes: dict[str, Handler], path: str, **policy: Any) -> Any:
    """Fetch ``path`` from a plain-http loopback server (private allowed)."""
    async def scenario() -> Any:
        async with _Server(routes) as server:
            return await _fetch(server.url(path), allow_private=True, **policy)
    return asyncio.run(scenario())


# --- the document itself ----------------------------------------------------


def test_good_document_is_returned_with_accept_and_user_agent_sent():
    # DESIGN.md "Fetched documents must answer 200 with an ActivityStreams type"
    async def scenario() -> None:
        async with _Server({"/note": _doc()}) as server:
            doc = await _fetch(server.url("/note"), allow_private=True)
            assert doc["id"] == server.url("/note")
            sent = server.requests[0].headers
            assert sent["accept"] == ACCEPT
            assert sent["user-agent"] == UA
    asyncio.run(scenario())


@pytest.mark.parametrize("content_type", [
    "application/json", "text/html; charset=utf-8", "image/png", "application/ld+json",
    'application/ld+json; profile="https://example.com/other"', "",
])
def test_wrong_content_type_is_rejected(content_type):
    # RELIABILITY.md 11
    with pytest.raises(BadRemoteDocument, match="content type"):
        _serve_and_fetch({"/key": _doc(content_type)}, "/key")


@pytest.mark.parametrize("content_type", [
    "application/activity+json",
    "Application/Activity+JSON; charset=utf-8",
    'application/ld+json; profile="https://www.w3.org/ns/activitystreams"',
    'application/ld+json;charset=utf-8;PROFILE="https://www.w3.org/ns/activitystreams  x"',
    "application/ld+json; profile=https://www.w3.org/ns/activitystreams",
])
def test_activitystreams_content_types_are_accepted_with_parameters_and_case(content_type):
    # RELIABILITY.md 11
    assert is_activitystreams_type(content_type)
    assert _serve_and_fetch({"/key": _doc(content_type)}, "/key")["type"] == "Note"


@pytest.mark.parametrize("doc_id", [
    "http://127.0.0.1:1/note", "https://elsewhere.test/note", "{base}/other",
    "{base}/note#frag", "", None, 42,
])
def test_document_whose_id_is_not_the_url_is_rejected(doc_id):
    # RELIABILITY.md 21
    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        value = doc_id.format(base=request.base) if isinstance(doc_id, str) else doc_id
        body = json.dumps({"id": value, "type": "Note"}).encode()
        await _respond(writer, 200, body, Content_Type=AS2)
    with pytest.raises(BadRemoteDocument, match="id"):
        _serve_and_fetch({"/note": handler}, "/note")


def test_id_matching_the_requested_url_but_not_the_final_one_is_rejected():
    # RELIABILITY.md 21: the id must equal the URL after redirects
    async def scenario() -> None:
        async with _Server({}) as server:
            server.routes["/start"] = _redirect("/final")
            server.routes["/final"] = _doc(doc_id=server.url("/start"))
            with pytest.raises(BadRemoteDocument, match="not the URL fetched"):
                await _fetch(server.url("/start"), allow_private=True)
    asyncio.run(scenario())


def test_fragment_of_the_url_is_not_part_of_the_comparison():
    # RELIABILITY.md 21: a key id such as .../actor#main-key fetches .../actor
    async def scenario() -> None:
        async with _Server({"/actor": _doc()}) as server:
            doc = await _fetch(server.url("/actor#main-key"), allow_private=True)
            assert doc["id"] == server.url("/actor")
    asyncio.run(scenario())


def test_host_variants_in_the_id_are_normalised_before_comparing(trusted):
    # RELIABILITY.md 22: case, trailing dot, punycode, default port
    async def scenario() -> None:
        async with _Server({}, tls=trusted.server_context()) as server:
            server.routes["/note"] = _doc(doc_id=f"HTTPS://Social.TEST.:{server.port}/note")
            doc = await _fetch(server.url("/note", host="social.test"))
            assert doc["type"] == "Note"
    asyncio.run(scenario())


@pytest.mark.parametrize(("status", "error"), [
    (404, FetchGone), (410, FetchGone), (500, FetchFailed), (502, FetchFailed),
    (503, FetchFailed), (429, FetchFailed), (403, BadRemoteDocument),
    (401, BadRemoteDocument), (204, BadRemoteDocument), (304, BadRemoteDocument),
])
def test_status_codes_map_to_gone_failed_or_bad(status, error):
    # RELIABILITY.md 13 (410 -> gone), 41 (5xx, 429 -> retry later), 42 (other 4xx)
    with pytest.raises(error, match=str(status)):
        _serve_and_fetch({"/x": _status(status)}, "/x")


def test_body_declared_over_the_limit_is_refused_before_reading():
    # RELIABILITY.md 32
    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
                     b"Content-Length: 50000000\r\n\r\n{")
        await writer.drain()
    with pytest.raises(BadRemoteDocument, match="over 1000"):
        _serve_and_fetch({"/big": handler}, "/big", max_bytes=1000)


def test_body_without_length_stops_being_read_at_the_limit():
    # RELIABILITY.md 32: reading stops at the limit, the rest is never taken
    sent = [0]
    total = 64 * 1024 * 1024

    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
                     b"Connection: close\r\n\r\n")
        chunk = b"[" * 65536
        while sent[0] < total:
            writer.write(chunk)
            await writer.drain()
            sent[0] += len(chunk)

    with pytest.raises(BadRemoteDocument, match="over 1000000 bytes"):
        _serve_and_fetch({"/big": handler}, "/big")
    assert sent[0] < total / 4


def test_gzip_answer_is_inflated_within_the_limit():
    # RELIABILITY.md 32: a compressed answer is measured after inflating
    async def handler(request: _Request, writer: asyncio.StreamWriter) -> None:
        assert request.headers["accept-encoding"] == "gzip"
        await _respond(writer, 200, gzip.compress(_note(request)),
                       Content_Type=AS2, Content_Encoding="gzip")
    assert _serve_and_fetch({"/z": handler}, "/z")["type"] == "Note"


def test_gzip_bomb_is_refused():
    # RELIABILITY.md 32: 20 kB that inflate to 20 MB
    bomb = gzip.compress(b" " * 20_000_000)
    assert len(bomb) < 100_000
    with pytest.raises(BadRemoteDocument, match="inflates"):
        _serve_and_fetch({"/z": _body(bomb, Content_Encoding="gzip")}, "/z")


@pytest.mark.parametrize(("body", "reason"), [
    (b"[" * 10_000 + b"]" * 10_000, "deeper"),
    (b'[{"id": "x"}]', "array"),
    (b"<html>hello</html>", "not JSON"),
    (b'{"id": "\xff\xfe"}', "UTF-8"),
])
def test_unparsable_documents_are_rejected(body, reason):
    # RELIABILITY.md 33, 34
    with pytest.raises(BadRemoteDocument, match=reason):
        _serve_and_fetch({"/x": _body(body)}, "/x")


# --- time -------------------------------------------------------------------


def test_server_dripping_its_answer_is_cut_off_at_the_total_deadline():
    # RELIABILITY.md 38: a byte every 50 ms keeps each read alive, not the fetch
    async def drip(request: _Request, writer: asyncio.StreamWriter) -> None:
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/activity+json\r\n"
                     b"Content-Length: 1000\r\n\r\n")
        for _ in range(200):  # at most 10 s, and it stops once the client is gone
            writer.write(b" ")
            await writer.drain()
            await asyncio.sleep(0.05)

    async def scenario() -> float:
        async with _Server({"/drip": drip}) as server:
            start = asyncio.get_running_loop().time()
            with pytest.raises(FetchFailed, match=re.escape("within 0.6 s")):
                await _fetch(server.url("/drip"), allow_private=True, total_timeout=0.6)
            return asyncio.get_running_loop().time() - start
    assert asyncio.run(scenario()) < 2.0


def test_server_slow_to_send_headers_fails_the_fetch():
    # RELIABILITY.md 14 (key host times out -> 503), 38
    async def slow(request: _Request, writer: asyncio.StreamWriter) -> None:
        await asyncio.sleep(5)  # cancelled when the test's server closes
        await _respond(writer, 200, _note(request), Content_Type=AS2)

    async def scenario() -> None:
        async with _Server({"/slow": slow}) as server:
            with pytest.raises(FetchFailed) as caught:
                await _fetch(server.url("/slow"), allow_private=True, total_timeout=0.4)
            assert caught.value.status == 503
    asyncio.run(scenario())


# --- redirects --------------------------------------------------------------


def test_redirect_chain_is_followed_to_a_good_document_and_signed_at_every_hop():
    # RELIABILITY.md 9 (every hop checked), 21 (id is the final URL)
    signed: list[tuple[str, str]] = []

    def sign(method: str, url: str, headers: dict[str, str]) -> dict[str, str]:
        signed.append((method, url))
        assert headers["Accept"] == ACCEPT
        return {**headers, "Signature": f'keyId="https://hearth.test/actor#main-key",n="{url}"'}

    async def scenario() -> None:
        async with _Server({"/note": _doc()}) as server:
            server.routes["/a"] = _redirect(server.url("/b"), 301)
            server.routes["/b"] = _redirect("/c", 307)
            server.routes["/c"] = _redirect("note", 308)
            doc = await _fetch(server.url("/a"), allow_private=True, sign=sign)
            assert doc["id"] == server.url("/note")
            assert server.paths() == ["/a", "/b", "/c", "/note"]
            assert [url for _, url in signed] == [server.url(p) for p in server.paths()]
            assert {method for method, _ in signed} == {"GET"}
            for request in server.requests:
                assert request.headers["signature"].endswith(f'n="{request.base}{request.path}"')
    asyncio.run(scenario())


def test_too_many_redirects_are_refused():
    # RELIABILITY.md 9
    async def scenario() -> None:
        async with _Server({"/loop": _redirect("/loop")}) as server:
            with pytest.raises(FetchRefused, match="more than 2 redirects"):
                await _fetch(server.url("/loop"), allow_private=True, max_redirects=2)
            assert server.paths() == ["/loop"] * 3
    asyncio.run(scenario())


def test_redirect_to_loopback_is_refused_when_private_addresses_are_not_allowed(trusted):
    # RELIABILITY.md 9, 46: a public host redirecting to 127.0.0.1 is stopped
    async def scenario() -> None:
        async with _Server({}, tls=trusted.server_context()) as server:
            server.routes["/start"] = _redirect(server.url("/secret"))
            server.routes["/secret"] = _doc()
            backend = _LoopbackOnly()
            with pytest.raises(FetchRefused, match=re.escape("127.0.0.1")):
                await _fetch(server.url("/start", host="social.test"), backend=backend)
            assert server.paths() == ["/start"]
            assert backend.connects == [(PUBLIC_IP, server.port)]
    asyncio.run(scenario())


def test_redirect_to_a_name_resolving_privately_or_to_http_is_refused(trusted, dns):
    # RELIABILITY.md 9, 46
    dns.set("intranet.test", ["10.1.2.3"])

    async def scenario() -> None:
        async with _Server({}, tls=trusted.server_context()) as server:
            server.routes["/a"] = _redirect(f"https://intranet.test:{server.port}/x")
            server.routes["/b"] = _redirect(f"http://other.test:{server.port}/x")
            with pytest.raises(FetchRefused, match=re.escape("10.1.2.3")):
                await _fetch(server.url("/a", host="social.test"))
            with pytest.raises(FetchRefused, match="only https"):
                await _fetch(server.url("/b", host="social.test"))
            assert server.paths() == ["/a", "/b"]
    asyncio.run(scenario())


def test_redirect_to_a_blocked_domain_is_refused_without_looking_it_up(trusted, dns):
    # RELIABILITY.md 8, 9
    async def scenario() -> None:
        async with _Server({}, tls=trusted.server_context()) as server:
            server.routes["/a"] = _redirect(f"https://sub.blocked.test:{server.port}/x")
            with pytest.raises(FetchRefused, match="blocked"):
                await _fetch(server.url("/a", host="social.test"),
                             blocked_domains=frozenset({"Blocked.Test."}))
            assert server.paths() == ["/a"]
    asyncio.run(scenario())
    assert "sub.blocked.test" not in dns.asked


# --- refused before connecting ----------------------------------------------


@pytest.mark.parametrize("host", [
    "127.0.0.1", "10.0.0.1", "172.16.0.1", "192.168.1.1", "169.254.169.254", "0.0.0.0",  # noqa: S104
    "[::1]", "[::]", "[::ffff:127.0.0.1]", "[fc00::1]", "[fe80::1]", "100.64.0.1",
    "localhost", "LOCALHOST.", "2130706433", "0x7f.1", "127.1", "[::ffff:10.0.0.1]",
    "[2002:7f00:1::1]", "[64:ff9b::a00:1]", "224.0.0.1", "255.255.255.255",
])
def test_special_purpose_addresses_are_refused_before_any_connection(host):
    # RELIABILITY.md 9
    backend = _LoopbackOnly()
    with pytest.raises(FetchRefused) as caught:
        asyncio.run(_fetch(f"https://{host}/users/alice", backend=backend))
    assert caught.value.status == 403
    assert backend.connects == []


def test_name_with_any_private_address_among_public_ones_is_refused(dns):
    # RELIABILITY.md 9: every resolved address is checked, not just the first
    dns.set("mixed.test", [PUBLIC_IP, "192.168.0.10"])
    backend = _LoopbackOnly()
    with pytest.raises(FetchRefused, match=re.escape("192.168.0.10")):
        asyncio.run(_fetch("https://mixed.test/actor", backend=backend))
    assert backend.connects == []


def test_loopback_is_reachable_only_when_the_policy_allows_it():
    # RELIABILITY.md 9: tests allow loopback through an explicit setting
    async def scenario() -> None:
        async with _Server({"/n": _doc()}) as server:
            with pytest.raises(FetchRefused):
                await _fetch(server.url("/n"))
            assert server.requests == []
            assert (await _fetch(server.url("/n"), allow_private=True))["type"] == "Note"
    asyncio.run(scenario())


def test_checks_apply_to_any_client_not_only_ours():
    # RELIABILITY.md 9: refused before the transport is ever called
    sent: list[httpx2.Request] = []

    def record(request: httpx2.Request) -> httpx2.Response:
        sent.append(request)
        return httpx2.Response(500)

    async def scenario() -> None:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(record)) as client:
            for url in ("https://10.0.0.1/a", "https://[fe80::1]/a", "http://social.test/a"):
                with pytest.raises(FetchRefused):
                    await fetch_document(client, url, policy=_policy())
    asyncio.run(scenario())
    assert sent == []


def test_mock_transport_clients_fetch_made_up_names_without_dns_when_private_is_allowed(dns):
    # how other tests stand in for remote servers (CONVENTIONS.md: MockTransport)
    def answer(request: httpx2.Request) -> httpx2.Response:
        return httpx2.Response(200, headers={"Content-Type": AS2},
                               json={"id": str(request.url), "type": "Person"})

    async def scenario() -> dict[str, Any]:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(answer)) as client:
            return await fetch_document(client, "https://remote.example/users/bob",
                                        policy=_policy(allow_private=True))
    assert asyncio.run(scenario())["type"] == "Person"
    assert dns.asked == []


def test_requests_outside_fetch_document_are_checked_at_connect_time():
    # RELIABILITY.md 9: deliveries on the same client get the same guard
    async def scenario() -> None:
        backend = _LoopbackOnly()
        async with _Server({"/inbox": _status(202)}) as server:
            async with make_client(_policy(), network_backend=backend) as client:
                with pytest.raises(FetchRefused, match=re.escape("127.0.0.1")):
                    await client.post(server.url("/inbox"), content=b"{}")
        assert backend.connects == []
        assert server.requests == []
    asyncio.run(scenario())


def test_blocked_domain_and_its_subdomains_are_refused_without_dns(dns):
    # RELIABILITY.md 8
    backend = _LoopbackOnly()
    policy: dict[str, Any] = {"backend": backend, "blocked_domains": frozenset({"blocked.test"})}
    for url in ("https://blocked.test/actor", "https://SUB.Blocked.test./actor"):
        with pytest.raises(FetchRefused, match="blocked"):
            asyncio.run(_fetch(url, **policy))
    assert dns.asked == []
    assert backend.connects == []


@pytest.mark.parametrize("url", [
    "http://social.test/actor", "ftp://social.test/actor", "file:///etc/passwd",
    "https://user:secret@social.test/actor", "https://user@social.test/actor",
    "javascript:alert(1)", "https:///actor", "https://social.test:99999/",
    "https://social.test:0/",
    "https://exa mple.test/", "https://bad_.-host.test/",
])
def test_urls_that_are_not_plain_https_are_refused(url, dns):
    # RELIABILITY.md 9: only https, no credentials, a real host name
    backend = _LoopbackOnly()
    with pytest.raises(FetchRefused):
        asyncio.run(_fetch(url, backend=backend))
    assert backend.connects == []
    assert dns.asked == []


def test_dns_rebinding_cannot_move_the_connection_to_another_address(trusted, dns):
    # RELIABILITY.md 9: the address checked is the address connected to; a
    # second lookup would have answered 127.0.0.1
    dns.set("rebind.test", [PUBLIC_IP], ["127.0.0.1"])
    seen_sni: list[str] = []

    async def scenario() -> None:
        async with _Server({"/note": _doc()}, tls=trusted.server_context(seen_sni)) as server:
            backend = _LoopbackOnly()
            doc = await _fetch(server.url("/note", host="rebind.test"), backend=backend)
            assert doc["id"] == server.url("/note", host="rebind.test")
            assert backend.connects == [(PUBLIC_IP, server.port)]
    asyncio.run(scenario())
    assert dns.asked == ["rebind.test"]
    assert seen_sni == ["rebind.test"]  # TLS still speaks to, and verifies, the name


def test_connections_are_reused_between_fetches(trusted):
    # the pool keys connections by host name: one TLS connection, one check
    async def scenario() -> None:
        async with _Server({"/a": _doc(), "/b": _doc()}, tls=trusted.server_context()) as server:
            chosen = _policy()
            backend = _LoopbackOnly()
            async with make_client(chosen, network_backend=backend) as client:
                for path in ("/a", "/b", "/a"):
                    await fetch_document(client, server.url(path, "social.test"), policy=chosen)
            assert server.connections == 1
            assert len(backend.connects) == 1
    asyncio.run(scenario())


# --- failures worth retrying later ------------------------------------------


def test_dns_failure_is_a_failed_fetch(dns):
    # RELIABILITY.md 46
    with pytest.raises(FetchFailed, match="DNS") as caught:
        asyncio.run(_fetch("https://nowhere.test/actor"))
    assert caught.value.status == 503
    assert dns.asked == ["nowhere.test"]


def test_untrusted_certificate_is_a_failed_fetch(tls, monkeypatch):
    # RELIABILITY.md 46: a TLS error; trusted through SSL_CERT_FILE it works
    monkeypatch.delenv("SSL_CERT_FILE", raising=False)  # the system store only
    monkeypatch.delenv("SSL_CERT_DIR", raising=False)

    async def scenario() -> None:
        async with _Server({"/n": _doc()}, tls=tls.server_context()) as server:
            with pytest.raises(FetchFailed):
                await _fetch(server.url("/n", host="social.test"))
            monkeypatch.setenv("SSL_CERT_FILE", str(tls.ca_file))
            assert (await _fetch(server.url("/n", host="social.test")))["type"] == "Note"
    asyncio.run(scenario())


def test_certificate_for_another_name_is_a_failed_fetch(trusted, dns):
    # RELIABILITY.md 46: pinning the address never skips the name check
    dns.set("impostor.test", [PUBLIC_IP])

    async def scenario() -> None:
        async with _Server({"/n": _doc()}, tls=trusted.server_context()) as server:
            with pytest.raises(FetchFailed):
                await _fetch(server.url("/n", host="impostor.test"))
    asyncio.run(scenario())


def test_refused_connection_is_a_failed_fetch():
    # RELIABILITY.md 46
    async def scenario() -> None:
        async with _Server({}) as server:
            url = server.url("/n")
        with pytest.raises(FetchFailed):
            await _fetch(url, allow_private=True)
    asyncio.run(scenario())


# --- addresses and hosts ----------------------------------------------------


@pytest.mark.parametrize("address", [
    "127.0.0.1", "10.0.0.1", "172.16.0.1", "172.31.255.255", "192.168.1.1",
    "169.254.169.254", "0.0.0.0", "0.1.2.3", "100.64.0.1", "100.127.255.255",  # noqa: S104
    "192.0.0.8",
    "198.18.0.1", "224.0.0.1", "240.0.0.1", "255.255.255.255", "::", "::1", "::ffff:8.8.8.8",
    "::ffff:127.0.0.1", "::127.0.0.1", "fc00::1", "fd12:3456::1", "fe80::1", "fec0::1",
    "ff02::1", "2002:7f00:1::", "2002:a00:1::", "64:ff9b::7f00:1", "64:ff9b::a9fe:a9fe",
    "64:ff9b:1::1", "2001:0:4136:e378:8000:63bf:3fff:fdd2", "2001:db8::1",
])
def test_special_purpose_address_is_not_public(address):
    # RELIABILITY.md 9: 4-in-6 forms embedding a private address included
    assert not is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize("address", [
    PUBLIC_IP, "1.1.1.1", "2606:4700:4700::1111", "2a01:4f8::1", "64:ff9b::5db8:d822",
    "2002:5db8:d822::1",
])
def test_public_address_is_public(address):
    # RELIABILITY.md 9: NAT64 and 6to4 of a public address stay reachable
    assert is_public_address(ipaddress.ip_address(address))


@pytest.mark.parametrize(("raw", "normal"), [
    ("Social.Example", "social.example"), ("social.example.", "social.example"),
    ("BÜCHER.example", "xn--bcher-kva.example"), ("xn--bcher-kva.example", "xn--bcher-kva.example"),
    ("[::1]", "::1"), ("::FFFF:127.0.0.1", "::ffff:7f00:1"), ("127.0.0.1", "127.0.0.1"),
])
def test_host_names_are_normalised(raw, normal):
    # RELIABILITY.md 22
    assert normalise_host(raw) == normal


@pytest.mark.parametrize("raw", ["", ".", "a..b", "exa mple.org", "-x.org", "x" * 64 + ".org"])
def test_invalid_host_names_are_invalid(raw):
    # RELIABILITY.md 22
    with pytest.raises(InvalidDocument):
        normalise_host(raw)


@pytest.mark.parametrize(("a", "b", "same"), [
    ("https://social.example/users/a", "https://SOCIAL.example./notes/1", True),
    ("https://social.example:443/a", "https://social.example/b", True),
    ("https://bücher.example/a", "https://xn--bcher-kva.example/b", True),
    ("http://social.example:80/a", "http://social.example/b", True),
    ("https://social.example/a", "http://social.example/a", False),
    ("https://social.example/a", "https://social.example:8443/a", False),
    ("https://social.example/a", "https://evil.example/a", False),
    ("https://social.example.evil.example/a", "https://social.example/a", False),
    ("https://social.example/a", "not a url", False),
    ("https://social.example/a", "https://social.example:bad/a", False),
])
def test_same_origin_compares_normalised_scheme_host_and_port(a, b, same):
    # RELIABILITY.md 22
    assert same_origin(a, b) is same
    assert same_origin(b, a) is same


def test_policy_is_frozen_and_names_the_instance():
    policy = _policy()
    with pytest.raises(AttributeError):
        policy.allow_private = True  # type: ignore[misc]
    assert (policy.max_bytes, policy.max_redirects, policy.allow_private) == (1_000_000, 3, False)

