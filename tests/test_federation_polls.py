"""Polls across servers, in Mastodon's shapes: a local poll goes out as a
Question (and its Update once counts change, debounced, and when it ends),
and is served as one; a remote Question is stored with its poll and its
Update(Question) refreshes the counts without being an edit; a member's
vote on a remote poll is sent as Mastodon sends one; a remote vote on a
poll here is counted (from its audience only, once) and never a reply."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg
import httpx2

from tests.conftest import run, signup
from tests.helpers_api import bearer, password_token, register_app
from tests.test_inbox_worker import (  # noqa: F401 (fixtures)
    ALICE,
    BASE,
    PUBLIC,
    activity,
    create,
    deliver,
    follow_row,
    known,
    remote,
    work,
)
from web.workers import JOBS, JobContext, run_once

QUESTION = f"{ALICE}/statuses/77"


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name))


def _sent(db: Any) -> list[dict[str, Any]]:
    return [json.loads(r["payload"]) | {"_inbox": r["inbox"]}
            for r in db.fetch("SELECT inbox, payload FROM deliveries ORDER BY id")]


def _question(counts: tuple[int, int] = (3, 1), **extra: Any) -> dict[str, Any]:
    return {"id": QUESTION, "type": "Question", "attributedTo": ALICE,
            "content": "<p>Morning or evening meetings?</p>", "to": [PUBLIC], "cc": [],
            "endTime": "2099-01-01T00:00:00Z", "votersCount": sum(counts),
            "oneOf": [{"type": "Note", "name": name,
                       "replies": {"type": "Collection", "totalItems": n}}
                      for name, n in zip(("Morning", "Evening"), counts, strict=True)],
            **extra}


def _end_polls(database_url: str, settings: Any) -> dict[str, int]:
    async def go() -> dict[str, int]:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        try:
            async with httpx2.AsyncClient() as http:
                jobs = tuple(j for j in JOBS if j.name == "end-polls")
                return await run_once(pool, jobs, JobContext(http, settings, asyncio.Event()))
        finally:
            await pool.close()
    return run(go())


def test_a_local_poll_goes_out_as_a_question_and_its_counts_follow(
        client, db, work, database_url, settings):  # noqa: F811
    river = _member(client, "river")
    river_id = db.fetchval("SELECT id FROM members WHERE username = 'river'")
    follow_row(db, f"{ALICE}/follows/1", remote_follows=(known(db, ALICE), river_id))
    status = client.post("/api/v1/statuses", headers=river, data={
        "status": "Morning or evening?", "visibility": "public",
        "poll[options][]": ["Morning", "Evening"], "poll[expires_in]": "3600"}).json()
    [created] = _sent(db)
    question = created["object"]
    assert created["type"] == "Create" and question["type"] == "Question"
    assert [o["name"] for o in question["oneOf"]] == ["Morning", "Evening"]
    assert question["oneOf"][0]["replies"] == {"type": "Collection", "totalItems": 0}
    assert question["endTime"].endswith("Z") and question["votersCount"] == 0
    assert "closed" not in question and "anyOf" not in question
    assert any(isinstance(c, dict) and c.get("votersCount") == "toot:votersCount"
               for c in created["@context"])
    served = client.get(f"/users/river/posts/{status['id']}",
                        headers={"accept": "application/activity+json"})
    assert served.json()["type"] == "Question"

    vote = {"id": f"{ALICE}/votes/1", "type": "Note", "name": "Evening",
            "attributedTo": ALICE, "inReplyTo": question["id"], "to": [f"{BASE}/users/river"]}
    deliver(db, create(vote))
    deliver(db, create({**vote, "id": f"{ALICE}/votes/2", "name": "Morning"}))
    assert work() == 2
    poll = client.get(f"/api/v1/polls/{status['id']}", headers=river).json()
    assert [o["votes_count"] for o in poll["options"]] == [0, 1] and poll["voters_count"] == 1
    assert db.fetchval("SELECT count(*) FROM posts") == 1  # the votes are no replies

    assert _end_polls(database_url, settings) == {"end-polls": 0}  # debounced
    db.execute("UPDATE polls SET changed_at = now() - interval '10 minutes'")
    assert _end_polls(database_url, settings) == {"end-polls": 1}
    update = _sent(db)[-1]
    assert update["type"] == "Update" and update["object"]["type"] == "Question"
    assert [o["replies"]["totalItems"] for o in update["object"]["oneOf"]] == [0, 1]
    assert update["_inbox"] in (f"{ALICE}/inbox", "https://remote.example/inbox")

    db.execute("UPDATE polls SET expires_at = now() - interval '1 second'")
    assert _end_polls(database_url, settings) == {"end-polls": 1}
    final = _sent(db)[-1]["object"]
    assert final["closed"] and final["votersCount"] == 1


def test_a_vote_from_outside_the_polls_audience_is_not_counted(client, db, work):  # noqa: F811
    river = _member(client, "river")
    status = client.post("/api/v1/statuses", headers=river, data={
        "status": "Followers: which?", "visibility": "private",
        "poll[options][]": ["A", "B"], "poll[expires_in]": "3600"}).json()
    deliver(db, create({"id": f"{ALICE}/votes/9", "type": "Note", "name": "A",
                        "attributedTo": ALICE, "inReplyTo": f"{BASE}/users/river/posts/"
                        f"{status['id']}", "to": [f"{BASE}/users/river"]}))
    assert work() == 1
    assert db.fetchval("SELECT count(*) FROM poll_votes") == 0
    assert db.fetchval("SELECT count(*) FROM posts") == 1


def test_a_remote_question_shows_its_poll_and_an_update_refreshes_it(
        client, db, work):  # noqa: F811
    sky = _member(client, "sky")
    deliver(db, create(_question()))
    assert work() == 1
    post_id = db.fetchval("SELECT id FROM posts WHERE uri = $1", QUESTION)
    status = client.get(f"/api/v1/statuses/{post_id}", headers=sky).json()
    poll = status["poll"]
    assert [(o["title"], o["votes_count"]) for o in poll["options"]] == [
        ("Morning", 3), ("Evening", 1)]
    assert poll["voters_count"] == 4 and poll["expired"] is False and not poll["multiple"]
    assert poll["expires_at"] == "2099-01-01T00:00:00.000Z"

    deliver(db, activity("Update", _question((5, 2)), to=[PUBLIC]))
    assert work() == 1
    poll = client.get(f"/api/v1/polls/{post_id}", headers=sky).json()
    assert [o["votes_count"] for o in poll["options"]] == [5, 2]
    assert db.fetchval("SELECT count(*) FROM post_edits") == 0  # counts are no edit
    assert client.get(f"/api/v1/statuses/{post_id}", headers=sky).json()["edited_at"] is None


def test_a_members_vote_on_a_remote_poll_is_sent_as_mastodon_sends_it(
        client, db, work):  # noqa: F811
    sky = _member(client, "sky")
    deliver(db, create(_question()))
    assert work() == 1
    post_id = db.fetchval("SELECT id FROM posts WHERE uri = $1", QUESTION)
    voted = client.post(f"/api/v1/polls/{post_id}/votes", headers=sky,
                        data={"choices[]": "1"})
    assert voted.status_code == 200, voted.text
    assert [o["votes_count"] for o in voted.json()["options"]] == [3, 2]
    assert voted.json()["voters_count"] == 5 and voted.json()["own_votes"] == [1]
    [sent] = _sent(db)
    assert sent["type"] == "Create" and sent["to"] == [ALICE]
    assert sent["_inbox"] in (f"{ALICE}/inbox", "https://remote.example/inbox")
    ballot = sent["object"]
    assert ballot["type"] == "Note" and ballot["name"] == "Evening"
    assert ballot["inReplyTo"] == QUESTION and ballot["to"] == [ALICE]
    assert "content" not in ballot and ballot["attributedTo"] == f"{BASE}/users/sky"
    again = client.post(f"/api/v1/polls/{post_id}/votes", headers=sky,
                        data={"choices[]": "0"})
    assert again.status_code == 422 and len(_sent(db)) == 1
