"""Scheduled posts with images: POST /api/v1/statuses with ``scheduled_at``
and ``media_ids[]`` keeps the member's uploads with the post (listed in the
ScheduledStatus's params.media_ids and media_attachments); held uploads do
not expire and no other post takes them; the publish-scheduled job attaches
them, in order, to the post it writes (the Create carries them); cancelling
lets them expire as any unattached upload does; uploads not the member's
to use are refused and nothing is kept."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx2
import pytest

from tests.conftest import make_settings, run, signup
from tests.helpers_api import bearer, password_token, register_app
from tests.helpers_media import jpeg_with_gps
from web.settings import Settings
from web.workers import JOBS, JobContext, run_once

REMOTE = "https://peer.example/users/ash"


@pytest.fixture
def media_dir(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def settings(database_url, media_dir) -> Settings:
    return make_settings(database_url, media_dir=media_dir, media_max_side=256)


@pytest.fixture
def api(app_factory, media_dir):
    return app_factory(media_dir=media_dir, media_max_side=256)


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name))


def _upload(client: Any, auth: dict[str, str], description: str = "") -> str:
    response = client.post("/api/v2/media", headers=auth, data={"description": description},
                           files={"file": ("photo.jpg", jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 200, response.text
    media_id: str = response.json()["id"]
    return media_id


def _schedule(client: Any, auth: dict[str, str], media_ids: list[str], **data: Any) -> Any:
    when = (datetime.now(UTC) + timedelta(hours=2)).isoformat()
    return client.post("/api/v1/statuses", headers=auth, data={
        "scheduled_at": when, "visibility": "public", "media_ids[]": media_ids, **data})


def _age_uploads(db: Any) -> None:
    """Every upload as if made more than a day ago (past the expiry age)."""
    db.execute("UPDATE media_attachments SET created_at = now() - interval '25 hours'")


def _run(database_url: str, settings: Settings, job: str) -> dict[str, int]:
    async def go() -> dict[str, int]:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        http = httpx2.AsyncClient(transport=httpx2.MockTransport(
            lambda request: httpx2.Response(404)))
        try:
            context = JobContext(http, settings, asyncio.Event())
            return await run_once(pool, tuple(j for j in JOBS if j.name == job), context)
        finally:
            await http.aclose()
            await pool.close()
    return run(go())


def _remote_follower(db: Any, username: str) -> None:
    remote = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, document)
           VALUES ($1, 'peer.example', 'Person', 'ash', 'https://peer.example/inbox', '{}')
           RETURNING id""", REMOTE)
    db.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                  SELECT 'https://peer.example/follows/1', $1, id, 'accepted'
                  FROM members WHERE username = $2""", remote, username)


def test_a_scheduled_post_holds_its_images_and_is_published_with_them(
        api, db, database_url, settings, media_dir):
    river = _member(api, "river")
    _remote_follower(db, "river")
    first, second = _upload(api, river, "a sunrise"), _upload(api, river, "the lake")
    response = _schedule(api, river, [second, first], status="Day 40.")
    assert response.status_code == 200, response.text
    kept = response.json()
    assert kept["params"]["media_ids"] == [second, first]
    assert [m["id"] for m in kept["media_attachments"]] == [second, first]
    assert kept["media_attachments"][0]["description"] == "the lake"
    assert kept["media_attachments"][0]["url"].startswith("http://testserver/media/")
    shown = api.get(f"/api/v1/scheduled_statuses/{kept['id']}", headers=river).json()
    assert shown == kept
    assert api.get("/api/v1/scheduled_statuses", headers=river).json() == [kept]
    images_only = _schedule(api, river, [_upload(api, river)], status="")
    assert images_only.status_code == 200, images_only.text

    # held uploads outlive the expiry age, and no immediate post takes them
    _age_uploads(db)
    assert _run(database_url, settings, "expire-media") == {"expire-media": 0}
    taken = api.post("/api/v1/statuses", headers=river,
                     data={"status": "now", "media_ids[]": [first]})
    assert taken.status_code == 422 and "image" in taken.json()["error"]
    assert db.fetchval("SELECT count(*) FROM posts") == 0

    db.execute("UPDATE scheduled_posts SET scheduled_at = now() - interval '1 minute'")
    assert _run(database_url, settings, "publish-scheduled") == {"publish-scheduled": 2}
    assert db.fetchval("SELECT count(*) FROM scheduled_posts") == 0
    post_id = db.fetchval("SELECT id FROM posts WHERE content_html LIKE '%Day 40.%'")
    status = api.get(f"/api/v1/statuses/{post_id}", headers=river).json()
    assert [m["id"] for m in status["media_attachments"]] == [second, first]
    creates = [json.loads(r["payload"]) for r in db.fetch("SELECT payload FROM deliveries")]
    attachments = [c["object"].get("attachment") or [] for c in creates]
    assert sorted(len(a) for a in attachments) == [1, 2]
    assert db.fetchval("""SELECT count(*) FROM media_attachments
                          WHERE post_id IS NULL OR scheduled_post_id IS NOT NULL""") == 0
    assert _run(database_url, settings, "expire-media") == {"expire-media": 0}
    assert len(list(media_dir.iterdir())) == 6  # three images and their previews


def test_cancelling_a_scheduled_post_lets_its_images_expire(
        api, db, database_url, settings, media_dir):
    river = _member(api, "river")
    image = _upload(api, river)
    kept = _schedule(api, river, [image], status="Maybe later.").json()
    assert api.delete(f"/api/v1/scheduled_statuses/{kept['id']}", headers=river).json() == {}
    fresh = _upload(api, river)
    assert db.fetchval("SELECT scheduled_post_id FROM media_attachments WHERE id = $1",
                       int(image)) is None
    db.execute("UPDATE media_attachments SET created_at = now() - interval '25 hours' "
               "WHERE id = $1", int(image))
    assert _run(database_url, settings, "expire-media") == {"expire-media": 1}
    assert [r["id"] for r in db.fetch("SELECT id FROM media_attachments")] == [int(fresh)]
    assert len(list(media_dir.iterdir())) == 2
    # a fresh upload freed by a cancel can go with a post of its own again
    again = _schedule(api, river, [fresh], status="Tomorrow then.").json()
    assert api.delete(f"/api/v1/scheduled_statuses/{again['id']}", headers=river).json() == {}
    used = api.post("/api/v1/statuses", headers=river,
                    data={"status": "now", "media_ids[]": [fresh]})
    assert used.status_code == 200, used.text


def test_images_not_the_members_to_use_are_refused_and_nothing_is_kept(api, db):
    river, sky = _member(api, "river"), _member(api, "sky")
    theirs = _upload(api, sky)
    mine = _upload(api, river)
    posted = _upload(api, river)
    assert api.post("/api/v1/statuses", headers=river,
                    data={"status": "now", "media_ids[]": [posted]}).status_code == 200
    held = _schedule(api, river, [mine], status="first")
    assert held.status_code == 200, held.text
    for ids in ([theirs], [mine], [posted], ["999999"], [_upload(api, river)] * 2,
                ["x"]):
        response = _schedule(api, river, ids, status="second")
        assert response.status_code == 422, (ids, response.text)
        assert response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM scheduled_posts") == 1
    assert db.fetchval("""SELECT count(*) FROM media_attachments
                          WHERE scheduled_post_id IS NOT NULL""") == 1
    other = api.get(f"/api/v1/scheduled_statuses/{held.json()['id']}", headers=sky)
    assert other.status_code == 404
