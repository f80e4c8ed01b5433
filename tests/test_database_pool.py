"""The pool's light release (``web.database._keep_session``): a released
connection comes back clean as far as Hearth relies on, and nothing in the
code keeps session state on a pooled connection, which the light release
would leave behind."""

from __future__ import annotations

import re
from pathlib import Path

import asyncpg
import pytest

from tests.conftest import run
from web import database

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = ("federation", "inbox", "outbox", "recovery", "web")
# Statements that leave state on the session after their transaction ends.
SESSION_STATE = re.compile(
    r"""["';]\s*SET\s+(?!LOCAL\b)|\bLISTEN\b|\bpg_advisory_lock\b"""
    r"|\bpg_advisory_lock_shared\b|\bWITH\s+HOLD\b|\bPREPARE\s+\w+\s+AS\b|\bCREATE\s+TEMP",
)


def _sql_modules() -> list[Path]:
    """Where SQL lives: store modules (tests/test_layout.py) and web/database.py."""
    paths = [ROOT / "web" / "database.py"]
    for package in PACKAGES:
        paths += [path for path in sorted((ROOT / package).rglob("*.py"))
                  if path.name == "store.py" or path.parent.name == "store"]
    return paths


def test_no_code_keeps_session_state_on_a_pooled_connection() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{number}: {line.strip()}"
        for path in _sql_modules()
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if SESSION_STATE.search(line)
    ]
    assert found == [], "the pool's release does not reset this; see database._keep_session"


def test_a_connection_released_mid_transaction_comes_back_outside_it(database_url: str) -> None:
    async def scenario() -> tuple[bool, int]:
        pool = await database.create_pool(database_url, max_size=1)
        try:
            with pytest.raises(ZeroDivisionError):
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("CREATE TABLE pool_probe (n int)")
                    raise ZeroDivisionError
            async with pool.acquire() as conn:  # the same (only) connection
                exists = await conn.fetchval("SELECT to_regclass('pool_probe') IS NOT NULL")
                return conn.is_in_transaction() or exists, await conn.fetchval("SELECT 1")
        finally:
            await pool.close()

    assert run(scenario()) == (False, 1)


def test_a_connection_whose_query_failed_is_usable_after_release(database_url: str) -> None:
    async def scenario() -> int:
        pool = await database.create_pool(database_url, max_size=1)
        try:
            with pytest.raises(asyncpg.PostgresError):
                async with pool.acquire() as conn, conn.transaction():
                    await conn.execute("SELECT 1 / 0")
            async with pool.acquire() as conn:
                value: int = await conn.fetchval("SELECT 2")
                return value
        finally:
            await pool.close()

    assert run(scenario()) == 2
