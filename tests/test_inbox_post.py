"""Deliveries' POSTs over ``make_client``'s aiohttp poster (federation/post.py),
over real HTTP and real TLS on 127.0.0.1: pinned to checked addresses
(RELIABILITY.md 9, 46), TLS verified on the name, no redirects (46), a total
deadline (38, 41), answers capped, connections reused. DNS is the stub from
test_fetch.py (``dns``: ``*.test`` names answer what a test sets)."""

from __future__ import annotations

import asyncio
import ssl
from collections.abc import Awaitable, Callable
from contextlib import suppress
from dataclasses import dataclass, field
from typing import Any

import pytest

from federation.errors import FetchFailed, FetchRefused
from federation.fetch import FetchPolicy, make_client
from federation.post import AiohttpPoster, PostAnswer, poster_for
from federation.signatures import generate_rsa_keypair, sign_request, verify_request
from tests.test_fetch import PUBLIC_IP, dns, tls, trusted  # noqa: F401 (fixtures)

UA = "Hearth/0.1.0 (+https://hearth.test)"
BODY = b'{"type": "Create"}'


@dataclass
class _Seen:
    method: str
    target: str
    headers: dict[str, str]
    body: bytes


@dataclass
class _Inbox:
    """An HTTP/1.1 server on 127.0.0.1 that reads POST bodies and answers by path."""

    tls: ssl.SSLContext | None = None
    seen: list[_Seen] = field(default_factory=list)
    connections: int = 0
    port: int = 0
    _tasks: set[asyncio.Task[Any]] = field(default_factory=set)
    _server: asyncio.Server | None = None

    async def __aenter__(self) -> _Inbox:
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

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        self.connections += 1
        try:
            while not writer.is_closing():
                seen = await self._read(reader)
                self.seen.append(seen)
                if seen.headers.get("connection") == "close":  # as servers do (RFC 9112 9.6)
                    await _answer(202, Connection="close")(writer)
                    break
                await _ROUTES.get(seen.target.split("?")[0], _answer(202))(writer)
        except (asyncio.IncompleteReadError, ConnectionError, ssl.SSLError):
            pass
        finally:
            writer.close()
            with suppress(ConnectionError, ssl.SSLError):
                await writer.wait_closed()
            self._tasks.discard(task)

    @staticmethod
    async def _read(reader: asyncio.StreamReader) -> _Seen:
        lines = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        method, target, _ = lines[0].split(" ", 2)
        headers = {}
        for line in lines[1:]:
            if line:
                name, _, value = line.partition(":")
                headers[name.strip().lower()] = value.strip()
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        return _Seen(method, target, headers, body)


Route = Callable[[asyncio.StreamWriter], Awaitable[None]]


def _answer(status: int, body: bytes = b"", **headers: str) -> Route:
    async def route(writer: asyncio.StreamWriter) -> None:
        lines = [f"HTTP/1.1 {status} X", f"Content-Length: {len(body)}"]
        lines += [f"{name.replace('_', '-')}: {value}" for name, value in headers.items()]
        writer.write(("\r\n".join(lines) + "\r\n\r\n").encode() + body)
        await writer.drain()
    return route


async def _never(writer: asyncio.StreamWriter) -> None:
    await asyncio.Event().wait()


_ROUTES: dict[str, Route] = {
    "/redirect": _answer(302, Location="http://127.0.0.1:9/steal"),
    "/busy": _answer(429, Retry_After="120"),
    "/big": _answer(200, b"x" * 300_000),
    "/slow": _never,
}


def _policy(**overrides: Any) -> FetchPolicy:
    settings: dict[str, Any] = {"user_agent": UA, "connect_timeout": 2.0, "total_timeout": 5.0,
                                "allow_private": True}
    settings.update(overrides)
    return FetchPolicy(**settings)


def _posting(
    scenario: Callable[[Any, _Inbox], Awaitable[Any]], *, tls_context: ssl.SSLContext | None = None,
    **policy: Any,
) -> Any:
    async def main() -> Any:
        async with _Inbox(tls_context) as inbox, make_client(_policy(**policy)) as client:
            return await scenario(poster_for(client), inbox)
    return asyncio.run(main())


def test_make_client_posts_through_its_aiohttp_poster_and_closes_it() -> None:
    async def main() -> tuple[bool, bool]:
        async with make_client(_policy()) as client:
            poster = poster_for(client)
            assert isinstance(poster, AiohttpPoster)
            async with _Inbox() as inbox:
                await poster.post(inbox.url("/inbox"), {}, BODY)
        return poster._session is None, client.is_closed

    assert asyncio.run(main()) == (True, True)


def test_posts_to_one_host_reuse_one_connection_until_told_to_close() -> None:
    async def scenario(poster: Any, inbox: _Inbox) -> tuple[list[PostAnswer], int, int]:
        answers = [await poster.post(inbox.url("/inbox"), {}, BODY) for _ in range(4)]
        answers.append(await poster.post(inbox.url("/inbox"), {}, BODY, close=True))
        before = inbox.connections
        answers.append(await poster.post(inbox.url("/inbox"), {}, BODY))
        return answers, before, inbox.connections

    answers, before, after = _posting(scenario)
    assert [a.status for a in answers] == [202] * 6
    assert (before, after) == (1, 2)


