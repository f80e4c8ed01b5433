"""Client-API throughput of one `hearth serve` process: an authenticated
call (bearer token looked up by its SHA-256, scopes checked, the member's
account serialised with its counts) against a public one.

Starts a real `hearth serve` (embedded PostgreSQL in a temporary data
directory, or HEARTH_DATABASE_URL when set), creates a member, gets a token
with the password grant, and loads each endpoint with `wrk` for a fixed
time. Loopback only; every run is bounded in time.

    python bench/api.py [--seconds 10] [--concurrency 32]
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import tempfile

import httpx2 as httpx
from pages import HEARTH, PASSWORD, _free_port, _start  # bench/pages.py

ENDPOINTS = ("/api/v1/instance", "/api/v1/accounts/verify_credentials", "/api/v1/lists")


def _token(base: str) -> str:
    with httpx.Client(base_url=base) as client:
        app = client.post("/api/v1/apps", data={
            "client_name": "bench", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read"}).json()
        response = client.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "bench",
            "password": PASSWORD, "scope": "read"})
        response.raise_for_status()
        token: str = response.json()["access_token"]
        return token


def _wrk(url: str, seconds: int, concurrency: int, token: str) -> tuple[float, str, str]:
    out = subprocess.run(
        ["wrk", "-t1", f"-c{concurrency}", f"-d{seconds}s", "--latency",
         "-H", f"Authorization: Bearer {token}", url],
        capture_output=True, text=True, check=True, timeout=seconds + 30).stdout
    if "Non-2xx" in out:
        raise SystemExit(f"{url}: some answers were not 2xx:\n{out}")
    rate = re.search(r"Requests/sec:\s+([\d.]+)", out)
    p50 = re.search(r"^\s+50%\s+(\S+)", out, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+(\S+)", out, re.MULTILINE)
    assert rate and p50 and p99, out
    return float(rate[1]), p50[1], p99[1]


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=int, default=10)
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
            token = _token(base)
            print(f"{platform.node()}: {os.cpu_count()} cores; wrk -c{args.concurrency} "
                  f"for {args.seconds} s per endpoint, one hearth serve process")
            for path in ENDPOINTS:
                rate, p50, p99 = _wrk(base + path, args.seconds, args.concurrency, token)
                print(f"{path:42} {rate:8.0f} req/s  p50 {p50:>8}  p99 {p99:>8}")
        finally:
            proc.terminate()
            proc.wait(timeout=30)


if __name__ == "__main__":
    main()
