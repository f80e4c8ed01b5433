"""Inbox ingest of one `hearth serve` process, then the inbox worker over
what it stored.

Ingest: signed Create(Note) activities from ``--actors`` remote actors (one
RSA-2048 key each) are POSTed to /inbox of a real ``hearth serve --no-workers``
(embedded PostgreSQL in a temporary data directory), which verifies each,
stores it and answers 202. The actors live on a tiny "remote" server in its
own process on 127.0.0.1 (HEARTH_ALLOW_PRIVATE_NETWORK=on lets Hearth fetch
from it), so the first delivery signed by each key makes Hearth fetch the
actor document, as with a real peer. Two timed rounds of ``--activities``
distinct activities each, the actors taking turns:

    cold   a fresh instance: each key is fetched during the round (the first
           ``--actors`` deliveries each wait for a key fetch)
    warm   the same keys, known since the cold round: a busy inbox's steady state

Every request is signed beforehand in a process pool (signing is not what is
measured; the Date headers are seconds old when sent, well inside the hour
Hearth allows), written to a file, and sent once each by ``wrk -t1`` over
``--concurrency`` keep-alive connections, driven by the Lua script in LUA
below. Any answer other than 202 fails the run, and the stored rows are
counted afterwards. Each round also reports the CPU the server and
PostgreSQL used per activity (from /proc) and how busy the machine was.

Worker: a local member follows ``--followed`` of the actors; half of each
actor's notes are public (stored whoever follows) and half followers-only
(stored only for followed actors, else "ignored: addressed to nobody
here"). The inbox worker's own ``process_batch`` then runs in a loop in this
process, as the ``process-inbox`` job of ``hearth worker`` does (same batch
size, a pool of 4, INFO logging, here to /dev/null), until every row is
processed; it prints processed/s and the outcomes.

    python bench/inbox.py [--actors 200] [--activities 20000] [--concurrency 32]
                          [--followed 50] [--batch 20] [--rounds cold,warm]
                          [--no-worker] [--loop uvloop|asyncio] [--profile DIR]

``--profile DIR`` records the server with py-spy during the last round
(DIR/serve.txt) and the worker loop (DIR/worker.txt) for 8 s each, as
collapsed stacks (py-spy's raw format, which flamegraph.pl or speedscope
draw). Loopback only; every loop is bounded in count and time.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import platform
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import asyncpg

# Run as a script, this file's directory comes first on sys.path, and this
# file (inbox.py) would shadow the `inbox` package it measures.
sys.path[:] = [entry for entry in sys.path
               if Path(entry or ".").resolve() != Path(__file__).resolve().parent]

HEARTH = Path(sys.executable).parent / "hearth"
PY_SPY = Path(sys.executable).parent / "py-spy"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
AP = "application/activity+json"
CONTENT = "<p>" + "Ninety days today. One day at a time, thank you all. " * 10 + "</p>"

LUA = r"""
-- Sends the pre-signed raw requests in FILE once each, in order; after the
-- last answer prints FINISHED (the caller then stops wrk with SIGINT).
-- Counts every answer other than 202; times the run with CLOCK_MONOTONIC.
local ffi = require("ffi")
ffi.cdef[[
  typedef struct { long tv_sec; long tv_nsec; } timespec_t;
  int clock_gettime(int clock, timespec_t *tp);
]]
local function now()
  local ts = ffi.new("timespec_t")
  ffi.C.clock_gettime(1, ts)
  return tonumber(ts.tv_sec) + tonumber(ts.tv_nsec) / 1e9
end

local requests, total, sent, answered, verified = {}, 0, 0, 0, false
bad, first_bad, started, elapsed = 0, "", 0, 0
local threads = {}

function setup(thread) table.insert(threads, thread) end

function init(args)
  local f = assert(io.open(args[1], "rb"))
  local data = f:read("*a")
  f:close()
  local pos = 1
  while pos <= #data do
    local nl = string.find(data, "\n", pos, true)
    local len = tonumber(string.sub(data, pos, nl - 1))
    total = total + 1
    requests[total] = string.sub(data, nl + 1, nl + len)
    pos = nl + len + 1
  end
end

