"""The delivery worker (RELIABILITY.md 41-46): queued deliveries are signed,
POSTed once, retried with backoff or failed for good, and hosts that keep
failing are skipped. Real PostgreSQL; the peers are an httpx2.MockTransport
that records every request. No sleeps: ``deliver_batch`` is called directly
and time is moved with SQL."""

from __future__ import annotations

import asyncio
import json
import logging
import random
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from typing import Any

import asyncpg
import httpx2
import pytest

from federation import addresses
from federation.fetch import FetchPolicy, make_client
from federation.keys import generate_rsa_keypair
from federation.signatures import verify_request
from outbox import delivery, store
from outbox.delivery import deliver_batch, parse_retry_after, retry_delay
from tests.conftest import run
from web import cli
from web.workers import JobContext, run_once

BASE = "http://testserver"
PEER = "remote.example"
INBOX = f"https://{PEER}/users/bob/inbox"
SECRET = "followers-only: day 12, still here"


@dataclass(frozen=True)
class FakeSettings:
    url: str = BASE
    allow_private_network: bool = False


SETTINGS = FakeSettings()
Answer = httpx2.Response | Exception


class Peers:
    """Remote servers: an answer per URL (default 202), every request kept."""

    def __init__(self) -> None:
        self.answers: dict[str, Callable[[], Answer]] = {}
        self.requests: list[httpx2.Request] = []

    def answer(self, url: str, status: int = 202, **headers: str) -> None:
        self.answers[url] = lambda: httpx2.Response(status, headers=headers)

    def fail(self, url: str, make: Callable[[], Exception]) -> None:
        self.answers[url] = make

    async def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        await asyncio.sleep(0)  # let concurrent sends interleave
        answer = self.answers.get(str(request.url), lambda: httpx2.Response(202))()
        if isinstance(answer, Exception):
            raise answer
        return answer

    def urls(self) -> list[str]:
        return [str(r.url) for r in self.requests]


@pytest.fixture(scope="module")
def member_keys() -> tuple[str, str]:
    return generate_rsa_keypair()


@pytest.fixture(scope="module")
def instance_keys() -> tuple[str, str]:
    return generate_rsa_keypair()


@pytest.fixture
def member(db, member_keys) -> int:
    """A member, 'ana', with a key pair; and the instance actor's keys."""
    member_id: int = db.fetchval(
        "INSERT INTO members (username, password_hash, guidelines_accepted_at) "
        "VALUES ('ana', 'x', now()) RETURNING id")
    db.execute("INSERT INTO member_keys (member_id, public_key_pem, private_key_pem) "
               "VALUES ($1, $2, $3)", member_id, member_keys[1], member_keys[0])
    return member_id


@pytest.fixture
def instance_actor(db, instance_keys) -> None:
    db.execute("INSERT INTO instance_actor (public_key_pem, private_key_pem) VALUES ($1, $2)",
               instance_keys[1], instance_keys[0])


@pytest.fixture
def peers() -> Peers:
    return Peers()


def activity(n: int = 1) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{BASE}/activities/{n}", "type": "Create", "actor": f"{BASE}/users/ana",
            "object": {"type": "Note", "content": f"<p>{SECRET} ({n})</p>"}}


def queue(db, signer: int | None, inboxes: list[str], n: int = 1) -> list[int]:
    """Queue activity ``n`` to ``inboxes``, as ``publish`` does; the rows' ids."""
    async def go() -> None:
        conn = await asyncpg.connect(db.url)
        try:
            targets = [(inbox, httpx2.URL(inbox).netloc.decode()) for inbox in inboxes]
            await store.queue_deliveries(conn, activity(n)["id"], activity(n), signer, targets)
        finally:
            await conn.close()

    run(go())
    return [r["id"] for r in db.fetch(
        "SELECT id FROM deliveries WHERE activity_id = $1 ORDER BY id", activity(n)["id"])]


async def with_pool(db, work: Callable[[Any], Awaitable[Any]]) -> Any:
    pool = await asyncpg.create_pool(db.url, min_size=1, max_size=4)
    try:
        return await work(pool)
    finally:
        await pool.close()


