"""The inbox worker's batches: one transaction per batch, a savepoint per
activity. Each activity still counts alone (what a failing one wrote is
undone, the others stay), activities are handled in the order received
(one actor's in particular), and a batch whose transaction fails keeps
nothing and comes back. Fixtures and helpers are test_inbox_worker.py's."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from inbox import handlers
from tests.test_inbox_worker import (  # noqa: F401 (fixtures)
    ALICE,
    BOB,
    activity,
    create,
    deliver,
    known,
    note,
    remote,
    work,
)


def _rows(db) -> dict[int, Any]:
    return {r["id"]: r for r in db.fetch("SELECT * FROM inbox_activities ORDER BY id")}


def _post_uris(db) -> set[str]:
    return {r["uri"] for r in db.fetch("SELECT uri FROM posts WHERE uri IS NOT NULL")}


def test_a_failing_activity_leaves_nothing_behind_and_the_rest_of_its_batch_stays(
        db, work, monkeypatch):  # noqa: F811
    real = handlers.HANDLERS[("Create", "Note")]

    async def writes_then_breaks(job: Any) -> str:
        outcome = await real(job)
        if job.activity.object.id.endswith("/statuses/2"):
            raise RuntimeError("handler bug after its write")
        return outcome

    monkeypatch.setitem(handlers.HANDLERS, ("Create", "Note"), writes_then_breaks)
    known(db, ALICE)
    ids = [deliver(db, create(note(number=n))) for n in (1, 2, 3)]

    assert work() == 3

    assert _post_uris(db) == {f"{ALICE}/statuses/1", f"{ALICE}/statuses/3"}
    rows = _rows(db)
    assert rows[ids[0]]["processed_at"] is not None and rows[ids[0]]["last_error"] is None
    assert rows[ids[2]]["processed_at"] is not None and rows[ids[2]]["last_error"] is None
    broken = rows[ids[1]]
    assert broken["processed_at"] is None and "handler bug" in broken["last_error"]


def test_dropped_activities_in_a_batch_are_marked_with_their_reason(db, work):  # noqa: F811
    known(db, ALICE)
    stolen = create(note(number=7), actor=ALICE)
    stolen["object"]["id"] = "https://elsewhere.example/statuses/7"
    ids = [deliver(db, create(note(number=6))), deliver(db, stolen),
           deliver(db, create(note(number=8)))]

    assert work() == 3

    rows = _rows(db)
    assert all(rows[i]["processed_at"] is not None for i in ids)
    assert rows[ids[0]]["last_error"] is None and rows[ids[2]]["last_error"] is None
    assert rows[ids[1]]["last_error"].startswith("dropped:")
    assert _post_uris(db) == {f"{ALICE}/statuses/6", f"{ALICE}/statuses/8"}


def test_one_actors_activities_are_handled_in_the_order_received(db, work):  # noqa: F811
    known(db, ALICE)
    known(db, BOB)
    first = note(number=1)
    edited = {**first, "content": "<p>edited</p>", "updated": "2026-11-26T12:00:00Z"}
    deliver(db, create(first))
    deliver(db, create(note(BOB, number=5)))
    deliver(db, activity("Update", edited))
    deliver(db, activity("Delete", f"{ALICE}/statuses/9"))  # before its Create (45)
    deliver(db, create(note(number=9)))

    assert work() == 5

    content = db.fetchval("SELECT content_html FROM posts WHERE uri = $1", f"{ALICE}/statuses/1")
    assert "edited" in content
    assert f"{ALICE}/statuses/9" not in _post_uris(db)
    assert f"{BOB}/statuses/5" in _post_uris(db)


def test_a_batch_whose_transaction_fails_keeps_nothing_and_comes_back(
        db, work, monkeypatch):  # noqa: F811
    real = handlers.HANDLERS[("Create", "Note")]

    async def loses_the_database(job: Any) -> str:
        outcome = await real(job)
        if job.activity.object.id.endswith("/statuses/3"):
            await job.conn.execute("SELECT pg_terminate_backend(pg_backend_pid())")
        return outcome

    monkeypatch.setitem(handlers.HANDLERS, ("Create", "Note"), loses_the_database)
    known(db, ALICE)
    for n in (1, 2, 3, 4):
        deliver(db, create(note(number=n)))

    with pytest.raises((asyncpg.PostgresError, asyncpg.InterfaceError, OSError)):
        work()

    assert _post_uris(db) == set()
    assert all(r["processed_at"] is None and r["attempts"] == 1 for r in _rows(db).values())
    db.execute("UPDATE inbox_activities SET next_attempt_at = now()")  # the lease ends
    monkeypatch.setitem(handlers.HANDLERS, ("Create", "Note"), real)
    assert work() == 4
    assert _post_uris(db) == {f"{ALICE}/statuses/{n}" for n in (1, 2, 3, 4)}


def test_lanes_split_the_inbox_by_actor_so_one_actors_activities_share_a_lane(db):
    from inbox import store as inbox_store
    from tests.conftest import run

    actors = [f"https://peer{n}.example/users/u{n}" for n in range(12)]
    for number in range(3):
        for actor in actors:
            deliver(db, activity("Like", f"{actor}/statuses/{number}", actor=actor))

    async def claim(lane: int) -> list[Any]:
        conn = await asyncpg.connect(db.url)
        try:
            async with conn.transaction():
                return await inbox_store.claim_activities(conn, 100, lane, 2)
        finally:
            await conn.close()

    first, second = run(claim(0)), run(claim(1))
    lanes = {item.actor_uri for item in first}, {item.actor_uri for item in second}
    assert lanes[0] and lanes[1] and not lanes[0] & lanes[1]
    assert lanes[0] | lanes[1] == set(actors)
    assert len(first) + len(second) == 36
    for claimed in (first, second):
        assert [item.id for item in claimed] == sorted(item.id for item in claimed)
