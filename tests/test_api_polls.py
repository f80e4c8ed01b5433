"""Polls through the client API: a poll comes with a new status (form and
JSON bodies), checked with Mastodon's rules and the instance's limits
before anything is stored; GET /api/v1/polls/:id and votes with Mastodon's
refusals (ended, no such option, own poll, already voted, several choices on
a single-choice poll); hidden totals; visibility and scopes as for the post;
one voter counted once even under concurrent requests; edits keep the poll;
the end of a poll tells its author and voters."""

from __future__ import annotations

import asyncio
from typing import Any

import asyncpg
import httpx2

from recovery import polls, posts
from recovery.errors import InvalidInput
from recovery.store import members as members_store
from tests.conftest import login, run, signup
from tests.helpers_api import bearer, password_token, register_app
from web.api.instance import POLL_LIMITS
from web.workers import JOBS, JobContext, run_once


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _poll_post(client: Any, auth: dict[str, str], options: list[str] | None = None,
               **extra: Any) -> Any:
    data: dict[str, Any] = {"status": "Which meeting helps most?",
                            "poll[options][]": options or ["Morning", "Evening"],
                            "poll[expires_in]": "3600", "visibility": "public", **extra}
    return client.post("/api/v1/statuses", headers=auth, data=data)


def _vote(client: Any, auth: dict[str, str], poll_id: str, *choices: Any) -> Any:
    return client.post(f"/api/v1/polls/{poll_id}/votes", headers=auth,
                       data={"choices[]": [str(c) for c in choices]})


def test_a_status_with_a_poll_comes_back_with_its_poll(client):
    river = _member(client, "river")
    response = _poll_post(client, river, visibility="public")
    assert response.status_code == 200, response.text
    poll = response.json()["poll"]
    assert poll["id"] == response.json()["id"]
    assert [o["title"] for o in poll["options"]] == ["Morning", "Evening"]
    assert [o["votes_count"] for o in poll["options"]] == [0, 0]
    assert poll["multiple"] is False and poll["expired"] is False
    assert poll["votes_count"] == 0 and poll["voters_count"] == 0
    assert poll["voted"] is True and poll["own_votes"] == []  # its author: results shown
    assert poll["expires_at"].endswith("Z") and poll["emojis"] == []
    anonymous = client.get(f"/api/v1/polls/{poll['id']}").json()
    assert "voted" not in anonymous and anonymous["options"] == poll["options"]


def test_a_poll_can_be_sent_as_json(client):
    river = _member(client, "river")
    response = client.post("/api/v1/statuses", headers=river, json={
        "status": "Pick any", "poll": {"options": ["A", "B", "C"], "expires_in": 600,
                                       "multiple": True, "hide_totals": True}})
    assert response.status_code == 200, response.text
    poll = response.json()["poll"]
    assert poll["multiple"] is True and len(poll["options"]) == 3


def test_polls_outside_the_limits_are_refused_and_nothing_is_stored(client, db):
    river = _member(client, "river")
    assert POLL_LIMITS["max_options"] == polls.MAX_OPTIONS
    assert POLL_LIMITS["max_characters_per_option"] == polls.MAX_OPTION_CHARACTERS
    assert POLL_LIMITS["min_expiration"] == polls.MIN_EXPIRATION
    assert POLL_LIMITS["max_expiration"] == polls.MAX_EXPIRATION
    cases = [
        (["Only one"], {}, "more than one item"),
        (["a", "b", "c", "d", "e"], {}, "more than 4 items"),
        (["x" * 51, "b"], {}, "50 characters"),
        (["Same", "Same"], {}, "duplicate"),
        (["a", "b"], {"poll[expires_in]": "60"}, "too soon"),
        (["a", "b"], {"poll[expires_in]": str(40 * 86400)}, "too far"),
        (["a", "b"], {"poll[expires_in]": "soon"}, "whole number"),
        (["a", "b"], {"scheduled_at": "2099-01-01T00:00:00Z"}, "scheduled"),
        (["a", "b"], {"media_ids[]": ["1"]}, "media"),
    ]
    for options, extra, reason in cases:
        response = _poll_post(client, river, options, **extra)
        assert response.status_code == 422, (options, extra, response.text)
        assert reason in response.json()["error"], response.json()
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    assert db.fetchval("SELECT count(*) FROM polls") == 0
    assert db.fetchval("SELECT count(*) FROM scheduled_posts") == 0