def deliver(db, peers: Peers, limit: int = 50, settings: Any = SETTINGS,
            client: httpx2.AsyncClient | None = None) -> int:
    """One batch, as the worker runs it; how many deliveries it claimed."""
    async def work(pool: Any) -> int:
        async with client or httpx2.AsyncClient(
            transport=httpx2.MockTransport(peers.handler)
        ) as http:
            return await deliver_batch(pool, http, settings, limit)

    return run(with_pool(db, work))


def row(db, delivery_id: int) -> Any:
    return db.fetch("SELECT *, next_attempt_at - now() AS wait FROM deliveries WHERE id = $1",
                    delivery_id)[0]


def make_due(db, delivery_id: int) -> None:
    """Time passes: the delivery's next attempt (or its lease) is due now."""
    db.execute("UPDATE deliveries SET next_attempt_at = now() WHERE id = $1", delivery_id)


# -- sending -----------------------------------------------------------------------


def test_queued_delivery_is_posted_once_signed_with_the_stored_body(
        db, member, member_keys, peers):
    [delivery_id] = queue(db, member, [INBOX])

    assert deliver(db, peers) == 1
    assert deliver(db, peers) == 0  # delivered: never claimed again

    [request] = peers.requests
    assert request.method == "POST" and str(request.url) == INBOX
    stored = db.fetchval("SELECT payload::text FROM deliveries WHERE id = $1", delivery_id)
    assert request.content == stored.encode()
    assert json.loads(request.content) == activity()
    assert request.headers["content-type"] == "application/activity+json"
    key_id = verify_request("POST", "/users/bob/inbox", dict(request.headers), request.content,
                            member_keys[1], host=PEER)  # checks the Digest and the Date too
    assert key_id == f"{BASE}/users/ana#main-key"
    assert "digest" in request.headers["signature"]
    done = row(db, delivery_id)
    assert done["delivered_at"] is not None and done["failed_at"] is None
    assert done["attempts"] == 1 and done["last_error"] is None


def test_instance_actor_deliveries_are_signed_with_the_actor_key(
        db, instance_actor, instance_keys, peers):
    queue(db, None, [INBOX])

    assert deliver(db, peers) == 1

    [request] = peers.requests
    key_id = verify_request("POST", "/users/bob/inbox", dict(request.headers), request.content,
                            instance_keys[1], host=PEER)
    assert key_id == f"{BASE}/actor#main-key"


def test_a_host_with_several_deliveries_reuses_one_client_and_gets_each_once(
        db, member, peers):
    inboxes = [f"https://{PEER}/users/u{i}/inbox" for i in range(10)]
    inboxes += [f"https://other.example/users/u{i}/inbox" for i in range(10)]
    queue(db, member, inboxes)

    assert deliver(db, peers, limit=100) == 20

    assert sorted(peers.urls()) == sorted(inboxes)
    assert db.fetchval("SELECT count(*) FROM deliveries WHERE delivered_at IS NOT NULL") == 20
    assert db.fetchval("SELECT count(*) FROM peer_hosts WHERE last_success_at IS NOT NULL") == 2
    # one lane per host sends them in turn; its last request closes the connection
    for host in (PEER, "other.example"):
        sent = [r for r in peers.requests if r.url.host == host]
        assert [r.headers["connection"] for r in sent] == ["keep-alive"] * 9 + ["close"]


def test_the_signature_covers_the_url_as_sent(db, member, member_keys, peers):
    queue(db, member, ["https://b\u00fccher.example/users/b\u00f6b/inbox"])

    assert deliver(db, peers) == 1

    [request] = peers.requests
    assert request.url.raw_host == b"xn--bcher-kva.example"
    assert request.url.raw_path == b"/users/b%C3%B6b/inbox"
    verify_request("POST", "/users/b%C3%B6b/inbox", dict(request.headers), request.content,
                   member_keys[1], host="xn--bcher-kva.example")


# -- retries (RELIABILITY.md 41) -----------------------------------------------------


