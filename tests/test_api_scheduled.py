"""Scheduled statuses: POST /api/v1/statuses with ``scheduled_at`` keeps a
post (a ScheduledStatus comes back, nothing is posted yet); the member lists
(paged), reads, moves and cancels theirs, and nobody else's; too soon, bad
times and Mastodon's limits are refused whole; the publish-scheduled job
writes due posts as immediate ones are written (Create queued, mentions
notified, streams told), drops for good those that can no longer be
written, and two jobs running at once never publish one twice."""

from __future__ import annotations

import asyncio
import json
import logging
import os
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx2
import pytest
from starlette.testclient import TestClient

from recovery.store.events import CHANNEL
from tests.conftest import Db, _create_from_template, _drop, make_settings, run, signup
from tests.helpers_api import bearer, password_token, register_app
from web import database
from web.app import create_app
from web.settings import Settings
from web.workers import JOBS, JobContext, run_once

TOO_SOON = "Validation failed: Scheduled at The scheduled date must be in the future"
REMOTE = "https://peer.example/users/ash"
PUBLISH = tuple(j for j in JOBS if j.name == "publish-scheduled")


@pytest.fixture(scope="module")
def shared_url(pg_admin_url: str, template_name: str) -> Iterator[str]:
    """One database for the module: each test has members of its own."""
    name = f"hearth_sched_{os.getpid()}"
    run(_create_from_template(pg_admin_url, name, template_name))
    yield database.with_database(pg_admin_url, name)
    run(_drop(pg_admin_url, name))


@pytest.fixture(scope="module")
def app_settings(shared_url: str) -> Settings:
    return make_settings(shared_url)


@pytest.fixture(scope="module")
def api(app_settings: Settings) -> Iterator[TestClient]:
    with TestClient(create_app(app_settings), base_url=app_settings.url,
                    follow_redirects=False) as client:
        yield client


@pytest.fixture(scope="module")
def sdb(shared_url: str) -> Db:
    return Db(shared_url)


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _later(**delta: float) -> str:
    return (datetime.now(UTC) + timedelta(**delta)).isoformat()


def _schedule(client: Any, auth: dict[str, str], when: str | None = None,
              **data: Any) -> Any:
    data.setdefault("status", "Day 30. Grateful.")
    return client.post("/api/v1/statuses", headers=auth,
                       data={"scheduled_at": when or _later(hours=2), **data})


def _id_of(db: Db, username: str) -> int:
    found: int = db.fetchval("SELECT id FROM members WHERE username = $1", username)
    return found


def _make_due(db: Db, member_id: int) -> None:
    db.execute("""UPDATE scheduled_posts SET scheduled_at = now() - interval '1 minute'
                  WHERE member_id = $1""", member_id)


def _count(db: Db, table: str, member_id: int) -> int:
    column = {"posts": "author_member_id", "scheduled_posts": "member_id",
              "deliveries": "signer_member_id"}[table]
    found: int = db.fetchval(f"SELECT count(*) FROM {table} WHERE {column} = $1", member_id)
    return found


async def _publish(url: str, settings: Settings, runs: int = 1) -> list[dict[str, int]]:
    """Run the publish-scheduled job ``runs`` times at once, each with a
    pool of its own, as separate processes would."""
    pools = [await asyncpg.create_pool(url, min_size=1, max_size=2) for _ in range(runs)]
    http = httpx2.AsyncClient(transport=httpx2.MockTransport(
        lambda request: httpx2.Response(404)))
    try:
        context = JobContext(http, settings, asyncio.Event())
        return list(await asyncio.gather(*(run_once(p, PUBLISH, context) for p in pools)))
    finally:
        await http.aclose()
        for pool in pools:
            await pool.close()


# -- scheduling ----------------------------------------------------------------------

