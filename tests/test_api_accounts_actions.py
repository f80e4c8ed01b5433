"""What a member does to another account from a client: follow and unfollow
(members here and remote actors, who are sent the activities), follow
requests, blocks (follows end both ways, posts leave the home timeline, a
remote actor is sent a Block and later its Undo), mutes (posts and, when
asked, notifications leave; a mute can expire), private notes."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import asyncpg

from recovery import notifications
from recovery.models import Member, Role, Status
from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app
from tests.test_api_accounts import _follow, _id, _member, _post, _remote


def _act(client: Any, auth: dict[str, str], account: str, action: str, **data: Any) -> Any:
    response = client.post(f"/api/v1/accounts/{account}/{action}", headers=auth, data=data)
    assert response.status_code == 200, response.text
    return response.json()


def _sent(db: Any) -> list[dict[str, Any]]:
    return [json.loads(row["payload"]) for row in db.fetch(
        "SELECT payload FROM deliveries ORDER BY id")]


def _home(client: Any) -> str:
    """The web home timeline of the member the client is logged in as (the
    last one to sign up)."""
    page = client.get("/home")
    assert page.status_code == 200
    return page.text


# -- following ----------------------------------------------------------------------

def test_following_a_member_who_approves_waits_for_their_answer(client, db):
    sky = _member(client, "sky")  # approves followers (the default)
    river = _member(client, "river")
    rel = _act(client, river, _id(db, "sky"), "follow", reblogs="true", notify="false")
    assert rel["requested"] is True and rel["following"] is False
    waiting = client.get("/api/v1/follow_requests", headers=sky)
    assert [a["username"] for a in waiting.json()] == ["river"]
    answered = client.post(f"/api/v1/follow_requests/{_id(db, 'river')}/authorize",
                           headers=sky)
    assert answered.status_code == 200 and answered.json()["followed_by"] is True
    assert client.get("/api/v1/follow_requests", headers=sky).json() == []
    again = client.post(f"/api/v1/follow_requests/{_id(db, 'river')}/reject", headers=sky)
    assert again.status_code == 404  # nothing waits any more
    rel = _act(client, river, _id(db, "sky"), "unfollow")
    assert rel["following"] is False and db.fetchval("SELECT count(*) FROM follows") == 0


def test_a_rejected_follow_request_is_gone(client, db):
    sky = _member(client, "sky")
    river = _member(client, "river")
    _act(client, river, _id(db, "sky"), "follow")
    rejected = client.post(f"/api/v1/follow_requests/{_id(db, 'river')}/reject/", headers=sky)
    assert rejected.status_code == 200 and rejected.json()["requested_by"] is False
    assert db.fetchval("SELECT count(*) FROM follows") == 0


def test_following_a_remote_actor_sends_a_follow_and_unfollowing_an_undo(client, db):
    river = _member(client, "river")
    remote = str(2 * _remote(db) + 1)
    rel = _act(client, river, remote, "follow")
    assert rel["requested"] is True
    _act(client, river, remote, "follow")  # asked again: still one request, one Follow
    _act(client, river, remote, "unfollow")
    sent = _sent(db)
    assert [a["type"] for a in sent] == ["Follow", "Undo"]
    assert sent[0]["object"] == "https://peer.example/users/ash"
    assert sent[1]["object"]["id"] == sent[0]["id"]


def test_following_yourself_or_an_unknown_account_is_refused(client, db):
    river = _member(client, "river")
    me = client.post(f"/api/v1/accounts/{_id(db, 'river')}/follow", headers=river)
    assert me.status_code == 403 and me.json()["error"]
    assert client.post("/api/v1/accounts/999998/follow", headers=river).status_code == 404
    remote_id = _remote(db)
    db.execute("""INSERT INTO remote_blocks (uri, remote_id, member_id)
                  SELECT 'https://peer.example/blocks/1', $1, id FROM members""", remote_id)
    blocked = client.post(f"/api/v1/accounts/{2 * remote_id + 1}/follow", headers=river)
    assert blocked.status_code == 403  # they block river
    assert db.fetchval("SELECT count(*) FROM follows") == 0


# -- blocking -----------------------------------------------------------------------

def test_blocking_a_member_ends_follows_both_ways_and_hides_their_posts(client, db):
    sky = _member(client, "sky")
    river = _member(client, "river")
    _follow(db, "river", "sky")
    _follow(db, "sky", "river")
    _post(db, "sky", "from sky")
    assert "from sky" in _home(client)
    rel = _act(client, river, _id(db, "sky"), "block")
    assert rel["blocking"] is True and rel["following"] is False and rel["followed_by"] is False
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    _post(db, "sky", "after the block", "public")
    db.execute("""INSERT INTO home_feed (member_id, post_id)
                  SELECT m.id, p.id FROM members m, posts p WHERE m.username = 'river'
                  ON CONFLICT DO NOTHING""")
    page = _home(client)
    assert "from sky" not in page and "after the block" not in page
    assert client.get("/api/v1/timelines/home", headers=river).json() == []
    seen_by_sky = client.get("/api/v1/accounts/relationships",
                             params={"id[]": _id(db, "river")}, headers=sky).json()[0]
    assert seen_by_sky["blocked_by"] is True
    refused = client.post(f"/api/v1/accounts/{_id(db, 'river')}/follow", headers=sky)
    assert refused.status_code == 403
    assert client.get(f"/api/v1/accounts/{_id(db, 'river')}/statuses", headers=sky).json() == []
    blocked = client.get("/api/v1/blocks", headers=river).json()
    assert [a["username"] for a in blocked] == ["sky"]
    assert _act(client, river, _id(db, "sky"), "unblock")["blocking"] is False
    assert client.get("/api/v1/blocks", headers=river).json() == []


def test_blocking_a_remote_actor_sends_a_block_and_unblocking_its_undo(client, db):
    river = _member(client, "river")
    remote_id = _remote(db)
    remote = str(2 * remote_id + 1)
    _act(client, river, remote, "follow")
    db.execute("UPDATE follows SET state = 'accepted'")
    db.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                  SELECT 'https://peer.example/follows/9', $1, id, 'accepted' FROM members""",
               remote_id)
    db.execute("DELETE FROM deliveries")
    rel = _act(client, river, remote, "block")
    assert rel["blocking"] is True and rel["following"] is False
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    _act(client, river, remote, "block")  # again: no second Block
    sent = _sent(db)
    assert sorted(a["type"] for a in sent) == ["Block", "Reject", "Undo"]
    block = next(a for a in sent if a["type"] == "Block")
    assert block["object"] == "https://peer.example/users/ash"
    assert block["actor"].endswith("/users/river")
    _act(client, river, remote, "unblock")
    undo = _sent(db)[-1]
    assert undo["type"] == "Undo" and undo["object"]["id"] == block["id"]
    assert undo["object"]["type"] == "Block"
    _act(client, river, remote, "unblock")  # nothing to lift: nothing sent
    assert len(_sent(db)) == 4


