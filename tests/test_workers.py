"""Background jobs run once on demand and do real work."""

from __future__ import annotations

import asyncpg

from tests.conftest import run, signup
from web.workers import run_once


def test_expired_sessions_are_removed_by_the_worker(client, app_factory, db):
    signup(client, "sleeper")
    signup(app_factory(), "awake")
    db.execute("UPDATE sessions SET expires_at = now() - interval '1 second' "
               "WHERE member_id = (SELECT id FROM members WHERE username = 'sleeper')")
    assert "Log out" not in client.get("/").text  # expired already counts as logged out

    async def once() -> dict[str, int]:
        pool = await asyncpg.create_pool(db.url, min_size=1, max_size=2)
        try:
            return await run_once(pool)
        finally:
            await pool.close()

    done = run(once())  # every job without a context ran; only sessions had work
    assert done["expire-sessions"] == 1
    assert {name: n for name, n in done.items() if n and name != "expire-sessions"} == {}
    assert db.fetchval("SELECT count(*) FROM sessions") == 1
