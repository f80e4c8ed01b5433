"""Delivery throughput of one worker process: one public post to 10,000
followers on 1,000 hosts.

Queues a ~1 KB Create(Note) the way ``outbox.publish`` does (one row per
inbox, one transaction) to inboxes ``http://h<N>.sink.test:<port>/users/f<i>/inbox``
in a shuffled order (followers arrive in follow order, not by host), then
times the delivery job's own loop (``outbox.delivery.deliver_until_idle``)
until the queue is empty: claims, RSA-2048 signatures, POSTs, recorded
outcomes. Every POST goes over the client the app uses (``make_client``:
its aiohttp poster, federation/post.py, with pooled keep-alive connections,
each TCP connection opened to an address its resolver checked; ``--http
httpx2`` sends through the client's httpx2 side instead, for comparison).
The worker runs on uvloop as ``hearth worker`` does (``--loop asyncio`` for
comparison). The only stand-in is DNS: the resolver hook
``federation.addresses._getaddrinfo`` answers 127.0.0.1 for every
``*.sink.test`` name, so the thousand hosts are a thousand Host names on one
sink. The sink runs in its own process (a bare asyncio server answering 202
to each request, and closing the connection after answering a request that
asked for it, as servers do) and counts requests and TCP connections.
``--profile FILE`` records the worker with py-spy (FILE.<run>, raw stacks).

    python bench/delivery.py [--followers 10000] [--hosts 1000] [--batch 200]
                             [--loops 2] [--order shuffled|grouped] [--runs 1]
                             [--loop uvloop|asyncio] [--http aiohttp|httpx2]
                             [--profile FILE]

PostgreSQL: HEARTH_DATABASE_URL when set (a database ``hearth_bench_delivery``
is made on that server), else the embedded one in a temporary directory. The
worker, the sink and PostgreSQL share this machine's cores; the figures say
what one worker process reaches when they do. Every run is bounded.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import asyncpg

SINK_DOMAIN = ".sink.test"
RESPONSE = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\n\r\n"
RESPONSE_CLOSE = b"HTTP/1.1 202 Accepted\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
DATABASE = "hearth_bench_delivery"
BASE = "https://hearth.example"


# -- the sink: its own process -------------------------------------------------------


class _Sink(asyncio.Protocol):
    """Answers 202 to every HTTP/1.1 request on a keep-alive connection."""

    requests = 0
    connections = 0

    def connection_made(self, transport: Any) -> None:
        _Sink.connections += 1
        self.transport = transport
        self.buffer = b""
        self.body_left: int | None = None
        self.closing = False

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        while True:
            if self.body_left is None:
                end = self.buffer.find(b"\r\n\r\n")
                if end < 0:
                    return
                head, self.buffer = self.buffer[:end].lower(), self.buffer[end + 4:]
                self.body_left = _content_length(head)
                self.closing = b"\r\nconnection: close" in head
            if len(self.buffer) < self.body_left:
                return
            self.buffer = self.buffer[self.body_left:]
            self.body_left = None
            _Sink.requests += 1
            if self.closing:  # as real servers do with "Connection: close" (RFC 9112 9.6)
                self.transport.write(RESPONSE_CLOSE)
                self.transport.close()
                return
            self.transport.write(RESPONSE)


def _content_length(head: bytes) -> int:
    for line in head.split(b"\r\n"):
        name, _, value = line.partition(b":")
        if name.strip() == b"content-length":
            return int(value)
    return 0


def _run_sink(port: int) -> None:
    async def serve() -> None:
        loop = asyncio.get_running_loop()
        done = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, done.set)
        server = await loop.create_server(_Sink, "127.0.0.1", port, backlog=4096)
        print("ready", flush=True)
        await done.wait()
        server.close()
        print(f"{_Sink.requests} {_Sink.connections}", flush=True)

    try:
        import uvloop
        uvloop.run(serve())
    except ImportError:
        asyncio.run(serve())


# -- the worker side -------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _stub_dns() -> None:
    """Every *.sink.test name resolves to 127.0.0.1, through the resolver
    hook the transport's address check calls."""
    from federation import addresses

    real = addresses._getaddrinfo

    async def resolve(host: str, port: int) -> list[tuple[Any, ...]]:
        if host.endswith(SINK_DOMAIN):
            return [(socket.AF_INET, socket.SOCK_STREAM, socket.IPPROTO_TCP, "",
                     ("127.0.0.1", port))]
        return await real(host, port)

    addresses._getaddrinfo = resolve