def test_41_a_5xx_is_retried_with_backoff_then_failed_after_two_days(db, member, peers):
    peers.answer(INBOX, 500)
    [delivery_id] = queue(db, member, [INBOX])

    assert deliver(db, peers) == 1
    first = row(db, delivery_id)
    assert first["attempts"] == 1 and first["failed_at"] is None
    assert first["last_error"] == "answered 500"
    assert timedelta(seconds=25) < first["wait"] <= timedelta(seconds=60)
    assert deliver(db, peers) == 0  # not due yet: nothing is sent

    make_due(db, delivery_id)
    assert deliver(db, peers) == 1
    second = row(db, delivery_id)
    assert second["attempts"] == 2
    assert timedelta(seconds=25) < second["wait"] <= timedelta(seconds=90)

    db.execute("UPDATE deliveries SET created_at = now() - interval '2 days 1 minute', "
               "next_attempt_at = now() WHERE id = $1", delivery_id)
    assert deliver(db, peers) == 1
    last = row(db, delivery_id)
    assert last["failed_at"] is not None and last["delivered_at"] is None
    assert "gave up after 3 attempts" in last["last_error"]
    make_due(db, delivery_id)
    assert deliver(db, peers) == 0
    assert len(peers.requests) == 3


class Edge(random.Random):
    """Jitter pinned to one end of its range."""

    def __init__(self, top: bool) -> None:
        super().__init__(0)
        self.top = top

    def uniform(self, a: float, b: float) -> float:
        return b if self.top else a


def test_41_backoff_grows_exponentially_with_full_jitter_and_a_cap():
    low, high = Edge(top=False), Edge(top=True)
    assert [retry_delay(n, low) for n in (1, 5, 30)] == [30.0, 30.0, 30.0]
    assert [retry_delay(n, high) for n in (1, 2, 3, 4)] == [60.0, 90.0, 150.0, 270.0]
    assert retry_delay(12, high) == retry_delay(400, high) == 6 * 3600.0


@pytest.mark.parametrize(("retry_after", "low", "high"), [
    ("120", 115, 121),
    ("999999", 6 * 3600 - 5, 6 * 3600 + 1),  # capped at 6 h
    ("0", 25, 31),  # never sooner than the base delay
    ("http-date", 595, 601),
])
def test_41_429_retry_after_is_honoured_within_a_cap(db, member, peers, retry_after, low, high):
    if retry_after == "http-date":
        retry_after = format_datetime(datetime.now(UTC) + timedelta(minutes=10), usegmt=True)
    peers.answer(INBOX, 429, **{"Retry-After": retry_after})
    [delivery_id] = queue(db, member, [INBOX])

    assert deliver(db, peers) == 1

    done = row(db, delivery_id)
    assert done["failed_at"] is None and done["last_error"] == "answered 429"
    assert timedelta(seconds=low) < done["wait"] <= timedelta(seconds=high)


def test_41_retry_after_parses_seconds_and_http_dates():
    now = datetime(2026, 1, 1, tzinfo=UTC)
    assert parse_retry_after("120", now) == 120.0
    assert parse_retry_after("Thu, 01 Jan 2026 00:05:00 GMT", now) == 300.0
    assert parse_retry_after("Wed, 31 Dec 2025 00:00:00 GMT", now) == 0.0
    assert parse_retry_after("soon", now) is None
    assert parse_retry_after(None, now) is None


@pytest.mark.parametrize("make", [
    lambda: httpx2.ConnectTimeout("connect timed out"),
    lambda: httpx2.ReadTimeout("read timed out"),
    lambda: httpx2.ConnectError("[SSL: CERTIFICATE_VERIFY_FAILED]"),
    lambda: httpx2.RemoteProtocolError("Server disconnected without sending a response."),
], ids=["connect-timeout", "read-timeout", "tls-or-refused", "disconnected"])
def test_41_46_timeouts_and_connection_errors_are_retried_with_backoff(
        db, member, peers, make):
    peers.fail(INBOX, make)
    [delivery_id] = queue(db, member, [INBOX])

    assert deliver(db, peers) == 1
    assert deliver(db, peers) == 0  # no tight loop: the next try is a backoff away

    done = row(db, delivery_id)
    assert done["failed_at"] is None and done["delivered_at"] is None
    assert done["wait"] > timedelta(seconds=25)
    assert done["last_error"]
    assert db.fetchval("SELECT failure_days FROM peer_hosts WHERE host = $1", PEER) == [
        datetime.now(UTC).date()]


