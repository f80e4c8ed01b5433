"""Page throughput of one `hearth serve` process.

Starts a real `hearth serve` (embedded PostgreSQL in a temporary data
directory, or HEARTH_DATABASE_URL when set), creates a member, logs in, and
loads each page with `wrk` (Debian's package) for a fixed time over a fixed
number of connections. Prints requests/s and latency percentiles.

    python bench/pages.py [--seconds 10] [--concurrency 32]

Without wrk it falls back to an httpx2 client in Python, which saturates
long before the server does: figures from that mode measure the client.
Loopback only; every run is bounded in time and count.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import platform
import re
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import httpx2 as httpx

HEARTH = Path(sys.executable).parent / "hearth"
PASSWORD = "bench password 123"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _start(env: dict[str, str], port: int) -> subprocess.Popen[str]:
    proc = subprocess.Popen(
        [str(HEARTH), "serve", "--port", str(port)], env=env, text=True,
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL,
    )
    assert proc.stdout is not None
    deadline = time.monotonic() + 60
    for line in proc.stdout:
        if "Hearth is serving" in line:
            return proc
        if time.monotonic() > deadline:
            break
    proc.kill()
    raise SystemExit("hearth serve did not start")


async def _login(base: str) -> dict[str, str]:
    async with httpx.AsyncClient(base_url=base) as client:
        page = (await client.get("/login")).text
        token = re.search(r'name="csrf_token" value="([^"]+)"', page)
        assert token
        response = await client.post("/login", data={
            "csrf_token": token.group(1), "username": "bench", "password": PASSWORD,
            "next": "/"})
        assert response.status_code == 303, response.status_code
        return dict(client.cookies.items())


async def _measure(base: str, path: str, total: int, concurrency: int,
                   cookies: dict[str, str] | None) -> tuple[float, list[float]]:
    latencies: list[float] = []
    remaining = total
    limits = httpx.Limits(max_connections=concurrency, max_keepalive_connections=concurrency)

    async with httpx.AsyncClient(base_url=base, cookies=cookies, limits=limits) as client:
        async def worker() -> None:
            nonlocal remaining
            while remaining > 0:
                remaining -= 1
                started = time.perf_counter()
                response = await client.get(path)
                latencies.append(time.perf_counter() - started)
                if response.status_code != 200:
                    raise SystemExit(f"{path} answered {response.status_code}")

        for _ in range(min(50, total)):  # warm-up
            await client.get(path)
        began = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
        elapsed = time.perf_counter() - began
    return total / elapsed, latencies


def _wrk(base: str, path: str, seconds: int, concurrency: int,
         cookies: dict[str, str] | None) -> tuple[float, float, float]:
    """requests/s, p50 ms and p99 ms from one wrk run."""
    jar = {"hearth_csrf": "benchmarkcsrfcookie0123456789", **(cookies or {})}
    header = "Cookie: " + "; ".join(f"{k}={v}" for k, v in jar.items())
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency", "-H", header,
         base + path], capture_output=True, text=True, check=True, timeout=seconds + 30,
    ).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{path}: some answers were not 2xx:\n{out}")

    def ms(label: str) -> float:
        match = re.search(rf"^\s+{label}\s+([\d.]+)(us|ms|s)\s*$", out, re.MULTILINE)
        assert match, out
        return float(match[1]) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[match[2]]

    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    assert rate, out
    return float(rate[1]), ms("50%"), ms("99%")


def _pct(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10, help="per page, with wrk")
    parser.add_argument("--requests", type=int, default=3000, help="per page, without wrk")
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args()

    with tempfile.TemporaryDirectory() as data_dir:
        env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_TEST")}
        port = _free_port()
        env.update(HEARTH_DATA_DIR=data_dir, HEARTH_URL=f"http://127.0.0.1:{port}")
        subprocess.run([str(HEARTH), "member", "create", "bench"], env=env, check=True,
                       input=PASSWORD + "\n", text=True, capture_output=True)
        proc = _start(env, port)
        try:
            base = env["HEARTH_URL"]
            cookies = asyncio.run(_login(base))
            db = "HEARTH_DATABASE_URL" if env.get("HEARTH_DATABASE_URL") else "embedded"
            print(f"machine: {platform.machine()}, {os.cpu_count()} cores, "
                  f"Python {platform.python_version()}, database: {db}")
            use_wrk = shutil.which("wrk") is not None
            load = (f"wrk, {args.seconds} s per page" if use_wrk else
                    f"httpx2 client (no wrk found), {args.requests} requests per page")
            print(f"{load}, {args.concurrency} connections, one `hearth serve` process")
            print(f"{'page':<28} {'req/s':>8} {'p50 ms':>8} {'p99 ms':>8}")
            for label, path, jar in (
                ("home (visitor)", "/", None),
                ("healthz (1 query)", "/healthz", None),
                ("profile (visitor, 1 query)", "/@bench", None),
                ("settings (member, 3 queries)", "/settings", cookies),
            ):
                if use_wrk:
                    rate, p50, p99 = _wrk(base, path, args.seconds, args.concurrency, jar)
                else:
                    rate, lat = asyncio.run(
                        _measure(base, path, args.requests, args.concurrency, jar))
                    p50, p99 = _pct(lat, 50), _pct(lat, 99)
                print(f"{label:<28} {rate:>8.0f} {p50:>8.1f} {p99:>8.1f}")
        finally:
            proc.send_signal(signal.SIGTERM)
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