def test_members_vote_once_and_mastodons_refusals_apply(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    poll_id = _poll_post(client, river, visibility="public").json()["poll"]["id"]

    own = _vote(client, river, poll_id, 0)
    assert own.status_code == 422
    assert own.json()["error"] == "Validation failed: You cannot vote in your own polls"
    for bad in ([2], [-1], ["x"]):
        refused = _vote(client, sky, poll_id, *bad)
        assert refused.status_code == 422
        assert "The chosen vote option does not exist" in refused.json()["error"]
    both = _vote(client, sky, poll_id, 0, 1)
    assert both.status_code == 422 and "already voted" in both.json()["error"]
    assert _vote(client, sky, poll_id).status_code == 422

    voted = _vote(client, sky, poll_id, 1)
    assert voted.status_code == 200, voted.text
    assert voted.json()["voted"] is True and voted.json()["own_votes"] == [1]
    assert [o["votes_count"] for o in voted.json()["options"]] == [0, 1]
    assert voted.json()["voters_count"] == 1 and voted.json()["votes_count"] == 1
    again = _vote(client, sky, poll_id, 0)
    assert again.json()["error"] == "Validation failed: You have already voted on this poll"
    status = client.get(f"/api/v1/statuses/{poll_id}", headers=sky).json()
    assert status["poll"]["own_votes"] == [1]
    assert db.fetchval("SELECT count(*) FROM poll_votes") == 1


def test_a_multiple_choice_poll_takes_several_choices_once_each(client):
    river, sky = _member(client, "river"), _member(client, "sky")
    poll_id = _poll_post(client, river, ["a", "b", "c"], **{"poll[multiple]": "true"}
                         ).json()["poll"]["id"]
    voted = _vote(client, sky, poll_id, 0, 2)
    assert voted.status_code == 200, voted.text
    assert voted.json()["own_votes"] == [0, 2] and voted.json()["votes_count"] == 2
    assert voted.json()["voters_count"] == 1
    assert _vote(client, sky, poll_id, 2).status_code == 422
    assert _vote(client, sky, poll_id, 1, 1).status_code == 422


def test_hidden_totals_show_to_the_author_and_once_the_poll_ends(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    poll_id = _poll_post(client, river, **{"poll[hide_totals]": "true"}).json()["poll"]["id"]
    voted = _vote(client, sky, poll_id, 0).json()
    assert [o["votes_count"] for o in voted["options"]] == [None, None]
    assert voted["votes_count"] == 1
    mine = client.get(f"/api/v1/polls/{poll_id}", headers=river).json()
    assert [o["votes_count"] for o in mine["options"]] == [1, 0]
    db.execute("UPDATE polls SET expires_at = now() - interval '1 minute'")
    ended = client.get(f"/api/v1/polls/{poll_id}", headers=sky).json()
    assert ended["expired"] is True
    assert [o["votes_count"] for o in ended["options"]] == [1, 0]
    late = _vote(client, _member(client, "lake"), poll_id, 1)
    assert late.json()["error"] == "Validation failed: The poll has already ended"


def test_a_poll_is_seen_and_voted_on_only_by_its_posts_audience(client):
    river, sky = _member(client, "river"), _member(client, "sky")
    poll_id = _poll_post(client, river, visibility="private").json()["poll"]["id"]
    assert client.get(f"/api/v1/polls/{poll_id}", headers=sky).status_code == 404
    assert client.get(f"/api/v1/polls/{poll_id}").status_code == 404
    assert _vote(client, sky, poll_id, 0).status_code == 404
    assert client.get("/api/v1/polls/999999", headers=sky).status_code == 404
    plain = client.post("/api/v1/statuses", headers=river, data={"status": "no poll"}).json()
    assert client.get(f"/api/v1/polls/{plain['id']}", headers=sky).status_code == 404


def test_a_blocked_member_cannot_vote(client):
    river, sky = _member(client, "river"), _member(client, "sky")
    poll_id = _poll_post(client, river, visibility="public").json()["poll"]["id"]
    sky_id = client.get("/api/v1/accounts/verify_credentials", headers=sky).json()["id"]
    assert client.post(f"/api/v1/accounts/{sky_id}/block", headers=river).status_code == 200
    assert _vote(client, sky, poll_id, 0).status_code in (403, 404)


def test_voting_needs_the_write_scope(client):
    river = _member(client, "river")
    reader = _member(client, "sky", scope="read")
    poll_id = _poll_post(client, river, visibility="public").json()["poll"]["id"]
    assert _vote(client, reader, poll_id, 0).status_code == 403
    assert client.get(f"/api/v1/polls/{poll_id}", headers=reader).status_code == 200
    assert client.post(f"/api/v1/polls/{poll_id}/votes", data={"choices[]": "0"}
                       ).status_code == 401


def test_concurrent_votes_of_one_member_count_once(client, database_url, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    poll_id = int(_poll_post(client, river, visibility="public").json()["poll"]["id"])

    async def race() -> list[Any]:
        conns = [await asyncpg.connect(database_url) for _ in range(4)]
        try:
            voter = await members_store.get_member_by_username(conns[0], "sky")
            post = await posts.by_id(conns[0], poll_id)
            assert voter is not None and post is not None

            async def one(conn: Any, choice: int) -> Any:
                async with conn.transaction():
                    return await polls.vote(conn, voter, post, [choice])
            return await asyncio.gather(*(one(c, i % 2) for i, c in enumerate(conns)),
                                        return_exceptions=True)
        finally:
            for conn in conns:
                await conn.close()

    results = run(race())
    refused = [r for r in results if isinstance(r, InvalidInput)]
    assert len(refused) == 3 and len(results) == 4, results
    assert db.fetchval("SELECT count(*) FROM poll_votes") == 1
    assert sky  # the voter exists through the API too


def test_an_edit_keeps_the_poll_and_refuses_to_change_it(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    poll_id = _poll_post(client, river, visibility="public").json()["poll"]["id"]
    _vote(client, sky, poll_id, 0)
    edited = client.put(f"/api/v1/statuses/{poll_id}", headers=river, data={
        "status": "Which meeting helps you most?",
        "poll[options][]": ["Morning", "Evening"], "poll[expires_in]": "3600"})
    assert edited.status_code == 200, edited.text
    assert [o["votes_count"] for o in edited.json()["poll"]["options"]] == [1, 0]
    plain = client.put(f"/api/v1/statuses/{poll_id}", headers=river,
                       data={"status": "Which meeting?"})
    assert plain.status_code == 200 and plain.json()["poll"]["id"] == poll_id
    changed = client.put(f"/api/v1/statuses/{poll_id}", headers=river, data={
        "status": "x", "poll[options][]": ["Noon", "Night"], "poll[expires_in]": "3600"})
    assert changed.status_code == 422 and "poll" in changed.json()["error"]
    assert db.fetchval("SELECT options FROM polls") == ["Morning", "Evening"]
    assert db.fetchval("SELECT count(*) FROM poll_votes") == 1


def test_the_end_of_a_poll_tells_its_author_and_voters(client, db, database_url, settings):
    river, sky = _member(client, "river"), _member(client, "sky")
    lake = _member(client, "lake")
    poll_id = _poll_post(client, river, visibility="public").json()["poll"]["id"]
    _vote(client, sky, poll_id, 1)
    db.execute("UPDATE polls SET expires_at = now() - interval '1 second'")

    async def end() -> dict[str, int]:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        try:
            async with httpx2.AsyncClient() as http:
                jobs = tuple(j for j in JOBS if j.name == "end-polls")
                return await run_once(pool, jobs, JobContext(http, settings, asyncio.Event()))
        finally:
            await pool.close()

    assert run(end()) == {"end-polls": 1}
    assert run(end()) == {"end-polls": 0}
    for auth in (river, sky):
        found = client.get("/api/v1/notifications", headers=auth,
                           params={"types[]": "poll"}).json()
        assert [n["type"] for n in found] == ["poll"], found
        assert found[0]["status"]["id"] == poll_id
        assert found[0]["status"]["poll"]["expired"] is True
        assert found[0]["account"]["acct"] == "river"
    assert client.get("/api/v1/notifications", headers=lake).json() == []
    login(client, "sky")
    assert "A poll you made or voted in has ended." in client.get("/notifications").text
