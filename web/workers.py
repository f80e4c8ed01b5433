"""Background jobs, run inside ``hearth serve`` or alone by ``hearth worker``.

Each job is a coroutine taking a connection; every process may run every job,
since they coordinate through the database (the federation issue adds the
inbox and delivery queues, claimed with ``FOR UPDATE SKIP LOCKED``).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import asyncpg

from recovery import store

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    interval: float  # seconds between runs
    run: Callable[[Any], Awaitable[int]]  # returns how many items it handled


async def _expire_sessions(conn: Any) -> int:
    return await store.delete_expired_sessions(conn)


JOBS: tuple[Job, ...] = (Job("expire-sessions", 3600.0, _expire_sessions),)


async def run_once(pool: asyncpg.Pool, jobs: tuple[Job, ...] = JOBS) -> dict[str, int]:
    """Run every job once; what tests and ``run_forever`` call."""
    done = {}
    for job in jobs:
        async with pool.acquire() as conn:
            done[job.name] = await job.run(conn)
    return done


async def run_forever(
    pool: asyncpg.Pool, stop: asyncio.Event, jobs: tuple[Job, ...] = JOBS
) -> None:
    await asyncio.gather(*(_loop(pool, stop, job) for job in jobs))


async def _loop(pool: asyncpg.Pool, stop: asyncio.Event, job: Job) -> None:
    while not stop.is_set():
        try:
            async with pool.acquire() as conn:
                handled = await job.run(conn)
            if handled:
                log.info("job %s handled %d item(s)", job.name, handled)
        except (OSError, asyncpg.PostgresError, asyncpg.InterfaceError) as exc:
            log.warning("job %s failed, will retry: %r", job.name, exc)
        try:
            await asyncio.wait_for(stop.wait(), timeout=job.interval)
        except TimeoutError:
            pass
