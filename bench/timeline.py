"""Home-timeline throughput of the client API: ``GET /api/v1/timelines/home
?limit=20`` for a member following 200 accounts, in a database of
1,000,000 statuses, served by two `hearth serve` processes on one
PostgreSQL server.

Creates a scratch database on the PostgreSQL server named by
``--admin-url`` (default postgresql://postgres@127.0.0.1:5432/postgres),
applies the schema and creates the member through `hearth member create`,
then seeds in SQL (generate_series, triggers off while the statuses go in):
1,000 members and 1,000 remote actors writing 1,000,000 posts (public,
unlisted, followers-only and direct; 5% boosts, 10% replies) and 300,000
likes. The member then follows 100 members and 100 remote actors (with the
triggers on, so the home feed fills as it does in use). Two `hearth serve`
processes start on two ports; two `wrk` processes, one per server, load them
at once for ``--seconds`` with a Lua script that sets the Authorization
header. Prints requests/s (the sum), p50 (the mean of the two) and p99 (the
worse of the two) per run, and how busy the machine was. The scratch
database is dropped at the end.

With ``--posts-per-second R`` a writer adds R posts a second, during the
runs, by accounts the member follows (each lands in their home feed, as a
busy community's would): the page kept in each process is then read again
after each new post. ``--pool N`` sets each process's database pool
(HEARTH_DATABASE_POOL).

    python bench/timeline.py [--runs 3] [--seconds 15] [--concurrency 32]
                             [--statuses 1000000] [--keep] [--profile DIR]
                             [--posts-per-second R] [--pool N]
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

import asyncpg
import httpx2 as httpx
from pages import HEARTH, PASSWORD, _free_port, _start  # bench/pages.py

ADMIN_URL = "postgresql://postgres@127.0.0.1:5432/postgres"
AUTHORS = 2000  # half members, half remote actors
FOLLOWED = 200

_SEED = """
INSERT INTO members (username, password_hash, guidelines_accepted_at,
                     manually_approves_followers)
SELECT 'm' || g, 'not a hash', now(), false FROM generate_series(1, $1::int / 2) g;

INSERT INTO remote_actors (uri, host, type, preferred_username, name, inbox, document)
SELECT 'https://peer' || (g % 50) || '.example/users/r' || g, 'peer' || (g % 50) || '.example',
       'Person', 'r' || g, 'Remote ' || g, 'https://peer' || (g % 50) || '.example/inbox',
       jsonb_build_object('summary', '<p>bio ' || g || '</p>',
                          'icon', jsonb_build_object('url', 'https://peer.example/a.png'))
FROM generate_series(1, $1::int / 2) g;
"""

# No triggers or FK checks while the statuses go in (session_replication_role);
# then what the triggers keep is filled in one statement each: the authors'
# own posts in their home feeds, the accounts' post counts and the posts'
# likes, boosts and replies.
_POSTS = """
SET session_replication_role = replica;
INSERT INTO posts (uri, author_member_id, author_remote_id, visibility, content_html,
                   summary, in_reply_to_id, reblog_of_id, recipients, published_at)
SELECT CASE WHEN remote THEN 'https://peer.example/notes/' || g END,
       CASE WHEN remote THEN NULL ELSE m0 + a END,
       CASE WHEN remote THEN r0 + a END,
       CASE WHEN boost THEN (CASE WHEN g % 3 = 0 THEN 'unlisted' ELSE 'public' END)
            WHEN g % 50 = 7 THEN 'direct'
            WHEN g % 13 = 5 THEN 'followers'
            WHEN g % 11 = 3 THEN 'unlisted' ELSE 'public' END,
       CASE WHEN boost THEN ''
            ELSE '<p>Post ' || g || ': one day at a time, and today was a good one. '
                 || 'Coffee with my sponsor, then a long walk.</p>' END,
       CASE WHEN g % 17 = 0 THEN 'relapse talk' ELSE '' END,
       CASE WHEN NOT boost AND g % 10 = 4 AND g > 10 THEN g - 7 END,
       CASE WHEN boost AND g > 1001 THEN g - 1001 END,
       CASE WHEN g % 50 = 7 THEN ARRAY['https://peer.example/users/x' || (g % 100)]
            ELSE '{}' END,
       now() - ($1::int - g) * interval '1 second'
