"""Timelines from a client: home (the precomputed feed, the same posts as the
web page), public, hashtags and lists, and direct conversations; paged with
max_id/since_id/min_id and Link headers as Mastodon pages them; visibility,
blocks and mutes respected; scopes enforced; bad input refused."""

from __future__ import annotations

import asyncio
import re
from typing import Any

import asyncpg
import pytest

from recovery import members, posts
from recovery.models import Visibility
from tests.conftest import login, signup
from tests.helpers_api import bearer, password_token, register_app

BASE = "http://testserver"
REMOTE = "https://peer.example/users/ash"


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _mid(db: Any, name: str) -> int:
    member_id: int = db.fetchval("SELECT id FROM members WHERE username = $1", name)
    return member_id


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


def _remote(db: Any) -> int:
    remote: int = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, name, inbox,
                                      document)
           VALUES ($1, 'peer.example', 'Person', 'ash', 'Ash', 'https://peer.example/inbox',
                   '{}') RETURNING id""", REMOTE)
    return remote


def _remote_post(db: Any, remote: int, text: str, visibility: str = "public") -> int:
    post_id: int = db.fetchval(
        """INSERT INTO posts (uri, author_remote_id, visibility, content_html)
           VALUES ($1, $2, $3, $4) RETURNING id""",
        f"https://peer.example/notes/{text.replace(' ', '-')}", remote, visibility,
        f"<p>{text}</p>")
    return post_id


def _texts(statuses: list[dict[str, Any]]) -> list[str]:
    return [s["content"].removeprefix("<p>").removesuffix("</p>")
            or "boost of " + s["reblog"]["content"].removeprefix("<p>").removesuffix("</p>")
            for s in statuses]


def _get(client: Any, path: str, auth: dict[str, str], **params: Any) -> Any:
    response = client.get(path, headers=auth, params=params)
    assert response.status_code == 200, response.text
    return response


def _links(response: Any) -> dict[str, str]:
    return {rel: url for url, rel in
            re.findall(r'<([^>]+)>; rel="(next|prev)"', response.headers.get("link", ""))}


def _write(database_url: str, name: str, text: str,
           visibility: Visibility = Visibility.PUBLIC) -> int:
    """A post written through the domain (as the pages and the API write them)."""
    async def go() -> int:
        conn = await asyncpg.connect(database_url)
        try:
            member = await members.get_profile(conn, name)
            return (await posts.write(conn, member, text, visibility)).id
        finally:
            await conn.close()
    return asyncio.run(go())


# -- home -----------------------------------------------------------------------------

def test_home_holds_own_followed_and_boosted_posts_newest_first_as_the_web_page(client, db):
    river = _member(client, "river")
    _member(client, "sky")
    _member(client, "stranger")
    remote = _remote(db)
    _follow(db, "river", "sky")
    db.execute("""INSERT INTO follows (uri, follower_member_id, followed_remote_id, state)
                  SELECT 'http://testserver/follows/r', id, $1, 'accepted' FROM members
                  WHERE username = 'river'""", remote)
    own = _post(db, "river", "mine")
    _post(db, "sky", "from sky")
    _post(db, "stranger", "from a stranger")
    far = _remote_post(db, remote, "from afar")
    _post(db, "sky", "", reblog_of=far)  # sky boosts ash's post (shown once)
    stranger_post = _post(db, "stranger", "boosted by sky")
    _post(db, "sky", "", reblog_of=stranger_post)
    _post(db, "sky", "sky to followers", "followers")
    _post(db, "stranger", "stranger to followers", "followers")
    _post(db, "stranger", "a word to river", "direct", recipients=(f"{BASE}/users/river",))
    _post(db, "stranger", "a word to sky", "direct", recipients=(f"{BASE}/users/sky",))
    home = _get(client, "/api/v1/timelines/home", river).json()
    assert _texts(home) == ["a word to river", "sky to followers",
                            "boost of boosted by sky", "boost of from afar", "from sky", "mine"]
    assert home[-1]["id"] == str(own) and home[-1]["account"]["acct"] == "river"
    login(client, "river")
    page = client.get("/home").text
    for text in ["a word to river", "sky to followers", "boosted by sky", "from afar",
                 "from sky", "mine"]:
        assert text in page
    for text in ["from a stranger", "stranger to followers", "a word to sky"]:
        assert text not in page


def test_home_follows_the_follow_state_pending_accept_and_unfollow(client, db):
    river = _member(client, "river")
    _member(client, "sky")
    _post(db, "sky", "written before the follow")
    _follow(db, "river", "sky", "pending")
    assert _get(client, "/api/v1/timelines/home", river).json() == []
    db.execute("UPDATE follows SET state = 'accepted'")
    assert _texts(_get(client, "/api/v1/timelines/home", river).json()) == [
        "written before the follow"]
    _post(db, "sky", "written after")
    assert len(_get(client, "/api/v1/timelines/home", river).json()) == 2
    db.execute("DELETE FROM follows")
    assert _get(client, "/api/v1/timelines/home", river).json() == []
    assert db.fetchval("SELECT count(*) FROM home_feed WHERE member_id = $1",
                       _mid(db, "river")) == 0


def test_home_leaves_out_blocked_and_muted_accounts_and_their_boosts(client, db):
    river = _member(client, "river")
    _member(client, "sky")
    _member(client, "moss")
    _follow(db, "river", "sky")
    _follow(db, "river", "moss")
    moss_post = _post(db, "moss", "by moss")
    _post(db, "sky", "", reblog_of=moss_post)
    _post(db, "sky", "by sky")
    db.execute("""INSERT INTO mutes (member_id, muted_member_id)
                  VALUES ($1, $2)""", _mid(db, "river"), _mid(db, "moss"))
    assert _texts(_get(client, "/api/v1/timelines/home", river).json()) == ["by sky"]
    db.execute("UPDATE mutes SET expires_at = now() - interval '1 second'")
    assert "boost of by moss" in _texts(_get(client, "/api/v1/timelines/home", river).json())
    db.execute("""INSERT INTO blocks (uri, member_id, blocked_member_id)
                  VALUES ('http://testserver/blocks/1', $1, $2)""",
               _mid(db, "sky"), _mid(db, "river"))  # sky blocks river
    assert _texts(_get(client, "/api/v1/timelines/home", river).json()) == ["by moss"]


def test_home_pages_with_max_since_and_min_id_and_link_headers(client, db):
    river = _member(client, "river")
    ids = [_post(db, "river", f"post {n}") for n in range(7)]
    first = _get(client, "/api/v1/timelines/home", river, limit=3)
    assert [s["id"] for s in first.json()] == [str(i) for i in ids[6:3:-1]]
    links = _links(first)
    assert f"max_id={ids[4]}" in links["next"] and "limit=3" in links["next"]
    assert f"min_id={ids[6]}" in links["prev"]
    second = client.get(links["next"].removeprefix(BASE), headers=river).json()
    assert [s["id"] for s in second] == [str(i) for i in ids[3:0:-1]]
    # min_id: the page just above it, oldest first then reversed
    above = _get(client, "/api/v1/timelines/home", river, min_id=ids[1], limit=2).json()
    assert [s["id"] for s in above] == [str(ids[3]), str(ids[2])]
    # since_id: the newest above it
    newest = _get(client, "/api/v1/timelines/home", river, since_id=ids[1], limit=2).json()
    assert [s["id"] for s in newest] == [str(ids[6]), str(ids[5])]
    between = _get(client, "/api/v1/timelines/home", river, max_id=ids[5],
                   since_id=ids[2]).json()
    assert [s["id"] for s in between] == [str(ids[4]), str(ids[3])]
    empty = _get(client, "/api/v1/timelines/home", river, min_id=ids[6])
    assert empty.json() == [] and "link" not in empty.headers
    assert len(_get(client, "/api/v1/timelines/home/", river, limit=500).json()) == 7


@pytest.mark.parametrize("query", ["max_id=abc", "since_id=-1", "min_id=1.5",
                                   "limit=x", "max_id=99999999999999999999"])
def test_bad_paging_is_422_with_the_reason(client, query):
    river = _member(client, "river")
    response = client.get(f"/api/v1/timelines/home?{query}", headers=river)
    assert response.status_code == 422
    assert "Validation failed" in response.json()["error"]


def test_timelines_enforce_their_scopes(client, db):
    _member(client, "river")
    app = register_app(client)
    write_only = bearer(password_token(client, app, "river", scope="write"))
    for path in ("/api/v1/timelines/home", "/api/v1/timelines/public",
                 "/api/v1/timelines/tag/sober", "/api/v1/conversations"):
        assert client.get(path).status_code == 401, path
        assert client.get(path, headers=write_only).status_code == 403, path
    read_only = bearer(password_token(client, app, "river", scope="read:statuses"))
    assert client.get("/api/v1/timelines/home", headers=read_only).status_code == 200
    assert client.post("/api/v1/conversations/1/read",
                       headers=read_only).status_code == 403
    assert client.get("/api/v1/timelines/list/1", headers=read_only).status_code == 403
    app_only = client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "scope": "read"}).json()["access_token"]
    assert client.get("/api/v1/timelines/home",
                      headers=bearer(app_only)).status_code == 422


# -- public, tags, lists ----------------------------------------------------------------

def test_public_timeline_shows_this_communitys_public_posts_without_boosts_or_replies(
        client, db):
    river = _member(client, "river")
    _member(client, "sky")
    remote = _remote(db)
    top = _post(db, "sky", "public by sky")
    _post(db, "sky", "sky's own thread", reply_to=top)
    _post(db, "river", "a reply to sky", reply_to=top)
    _post(db, "river", "", reblog_of=top)
    _post(db, "sky", "unlisted by sky", "unlisted")
    _post(db, "sky", "followers of sky", "followers")
    _post(db, "sky", "community by sky", "community")
    _remote_post(db, remote, "public from afar")
    shown = _texts(_get(client, "/api/v1/timelines/public", river).json())
    assert shown == ["community by sky", "sky's own thread", "public by sky"]
    assert _texts(_get(client, "/api/v1/timelines/public", river, local="true").json()) == shown
    assert _get(client, "/api/v1/timelines/public", river, remote="true").json() == []
    assert _get(client, "/api/v1/timelines/public", river, only_media="1").json() == []
    limited = _get(client, "/api/v1/timelines/public", river, limit=1)
    assert _texts(limited.json()) == ["community by sky"] and "next" in _links(limited)


def test_tag_timeline_matches_any_all_and_none_and_tags_are_stored_on_write(
        client, db, database_url):
    river = _member(client, "river")
    _write(database_url, "river", "Day one #Sober #gratitude")
    _write(database_url, "river", "still #sober")
    _write(database_url, "river", "#sober but private", Visibility.FOLLOWERS)
    _write(database_url, "river", "a #walk today")
    assert db.fetchval("SELECT count(*) FROM post_tags WHERE name = 'sober'") == 3

    def tagged(tag: str, **params: Any) -> list[str]:
        return _texts(_get(client, f"/api/v1/timelines/tag/{tag}", river, **params).json())

    assert tagged("SOBER") == ["still #sober", "Day one #Sober #gratitude"]
    assert tagged("sober", **{"all[]": "gratitude"}) == ["Day one #Sober #gratitude"]
    assert tagged("sober", **{"none[]": "gratitude"}) == ["still #sober"]
    assert tagged("walk", **{"any[]": "gratitude"}) == ["a #walk today",
                                                         "Day one #Sober #gratitude"]
    assert tagged("nothing") == [] and tagged("%23%23") == []
    assert tagged("sober", remote="true") == []


def test_tag_info_counts_uses_per_day_and_an_unused_tag_is_404(client, db, database_url):
    river = _member(client, "river")
    _write(database_url, "river", "#Sober today")
    found = _get(client, "/api/v1/tags/sober", river).json()
    assert found["name"] == "sober" and found["url"] == f"{BASE}/tags/sober"
    assert found["following"] is False and len(found["history"]) == 7
    assert found["history"][0]["uses"] == "1" and found["history"][0]["accounts"] == "1"
    assert client.get("/api/v1/tags/unused", headers=river).status_code == 404
    assert client.get("/api/v1/tags/no-such", headers=river).status_code == 404


def test_an_edit_replaces_a_posts_tags(client, db, database_url):
    _member(client, "river")
    post_id = _write(database_url, "river", "#one")

    async def edit() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            member = await members.get_profile(conn, "river")
            await posts.edit(conn, member, post_id, "#two now", "")
        finally:
            await conn.close()
    asyncio.run(edit())
    assert [r["name"] for r in db.fetch("SELECT name FROM post_tags")] == ["two"]


def test_a_tag_kept_across_an_edit_stays(client, db, database_url):
    _member(client, "river")
    post_id = _write(database_url, "river", "#one #two")

    async def edit() -> None:
        conn = await asyncpg.connect(database_url)
        try:
            member = await members.get_profile(conn, "river")
            await posts.edit(conn, member, post_id, "#two #three", "")
        finally:
            await conn.close()
    asyncio.run(edit())
    names = sorted(r["name"] for r in db.fetch("SELECT name FROM post_tags"))
    assert names == ["three", "two"]


def test_a_list_timeline_is_404_as_no_list_is_yours(client):
    river = _member(client, "river")
    response = client.get("/api/v1/timelines/list/1", headers=river)
    assert response.status_code == 404 and response.json()["error"] == "Record not found"


# -- conversations ----------------------------------------------------------------------

def test_conversations_group_direct_posts_by_thread_and_mark_read_and_removed(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    _member(client, "moss")
    to_river = (f"{BASE}/users/river",)
    first = _post(db, "sky", "hello river", "direct", recipients=to_river)
    reply = _post(db, "river", "hello sky", "direct", reply_to=first,
                  recipients=(f"{BASE}/users/sky",))
    other = _post(db, "moss", "hi from moss", "direct", recipients=to_river)
    to_sky = _post(db, "moss", "not for river", "direct", recipients=(f"{BASE}/users/sky",))
    found = _get(client, "/api/v1/conversations", river).json()
    assert [c["id"] for c in found] == [str(other), str(first)]
    assert [c["last_status"]["id"] for c in found] == [str(other), str(reply)]
    assert [c["unread"] for c in found] == [True, False]  # river wrote the last one
    assert [a["acct"] for a in found[0]["accounts"]] == ["moss"]
    assert [a["acct"] for a in found[1]["accounts"]] == ["sky"]
    assert [c["id"] for c in _get(client, "/api/v1/conversations", sky).json()] == [
        str(to_sky), str(first)]
    marked = client.post(f"/api/v1/conversations/{other}/read", headers=river)
    assert marked.status_code == 200 and marked.json()["unread"] is False
    assert client.delete(f"/api/v1/conversations/{first}", headers=river).status_code == 200
    assert [c["id"] for c in _get(client, "/api/v1/conversations", river).json()] == [
        str(other)]
    _post(db, "sky", "are you there?", "direct", reply_to=reply, recipients=to_river)
    back = _get(client, "/api/v1/conversations", river).json()
    assert [c["id"] for c in back] == [str(first), str(other)] and back[0]["unread"] is True


def test_someone_elses_or_a_made_up_conversation_is_404(client, db):
    river = _member(client, "river")
    _member(client, "sky")
    theirs = _post(db, "sky", "to nobody here", "direct",
                   recipients=("https://peer.example/users/x",))
    for path in (f"/api/v1/conversations/{theirs}/read", "/api/v1/conversations/abc/read",
                 "/api/v1/conversations/999999/read"):
        assert client.post(path, headers=river).status_code == 404, path
    assert client.delete(f"/api/v1/conversations/{theirs}", headers=river).status_code == 404
    assert db.fetchval("SELECT count(*) FROM conversation_marks") == 0


def test_account_post_counts_follow_posts_written_and_deleted(client, db):
    river = _member(client, "river")
    remote = _remote(db)
    first = _post(db, "river", "one")
    _post(db, "river", "two", "unlisted")
    _post(db, "river", "to followers", "followers")
    _remote_post(db, remote, "far one")
    _remote_post(db, remote, "far two", "followers")
    me = client.get("/api/v1/accounts/verify_credentials", headers=river).json()
    assert me["statuses_count"] == 2 and me["last_status_at"]
    db.execute("DELETE FROM posts WHERE id = $1", first)
    me = client.get("/api/v1/accounts/verify_credentials", headers=river).json()
    assert me["statuses_count"] == 1
    assert db.fetchval("SELECT statuses FROM account_counts WHERE remote_id = $1", remote) == 2
    db.execute("DELETE FROM remote_actors WHERE id = $1", remote)  # cascades, no error
    assert db.fetchval("SELECT count(*) FROM account_counts WHERE remote_id = $1", remote) == 0