# -- muting -------------------------------------------------------------------------

def test_a_mute_hides_posts_and_notifications_until_lifted(client, db, database_url):
    sky = _member(client, "sky")
    river = _member(client, "river")
    _follow(db, "river", "sky")
    _post(db, "sky", "from sky")
    _notify(db, "river", "sky")
    rel = _act(client, river, _id(db, "sky"), "mute", notifications="true", duration="0")
    assert rel["muting"] is True and rel["muting_notifications"] is True
    assert "from sky" not in _home(client)
    assert client.get("/api/v1/timelines/home", headers=river).json() == []
    assert client.get("/api/v1/notifications", headers=river).json() == []
    assert _notifications(database_url, db, "river") == 0
    muted = client.get("/api/v1/mutes", headers=river).json()
    assert [a["username"] for a in muted] == ["sky"] and muted[0]["mute_expires_at"] is None
    rel = _act(client, river, _id(db, "sky"), "mute", notifications="false", duration="3600")
    assert rel["muting"] is True and rel["muting_notifications"] is False
    assert _notifications(database_url, db, "river") == 1
    assert client.get("/api/v1/mutes", headers=river).json()[0]["mute_expires_at"]
    assert _act(client, river, _id(db, "sky"), "unmute")["muting"] is False
    assert "from sky" in _home(client)
    assert sky  # sky's own token is not needed further


def test_an_expired_mute_no_longer_counts(client, db):
    river = _member(client, "river")
    signup(client, "sky")
    _act(client, river, _id(db, "sky"), "mute", duration="60")
    db.execute("UPDATE mutes SET expires_at = now() - interval '1 second'")
    rel = client.get("/api/v1/accounts/relationships", params={"id[]": _id(db, "sky")},
                     headers=river).json()[0]
    assert rel["muting"] is False
    assert client.get("/api/v1/mutes", headers=river).json() == []