def test_a_scheduled_post_comes_back_as_a_scheduled_status_and_is_not_posted(api, sdb):
    auth = _member(api, "river")
    river = _id_of(sdb, "river")
    when = datetime.now(UTC).replace(microsecond=0) + timedelta(days=1)
    response = _schedule(api, auth, when.isoformat().replace("+00:00", "Z"),
                         spoiler_text="milestone", visibility="unlisted", language="en",
                         sensitive="true")
    assert response.status_code == 200, response.text
    found = response.json()
    app_id = sdb.fetchval("SELECT app_id FROM oauth_tokens WHERE member_id = $1", river)
    assert found == {
        "id": found["id"],
        "scheduled_at": when.strftime("%Y-%m-%dT%H:%M:%S.000Z"),
        "params": {"text": "Day 30. Grateful.", "poll": None, "media_ids": None,
                   "sensitive": True, "spoiler_text": "milestone", "visibility": "unlisted",
                   "idempotency": None, "scheduled_at": None, "language": "en",
                   "in_reply_to_id": None, "application_id": app_id,
                   "with_rate_limit": False},
        "media_attachments": [],
    }
    assert _count(sdb, "posts", river) == 0 and _count(sdb, "deliveries", river) == 0
    assert api.get(f"/api/v1/scheduled_statuses/{found['id']}", headers=auth).json() == found
    assert api.get("/api/v1/scheduled_statuses", headers=auth).json() == [found]


def test_another_members_scheduled_posts_are_as_if_they_did_not_exist(api):
    lake = _member(api, "lake")
    fern = _member(api, "fern")
    found = _schedule(api, lake).json()
    path = f"/api/v1/scheduled_statuses/{found['id']}"
    assert api.get("/api/v1/scheduled_statuses", headers=fern).json() == []
    assert api.get(path, headers=fern).status_code == 404
    assert api.put(path, headers=fern, data={"scheduled_at": _later(days=2)}).status_code \
        == 404
    assert api.delete(path, headers=fern).json() == {"error": "Record not found"}
    assert api.get(path, headers=lake).json() == found
    assert api.get("/api/v1/scheduled_statuses/abc", headers=lake).status_code == 404


def test_too_soon_and_unreadable_times_are_refused_and_nothing_is_kept(api, sdb):
    auth = _member(api, "cedar")
    cedar = _id_of(sdb, "cedar")
    not_a_time = "Validation failed: Scheduled at is not an ISO 8601 date and time"
    for when, error in [(_later(minutes=2), TOO_SOON), (_later(hours=-1), TOO_SOON),
                        ("next tuesday", not_a_time), ("9999-12-31T23:00:00Z", not_a_time)]:
        response = _schedule(api, auth, when)
        assert response.status_code == 422, when
        assert response.json() == {"error": error}
    assert _schedule(api, auth, status=" ").json() == {
        "error": "Validation failed: Text can't be blank"}
    assert _schedule(api, auth, in_reply_to_id="999999").status_code == 404
    assert _schedule(api, auth, visibility="direct", status="no one").status_code == 422
    images = _schedule(api, auth, media_ids=["1"])
    assert images.status_code == 422 and "image" in images.json()["error"]  # not theirs
    assert _count(sdb, "scheduled_posts", cedar) == 0 and _count(sdb, "posts", cedar) == 0


def test_scopes_are_enforced(api):
    signup(api, "birch")
    app = register_app(api)
    reader = bearer(password_token(api, app, "birch", scope="read:statuses"))
    writer = bearer(password_token(api, app, "birch", scope="write:statuses"))
    assert _schedule(api, reader).status_code == 403
    found = _schedule(api, writer).json()
    assert api.get("/api/v1/scheduled_statuses", headers=writer).status_code == 403
    assert api.get("/api/v1/scheduled_statuses", headers=reader).json() == [found]
    path = f"/api/v1/scheduled_statuses/{found['id']}"
    assert api.delete(path, headers=reader).status_code == 403
    assert api.get("/api/v1/scheduled_statuses").status_code == 401


def test_the_same_idempotency_key_schedules_one_post(api, sdb):
    auth = {**_member(api, "moss"), "idempotency-key": "k1"}
    first = api.post("/api/v1/statuses", headers=auth,
                     data={"status": "once", "scheduled_at": _later(hours=1)}).json()
    again = api.post("/api/v1/statuses", headers=auth,
                     data={"status": "once", "scheduled_at": _later(hours=1)}).json()
    assert again == first and first["params"]["idempotency"] == "k1"
    assert _count(sdb, "scheduled_posts", _id_of(sdb, "moss")) == 1


