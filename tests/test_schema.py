"""schema.sql applies cleanly, again, and from several processes at once."""

from __future__ import annotations

import asyncio

import asyncpg

from tests.conftest import run
from web import database


def test_schema_applies_again_without_changing_data(db):
    db.execute("INSERT INTO invites (code) VALUES ('kept-across-apply-1')")

    async def apply_twice() -> None:
        conn = await asyncpg.connect(db.url)
        try:
            await database.apply_schema(conn)
            await database.apply_schema(conn)
        finally:
            await conn.close()

    run(apply_twice())
    assert db.fetchval("SELECT count(*) FROM invites") == 1


def test_schema_applies_concurrently_from_several_processes(pg_admin_url):
    name = "hearth_concurrent_schema"

    async def scenario() -> list[str]:
        admin = await asyncpg.connect(pg_admin_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        url = database.with_database(pg_admin_url, name)
        conns = [await asyncpg.connect(url) for _ in range(4)]
        try:
            await asyncio.gather(*(database.apply_schema(c) for c in conns))
            rows = await conns[0].fetch(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")
            return [r["tablename"] for r in rows]
        finally:
            for c in conns:
                await c.close()
            admin = await asyncpg.connect(pg_admin_url)
            await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            await admin.close()

    tables = run(scenario())
    assert {"members", "sessions", "invites", "recovery_codes"} <= set(tables)


def test_the_signing_key_is_made_once_and_shared(db):
    from recovery import store

    async def twice() -> tuple[bytes, bytes]:
        conn = await asyncpg.connect(db.url)
        try:
            first = await store.get_or_create_signing_key(conn, b"a" * 32)
            second = await store.get_or_create_signing_key(conn, b"b" * 32)
            return first, second
        finally:
            await conn.close()

    first, second = run(twice())
    assert first == second == b"a" * 32
