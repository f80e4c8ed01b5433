"""Lists from a client (docs.joinmastodon.org/methods/lists): a member's
lists and the accounts in them (only accounts they follow; out again when
they unfollow), the lists that hold an account, the list timeline (the
owner's view: visibility, blocks, mutes, replies_policy; paged with Link
headers) and the ``list`` stream. Another member's list is 404."""

from __future__ import annotations

import json
import re
from typing import Any

import pytest

from recovery import posts as recovery_posts
from recovery.models import Visibility
from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app
from tests.test_api_streaming import Community, Live, next_event, no_event, scenario
from web.streams import Channel

BASE = "http://testserver"
NOT_FOUND = {"error": "Record not found"}


def _member(client: Any, name: str, scope: str = "read write follow") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _mid(db: Any, name: str) -> int:
    member_id: int = db.fetchval("SELECT id FROM members WHERE username = $1", name)
    return member_id


def _aid(db: Any, name: str) -> str:
    return str(2 * _mid(db, name))


def _follow(db: Any, follower: str, followed: str, state: str = "accepted") -> None:
    db.execute(
        """INSERT INTO follows (uri, follower_member_id, followed_member_id, state)
           SELECT 'http://testserver/follows/' || a.id || '-' || b.id, a.id, b.id, $3
           FROM members a, members b WHERE a.username = $1 AND b.username = $2""",
        follower, followed, state)


def _post(db: Any, name: str, text: str, visibility: str = "public", *,
          reply_to: int | None = None, reblog_of: int | None = None,
          recipients: tuple[str, ...] = ()) -> int:
    post_id: int = db.fetchval(
        """INSERT INTO posts (author_member_id, visibility, content_html, in_reply_to_id,
                              reblog_of_id, recipients)
           SELECT id, $2, $3, $4, $5, $6 FROM members WHERE username = $1 RETURNING id""",
        name, visibility, f"<p>{text}</p>" if reblog_of is None else "", reply_to,
        reblog_of, list(recipients))
    return post_id


def _texts(statuses: list[dict[str, Any]]) -> list[str]:
    return [s["content"].removeprefix("<p>").removesuffix("</p>")
            or "boost of " + s["reblog"]["content"].removeprefix("<p>").removesuffix("</p>")
            for s in statuses]


def _links(response: Any) -> dict[str, str]:
    return {rel: url for url, rel in
            re.findall(r'<([^>]+)>; rel="(\w+)"', response.headers.get("link", ""))}


def _ok(response: Any) -> Any:
    assert response.status_code == 200, response.text
    return response.json()


def _new_list(client: Any, auth: dict[str, str], title: str = "Home group",
              **extra: Any) -> str:
    created = _ok(client.post("/api/v1/lists", headers=auth, data={"title": title, **extra}))
    list_id: str = created["id"]
    return list_id


def _add(client: Any, auth: dict[str, str], list_id: str, *account_ids: str) -> Any:
    return client.post(f"/api/v1/lists/{list_id}/accounts", headers=auth,
                       data={"account_ids[]": list(account_ids)})


def _timeline(client: Any, auth: dict[str, str], list_id: str, **params: Any) -> list[str]:
    return _texts(_ok(client.get(f"/api/v1/timelines/list/{list_id}", headers=auth,
                                 params=params)))


# -- lists ------------------------------------------------------------------------------

def test_a_member_creates_reads_changes_and_deletes_a_list(client):
    river = _member(client, "river")
    created = _ok(client.post("/api/v1/lists", headers=river, data={"title": " Sponsors "}))
    assert created == {"id": created["id"], "title": "Sponsors", "replies_policy": "list",
                       "exclusive": False}
    other = _ok(client.post("/api/v1/lists", headers=river, json={
        "title": "Meeting friends", "replies_policy": "followed", "exclusive": True}))
    assert (other["replies_policy"], other["exclusive"]) == ("followed", True)
    assert _ok(client.get("/api/v1/lists", headers=river)) == [created, other]
    assert _ok(client.get(f"/api/v1/lists/{created['id']}", headers=river)) == created

    changed = _ok(client.put(f"/api/v1/lists/{created['id']}", headers=river,
                             data={"replies_policy": "none", "exclusive": "true"}))
    assert changed == {**created, "replies_policy": "none", "exclusive": True}
    renamed = _ok(client.put(f"/api/v1/lists/{created['id']}", headers=river,
                             data={"title": "Sponsor circle"}))
    assert renamed == {**changed, "title": "Sponsor circle"}

    assert _ok(client.delete(f"/api/v1/lists/{created['id']}", headers=river)) == {}
    gone = client.get(f"/api/v1/lists/{created['id']}", headers=river)
    assert (gone.status_code, gone.json()) == (404, NOT_FOUND)
    assert _ok(client.get("/api/v1/lists", headers=river)) == [other]