def test_bad_mute_input_is_refused_and_nothing_is_stored(client, db):
    river = _member(client, "river")
    signup(client, "sky")
    sky = _id(db, "sky")
    for data in ({"duration": "-5"}, {"duration": "soon"}, {"notifications": "perhaps"}):
        response = client.post(f"/api/v1/accounts/{sky}/mute", headers=river, data=data)
        assert response.status_code == 422, data
    mine = client.post(f"/api/v1/accounts/{_id(db, 'river')}/mute", headers=river)
    assert mine.status_code == 422
    assert db.fetchval("SELECT count(*) FROM mutes") == 0


def _notify(db: Any, to: str, sender: str) -> None:
    db.execute("""INSERT INTO notifications (member_id, kind, from_member_id)
                  SELECT a.id, 'follow', b.id FROM members a, members b
                  WHERE a.username = $1 AND b.username = $2""", to, sender)


def _notifications(database_url: str, db: Any, name: str) -> int:
    member_id = db.fetchval("SELECT id FROM members WHERE username = $1", name)
    member = Member(member_id, name, "", "", Role.MEMBER, Status.ACTIVE,
                    db.fetchval("SELECT now()"))

    async def count() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            return len(await notifications.of_member(conn, member))
        finally:
            await conn.close()
    return asyncio.run(count())


# -- notes --------------------------------------------------------------------------

def test_a_private_note_is_kept_for_its_writer_alone(client, db):
    sky = _member(client, "sky")
    river = _member(client, "river")
    rel = _act(client, river, _id(db, "sky"), "note", comment="met at Tuesday's meeting")
    assert rel["note"] == "met at Tuesday's meeting"
    theirs = client.get("/api/v1/accounts/relationships", params={"id[]": _id(db, "river")},
                        headers=sky).json()[0]
    assert theirs["note"] == ""
    too_long = client.post(f"/api/v1/accounts/{_id(db, 'sky')}/note", headers=river,
                           data={"comment": "x" * 2001})
    assert too_long.status_code == 422
    assert _act(client, river, _id(db, "sky"), "note", comment="")["note"] == ""
    assert db.fetchval("SELECT count(*) FROM account_notes") == 0
    token = password_token(client, register_app(client), "river", scope="read")
    assert client.post(f"/api/v1/accounts/{_id(db, 'sky')}/note", headers=bearer(token),
                       data={"comment": "x"}).status_code == 403


def test_no_longer_approving_followers_lets_everyone_waiting_in(client, db):
    river = _member(client, "river")  # approves followers (the default)
    signup(client, "sky")
    _follow(db, "sky", "river", state="pending")
    remote_id = _remote(db)
    db.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                  SELECT 'https://peer.example/follows/7', $1, id, 'pending' FROM members
                  WHERE username = 'river'""", remote_id)
    unchanged = client.patch("/api/v1/accounts/update_credentials", headers=river)
    assert unchanged.json()["source"]["follow_requests_count"] == 2
    unlocked = client.patch("/api/v1/accounts/update_credentials", headers=river,
                            data={"locked": "false"})
    assert unlocked.status_code == 200 and unlocked.json()["locked"] is False
    assert db.fetchval("SELECT count(*) FROM follows WHERE state = 'pending'") == 0
    # the follower let in, then told the profile changed (Update of the Person)
    sent = _sent(db)
    assert [a["type"] for a in sent] == ["Accept", "Update"]
    assert sent[1]["object"]["manuallyApprovesFollowers"] is False
    assert client.get("/api/v1/follow_requests", headers=river).json() == []


def test_removing_a_follower_ends_their_follow_and_tells_a_remote_one(client, db):
    river = _member(client, "river")
    signup(client, "sky")
    _follow(db, "sky", "river")
    remote_id = _remote(db)
    db.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                  SELECT 'https://peer.example/follows/8', $1, id, 'accepted' FROM members
                  WHERE username = 'river'""", remote_id)
    rel = _act(client, river, _id(db, "sky"), "remove_from_followers")
    assert rel["followed_by"] is False
    rel = _act(client, river, str(2 * remote_id + 1), "remove_from_followers")
    assert rel["followed_by"] is False
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    assert [a["type"] for a in _sent(db)] == ["Reject"]