FROM (SELECT g, (g % $2::int) / 2 + 1 AS a, g % 2 = 1 AS remote,
             g % 20 = 9 AND g > 1000 AS boost
      FROM generate_series(1, $1::int) g) s,
     (SELECT min(id) - 1 AS m0 FROM members WHERE username LIKE 'm%') mm,
     (SELECT min(id) - 1 AS r0 FROM remote_actors) rr;
SELECT setval(pg_get_serial_sequence('posts', 'id'), (SELECT max(id) FROM posts));

INSERT INTO reactions (kind, uri, post_id, actor_member_id)
SELECT 'like', 'https://bench.example/likes/' || g, g * 3, mm.m0 + (g % 997) + 1
FROM generate_series(1, 300000) g,
     (SELECT min(id) - 1 AS m0 FROM members WHERE username LIKE 'm%') mm
WHERE g * 3 <= $1::int
ON CONFLICT DO NOTHING;
SET session_replication_role = origin;
INSERT INTO home_feed (member_id, post_id)
SELECT author_member_id, id FROM posts WHERE author_member_id IS NOT NULL;
INSERT INTO account_counts (member_id, remote_id, statuses, last_status_at)
SELECT author_member_id, author_remote_id,
       count(*) FILTER (WHERE author_remote_id IS NOT NULL
                        OR visibility IN ('public', 'unlisted')),
       max(published_at)
FROM posts GROUP BY author_member_id, author_remote_id;
INSERT INTO post_counts (post_id, likes, boosts, replies)
SELECT id, sum(l), sum(b), sum(r)
FROM (SELECT post_id AS id, 1 AS l, 0 AS b, 0 AS r FROM reactions WHERE kind = 'like'
      UNION ALL
      SELECT reblog_of_id, 0, 1, 0 FROM posts WHERE reblog_of_id IS NOT NULL
      UNION ALL
      SELECT in_reply_to_id, 0, 0, 1 FROM posts WHERE in_reply_to_id IS NOT NULL) c