def _activity(n: int) -> dict[str, Any]:
    actor = f"{BASE}/users/ana"
    note = {
        "id": f"{actor}/posts/{n}", "type": "Note", "attributedTo": actor,
        "content": "<p>" + "Ninety days today. One day at a time, thank you all. " * 12 + "</p>",
        "to": ["https://www.w3.org/ns/activitystreams#Public"], "cc": [f"{actor}/followers"],
        "published": "2026-11-26T12:00:00Z", "url": f"{BASE}/@ana/{n}",
    }
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": f"{note['id']}/activity",
            "type": "Create", "actor": actor, "object": note, "to": note["to"], "cc": note["cc"]}


async def _prepare(url: str) -> int:
    from federation.keys import generate_rsa_keypair

    conn = await asyncpg.connect(url)
    try:
        private, public = generate_rsa_keypair()
        member_id: int = await conn.fetchval(
            "INSERT INTO members (username, password_hash, guidelines_accepted_at) "
            "VALUES ('ana', 'x', now()) RETURNING id")
        await conn.execute(
            "INSERT INTO member_keys (member_id, public_key_pem, private_key_pem) "
            "VALUES ($1, $2, $3)", member_id, public, private)
        return member_id
    finally:
        await conn.close()


async def _queue(url: str, member_id: int, run: int, args: argparse.Namespace,
                 port: int) -> None:
    from outbox import store

    targets = []
    for i in range(args.followers):
        host = f"h{i % args.hosts}{SINK_DOMAIN}:{port}"
        targets.append((f"http://{host}/users/f{i}/inbox", host))
    if args.order == "shuffled":
        random.Random(run).shuffle(targets)
    else:
        targets.sort(key=lambda target: target[1])
    activity = _activity(run)
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            queued = await store.queue_deliveries(conn, activity["id"], activity, member_id,
                                                  targets)
        assert queued == args.followers, queued
    finally:
        await conn.close()


async def _deliver(url: str, args: argparse.Namespace) -> tuple[float, float, int]:
    from federation.fetch import FetchPolicy, make_client
    from outbox.delivery import deliver_until_idle
    from web.settings import Settings

    if args.http == "httpx2":  # the client's httpx2 side, for comparison
        from federation.post import HttpxPoster
        from outbox import delivery

        delivery.poster_for = HttpxPoster  # type: ignore[assignment]
    settings = Settings.load({}, url=BASE, allow_private_network=True)
    policy = FetchPolicy(user_agent=f"Hearth/bench (+{BASE})", allow_private=True)
    pool = await asyncpg.create_pool(url, min_size=2, max_size=4)  # as `hearth worker`
    assert pool is not None
    try:
        async with make_client(policy) as client:
            start, cpu = time.perf_counter(), time.process_time()
            claimed = await deliver_until_idle(
                pool, client, settings, asyncio.Event(), limit=args.batch, loops=args.loops)
            elapsed, cpu = time.perf_counter() - start, time.process_time() - cpu
        async with pool.acquire() as conn:
            waiting = await conn.fetchval(
                "SELECT count(*) FROM deliveries WHERE delivered_at IS NULL")
        if waiting:
            raise SystemExit(f"{waiting} deliveries were not delivered")
        return elapsed, cpu, claimed
    finally:
        await pool.close()