def test_46_a_dns_failure_backs_off_like_a_5xx(db, member, peers, monkeypatch):
    async def no_such_name(host: str, port: int) -> list[Any]:
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    monkeypatch.setattr(addresses, "_getaddrinfo", no_such_name)
    [delivery_id] = queue(db, member, [INBOX])

    client = make_client(FetchPolicy(user_agent="Hearth/test"))
    assert deliver(db, peers, client=client) == 1

    done = row(db, delivery_id)
    assert done["failed_at"] is None and done["wait"] > timedelta(seconds=25)
    assert "DNS" in done["last_error"]


def test_46_a_private_address_is_refused_without_connecting(db, member, peers):
    inbox = "https://127.0.0.1:9/inbox"
    [delivery_id] = queue(db, member, [inbox])

    client = make_client(FetchPolicy(user_agent="Hearth/test"))  # private addresses refused
    assert deliver(db, peers, client=client) == 1

    done = row(db, delivery_id)
    assert done["failed_at"] is not None
    assert "special-purpose address" in done["last_error"]


def test_46_a_redirect_is_not_followed_and_is_retried(db, member, peers):
    peers.answer(INBOX, 302, Location="http://127.0.0.1/steal")
    [delivery_id] = queue(db, member, [INBOX])

    assert deliver(db, peers) == 1

    assert peers.urls() == [INBOX]
    done = row(db, delivery_id)
    assert done["failed_at"] is None and "redirect" in done["last_error"]
    assert done["wait"] > timedelta(seconds=25)


def test_plain_http_inboxes_are_refused_outside_tests(db, member, peers):
    [delivery_id] = queue(db, member, [f"http://{PEER}/inbox"])

    assert deliver(db, peers) == 1

    assert peers.requests == []
    assert row(db, delivery_id)["failed_at"] is not None


# -- no retry (RELIABILITY.md 42) ----------------------------------------------------


@pytest.mark.parametrize("status", [400, 401, 403, 404, 410, 422])
def test_42_other_4xx_fail_at_once_and_are_never_retried(db, member, peers, status):
    db.execute("INSERT INTO remote_actors (uri, host, type, inbox, document) "
               "VALUES ($1, $2, 'Person', $3, '{}')", f"https://{PEER}/users/bob", PEER, INBOX)
    peers.answer(INBOX, status)
    [delivery_id] = queue(db, member, [INBOX])

    assert deliver(db, peers) == 1
    make_due(db, delivery_id)
    assert deliver(db, peers) == 0

    assert len(peers.requests) == 1
    done = row(db, delivery_id)
    assert done["failed_at"] is not None and done["last_error"] == f"answered {status}"
    gone = db.fetchval("SELECT gone_at FROM remote_actors WHERE inbox = $1", INBOX)
    assert (gone is not None) is (status == 410)


# -- hosts that keep failing (RELIABILITY.md 43) -------------------------------------


def host_failure(db, host: str, days_ago: int) -> bool:
    async def work(conn: Any) -> bool:
        day = datetime.now(UTC).date() - timedelta(days=days_ago)
        return await store.record_host_failure(conn, host, day)

    return run(with_conn(db, work))


def host_success(db, host: str) -> None:
    run(with_conn(db, lambda conn: store.record_host_success(conn, host)))


async def with_conn(db, work: Callable[[Any], Awaitable[Any]]) -> Any:
    conn = await asyncpg.connect(db.url)
    try:
        return await work(conn)
    finally:
        await conn.close()