def test_a_scheduled_post_is_moved_and_cancelled(api, sdb):
    auth = _member(api, "willow")
    found = _schedule(api, auth).json()
    path = f"/api/v1/scheduled_statuses/{found['id']}"
    when = datetime(2100, 1, 2, 3, 4, 5, tzinfo=UTC)
    moved = api.put(path, headers=auth, json={"scheduled_at": when.isoformat()})
    assert moved.status_code == 200, moved.text
    assert moved.json() == {**found, "scheduled_at": "2100-01-02T03:04:05.000Z"}
    refused = api.put(path, headers=auth, data={"scheduled_at": _later(minutes=1)})
    assert refused.json() == {"error": TOO_SOON}
    assert api.put(path, headers=auth, data={}).status_code == 422
    assert api.get(path, headers=auth).json()["scheduled_at"] == "2100-01-02T03:04:05.000Z"
    assert api.delete(path, headers=auth).json() == {}
    assert api.get(path, headers=auth).status_code == 404
    assert api.delete(path, headers=auth).status_code == 404
    assert _count(sdb, "scheduled_posts", _id_of(sdb, "willow")) == 0


def test_the_list_is_paged_newest_first_with_link_headers(api):
    auth = _member(api, "heron")
    ids = [_schedule(api, auth, status=f"post {n}").json()["id"] for n in range(3)]
    first = api.get("/api/v1/scheduled_statuses?limit=2", headers=auth)
    assert [s["id"] for s in first.json()] == [ids[2], ids[1]]
    assert f"max_id={ids[1]}" in first.headers["link"]
    assert f"min_id={ids[2]}" in first.headers["link"]
    older = api.get(f"/api/v1/scheduled_statuses?limit=2&max_id={ids[1]}", headers=auth)
    assert [s["id"] for s in older.json()] == [ids[0]]
    newer = api.get(f"/api/v1/scheduled_statuses?min_id={ids[0]}&limit=1", headers=auth)
    assert [s["id"] for s in newer.json()] == [ids[1]]


def test_mastodons_daily_and_total_limits_are_refused(api, sdb):
    auth = _member(api, "aspen")
    aspen = _id_of(sdb, "aspen")
    day = datetime(2100, 3, 4, 12, tzinfo=UTC)
    sdb.execute("""INSERT INTO scheduled_posts (member_id, scheduled_at, text, visibility)
                   SELECT $1, $2, 'queued', 'public' FROM generate_series(1, 25)""",
                aspen, day)
    refused = _schedule(api, auth, (day + timedelta(hours=11)).isoformat())
    assert refused.status_code == 422
    assert refused.json() == {"error": "Validation failed: You have exceeded the limit of "
                                       "25 scheduled posts for today"}
    assert _schedule(api, auth, (day + timedelta(hours=12)).isoformat()).status_code == 200
    one = sdb.fetchval("SELECT min(id) FROM scheduled_posts WHERE member_id = $1", aspen)
    moved = api.put(f"/api/v1/scheduled_statuses/{one}", headers=auth,
                    data={"scheduled_at": (day + timedelta(hours=1)).isoformat()})
    assert moved.status_code == 200, moved.text  # within its own day: still 25
    sdb.execute("""INSERT INTO scheduled_posts (member_id, scheduled_at, text, visibility)
                   SELECT $1, $2::timestamptz + make_interval(days => n), 'queued', 'public'
                   FROM generate_series(2, 275) AS n""", aspen, day)
    assert _count(sdb, "scheduled_posts", aspen) == 300
    refused = _schedule(api, auth, _later(days=5))
    assert refused.json() == {"error": "Validation failed: You have exceeded the limit of "
                                       "300 scheduled posts"}
    assert _count(sdb, "scheduled_posts", aspen) == 300


# -- publishing ----------------------------------------------------------------------