@pytest.mark.parametrize(("data", "reason"), [
    ({}, "Title can't be blank"),
    ({"title": "   "}, "Title can't be blank"),
    ({"title": "x" * 201}, "longer than 200"),
    ({"title": "ok", "replies_policy": "everyone"}, "Replies policy must be one of"),
    ({"title": "ok", "exclusive": "maybe"}, "exclusive must be true or false"),
])
def test_bad_list_input_is_422_and_stores_nothing(client, db, data, reason):
    river = _member(client, "river")
    response = client.post("/api/v1/lists", headers=river, data=data)
    assert response.status_code == 422 and reason in response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM lists") == 0


def test_a_bad_change_leaves_the_list_as_it_was(client):
    river = _member(client, "river")
    list_id = _new_list(client, river, "Sponsors")
    response = client.put(f"/api/v1/lists/{list_id}", headers=river,
                          data={"title": "Renamed", "replies_policy": "everyone"})
    assert response.status_code == 422
    assert _ok(client.get(f"/api/v1/lists/{list_id}", headers=river))["title"] == "Sponsors"


def test_another_members_list_is_404_for_every_call(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    _member(client, "moss")
    _follow(db, "river", "moss")
    _follow(db, "sky", "moss")
    theirs = _new_list(client, sky, "Sky's people")
    assert _add(client, sky, theirs, _aid(db, "moss")).status_code == 200
    calls = [
        ("GET", f"/api/v1/lists/{theirs}", {}),
        ("PUT", f"/api/v1/lists/{theirs}", {"title": "Mine now"}),
        ("DELETE", f"/api/v1/lists/{theirs}", {}),
        ("GET", f"/api/v1/lists/{theirs}/accounts", {}),
        ("POST", f"/api/v1/lists/{theirs}/accounts", {"account_ids[]": _aid(db, "moss")}),
        ("DELETE", f"/api/v1/lists/{theirs}/accounts", {"account_ids[]": _aid(db, "moss")}),
        ("GET", f"/api/v1/timelines/list/{theirs}", {}),
        ("GET", "/api/v1/lists/not-a-number", {}),
        ("GET", "/api/v1/timelines/list/99999999999999999999", {}),
    ]
    for method, path, data in calls:
        response = client.request(method, path, headers=river, data=data or None)
        assert (response.status_code, response.json()) == (404, NOT_FOUND), (method, path)
    assert _ok(client.get(f"/api/v1/lists/{theirs}", headers=sky))["title"] == "Sky's people"
    assert len(_ok(client.get(f"/api/v1/lists/{theirs}/accounts", headers=sky))) == 1
    assert _ok(client.get(f"/api/v1/accounts/{_aid(db, 'moss')}/lists", headers=river)) == []


def test_lists_need_the_lists_scopes(client):
    _member(client, "river")
    app = register_app(client)
    reader = bearer(password_token(client, app, "river", scope="read:lists"))
    writer = bearer(password_token(client, app, "river", scope="write:lists"))
    statuses = bearer(password_token(client, app, "river", scope="read:statuses"))
    assert client.get("/api/v1/lists").status_code == 401
    assert client.post("/api/v1/lists", headers=reader, data={"title": "x"}).status_code == 403
    list_id = _new_list(client, writer, "Ok")
    assert client.get("/api/v1/lists", headers=writer).status_code == 403
    assert _ok(client.get("/api/v1/lists", headers=reader))[0]["id"] == list_id
    for path in (f"/api/v1/timelines/list/{list_id}", f"/api/v1/lists/{list_id}/accounts"):
        assert client.get(path, headers=statuses).status_code == 403
        assert client.get(path, headers=reader).status_code == 200


# -- accounts in a list -----------------------------------------------------------------

def test_only_accounts_the_member_follows_are_added_and_all_or_none(client, db):
    river = _member(client, "river")
    for name in ("sky", "moss", "reed"):
        _member(client, name)
    _follow(db, "river", "sky")
    _follow(db, "river", "moss", "pending")  # a follow request counts, as on Mastodon
    list_id = _new_list(client, river)

    refused = _add(client, river, list_id, _aid(db, "sky"), _aid(db, "reed"))
    assert refused.status_code == 422 and "follow" in refused.json()["error"]
    assert _ok(client.get(f"/api/v1/lists/{list_id}/accounts", headers=river)) == []
    assert _add(client, river, list_id, "12345678").status_code == 404
    assert _add(client, river, list_id, "bogus").status_code == 404
    assert _add(client, river, list_id).status_code == 422

    assert _ok(_add(client, river, list_id, _aid(db, "sky"), _aid(db, "moss"))) == {}
    again = _add(client, river, list_id, _aid(db, "sky"))
    assert again.status_code == 422 and "already" in again.json()["error"]
    shown = _ok(client.get(f"/api/v1/lists/{list_id}/accounts", headers=river))
    assert [a["username"] for a in shown] == ["moss", "sky"]
    assert shown[1]["id"] == _aid(db, "sky")

    in_lists = _ok(client.get(f"/api/v1/accounts/{_aid(db, 'sky')}/lists", headers=river))
    assert [found["id"] for found in in_lists] == [list_id]
    assert _ok(client.get(f"/api/v1/accounts/{_aid(db, 'reed')}/lists", headers=river)) == []
    assert client.get("/api/v1/accounts/12345678/lists", headers=river).status_code == 404

    removed = client.request("DELETE", f"/api/v1/lists/{list_id}/accounts", headers=river,
                             data={"account_ids[]": [_aid(db, "sky")]})
    assert _ok(removed) == {}
    shown = _ok(client.get(f"/api/v1/lists/{list_id}/accounts", headers=river))
    assert [a["username"] for a in shown] == ["moss"]


def test_list_accounts_page_with_link_headers_and_limit_zero_gives_all(client, db):
    river = _member(client, "river")
    names = ["a1", "a2", "a3"]
    for name in names:
        _member(client, name)
        _follow(db, "river", name)
    list_id = _new_list(client, river)
    for name in names:
        assert _add(client, river, list_id, _aid(db, name)).status_code == 200
    path = f"/api/v1/lists/{list_id}/accounts"
    first = client.get(path, headers=river, params={"limit": 2})
    assert [a["username"] for a in _ok(first)] == ["a3", "a2"]
    following = _links(first)["next"]
    assert "max_id=" in following and following.startswith(BASE)
    second = client.get(following.removeprefix(BASE), headers=river)
    assert [a["username"] for a in _ok(second)] == ["a1"]
    newer = client.get(_links(second)["prev"].removeprefix(BASE), headers=river)
    assert [a["username"] for a in _ok(newer)] == ["a3", "a2"]
    everyone = client.get(path, headers=river, params={"limit": 0})
    assert [a["username"] for a in _ok(everyone)] == ["a3", "a2", "a1"]
    assert "link" not in everyone.headers


def test_unfollowing_or_blocking_takes_an_account_out_of_every_list(client, db):
    river = _member(client, "river")
    _member(client, "sky")
    _member(client, "moss")
    _follow(db, "river", "sky")
    _follow(db, "river", "moss")
    first, second = _new_list(client, river, "One"), _new_list(client, river, "Two")
    for list_id in (first, second):
        assert _add(client, river, list_id, _aid(db, "sky"), _aid(db, "moss")).status_code == 200
    _ok(client.post(f"/api/v1/accounts/{_aid(db, 'sky')}/unfollow", headers=river))
    _ok(client.post(f"/api/v1/accounts/{_aid(db, 'moss')}/block", headers=river))
    for list_id in (first, second):
        assert _ok(client.get(f"/api/v1/lists/{list_id}/accounts", headers=river)) == []
    _follow(db, "river", "sky")  # following again does not bring it back
    assert _ok(client.get(f"/api/v1/lists/{first}/accounts", headers=river)) == []


def test_deleting_a_list_or_a_member_deletes_what_hangs_on_it(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    _follow(db, "river", "sky")
    _follow(db, "sky", "river")
    kept, dropped = _new_list(client, river, "Kept"), _new_list(client, river, "Dropped")
    for list_id in (kept, dropped):
        assert _add(client, river, list_id, _aid(db, "sky")).status_code == 200
    assert _add(client, sky, _new_list(client, sky), _aid(db, "river")).status_code == 200
    _ok(client.delete(f"/api/v1/lists/{dropped}", headers=river))
    assert db.fetchval("SELECT count(*) FROM list_accounts WHERE list_id = $1",
                       int(dropped)) == 0
    db.execute("DELETE FROM members WHERE username = 'sky'")
    assert db.fetchval("SELECT count(*) FROM lists") == 1
    assert db.fetchval("SELECT count(*) FROM list_accounts") == 0


# -- the list timeline --------------------------------------------------------------------

def test_the_list_timeline_shows_what_the_owner_may_see_of_the_lists_accounts(client, db):
    river = _member(client, "river")
    for name in ("sky", "moss", "reed", "stone"):
        _member(client, name)
    for name in ("sky", "moss", "reed"):
        _follow(db, "river", name)
    list_id = _new_list(client, river)
    assert _add(client, river, list_id, _aid(db, "sky"), _aid(db, "moss"),
                _aid(db, "reed")).status_code == 200
    outside = _post(db, "stone", "stone is not in the list")
    _post(db, "sky", "sky in public")
    _post(db, "sky", "sky for followers", "followers")
    _post(db, "sky", "sky in the community", "community")
    _post(db, "sky", "sky to stone only", "direct", recipients=(f"{BASE}/users/stone",))
    _post(db, "sky", "sky to river only", "direct", recipients=(f"{BASE}/users/river",))
    _post(db, "sky", "", reblog_of=outside)
    _post(db, "moss", "moss muted")
    _post(db, "reed", "reed blocked")
    db.execute("INSERT INTO mutes (member_id, muted_member_id) VALUES ($1, $2)",
               _mid(db, "river"), _mid(db, "moss"))
    db.execute("INSERT INTO blocks (uri, member_id, blocked_member_id) VALUES ($1, $2, $3)",
               f"{BASE}/blocks/1", _mid(db, "reed"), _mid(db, "river"))
    assert _timeline(client, river, list_id) == [
        "boost of stone is not in the list", "sky in the community", "sky for followers",
        "sky in public"]


def test_a_list_shows_replies_as_its_replies_policy_says(client, db):
    river = _member(client, "river")
    for name in ("sky", "moss", "stone", "reed"):
        _member(client, name)
    for name in ("sky", "moss", "stone"):
        _follow(db, "river", name)
    to_river = _post(db, "river", "river asks")
    to_moss = _post(db, "moss", "moss asks")
    to_stone = _post(db, "stone", "stone asks")
    to_reed = _post(db, "reed", "reed asks")
    own = _post(db, "sky", "sky's thread")
    _post(db, "sky", "sky answers river", reply_to=to_river)
    _post(db, "sky", "sky answers moss", reply_to=to_moss)
    _post(db, "sky", "sky answers stone", reply_to=to_stone)
    _post(db, "sky", "sky answers reed", reply_to=to_reed)
    _post(db, "sky", "sky goes on", reply_to=own)
    list_id = _new_list(client, river)
    assert _add(client, river, list_id, _aid(db, "sky"), _aid(db, "moss")).status_code == 200
    always = ["sky goes on", "sky answers river"]
    assert _timeline(client, river, list_id)[:4] == [
        "sky goes on", "sky answers moss", "sky answers river", "sky's thread"]
    expected = {
        "list": ["sky goes on", "sky answers moss", "sky answers river"],
        "followed": ["sky goes on", "sky answers stone", "sky answers moss",
                     "sky answers river"],
        "none": always,
    }
    for policy, replies in expected.items():
        _ok(client.put(f"/api/v1/lists/{list_id}", headers=river,
                       data={"replies_policy": policy}))
        shown = _timeline(client, river, list_id)
        assert [t for t in shown if "answers" in t or "goes on" in t] == replies, policy
        assert "sky's thread" in shown and "moss asks" in shown


def test_the_list_timeline_pages_with_link_headers(client, db):
    river = _member(client, "river")
    _member(client, "sky")
    _follow(db, "river", "sky")
    list_id = _new_list(client, river)
    assert _add(client, river, list_id, _aid(db, "sky")).status_code == 200
    for n in range(5):
        _post(db, "sky", f"day {n}")
    path = f"/api/v1/timelines/list/{list_id}"
    first = client.get(path, headers=river, params={"limit": 2})
    assert _texts(_ok(first)) == ["day 4", "day 3"]
    second = client.get(_links(first)["next"].removeprefix(BASE), headers=river)
    assert _texts(_ok(second)) == ["day 2", "day 1"]
    newer = client.get(_links(second)["prev"].removeprefix(BASE), headers=river)
    assert _texts(_ok(newer)) == ["day 4", "day 3"]
    assert _timeline(client, river, list_id, since_id=_ok(second)[0]["id"]) == [
        "day 4", "day 3"]
    assert client.get(path, headers=river, params={"max_id": "x"}).status_code == 422


# -- the list stream ------------------------------------------------------------------------

def test_a_list_stream_of_another_members_list_is_refused(client, db):
    river = _member(client, "river", scope="read")
    sky = _member(client, "sky")
    theirs = _new_list(client, sky)
    for query in (f"list={theirs}", "list=nope", "list=999"):
        response = client.get(f"/api/v1/streaming/list?{query}", headers=river)
        assert response.status_code == 404, query
        assert response.json() == {"error": "Not authorized to stream this list"}
    assert client.get("/api/v1/streaming/list", headers=river).status_code == 400


@pytest.fixture
def community(client, db) -> Community:
    return Community(client, db)


def test_the_list_stream_carries_posts_and_deletions_of_the_lists_accounts_only(
        community, client, db, database_url):
    community.join("river", "sky", "stone")
    community.follow("river", "sky")
    community.follow("river", "stone")
    river = bearer(community.tokens["river"])
    list_id = _new_list(client, river)
    other = _new_list(client, river, "Other")
    assert _add(client, river, list_id, _aid(db, "sky")).status_code == 200

    async def body(live: Live) -> None:
        listed = await live.stream("river", Channel("list", list_id), Channel("list", other))
        post_id = await live.write("sky", "Thirty days.")
        message = await next_event(listed)
        assert (message.stream, message.event) == (["list", list_id], "update")
        assert json.loads(message.payload or "")["id"] == str(post_id)
        private_id = await live.write("sky", "For my people.", Visibility.FOLLOWERS)
        message = await next_event(listed)
        assert json.loads(message.payload or "")["id"] == str(private_id)
        await live.write("stone", "Not in the list.")
        await live.write("sky", "Just for stone.", Visibility.DIRECT,
                         recipients=[f"{BASE}/users/stone"])
        last_id = await live.write("sky", "Later.")
        message = await next_event(listed)  # the two before were not sent
        assert json.loads(message.payload or "")["id"] == str(last_id)
        await no_event(listed)
        _, sky = await live.member("sky")
        async with live.pool.acquire() as conn, conn.transaction():
            await recovery_posts.delete(conn, sky, post_id)
        message = await next_event(listed)
        assert (message.stream, message.event, message.payload) == (
            ["list", list_id], "delete", str(post_id))
        await no_event(listed)

    scenario(community, database_url, body)


def test_an_exclusive_lists_accounts_leave_the_home_timeline(client, db):
    river = _member(client, "river")
    for name in ("sky", "stone"):
        signup(client, name)
        _follow(db, "river", name)
    _post(db, "sky", "sky at the meeting")
    _post(db, "stone", "stone on a walk")

    def home() -> list[str]:
        return _texts(_ok(client.get("/api/v1/timelines/home", headers=river)))

    shared = _new_list(client, river, "Friends")
    _ok(_add(client, river, shared, _aid(db, "sky")))
    assert home() == ["stone on a walk", "sky at the meeting"]
    apart = _new_list(client, river, "Meeting", exclusive="true")
    _ok(_add(client, river, apart, _aid(db, "sky")))
    assert home() == ["stone on a walk"]
    assert _timeline(client, river, apart) == ["sky at the meeting"]
    _ok(client.put(f"/api/v1/lists/{apart}", headers=river, data={"exclusive": "false"}))
    assert home() == ["stone on a walk", "sky at the meeting"]


def test_boosts_hidden_on_follow_stay_out_of_the_list_too(client, db):
    river = _member(client, "river")
    for name in ("sky", "stone"):
        signup(client, name)
        _follow(db, "river", name)
    original = _post(db, "stone", "stone on a walk")
    _post(db, "sky", "", reblog_of=original)
    _post(db, "sky", "sky at the meeting")
    listed = _new_list(client, river, "Friends")
    _ok(_add(client, river, listed, _aid(db, "sky")))
    assert _timeline(client, river, listed) == ["sky at the meeting", "boost of stone on a walk"]
    _ok(client.post(f"/api/v1/accounts/{_aid(db, 'sky')}/follow", headers=river,
                    data={"reblogs": "false"}))
    assert _timeline(client, river, listed) == ["sky at the meeting"]