def test_43_a_host_failing_on_three_days_is_skipped_until_it_succeeds(db, member, peers):
    assert host_failure(db, PEER, 2) is False
    assert host_failure(db, PEER, 1) is False
    peers.answer(INBOX, 503)
    [first] = queue(db, member, [INBOX])
    assert deliver(db, peers) == 1  # fails today: the third distinct day
    assert db.fetchval("SELECT unavailable_since FROM peer_hosts WHERE host = $1",
                       PEER) is not None

    other = "https://elsewhere.example/inbox"
    later = queue(db, member, [INBOX, other], n=2)
    make_due(db, first)
    assert deliver(db, peers) == 1  # only the other host's delivery is claimed
    assert peers.urls() == [INBOX, other]

    host_success(db, PEER)  # e.g. the inbox got a signed request from it
    peers.answer(INBOX, 202)
    assert deliver(db, peers) == 2
    assert row(db, first)["delivered_at"] is not None
    assert row(db, later[0])["delivered_at"] is not None
    host = db.fetch("SELECT * FROM peer_hosts WHERE host = $1", PEER)[0]
    assert host["failure_days"] == [] and host["unavailable_since"] is None
    assert host["last_success_at"] is not None


def test_43_only_distinct_recent_days_without_a_success_count(db):
    assert host_failure(db, PEER, 0) is False
    assert host_failure(db, PEER, 0) is False  # the same day twice is one day
    assert host_failure(db, PEER, 9) is False  # older than a week: forgotten
    assert host_failure(db, PEER, 1) is False
    host_success(db, PEER)
    assert host_failure(db, PEER, 2) is False  # the success cleared the others
    assert host_failure(db, PEER, 3) is False
    assert host_failure(db, PEER, 4) is True


def test_43_a_host_failing_in_a_batch_is_not_tried_again_in_that_batch(
        db, member, peers, caplog):
    caplog.set_level(logging.INFO, logger="outbox.delivery")
    inboxes = [f"https://{PEER}/users/u{i}/inbox" for i in range(3)]
    for inbox in inboxes:
        peers.fail(inbox, lambda: httpx2.ConnectTimeout("timed out"))
    ids = queue(db, member, inboxes)

    assert deliver(db, peers) == 3

    assert len(peers.requests) == 1
    for delivery_id in ids:
        done = row(db, delivery_id)
        assert done["failed_at"] is None and done["wait"] > timedelta(seconds=25)
    assert f"2 deliveries to {PEER} not sent: the host failed earlier" in caplog.text


def test_a_stopping_worker_sends_nothing_more_and_leaves_the_rest_waiting(db, member, peers):
    ids = queue(db, member, [INBOX, "https://b.example/inbox"])
    stop = asyncio.Event()
    stop.set()

    async def work(pool: Any) -> int:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(peers.handler)) as http:
            return await deliver_batch(pool, http, SETTINGS, stop=stop)

    assert run(with_pool(db, work)) == 2

    assert peers.requests == []
    for delivery_id in ids:
        done = row(db, delivery_id)
        assert done["delivered_at"] is None and done["failed_at"] is None
        assert done["last_error"] == "not sent: the worker is stopping"


def test_waiting_deliveries_of_an_unavailable_host_fail_after_the_window(db, member, peers):
    [waiting] = queue(db, member, [INBOX])
    [finished] = queue(db, member, ["https://b.example/inbox"], n=2)
    for days in (0, 1, 2):
        host_failure(db, PEER, days)
    db.execute("UPDATE deliveries SET created_at = now() - interval '3 days'")
    db.execute("UPDATE deliveries SET delivered_at = now() - interval '8 days' WHERE id = $1",
               finished)

    failed, deleted = run(with_conn(db, lambda conn: store.expire_deliveries(
        conn, delivery.RETRY_WINDOW, timedelta(days=7))))

    assert (failed, deleted) == (1, 1)
    assert row(db, waiting)["last_error"] == "host unavailable"


# -- at least once, never twice at a time (RELIABILITY.md 44) ------------------------


