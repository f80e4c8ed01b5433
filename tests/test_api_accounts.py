"""The accounts API: an account, its statuses as the viewer may see them, its
followers and follows (hidden when the member chooses), look-up and search,
relationships, familiar followers, and update_credentials; scopes enforced,
bad input refused whole."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app

REMOTE = "https://peer.example/users/ash"


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _id(db: Any, name: str) -> str:
    """The account id of a member (2 x their row id)."""
    return str(2 * db.fetchval("SELECT id FROM members WHERE username = $1", name))


def _follow(db: Any, follower: str, followed: str, state: str = "accepted") -> None:
    db.execute(
        """INSERT INTO follows (uri, follower_member_id, followed_member_id, state)
           SELECT 'http://testserver/follows/' || a.id || '-' || b.id, a.id, b.id, $3
           FROM members a, members b WHERE a.username = $1 AND b.username = $2""",
        follower, followed, state)


def _post(db: Any, name: str, text: str, visibility: str = "public",
          reply_to: int | None = None, reblog_of: int | None = None) -> int:
    post_id: int = db.fetchval(
        """INSERT INTO posts (author_member_id, visibility, content_html, in_reply_to_id,
                              reblog_of_id)
           SELECT id, $2, $3, $4, $5 FROM members WHERE username = $1 RETURNING id""",
        name, visibility, f"<p>{text}</p>" if reblog_of is None else "", reply_to, reblog_of)
    return post_id


def _remote(db: Any, name: str = "ash") -> int:
    remote: int = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, name, inbox,
                                      document)
           VALUES ($1, 'peer.example', 'Person', $2, 'Ash', 'https://peer.example/inbox', '{}')
           RETURNING id""", f"https://peer.example/users/{name}", name)
    return remote


def _texts(statuses: list[dict[str, Any]]) -> list[str]:
    return [s["content"] or "boost of " + s["reblog"]["content"] for s in statuses]


# -- one account --------------------------------------------------------------------

def test_an_account_is_shown_by_id_and_anything_else_is_404(client, db):
    auth = _member(client, "river")
    river = _id(db, "river")
    shown = client.get(f"/api/v1/accounts/{river}", headers=auth)
    assert shown.status_code == 200 and shown.json()["username"] == "river"
    assert client.get(f"/api/v1/accounts/{river}/").json()["id"] == river  # no token needed
    for wrong in ("abc", "0", "1", "999998", "9" * 40):
        response = client.get(f"/api/v1/accounts/{wrong}", headers=auth)
        assert response.status_code == 404 and response.json()["error"], wrong
    several = client.get("/api/v1/accounts", params=[("id[]", river), ("id[]", "7"),
                                                      ("id[]", "x")], headers=auth)
    assert [a["id"] for a in several.json()] == [river]
    db.execute("UPDATE members SET status = 'suspended' WHERE username = 'river'")
    assert client.get(f"/api/v1/accounts/{river}").status_code == 404


def test_account_statuses_show_what_the_viewer_may_see_and_never_direct_posts(client, db):
    _member(client, "river")
    sky = _member(client, "sky")
    for text, visibility in [("open", "public"), ("quiet", "unlisted"), ("close", "followers"),
                             ("ours", "community"), ("secret", "direct")]:
        _post(db, "river", text, visibility)
    river = _id(db, "river")
    anonymous = client.get(f"/api/v1/accounts/{river}/statuses").json()
    assert _texts(anonymous) == ["<p>quiet</p>", "<p>open</p>"]
    as_sky = client.get(f"/api/v1/accounts/{river}/statuses", headers=sky).json()
    assert _texts(as_sky) == ["<p>ours</p>", "<p>quiet</p>", "<p>open</p>"]
    _follow(db, "sky", "river")
    as_follower = client.get(f"/api/v1/accounts/{river}/statuses", headers=sky).json()
    assert "<p>close</p>" in _texts(as_follower) and "<p>secret</p>" not in _texts(as_follower)


def test_account_statuses_filter_replies_boosts_pins_media_and_tags(client, db):
    auth = _member(client, "river")
    signup(client, "sky")
    other = _post(db, "sky", "theirs")
    first = _post(db, "river", "day one #sober")
    _post(db, "river", "my own thread", reply_to=first)
    _post(db, "river", "a reply to sky", reply_to=other)
    _post(db, "river", "", reblog_of=other)
    url = f"/api/v1/accounts/{_id(db, 'river')}/statuses"
    assert len(client.get(url, headers=auth).json()) == 4
    no_replies = _texts(client.get(url, params={"exclude_replies": "true"}, headers=auth).json())
    assert "<p>a reply to sky</p>" not in no_replies and "<p>my own thread</p>" in no_replies
    no_boosts = client.get(url, params={"exclude_reblogs": "1"}, headers=auth).json()
    assert all(s["reblog"] is None for s in no_boosts) and len(no_boosts) == 3
    assert client.get(url, params={"pinned": "true"}, headers=auth).json() == []
    assert client.get(url, params={"only_media": "true"}, headers=auth).json() == []
    tagged = client.get(url, params={"tagged": "SOBER"}, headers=auth).json()
    assert _texts(tagged) == ["<p>day one #sober</p>"]
    bad = client.get(url, params={"tagged": "a'b"}, headers=auth)
    assert bad.status_code == 422 and "tagged" in bad.json()["error"]