GROUP BY id;
"""

# The member follows every 5th member and every 5th remote actor (triggers on:
# each accepted follow brings the followed account's newest posts in).
_FOLLOWS = """
INSERT INTO follows (uri, follower_member_id, followed_member_id, state)
SELECT 'https://bench.example/follows/m' || m.id, $1::bigint, m.id, 'accepted'
FROM members m WHERE m.username LIKE 'm%' AND m.id % 5 = 0
ORDER BY m.id LIMIT $2::int / 2;
INSERT INTO follows (uri, follower_member_id, followed_remote_id, state)
SELECT 'https://bench.example/follows/r' || r.id, $1::bigint, r.id, 'accepted'
FROM remote_actors r WHERE r.id % 5 = 0 ORDER BY r.id LIMIT $2::int / 2;
"""


async def _sql(url: str, sql: str, *args: object) -> None:
    """Run each statement of ``sql`` with the parameters it names."""
    conn = await asyncpg.connect(url)
    try:
        for statement in (s for s in sql.split(";\n") if s.strip()):
            await conn.execute(statement, *args[:_params(statement)])
    finally:
        await conn.close()


class _Writer(threading.Thread):
    """Posts by followed remote actors, ``rate`` a second, until stopped."""

    def __init__(self, url: str, rate: float) -> None:
        super().__init__(daemon=True)
        self.url, self.rate, self.stop, self.written = url, rate, threading.Event(), 0

    def run(self) -> None:
        asyncio.run(self._write())

    async def _write(self) -> None:
        conn = await asyncpg.connect(self.url)
        try:
            authors = [r["followed_remote_id"] for r in await conn.fetch(
                "SELECT followed_remote_id FROM follows WHERE followed_remote_id IS NOT NULL")]
            began = time.monotonic()
            while not self.stop.is_set():
                author = authors[self.written % len(authors)]
                await conn.execute(
                    """INSERT INTO posts (uri, author_remote_id, visibility, content_html)
                       VALUES ('https://bench.example/written/' || gen_random_uuid(), $1,
                               'public', '<p>one more day</p>')""", author)
                self.written += 1
                await asyncio.sleep(max(0.0, began + self.written / self.rate
                                        - time.monotonic()))
        finally:
            await conn.close()


def _params(statement: str) -> int:
    found = [int(n) for n in re.findall(r"\$(\d+)", statement)]
    return max(found) if found else 0


def _db_url(admin_url: str, name: str) -> str:
    return admin_url.rsplit("/", 1)[0] + "/" + name


def _seed(url: str, statuses: int) -> float:
    began = time.monotonic()
    asyncio.run(_sql(url, _SEED, AUTHORS))
    asyncio.run(_sql(url, _POSTS, statuses, AUTHORS))
    asyncio.run(_sql(url, "ANALYZE"))
    asyncio.run(_sql(url, _FOLLOWS, 1, FOLLOWED))
    asyncio.run(_sql(url, "VACUUM ANALYZE"))
    return time.monotonic() - began


def _token(base: str) -> str:
    with httpx.Client(base_url=base, timeout=30) as client:
        app = client.post("/api/v1/apps", data={
            "client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read"}).json()
        response = client.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "bench",
            "password": PASSWORD, "scope": "read"})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        page = client.get("/api/v1/timelines/home?limit=20",
                          headers={"authorization": f"Bearer {token}"})
        page.raise_for_status()
        assert len(page.json()) >= 15, page.text[:300]
        return token


def _busy() -> tuple[int, int]:
    with open("/proc/stat") as stat:
        fields = [int(v) for v in stat.readline().split()[1:]]
    idle = fields[3] + fields[4]
    return sum(fields) - idle, sum(fields)


def _cpu_seconds(pids: list[int]) -> float:
    """User and system CPU of these processes so far (those still there)."""
    ticks = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as stat:
                fields = stat.read().rsplit(")", 1)[1].split()
        except OSError:
            continue
        ticks += int(fields[11]) + int(fields[12])
    return ticks / os.sysconf("SC_CLK_TCK")


def _backends(url: str) -> list[int]:
    """PostgreSQL's server processes for the bench database (local server)."""
    async def go() -> list[int]:
        conn = await asyncpg.connect(url)
        try:
            rows = await conn.fetch(
                "SELECT pid FROM pg_stat_activity WHERE datname = current_database()"
                " AND pid <> pg_backend_pid()")
            return [r["pid"] for r in rows]
        finally:
            await conn.close()
    return asyncio.run(go())


def _wrk(urls: list[str], lua: Path, seconds: int, concurrency: int,
         servers: list[int] | None = None, db_url: str | None = None) -> dict[str, float]:
    per = max(1, concurrency // len(urls))
    backends = _backends(db_url) if db_url else []
    cpu_before = (_cpu_seconds(servers or []), _cpu_seconds(backends))
    before, load_before = _busy(), os.getloadavg()[0]
    procs = [subprocess.Popen(
        ["wrk", "-t1", f"-c{per}", f"-d{seconds}s", "--latency", "-s", str(lua), url],
        stdout=subprocess.PIPE, text=True) for url in urls]
    outs = [p.communicate(timeout=seconds + 60)[0] for p in procs]
    after = _busy()
    cpu_after = (_cpu_seconds(servers or []), _cpu_seconds(backends))
    rates, p50s, p99s = [], [], []
    for out in outs:
        if "Non-2xx" in out or "Socket errors" in out:
            raise SystemExit(f"some requests failed:\n{out}")
        rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
        assert rate, out
        rates.append(float(rate[1]))
        p50s.append(_ms(out, "50%"))
        p99s.append(_ms(out, "99%"))
    busy = (after[0] - before[0]) / max(1, after[1] - before[1])
    requests = max(1.0, sum(rates) * seconds)
    return {"rate": sum(rates), "p50": sum(p50s) / len(p50s), "p99": max(p99s),
            "busy": busy * 100, "load": max(load_before, os.getloadavg()[0]),
            "server_ms": (cpu_after[0] - cpu_before[0]) * 1000 / requests,
            "pg_ms": (cpu_after[1] - cpu_before[1]) * 1000 / requests}


def _ms(out: str, label: str) -> float:
    match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
    assert match, out
    return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]