def test_the_request_goes_out_as_signed_and_verifies_at_the_peer_line_7(
        dns: Any) -> None:  # noqa: F811 (the fixture imported above)
    private, public = generate_rsa_keypair()
    dns.set("peer.test", ["127.0.0.1"])

    async def scenario(poster: Any, inbox: _Inbox) -> tuple[_Seen, int]:
        url = inbox.url("/users/caf%C3%A9/inbox?x=1", host="peer.test")
        headers = sign_request("POST", url, {"Content-Type": "application/activity+json"},
                               BODY, "https://hearth.test/users/ana#main-key", private)
        answer = await poster.post(url, headers, BODY)
        return inbox.seen[0], answer.status

    seen, status = _posting(scenario)
    assert status == 202 and seen.method == "POST" and seen.body == BODY
    assert seen.target == "/users/caf%C3%A9/inbox?x=1"
    assert seen.headers["host"].startswith("peer.test:")
    assert verify_request("POST", seen.target, seen.headers, seen.body, public,
                          host=seen.headers["host"]) == "https://hearth.test/users/ana#main-key"


def test_a_redirect_is_answered_as_it_is_never_followed_line_46() -> None:
    async def scenario(poster: Any, inbox: _Inbox) -> tuple[int, list[str]]:
        answer = await poster.post(inbox.url("/redirect"), {}, BODY)
        return answer.status, [s.target for s in inbox.seen]

    assert _posting(scenario) == (302, ["/redirect"])


def test_retry_after_is_passed_on_line_41() -> None:
    async def scenario(poster: Any, inbox: _Inbox) -> PostAnswer:
        answer: PostAnswer = await poster.post(inbox.url("/busy"), {}, BODY)
        return answer

    assert _posting(scenario) == PostAnswer(429, "120")


def test_a_long_answer_is_read_only_to_the_cap_and_its_connection_dropped() -> None:
    async def scenario(poster: Any, inbox: _Inbox) -> tuple[int, int]:
        first = await poster.post(inbox.url("/big"), {}, BODY)
        await poster.post(inbox.url("/inbox"), {}, BODY)
        return first.status, inbox.connections

    assert _posting(scenario) == (200, 2)


def test_a_peer_that_never_answers_ends_in_a_timeout_line_38() -> None:
    async def scenario(poster: Any, inbox: _Inbox) -> str:
        with pytest.raises(TimeoutError):
            await poster.post(inbox.url("/slow"), {}, BODY)
        return "timed out"

    assert _posting(scenario, total_timeout=0.3) == "timed out"


def test_a_refused_connection_is_a_failure_worth_retrying_line_46() -> None:
    async def scenario(poster: Any, inbox: _Inbox) -> str:
        with pytest.raises(FetchFailed):
            await poster.post("http://127.0.0.1:9/inbox", {}, BODY)
        return "failed"

    assert _posting(scenario) == "failed"


@pytest.mark.parametrize("answer", [["127.0.0.1"], [PUBLIC_IP, "10.0.0.7"], ["::1"]],
                         ids=["loopback", "one-of-several", "ipv6-loopback"])
def test_a_name_resolving_to_a_private_address_is_refused_before_connecting_line_9(
        answer: list[str], dns: Any) -> None:  # noqa: F811 (the fixture imported above)
    dns.set("inside.test", answer)

    async def scenario(poster: Any, inbox: _Inbox) -> int:
        with pytest.raises(FetchRefused, match="special-purpose address"):
            await poster.post(inbox.url("/inbox", host="inside.test"), {}, BODY)
        return inbox.connections

    assert _posting(scenario, allow_private=False) == 0


@pytest.mark.parametrize("host", ["127.0.0.1", "[::1]", "[::ffff:127.0.0.1]", "2130706433",
                                  "127.1"])
def test_a_private_ip_literal_is_refused_before_connecting_line_9(host: str) -> None:
    async def scenario(poster: Any, inbox: _Inbox) -> int:
        with pytest.raises(FetchRefused):
            await poster.post(f"http://{host}:{inbox.port}/inbox", {}, BODY)
        return inbox.connections

    assert _posting(scenario, allow_private=False) == 0


def test_tls_is_verified_on_the_name_while_connecting_to_the_checked_address(
        trusted: Any, dns: Any) -> None:  # noqa: F811 (the fixtures imported above)
    dns.set("social.test", ["127.0.0.1"])
    dns.set("unnamed.test", ["127.0.0.1"])
    seen_sni: list[str] = []

    async def scenario(poster: Any, inbox: _Inbox) -> int:
        answer = await poster.post(inbox.url("/inbox", host="social.test"), {}, BODY)
        with pytest.raises(FetchFailed, match=r"(?i)certificate|ssl"):
            await poster.post(inbox.url("/inbox", host="unnamed.test"), {}, BODY)
        return answer.status

    assert _posting(scenario, tls_context=trusted.server_context(seen_sni)) == 202
    assert seen_sni[0] == "social.test"
