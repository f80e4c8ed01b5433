"""CPU per POST of the two HTTP stacks a delivery can go through, alone:
no signing, no database. 6,000 POSTs of 1 KB, 16 at a time over kept-alive
connections, to the delivery bench's sink (its own process, answering 202),
through ``make_client``'s httpx2 side and through its aiohttp poster
(``federation.post``), each on asyncio's loop and on uvloop.

    python bench/http_post.py [--requests 6000]

Prints CPU microseconds per request (this process's user+sys) and
requests/s; the sink shares the machine, so requests/s moves with the load
and CPU per request is the figure to compare.
"""

from __future__ import annotations

import argparse
import asyncio
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from federation.fetch import FetchPolicy, make_client
from federation.post import HttpxPoster, poster_for

BODY = b"x" * 1000
LANES = 16


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


async def _post_all(port: int, requests: int, stack: str) -> tuple[float, float]:
    async with make_client(FetchPolicy(user_agent="bench", allow_private=True)) as client:
        poster: Any = poster_for(client) if stack == "aiohttp" else HttpxPoster(client)
        headers = {"Content-Type": "application/activity+json"}

        async def lane(n: int) -> None:
            for _ in range(requests // LANES):
                answer = await poster.post(f"http://127.0.0.1:{port}/users/{n}/inbox",
                                           headers, BODY)
                assert answer.status == 202

        cpu, wall = time.process_time(), time.perf_counter()
        await asyncio.gather(*(lane(n) for n in range(LANES)))
        return time.process_time() - cpu, time.perf_counter() - wall


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=6000)
    args = parser.parse_args()
    import uvloop

    port = _free_port()
    sink = subprocess.Popen([sys.executable, str(Path(__file__).parent / "delivery.py"),
                             "--sink", str(port)], stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout is not None and sink.stdout.readline().strip() == "ready"
        for stack in ("httpx2", "aiohttp"):
            for name, run in (("asyncio", asyncio.run), ("uvloop", uvloop.run)):
                cpu, wall = run(_post_all(port, args.requests, stack))
                done = args.requests // LANES * LANES
                print(f"{stack:8} on {name:8} {cpu / done * 1e6:5.0f} µs CPU per POST, "
                      f"{done / wall:7,.0f} POSTs/s")
    finally:
        sink.send_signal(signal.SIGTERM)
        sink.communicate(timeout=10)


if __name__ == "__main__":
    main()