-- Once every request is out, a connection waits an hour instead of sending
-- another (wrk asks delay() before each request after a connection's first).
function delay()
  if sent >= total then return 3600000 end
  return 0
end

function request()
  if not verified then  -- wrk calls this once before connecting, to check it
    verified = true
    return requests[1]
  end
  if sent == 0 then started = now() end
  sent = sent + 1
  return requests[math.min(sent, total)]
end

function response(status, headers, body)
  answered = answered + 1
  if status ~= 202 then
    bad = bad + 1
    if first_bad == "" then first_bad = status .. " " .. string.sub(body or "", 1, 200) end
  end
  if answered == total then
    elapsed = now() - started
    io.write("FINISHED\n")
    io.flush()
    wrk.thread:stop()
  end
end

function done(summary, latency, requests)
  local b, first, secs = 0, "", 0
  for _, t in ipairs(threads) do
    b = b + t:get("bad")
    secs = math.max(secs, t:get("elapsed"))
    if first == "" then first = t:get("first_bad") end
  end
  local e = summary.errors
  io.write(string.format("RESULT %d %d %d %d %d %d %d %s\n", summary.requests,
    secs * 1e6, latency:percentile(50), latency:percentile(99), latency.max, b,
    e.connect + e.read + e.write + e.timeout + e.status, first))
end
"""


# -- the remote server: its own process ----------------------------------------------


def _run_remote(port: int, keys_file: Path) -> None:
    """Answers GET /users/aN with actor N's document (its public key)."""
    public_keys: list[str] = json.loads(keys_file.read_text())
    base = f"http://127.0.0.1:{port}"
    fetched = 0

    def document(n: int) -> bytes:
        actor = f"{base}/users/a{n}"
        return json.dumps({
            "@context": ["https://www.w3.org/ns/activitystreams",
                         "https://w3id.org/security/v1"],
            "id": actor, "type": "Person", "preferredUsername": f"a{n}", "name": f"A {n}",
            "inbox": f"{actor}/inbox", "outbox": f"{actor}/outbox",
            "followers": f"{actor}/followers", "endpoints": {"sharedInbox": f"{base}/inbox"},
            "publicKey": {"id": f"{actor}#main-key", "owner": actor,
                          "publicKeyPem": public_keys[n]},
        }).encode()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        nonlocal fetched
        try:
            while True:
                head = await reader.readuntil(b"\r\n\r\n")
                path = head.split(b" ", 2)[1].decode()
                match = re.fullmatch(r"/users/a(\d+)", path)
                if match and int(match[1]) < len(public_keys):
                    fetched += 1
                    body = document(int(match[1]))
                    status = b"200 OK"
                else:
                    body, status = b"{}", b"404 Not Found"
                writer.write(b"HTTP/1.1 " + status + b"\r\nContent-Type: " + AP.encode()
                             + b"\r\nContent-Length: " + str(len(body)).encode()
                             + b"\r\n\r\n" + body)
                await writer.drain()
        except (asyncio.IncompleteReadError, ConnectionError):
            pass
        finally:
            writer.close()

    async def serve() -> None:
        loop = asyncio.get_running_loop()
        stop = asyncio.Event()
        loop.add_signal_handler(signal.SIGTERM, stop.set)
        server = await asyncio.start_server(handle, "127.0.0.1", port)
        print("ready", flush=True)
        await stop.wait()
        server.close()
        print(fetched, flush=True)

    asyncio.run(serve())


# -- keys and signed requests (a process pool, before anything is timed) ----------


def _keypair(_: int) -> tuple[str, str]:
    from federation.keys import generate_rsa_keypair
    return generate_rsa_keypair()


def _activity(actor: str, label: str, n: int, followers_only: bool) -> dict[str, Any]:
    to, cc = ([f"{actor}/followers"], []) if followers_only else ([PUBLIC], [f"{actor}/followers"])
    note = {"id": f"{actor}/statuses/{label}-{n}", "type": "Note", "attributedTo": actor,
            "content": CONTENT, "to": to, "cc": cc, "published": "2026-11-26T12:00:00Z",
            "url": f"{actor}/statuses/{label}-{n}", "sensitive": False}
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{note['id']}/activity", "type": "Create", "actor": actor,
            "object": note, "to": to, "cc": cc, "published": note["published"]}