def _profiler(path: str | None, run: int) -> subprocess.Popen[bytes] | None:
    """py-spy recording this process (raw collapsed stacks), or None."""
    if not path:
        return None
    spy = subprocess.Popen(["py-spy", "record", "--format", "raw", "--rate", "250",
                            "--output", f"{path}.{run}", "--pid", str(os.getpid())],
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    time.sleep(1.0)  # let it attach
    return spy


def _on_loop(loop: str, main: Any) -> Any:
    if loop == "uvloop":
        import uvloop
        return uvloop.run(main)
    return asyncio.run(main)


def _machine() -> str:
    model = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    memory = ""
    try:
        pages = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE")
        memory = f", {pages / 2**30:.0f} GiB"
    except (ValueError, OSError):
        pass
    return (f"{os.cpu_count()} cores {model}{memory}, {platform.system()} {platform.release()}, "
            f"Python {platform.python_version()}")


async def _server_version(url: str) -> str:
    conn = await asyncpg.connect(url)
    try:
        return str(await conn.fetchval("SHOW server_version"))
    finally:
        await conn.close()


def _database(tmp: Path) -> tuple[str, Any]:
    from web import database

    admin = os.environ.get("HEARTH_DATABASE_URL")
    embedded = None
    if not admin:
        embedded = database.EmbeddedPostgres(tmp)
        admin = embedded.start()

    async def fresh() -> None:
        conn = await asyncpg.connect(admin)
        try:
            await conn.execute(f"DROP DATABASE IF EXISTS {DATABASE} WITH (FORCE)")
            await conn.execute(f"CREATE DATABASE {DATABASE}")
        finally:
            await conn.close()
        conn = await asyncpg.connect(database.with_database(admin, DATABASE))
        try:
            await database.apply_schema(conn)
        finally:
            await conn.close()

    asyncio.run(fresh())
    return database.with_database(admin, DATABASE), embedded


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--followers", type=int, default=10_000)
    parser.add_argument("--hosts", type=int, default=1_000)
    parser.add_argument("--batch", type=int, default=200, help="deliveries per claim")
    parser.add_argument("--loops", type=int, default=2, help="batch loops side by side")
    parser.add_argument("--order", choices=["shuffled", "grouped"], default="shuffled")
    parser.add_argument("--runs", type=int, default=1)
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop",
                        help="the worker's event loop (`hearth worker` runs uvloop)")
    parser.add_argument("--http", choices=["aiohttp", "httpx2"], default="aiohttp",
                        help="POST through the client's aiohttp poster (as the worker "
                        "does) or its httpx2 side")
    parser.add_argument("--profile", metavar="FILE",
                        help="record the worker with py-spy (raw samples) into FILE")
    parser.add_argument("--sink", type=int, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.sink:
        _run_sink(args.sink)
        return

    _stub_dns()
    with tempfile.TemporaryDirectory(prefix="hearth-bench-") as tmp:
        url, embedded = _database(Path(tmp))
        port = _free_port()
        sink = subprocess.Popen([sys.executable, __file__, "--sink", str(port)],
                                stdout=subprocess.PIPE, text=True)
        try:
            assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
            print(f"Machine: {_machine()}; PostgreSQL {asyncio.run(_server_version(url))}")
            print(f"{args.followers:,} deliveries of one post to {args.hosts:,} hosts "
                  f"({args.order}), batches of {args.batch}, {args.loops} batch loops")
            member_id = asyncio.run(_prepare(url))
            for run in range(1, args.runs + 1):
                asyncio.run(_queue(url, member_id, run, args, port))
                spy = _profiler(args.profile, run)
                elapsed, cpu, claimed = _on_loop(args.loop, _deliver(url, args))
                if spy is not None:
                    spy.send_signal(signal.SIGINT)
                    spy.wait(timeout=30)
                print(f"run {run}: {claimed:,} delivered in {elapsed:.2f} s: "
                      f"{claimed / elapsed:,.0f} signed deliveries/s; worker CPU "
                      f"{cpu / claimed * 1000:.2f} ms per delivery ({cpu / elapsed:.0%} of a core)")
        finally:
            sink.send_signal(signal.SIGTERM)
            out, _ = sink.communicate(timeout=10)
            requests, connections = (int(x) for x in out.split())
            print(f"sink: {requests:,} requests over {connections:,} TCP connections "
                  f"({requests / max(connections, 1):.1f} requests per connection)")
            if embedded:
                embedded.stop()


if __name__ == "__main__":
    main()