def test_account_statuses_page_with_link_headers_both_ways(client, db):
    auth = _member(client, "river")
    ids = [_post(db, "river", f"post {n}") for n in range(5)]
    url = f"/api/v1/accounts/{_id(db, 'river')}/statuses"
    first = client.get(url, params={"limit": 2}, headers=auth)
    assert [int(s["id"]) for s in first.json()] == ids[:2:-1][:2] == [ids[4], ids[3]]
    assert f"max_id={ids[3]}" in first.headers["link"] and 'rel="next"' in first.headers["link"]
    older = client.get(url, params={"limit": 2, "max_id": ids[3]}, headers=auth).json()
    assert [int(s["id"]) for s in older] == [ids[2], ids[1]]
    newer = client.get(url, params={"limit": 2, "min_id": ids[0]}, headers=auth).json()
    assert [int(s["id"]) for s in newer] == [ids[2], ids[1]]
    since = client.get(url, params={"since_id": ids[3]}, headers=auth).json()
    assert [int(s["id"]) for s in since] == [ids[4]]
    assert client.get(url, params={"max_id": "x"}, headers=auth).status_code == 422


# -- followers and following --------------------------------------------------------

def test_followers_and_following_are_paged_and_hidden_when_the_member_chooses(client, db):
    river = _member(client, "river")
    for name in ("ann", "bo", "cy"):
        signup(client, name)
        _follow(db, name, "river")
    _follow(db, "river", "ann")
    _follow(db, "bo", "cy", state="pending")
    url = f"/api/v1/accounts/{_id(db, 'river')}"
    page = client.get(f"{url}/followers", params={"limit": 2}, headers=river)
    assert [a["username"] for a in page.json()] == ["cy", "bo"]
    assert 'rel="next"' in page.headers["link"]
    rest = client.get(page.headers["link"].split(">")[0].lstrip("<"), headers=river).json()
    assert [a["username"] for a in rest] == ["ann"]
    assert [a["username"] for a in client.get(f"{url}/following").json()] == ["ann"]
    assert client.get(f"/api/v1/accounts/{_id(db, 'cy')}/followers").json() == []
    changed = client.patch("/api/v1/accounts/update_credentials", headers=river,
                           data={"hide_collections": "true"})
    assert changed.status_code == 200 and changed.json()["hide_collections"] is True
    assert client.get(f"{url}/followers").json() == []
    assert client.get(f"{url}/following").json() == []
    assert len(client.get(f"{url}/followers", headers=river).json()) == 3


def test_familiar_followers_are_members_i_follow_who_follow_them(client, db):
    me = _member(client, "river")
    for name in ("ann", "bo", "cy"):
        signup(client, name)
    _follow(db, "river", "ann")
    _follow(db, "ann", "cy")
    _follow(db, "bo", "cy")
    cy = _id(db, "cy")
    answer = client.get("/api/v1/accounts/familiar_followers", params={"id[]": cy},
                        headers=me).json()
    assert answer == [{"id": cy, "accounts": [answer[0]["accounts"][0]]}]
    assert answer[0]["accounts"][0]["username"] == "ann"


# -- look-up and search -------------------------------------------------------------

def test_lookup_finds_members_and_known_remote_accounts(client, db):
    auth = _member(client, "river")
    _remote(db)
    assert client.get("/api/v1/accounts/lookup", params={"acct": "river"}).json()[
        "id"] == _id(db, "river")
    assert client.get("/api/v1/accounts/lookup", params={"acct": "@river@testserver"},
                      headers=auth).json()["username"] == "river"
    remote = client.get("/api/v1/accounts/lookup", params={"acct": "ash@peer.example"}).json()
    assert remote["acct"] == "ash@peer.example"
    assert client.get("/api/v1/accounts/lookup", params={"acct": "nobody"}).status_code == 404
    assert client.get("/api/v1/accounts/lookup").status_code == 422


def test_search_matches_the_start_of_names_and_can_keep_to_those_followed(client, db):
    auth = _member(client, "river")
    for name in ("rivulet", "ash_r", "sky"):
        signup(client, name)
    _remote(db, "riverrun")
    _follow(db, "river", "rivulet")
    found = client.get("/api/v1/accounts/search", params={"q": "riv"}, headers=auth).json()
    assert [a["acct"] for a in found] == ["river", "rivulet", "riverrun@peer.example"]
    exact = client.get("/api/v1/accounts/search", params={"q": "river"}, headers=auth).json()
    assert exact[0]["acct"] == "river"
    followed = client.get("/api/v1/accounts/search", params={"q": "riv", "following": "true"},
                          headers=auth).json()
    assert [a["acct"] for a in followed] == ["rivulet"]
    wildcard = client.get("/api/v1/accounts/search", params={"q": "%"}, headers=auth).json()
    assert wildcard == []
    remote = client.get("/api/v1/accounts/search", params={"q": "@riverrun@peer.example"},
                        headers=auth).json()
    assert [a["acct"] for a in remote] == ["riverrun@peer.example"]
    assert client.get("/api/v1/accounts/search", params={"q": "riv"}).status_code == 401