def _sign_actor(job: tuple[str, str, str, str, list[int]]) -> list[bytes]:
    """Raw HTTP/1.1 requests: actor's activities numbered ``numbers``."""
    from federation.signatures import sign_request

    inbox, actor, private, label, numbers = job
    host = inbox.split("/")[2]
    out = []
    for n in numbers:
        body = json.dumps(_activity(actor, label, n, followers_only=n % 2 == 1)).encode()
        headers = sign_request("POST", inbox, {"Content-Type": AP}, body,
                               f"{actor}#main-key", private)
        head = "".join(f"{name}: {value}\r\n" for name, value in headers.items())
        out.append((f"POST /inbox HTTP/1.1\r\nHost: {host}\r\n"
                    + head.replace(f"Host: {host}\r\n", "")
                    + f"Content-Length: {len(body)}\r\n\r\n").encode() + body)
    return out


def _sign_all(pool: ProcessPoolExecutor, inbox: str, remote: str, keys: list[tuple[str, str]],
              label: str, total: int) -> list[bytes]:
    """``total`` requests, the actors taking turns (actor i sends numbers
    i, i + N, ...), so each key is loaded once and keys interleave on the wire."""
    actors = len(keys)
    jobs = [(inbox, f"{remote}/users/a{i}", keys[i][0], label, list(range(i, total, actors)))
            for i in range(actors)]
    per_actor = list(pool.map(_sign_actor, jobs))
    return [per_actor[n % actors][n // actors] for n in range(total)]


# -- the server under test ----------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start_serve(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [str(HEARTH), "serve", "--no-workers", "--port", str(port)], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 90
    for line in proc.stdout:
        if "Hearth is serving" in line:
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("hearth serve did not start")


def _profile(pid: int, out: Path, seconds: int) -> subprocess.Popen[bytes] | None:
    if not PY_SPY.exists():
        print("(py-spy not found: no profile)")
        return None
    return subprocess.Popen([str(PY_SPY), "record", "--pid", str(pid), "--rate", "200",
                             "--duration", str(seconds), "--output", str(out), "--nonblocking",
                             "--format", "raw" if out.suffix == ".txt" else "flamegraph"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def _wrk(base: str, requests_file: Path, script: Path, concurrency: int,
         seconds: int) -> dict[str, Any]:
    wrk = subprocess.Popen(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "10s",
         "-s", str(script), base + "/inbox", "--", str(requests_file)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    assert wrk.stdout is not None
    for line in wrk.stdout:  # wrk's own duration is only a bound: stop it when done
        if line.strip() == "FINISHED":
            wrk.send_signal(signal.SIGINT)
            break
    rest, stderr = wrk.communicate(timeout=60)
    out = line + rest
    if wrk.returncode:
        raise SystemExit(f"wrk failed ({wrk.returncode}):\n{out}{stderr}")
    match = re.search(r"^RESULT (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) (\d+) ?(.*)$", out,
                      re.MULTILINE)
    if match is None:
        raise SystemExit(f"wrk gave no result:\n{out}")
    requests, duration, p50, p99, top, bad, errors = (int(x) for x in match.groups()[:7])
    if bad or errors:
        raise SystemExit(f"{bad} answers were not 202 and {errors} socket errors "
                         f"(first: {match[8]})\n{out}")
    return {"requests": requests, "seconds": duration / 1e6, "rate": requests / duration * 1e6,
            "p50": p50 / 1000, "p99": p99 / 1000, "max": top / 1000}


# -- where the CPU went (Linux /proc) ----------------------------------------------


def _cpu(pid: int, children: bool = False) -> float:
    """CPU seconds ``pid`` has used (0 once it is gone); with ``children``,
    plus what its exited children used (the postmaster's ended backends)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return 0.0
    ticks = sum(int(x) for x in fields[11:15 if children else 13])
    return ticks / os.sysconf("SC_CLK_TCK")


def _postgres_pids(data_dir: Path) -> list[int]:
    """The embedded server's postmaster and its children."""
    try:
        postmaster = int((data_dir / "postgres" / "postmaster.pid").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return []
    children = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            if int(stat.read_text().rsplit(")", 1)[1].split()[1]) == postmaster:
                children.append(int(stat.parent.name))
        except (OSError, ValueError, IndexError):
            continue
    return [postmaster, *children]


def _machine_busy() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine since boot."""
    ticks = [int(x) for x in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    idle = ticks[3] + ticks[4]  # idle + iowait
    return (sum(ticks) - idle) / os.sysconf("SC_CLK_TCK"), sum(ticks) / os.sysconf("SC_CLK_TCK")


class CpuMeter:
    """CPU used by the server, by PostgreSQL and by the whole machine between
    ``start`` and ``stop``."""

    def __init__(self, server_pid: int, data_dir: Path) -> None:
        self.server_pid, self.data_dir = server_pid, data_dir

    def _snapshot(self) -> tuple[float, dict[int, float], tuple[float, float]]:
        pids = _postgres_pids(self.data_dir)
        return (_cpu(self.server_pid),
                {pid: _cpu(pid, children=pid == pids[0]) for pid in pids}, _machine_busy())

    def start(self) -> None:
        self.before = self._snapshot()

    def stop(self, count: int) -> str:
        server, postgres, (busy, total) = self._snapshot()
        server_before, postgres_before, (busy_before, total_before) = self.before
        used_pg = sum(cpu - postgres_before.get(pid, 0.0) for pid, cpu in postgres.items())
        share = (busy - busy_before) / max(total - total_before, 1e-9)
        return (f"CPU per activity: server {(server - server_before) / count * 1000:.2f} ms, "
                f"PostgreSQL {used_pg / count * 1000:.2f} ms; the machine was {share:.0%} busy")


async def _count(url: str, sql: str, *args: Any) -> int:
    conn = await asyncpg.connect(url)
    try:
        return int(await conn.fetchval(sql, *args))
    finally:
        await conn.close()


# -- the worker ---------------------------------------------------------------------


async def _follow(url: str, remote: str, followed: int) -> None:
    """A local member following actors a0 .. a<followed - 1>."""
    conn = await asyncpg.connect(url)
    try:
        async with conn.transaction():
            member_id = await conn.fetchval(
                "INSERT INTO members (username, password_hash, guidelines_accepted_at) "
                "VALUES ('bench', 'x', now()) RETURNING id")
            for n in range(followed):
                actor = f"{remote}/users/a{n}"
                remote_id = await conn.fetchval("SELECT id FROM remote_actors WHERE uri = $1",
                                                actor)
                assert remote_id is not None, actor
                await conn.execute(
                    "INSERT INTO follows (uri, follower_member_id, followed_remote_id, state) "
                    "VALUES ($1, $2, $3, 'accepted')",
                    f"{remote}/follows/{n}", member_id, remote_id)
    finally:
        await conn.close()


async def _work(
    url: str, base: str, batch: int, limit_seconds: float
) -> tuple[int, float, float, int]:
    from federation.fetch import make_client
    from inbox.remote import RemoteFetcher
    from inbox.worker import process_batch
    from recovery import actors
    from web import database
    from web.app import _fetch_policy, _instance_signer
    from web.settings import Settings
    from web.workers import INBOX_LANES

    settings = Settings.load({}, url=base, allow_private_network=True)
    queries = [0]  # statements sent, BEGIN/COMMIT/SAVEPOINT included

    async def count_queries(conn: Any) -> None:
        def counted(record: Any) -> None:
            queries[0] += 1
        conn.add_query_logger(counted)

    pool = await database.create_pool(url, max_size=4, init=count_queries)  # as `hearth worker`
    try:
        async with pool.acquire() as conn:
            keys = await actors.instance_keys(conn)
        async with make_client(_fetch_policy(settings)) as client:
            fetcher = RemoteFetcher(client, _fetch_policy(settings),
                                    _instance_signer(settings, keys.private_key_pem))
            queries[0] = 0
            start, cpu = time.perf_counter(), time.process_time()

            async def lane(number: int) -> int:  # as web/workers.py's inbox job
                handled = 0
                while time.perf_counter() - start < limit_seconds:
                    claimed = await process_batch(pool, fetcher, settings.url, batch,
                                                  lane=number, lanes=INBOX_LANES)
                    handled += claimed
                    if claimed == 0:
                        break
                return handled

            handled = sum(await asyncio.gather(*(lane(n) for n in range(INBOX_LANES))))
            return (handled, time.perf_counter() - start, time.process_time() - cpu,
                    queries[0])
    finally:
        await pool.close()


async def _outcomes(url: str) -> list[tuple[str, int]]:
    conn = await asyncpg.connect(url)
    try:
        rows = await conn.fetch(
            """SELECT coalesce(last_error, 'ok') AS outcome, count(*) AS n
               FROM inbox_activities GROUP BY 1 ORDER BY 2 DESC""")
        outcomes = [(str(r["outcome"]), int(r["n"])) for r in rows]
        posts = await conn.fetch("SELECT visibility, count(*) AS n FROM posts GROUP BY 1")
        outcomes += [(f"posts stored ({r['visibility']})", int(r["n"])) for r in posts]
        ignored = dict(outcomes).get("ok", 0) - sum(int(r["n"]) for r in posts)
        outcomes.append(("processed, not stored (followers-only, author not followed)",
                         ignored))
        return outcomes
    finally:
        await conn.close()


# -- the run ------------------------------------------------------------------------


def _machine() -> str:
    model = platform.processor() or platform.machine()
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            model = line.split(":", 1)[1].strip()
            break
    memory = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") / 2**30
    return (f"{os.cpu_count()} cores {model}, {memory:.0f} GiB, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def _write_requests(path: Path, requests: list[bytes]) -> None:
    with path.open("wb") as out:
        for raw in requests:
            out.write(b"%d\n" % len(raw) + raw)


@dataclass
class Run:
    """What the rounds share: the options, the places, the processes."""

    args: argparse.Namespace
    tmp: Path
    signers: ProcessPoolExecutor
    keys: list[tuple[str, str]]
    base: str  # the Hearth under test
    remote: str  # the actors' server
    url: str = ""  # its database
    serve: subprocess.Popen[str] | None = None


def _ingest_round(run: Run, label: str, profile: bool) -> None:
    """Sign, send and count one round of ``--activities`` activities."""
    args, serve = run.args, run.serve
    assert serve is not None
    started = time.perf_counter()
    requests = _sign_all(run.signers, f"{run.base}/inbox", run.remote, run.keys, label,
                         args.activities)
    _write_requests(run.tmp / "requests", requests)
    print(f"  {label}: {len(requests):,} requests signed in "
          f"{time.perf_counter() - started:.1f} s "
          f"({sum(map(len, requests)) / len(requests):,.0f} bytes each)")
    before = asyncio.run(_count(run.url, "SELECT count(*) FROM inbox_activities"))
    spy = _profile(serve.pid, args.profile / "serve.txt", 8) if profile else None
    meter = CpuMeter(serve.pid, run.tmp / "data")
    meter.start()
    result = _wrk(run.base, run.tmp / "requests", run.tmp / "inbox.lua", args.concurrency, 300)
    used = meter.stop(args.activities)
    if spy:
        spy.wait(timeout=60)
    stored = asyncio.run(_count(run.url, "SELECT count(*) FROM inbox_activities")) - before
    if stored != args.activities:
        raise SystemExit(f"{stored} rows stored, not {args.activities}")
    print(f"  {label}: {result['requests']:,} answered 202 in {result['seconds']:.2f} s: "
          f"{result['rate']:,.0f} activities/s, p50 {result['p50']:.1f} ms, "
          f"p99 {result['p99']:.1f} ms, max {result['max']:.1f} ms; {stored:,} rows stored")
    print(f"    {used}")


def _on_loop(loop: str, main: Any) -> Any:
    """Run ``main`` on uvloop, as `hearth worker` does, or on asyncio's loop."""
    if loop == "uvloop":
        import uvloop
        return uvloop.run(main)
    return asyncio.run(main)


def _worker_round(run: Run) -> None:
    """A member follows some actors; the worker processes every stored row."""
    args = run.args
    asyncio.run(_follow(run.url, run.remote, args.followed))
    waiting = asyncio.run(_count(run.url, "SELECT count(*) FROM inbox_activities "
                                          "WHERE processed_at IS NULL"))
    logging.basicConfig(level=logging.INFO, stream=open(os.devnull, "w"))
    print(f"Worker: process_batch({args.batch}) in 2 lanes, pool of 4, over {waiting:,} rows; "
          f"a member follows {args.followed} of the {args.actors} actors")
    spy = _profile(os.getpid(), args.profile / "worker.txt", 8) if args.profile else None
    meter = CpuMeter(os.getpid(), run.tmp / "data")
    meter.start()
    handled, elapsed, busy, queries = _on_loop(args.loop,
                                               _work(run.url, run.base, args.batch, 600))
    used = meter.stop(max(handled, 1)).replace("server", "worker")
    if spy:
        spy.wait(timeout=60)
    print(f"  {handled:,} processed in {elapsed:.2f} s: {handled / elapsed:,.0f}/s "
          f"(the worker busy {busy / elapsed:.0%} of the time; "
          f"{queries / max(handled, 1):.1f} statements per activity)")
    print(f"    {used}")
    for outcome, n in asyncio.run(_outcomes(run.url)):
        print(f"    {n:>7,}  {outcome}")


def _start_remote(run: Run) -> subprocess.Popen[str]:
    (run.tmp / "keys.json").write_text(json.dumps([public for _, public in run.keys]))
    port = run.remote.rsplit(":", 1)[1]
    proc = subprocess.Popen([sys.executable, __file__, "--remote", port, "--keys",
                             str(run.tmp / "keys.json")], stdout=subprocess.PIPE, text=True)
    assert proc.stdout is not None
    if proc.stdout.readline().strip() != "ready":
        raise SystemExit("the remote actors' server did not start")
    return proc


def _stop_remote(proc: subprocess.Popen[str]) -> None:
    proc.send_signal(signal.SIGTERM)
    out, _ = proc.communicate(timeout=10)
    print(f"remote: {out.strip() or '?'} actor documents fetched")


def _database_url(run: Run) -> tuple[str, Any]:
    """The URL of the embedded server `hearth serve` runs, joined."""
    from web import database

    embedded = database.EmbeddedPostgres(run.tmp / "data")
    return embedded.start(), embedded


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--actors", type=int, default=200)
    parser.add_argument("--activities", type=int, default=20_000, help="per round")
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--followed", type=int, default=50)
    parser.add_argument("--batch", type=int, default=20, help="worker batch (the job's: 20)")
    parser.add_argument("--rounds", default="cold,warm", help="cold, warm, or both")
    parser.add_argument("--no-worker", action="store_true", help="measure the ingest only")
    parser.add_argument("--loop", choices=["uvloop", "asyncio"], default="uvloop",
                        help="the worker loop's event loop (`hearth worker` runs uvloop)")
    parser.add_argument("--profile", type=Path, help="directory for py-spy profiles")
    parser.add_argument("--remote", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--keys", type=Path, help=argparse.SUPPRESS)
    return parser


def main() -> None:
    args = _parser().parse_args()
    args.followed = min(args.followed, args.actors)
    if args.remote:
        _run_remote(args.remote, args.keys)
        return
    if shutil.which("wrk") is None:
        raise SystemExit("this benchmark needs wrk (apt-get install wrk)")
    rounds = args.rounds.split(",")
    with tempfile.TemporaryDirectory(prefix="hearth-bench-inbox-") as tmp_dir, \
            ProcessPoolExecutor() as signers:
        started = time.perf_counter()
        keys = list(signers.map(_keypair, range(args.actors)))
        print(f"Machine: {_machine()}")
        print(f"{args.actors} RSA-2048 keys made in {time.perf_counter() - started:.1f} s")
        port, remote_port = _free_port(), _free_port()
        run = Run(args, Path(tmp_dir), signers, keys, f"http://127.0.0.1:{port}",
                  f"http://127.0.0.1:{remote_port}")
        (run.tmp / "inbox.lua").write_text(LUA)
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
        env.update(HEARTH_DATA_DIR=str(run.tmp / "data"), HEARTH_URL=run.base,
                   HEARTH_ALLOW_PRIVATE_NETWORK="on")
        remote, embedded = _start_remote(run), None
        try:
            run.serve = _start_serve(env, port)
            run.url, embedded = _database_url(run)
            version = asyncio.run(_count(run.url,
                                         "SELECT current_setting('server_version_num')"))
            print(f"Database: embedded PostgreSQL {version // 10000}.{version % 100}")
            print(f"Ingest: {args.activities:,} signed Create(Note) per round from "
                  f"{args.actors} actors, wrk -t1 -c{args.concurrency}, one `hearth serve "
                  f"--no-workers` process")
            for label in rounds:
                _ingest_round(run, label, profile=bool(args.profile) and label == rounds[-1])
            if not args.no_worker:
                _worker_round(run)
        finally:
            if run.serve is not None:
                run.serve.send_signal(signal.SIGTERM)
                run.serve.wait(timeout=60)
            _stop_remote(remote)
            if embedded is not None:
                embedded.stop()


if __name__ == "__main__":
    main()