def test_44_two_workers_claiming_at_once_never_send_the_same_delivery(db, member, peers):
    inboxes = [f"https://h{i % 7}.example/users/u{i}/inbox" for i in range(60)]
    queue(db, member, inboxes)

    async def worker(pool: Any, http: httpx2.AsyncClient) -> int:
        claimed, total = 1, 0
        while claimed:
            claimed = await deliver_batch(pool, http, SETTINGS, limit=7)
            total += claimed
        return total

    async def both(pool_a: Any) -> list[int]:
        async def second(pool_b: Any) -> list[int]:
            async with httpx2.AsyncClient(transport=httpx2.MockTransport(peers.handler)) as a, \
                    httpx2.AsyncClient(transport=httpx2.MockTransport(peers.handler)) as b:
                return list(await asyncio.gather(worker(pool_a, a), worker(pool_b, b)))

        return await with_pool(db, second)

    counts = run(with_pool(db, both))

    assert sum(counts) == 60 and all(counts)  # both took part
    assert sorted(peers.urls()) == sorted(inboxes)  # each exactly once
    assert db.fetchval("SELECT count(*) FROM deliveries WHERE delivered_at IS NULL") == 0


def test_44_a_worker_killed_after_claiming_leaves_the_delivery_to_be_sent_again(
        db, member, peers):
    [delivery_id] = queue(db, member, [INBOX])

    async def claim_and_die(conn: Any) -> list[store.Delivery]:
        async with conn.transaction():
            return await store.claim_deliveries(conn, 10, delivery.LEASE)

    [claimed] = run(with_conn(db, claim_and_die))  # ...and nothing is ever recorded
    assert claimed.id == delivery_id
    leased = row(db, delivery_id)
    assert timedelta(seconds=100) < leased["wait"] <= timedelta(minutes=2)
    assert deliver(db, peers) == 0  # leased: nobody else sends it meanwhile

    make_due(db, delivery_id)  # the lease runs out
    assert deliver(db, peers) == 1

    assert peers.urls() == [INBOX]
    done = row(db, delivery_id)
    assert done["delivered_at"] is not None and done["attempts"] == 2


# -- robustness --------------------------------------------------------------------


def test_one_broken_delivery_neither_stops_the_batch_nor_logs_the_payload(
        db, member, peers, caplog):
    caplog.set_level(logging.DEBUG)
    good = f"https://{PEER}/users/good/inbox"
    peers.fail(INBOX, lambda: RuntimeError("a bug somewhere"))
    peers.answer("https://c.example/inbox", 500)
    ids = queue(db, member, [INBOX, good, "https://c.example/inbox"])

    assert deliver(db, peers) == 3

    states = {r["inbox"]: r for r in db.fetch("SELECT * FROM deliveries")}
    assert states[good]["delivered_at"] is not None
    assert states[INBOX]["last_error"] == "internal error (RuntimeError)"
    assert states["https://c.example/inbox"]["last_error"] == "answered 500"
    assert f"delivery {ids[0]} to {PEER}" in caplog.text
    assert "delivery" in caplog.text and "c.example" in caplog.text
    assert SECRET not in caplog.text


def test_the_delivery_job_runs_with_a_job_context(db, member, peers, settings):
    queue(db, member, [INBOX])

    async def work(pool: Any) -> tuple[dict[str, int], dict[str, int]]:
        async with httpx2.AsyncClient(transport=httpx2.MockTransport(peers.handler)) as http:
            without = await run_once(pool)
            return without, await run_once(pool, context=JobContext(http, settings,
                                                                    asyncio.Event()))

    without, done = run(with_pool(db, work))

    assert "deliver" not in without  # no HTTP client: jobs that need one do not run
    assert done["deliver"] == 1 and done["expire-deliveries"] == 0
    assert peers.urls() == [INBOX]


def test_federation_status_prints_the_queue_and_failing_hosts(db, member, peers, capsys):
    queue(db, member, [INBOX, "https://b.example/inbox", "https://c.example/inbox"])
    for days in (0, 1, 2):
        host_failure(db, PEER, days)
    host_failure(db, "c.example", 0)
    db.execute("UPDATE deliveries SET delivered_at = now() WHERE inbox = 'https://b.example/inbox'")

    assert cli.main(["--database-url", db.url, "federation", "status"]) == 0

    out = capsys.readouterr().out
    assert "Deliveries waiting:     2 (2 due now, 1 held for unavailable hosts)" in out
    assert "Last 24 hours:          1 delivered, 0 failed" in out
    assert "Peer hosts failing:     2 (1 marked unavailable)" in out
    assert f"  {PEER}" in out