# -- relationships ------------------------------------------------------------------

def test_relationships_answer_for_each_known_id_in_order(client, db):
    auth = _member(client, "river")
    signup(client, "sky")
    signup(client, "ann")
    _follow(db, "river", "sky")
    _follow(db, "ann", "river", state="pending")
    sky, ann = _id(db, "sky"), _id(db, "ann")
    found = client.get("/api/v1/accounts/relationships",
                       params=[("id[]", ann), ("id[]", "999998"), ("id[]", sky)],
                       headers=auth).json()
    assert [r["id"] for r in found] == [ann, sky]
    assert found[0]["requested_by"] is True and found[0]["following"] is False
    assert found[1]["following"] is True and found[1]["showing_reblogs"] is True
    assert set(found[1]) >= {"followed_by", "blocking", "blocked_by", "muting",
                             "muting_notifications", "requested", "domain_blocking",
                             "endorsed", "note", "notifying", "languages"}


# -- update_credentials -------------------------------------------------------------

def test_update_credentials_changes_the_profile_and_client_settings(client, db):
    auth = _member(client, "river")
    response = client.patch("/api/v1/accounts/update_credentials", headers=auth, data={
        "display_name": "River R", "note": "One day at a time.", "locked": "false",
        "discoverable": "true", "bot": "false",
        "fields_attributes[0][name]": "Home group", "fields_attributes[0][value]": "<b>Tue</b>",
        "source[privacy]": "unlisted", "source[sensitive]": "true", "source[language]": "en"})
    assert response.status_code == 200, response.text
    account = response.json()
    assert account["display_name"] == "River R" and account["locked"] is False
    assert account["note"] == "<p>One day at a time.</p>" and account["discoverable"] is True
    assert account["fields"] == [{"name": "Home group", "value": "&lt;b&gt;Tue&lt;/b&gt;",
                                  "verified_at": None}]
    assert account["source"]["privacy"] == "unlisted"
    assert account["source"]["sensitive"] is True and account["source"]["language"] == "en"
    assert account["source"]["fields"][0]["value"] == "<b>Tue</b>"
    shown = client.get(f"/api/v1/accounts/{_id(db, 'river')}").json()
    assert shown["fields"][0]["name"] == "Home group"
    me = client.get("/api/v1/accounts/verify_credentials", headers=auth).json()
    assert me["source"]["privacy"] == "unlisted" and me["fields"] == account["fields"]
    json_body = client.patch("/api/v1/accounts/update_credentials", headers=auth,
                             json={"fields_attributes": [], "display_name": "R"})
    assert json_body.status_code == 200 and json_body.json()["fields"] == []


@pytest.mark.parametrize("data", [
    {"display_name": "x" * 61},
    {"source[privacy]": "direct"},
    {"source[language]": "english"},
    {"locked": "maybe"},
    {**{f"fields_attributes[{n}][name]": f"f{n}" for n in range(5)},
     **{f"fields_attributes[{n}][value]": "v" for n in range(5)}},
])
def test_bad_update_credentials_is_refused_and_nothing_is_stored(client, db, data):
    auth = _member(client, "river")
    response = client.patch("/api/v1/accounts/update_credentials", headers=auth,
                            data={"note": "changed", **data})
    assert response.status_code == 422, response.text
    assert response.json()["error"].startswith("Validation failed")
    assert db.fetchval("SELECT bio FROM members") == ""
    assert db.fetchval("SELECT count(*) FROM account_settings") == 0


# -- scopes -------------------------------------------------------------------------

def test_every_account_endpoint_enforces_its_scope_line_30(client, db):
    reader = _member(client, "river", scope="read")
    signup(client, "sky")
    sky = _id(db, "sky")
    for path in ("follow", "unfollow", "block", "unblock", "mute", "unmute", "note"):
        assert client.post(f"/api/v1/accounts/{sky}/{path}", headers=reader).status_code == 403
    assert client.patch("/api/v1/accounts/update_credentials", headers=reader,
                        data={"note": "x"}).status_code == 403
    writer = bearer(password_token(client, register_app(client), "sky", scope="write"))
    for path in ("/api/v1/blocks", "/api/v1/mutes", "/api/v1/follow_requests",
                 f"/api/v1/accounts/relationships?id[]={sky}"):
        assert client.get(path, headers=writer).status_code == 403, path
        assert client.get(path).status_code == 401, path
    assert client.get(f"/api/v1/accounts/{sky}/statuses", headers=writer).status_code == 403
    assert db.fetchval("SELECT count(*) FROM follows") == 0