def _profile(pids: list[int], out_dir: str, seconds: int) -> list[subprocess.Popen[bytes]]:
    Path(out_dir).mkdir(parents=True, exist_ok=True)
    return [subprocess.Popen(
        ["py-spy", "record", "--pid", str(pid), "--duration", str(seconds), "--rate", "200",
         "--format", "speedscope", "--output", f"{out_dir}/serve-{pid}.json"],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL) for pid in pids]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--admin-url", default=os.environ.get("HEARTH_BENCH_ADMIN_URL",
                                                              ADMIN_URL))
    parser.add_argument("--statuses", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=32, help="in all, split in two")
    parser.add_argument("--processes", type=int, default=2)
    parser.add_argument("--keep", action="store_true", help="keep the scratch database")
    parser.add_argument("--reuse", help="an existing seeded database name (no seeding)")
    parser.add_argument("--profile", help="py-spy each server during the first run")
    parser.add_argument("--posts-per-second", type=float, default=0.0,
                        help="posts a second by followed accounts during the runs")
    parser.add_argument("--pool", type=int, help="HEARTH_DATABASE_POOL of each process")
    parser.add_argument("--path", default="/api/v1/timelines/home?limit=20",
                        help="another path to load, to compare (e.g. /api/v1/lists)")
    args = parser.parse_args()

    name = args.reuse or f"hearth_bench_timeline_{os.getpid()}"
    url = _db_url(args.admin_url, name)
    if not args.reuse:
        asyncio.run(_sql(args.admin_url, f'CREATE DATABASE "{name}"'))
    procs: list[subprocess.Popen[str]] = []
    try:
        with tempfile.TemporaryDirectory() as data_dir:
            env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_TEST")}
            env.update(HEARTH_DATA_DIR=data_dir, HEARTH_DATABASE_URL=url)
            if args.pool:
                env["HEARTH_DATABASE_POOL"] = str(args.pool)
            if not args.reuse:
                subprocess.run([str(HEARTH), "member", "create", "bench"], env=env,
                               check=True, input=PASSWORD + "\n", text=True,
                               capture_output=True)
                took = _seed(url, args.statuses)
                print(f"seeded {args.statuses:,} statuses in {took:.0f} s")
            bases = []
            for _ in range(args.processes):
                port = _free_port()
                bases.append(f"http://127.0.0.1:{port}")
                procs.append(_start({**env, "HEARTH_URL": bases[0]}, port))
            token = _token(bases[0])
            with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
                lua.write(f'wrk.headers["Authorization"] = "Bearer {token}"\n')
            print(f"{platform.node()}: {platform.machine()}, {os.cpu_count()} cores, "
                  f"Python {platform.python_version()}; {args.processes} hearth serve, "
                  f"wrk -c{args.concurrency} in all for {args.seconds} s a run; "
                  f"pool {args.pool or 'default'}; "
                  f"{args.posts_per_second:g} new posts a second")
            path = args.path
            _wrk([b + path for b in bases], Path(lua.name), 3, args.concurrency)  # warm up
            writer = _Writer(url, args.posts_per_second) if args.posts_per_second else None
            if writer:
                writer.start()
            for run in range(args.runs):
                spies = (_profile([p.pid for p in procs], args.profile, args.seconds)
                         if args.profile and run == 0 else [])
                got = _wrk([b + path for b in bases], Path(lua.name), args.seconds,
                           args.concurrency, [p.pid for p in procs], url)
                for spy in spies:
                    spy.wait(timeout=120)
                print(f"run {run + 1}: {got['rate']:7.0f} req/s  p50 {got['p50']:6.1f} ms  "
                      f"p99 {got['p99']:6.1f} ms  machine busy {got['busy']:.0f}%  "
                      f"load {got['load']:.1f}  CPU ms/request: servers "
                      f"{got['server_ms']:.2f}, PostgreSQL {got['pg_ms']:.2f}")
            if writer:
                writer.stop.set()
                writer.join(timeout=10)
                print(f"{writer.written} posts written during the runs")
            os.unlink(lua.name)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGTERM)
        for proc in procs:
            proc.wait(timeout=30)
        if not args.keep and not args.reuse:
            asyncio.run(_sql(args.admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))


if __name__ == "__main__":
    main()