def test_a_due_post_is_published_as_an_immediate_one_and_its_row_removed(
        api, sdb, shared_url, app_settings):
    river = _member(api, "rowan")
    sky = _member(api, "sky")
    river_id, sky_id = _id_of(sdb, "rowan"), _id_of(sdb, "sky")
    remote = sdb.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, document)
           VALUES ($1, 'peer.example', 'Person', 'ash', 'https://peer.example/inbox', '{}')
           RETURNING id""", REMOTE)
    sdb.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                   VALUES ('https://peer.example/follows/1', $1, $2, 'accepted')""",
                remote, river_id)
    parent = api.post("/api/v1/statuses", headers=sky,
                      data={"status": "Anyone around tonight?", "visibility": "public"}).json()
    later = _schedule(api, river, status="Still here, @sky. Day 31.", visibility="public",
                      in_reply_to_id=parent["id"]).json()
    not_yet = _schedule(api, river, status="Not yet", visibility="public").json()
    assert run(_publish(shared_url, app_settings)) == [{"publish-scheduled": 0}]  # none due
    sdb.execute("UPDATE scheduled_posts SET scheduled_at = now() - interval '1 minute' "
                "WHERE id = $1", int(later["id"]))

    events: list[dict[str, Any]] = []

    async def publish_and_listen() -> list[dict[str, int]]:
        listener = await asyncpg.connect(shared_url)
        arrived = asyncio.Event()

        def heard(*args: Any) -> None:
            events.append(json.loads(args[-1]))
            arrived.set()
        try:
            await listener.add_listener(CHANNEL, heard)
            done = await _publish(shared_url, app_settings)
            await asyncio.wait_for(arrived.wait(), timeout=10)
            return done
        finally:
            await listener.close()

    assert run(publish_and_listen()) == [{"publish-scheduled": 1}]
    post = sdb.fetch("SELECT * FROM posts WHERE author_member_id = $1", river_id)
    assert len(post) == 1
    assert "Day 31." in post[0]["content_html"] and post[0]["visibility"] == "public"
    assert post[0]["in_reply_to_id"] == int(parent["id"])
    assert any(e.get("k") == "post" and e.get("id") == post[0]["id"] for e in events)
    assert [r["id"] for r in sdb.fetch("SELECT id FROM scheduled_posts WHERE member_id = $1",
                                       river_id)] == [int(not_yet["id"])]
    payloads = [json.loads(r["payload"]) for r in sdb.fetch(
        "SELECT payload FROM deliveries WHERE signer_member_id = $1", river_id)]
    assert [p["type"] for p in payloads] == ["Create"]
    assert sdb.fetchval("""SELECT count(*) FROM notifications WHERE member_id = $1
                           AND kind = 'mention' AND post_id = $2""", sky_id, post[0]["id"]) == 1
    shown = api.get(f"/api/v1/statuses/{post[0]['id']}", headers=river).json()
    assert shown["in_reply_to_id"] == parent["id"]
    assert api.get("/api/v1/scheduled_statuses", headers=river).json() == [not_yet]


def test_a_post_that_can_no_longer_be_written_is_dropped_and_logged(
        api, sdb, shared_url, app_settings, caplog):
    auth = _member(api, "alder")
    alder = _id_of(sdb, "alder")
    parent = api.post("/api/v1/statuses", headers=auth, data={"status": "first"}).json()
    _schedule(api, auth, status="a reply", in_reply_to_id=parent["id"])
    _schedule(api, auth, status="on its own")
    assert api.delete(f"/api/v1/statuses/{parent['id']}", headers=auth).status_code == 200
    _make_due(sdb, alder)
    with caplog.at_level(logging.WARNING, logger="web.scheduling"):
        assert run(_publish(shared_url, app_settings)) == [{"publish-scheduled": 2}]
    assert "dropped" in caplog.text and "NotFound" in caplog.text
    assert "a reply" not in caplog.text  # the post's text is the member's, not the log's
    texts = [r["content_html"] for r in sdb.fetch(
        "SELECT content_html FROM posts WHERE author_member_id = $1", alder)]
    assert texts == ["<p>on its own</p>"]
    assert _count(sdb, "scheduled_posts", alder) == 0
    assert run(_publish(shared_url, app_settings)) == [{"publish-scheduled": 0}]


def test_two_jobs_at_once_never_publish_a_post_twice(api, sdb, shared_url, app_settings):
    auth = _member(api, "hazel")
    hazel = _id_of(sdb, "hazel")
    for n in range(8):
        _schedule(api, auth, status=f"post {n}")
    _make_due(sdb, hazel)
    done = run(_publish(shared_url, app_settings, runs=3))
    assert sum(d["publish-scheduled"] for d in done) == 8
    texts = sorted(r["content_html"] for r in sdb.fetch(
        "SELECT content_html FROM posts WHERE author_member_id = $1", hazel))
    assert texts == sorted(f"<p>post {n}</p>" for n in range(8))
    assert _count(sdb, "scheduled_posts", hazel) == 0
