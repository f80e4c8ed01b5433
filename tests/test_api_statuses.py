"""The statuses API: writing (content warnings, visibility, replies, the
Idempotency-Key), reading one or many, the thread, edits with their history
and source, deletion; bad input refused whole; scopes enforced; visibility
exactly as the web pages apply it."""

from __future__ import annotations

import json
from typing import Any

import asyncpg

from federation import objects
from recovery import peers, posts
from tests.conftest import post_form, run, signup
from tests.helpers_api import bearer, password_token, register_app

REMOTE = "https://peer.example/users/ash"


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _post(client: Any, auth: dict[str, str], **data: Any) -> Any:
    return client.post("/api/v1/statuses", headers=auth, data=data)


def _follow(db: Any, follower: int, followed: int) -> None:
    db.execute("""INSERT INTO follows (uri, follower_member_id, followed_member_id, state)
                  VALUES ($1, $2, $3, 'accepted')""",
               f"http://testserver/follows/{follower}-{followed}", follower, followed)


def _remote_follower(db: Any, member_id: int) -> int:
    remote: int = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, document)
           VALUES ($1, 'peer.example', 'Person', 'ash', 'https://peer.example/inbox', '{}')
           RETURNING id""", REMOTE)
    db.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                  VALUES ('https://peer.example/follows/1', $1, $2, 'accepted')""",
               remote, member_id)
    return remote


async def _with_conn(url: str, act: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await act(conn)
    finally:
        await conn.close()


def _sent(db: Any) -> list[str]:
    """The types of the activities queued for delivery, in order."""
    return [json.loads(r["payload"])["type"]
            for r in db.fetch("SELECT payload FROM deliveries ORDER BY id")]


# -- writing ------------------------------------------------------------------------

def test_a_post_with_a_content_warning_comes_back_as_a_status(client):
    auth = _member(client, "river")
    response = _post(client, auth, status="Day 12. Hard one.", spoiler_text="cravings",
                     visibility="unlisted", language="en")
    assert response.status_code == 200, response.text
    status = response.json()
    assert status["content"] == "<p>Day 12. Hard one.</p>"
    assert status["spoiler_text"] == "cravings" and status["sensitive"] is True
    assert status["visibility"] == "unlisted" and status["local_only"] is False
    assert status["account"]["acct"] == "river"
    assert status["language"] == "en"
    fetched = client.get(f"/api/v1/statuses/{status['id']}", headers=auth).json()
    assert fetched["id"] == status["id"] and fetched["content"] == status["content"]


VISIBILITIES = [
    ({"visibility": "private"}, "followers", "private"),
    ({"visibility": "direct", "status": "@sky hello"}, "direct", "direct"),
    ({"visibility": "local"}, "community", "unlisted"),
    ({"visibility": "local_only"}, "community", "unlisted"),
    ({"local_only": "true"}, "community", "unlisted"),
    ({}, "followers", "private"),  # members approve followers by default: private
]


def test_visibility_is_stored_as_hearth_knows_it(client, db):
    auth = _member(client, "river")
    signup(client, "sky")
    for asked, stored, shown in VISIBILITIES:
        response = _post(client, auth, **{"status": "hello", **asked})
        assert response.status_code == 200, (asked, response.text)
        assert response.json()["visibility"] == shown, asked
        assert response.json()["local_only"] is (stored == "community"), asked
        assert db.fetchval("SELECT visibility FROM posts WHERE id = $1",
                           int(response.json()["id"])) == stored, asked


def test_a_post_without_visibility_takes_the_saved_default(client, db):
    auth = _member(client, "river")
    saved = client.patch("/api/v1/accounts/update_credentials", headers=auth,
                         data={"source[privacy]": "unlisted"})
    assert saved.status_code == 200, saved.text
    preferences = client.get("/api/v1/preferences", headers=auth).json()
    assert preferences["posting:default:visibility"] == "unlisted"
    response = _post(client, auth, status="hello")
    assert response.json()["visibility"] == "unlisted"
    assert db.fetchval("SELECT visibility FROM posts WHERE id = $1",
                       int(response.json()["id"])) == "unlisted"


def test_sensitive_accepts_the_ways_clients_say_true_and_false(client):
    auth = _member(client, "river")
    for value in ("1", "true", "True"):
        assert _post(client, auth, status="x", sensitive=value).json()["sensitive"] is True
    for value in ("0", "false"):
        assert _post(client, auth, status="x", sensitive=value).json()["sensitive"] is False


def test_json_bodies_work_as_forms_do(client):
    auth = _member(client, "river")
    response = client.post("/api/v1/statuses", headers=auth,
                           json={"status": "json", "sensitive": True, "visibility": "public"})
    assert response.status_code == 200, response.text
    assert response.json()["sensitive"] is True


BAD_INPUT = [
    ({"status": ""}, 422),
    ({"status": "   "}, 422),
    ({"status": "x", "visibility": "sideways"}, 422),
    ({"status": "x", "poll[options][]": ["a"], "poll[expires_in]": "300"}, 422),  # one option
    ({"status": "x", "scheduled_at": "2020-01-01T00:00:00Z"}, 422),  # in the past
    ({"status": "x", "media_ids[]": ["12"]}, 422),
    ({"status": "x", "language": "not a language"}, 422),
    ({"status": "x", "sensitive": "maybe"}, 422),
    ({"status": "x" * 5001}, 422),
    ({"status": "x", "spoiler_text": "w" * 201}, 422),
    ({"status": "x", "in_reply_to_id": "999999"}, 404),
    ({"status": "x", "in_reply_to_id": "abc"}, 404),
    ({"status": "hello", "visibility": "direct"}, 422),  # mentions no one
    ({"status": "@nobody hi"}, 422),
]


def test_bad_input_is_a_clear_error_and_nothing_is_stored(client, db):
    auth = _member(client, "river")
    for data, status in BAD_INPUT:
        response = _post(client, auth, **data)
        assert response.status_code == status, (data, response.text)
        assert response.json()["error"], data
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    assert db.fetchval("SELECT count(*) FROM deliveries") == 0


def test_the_same_idempotency_key_gives_the_first_post_never_a_second(client, db):
    auth = _member(client, "river")
    first = client.post("/api/v1/statuses", headers={**auth, "Idempotency-Key": "k1"},
                        data={"status": "once"})
    again = client.post("/api/v1/statuses", headers={**auth, "Idempotency-Key": "k1"},
                        data={"status": "once"})
    assert first.status_code == again.status_code == 200
    assert first.json()["id"] == again.json()["id"]
    other = client.post("/api/v1/statuses", headers={**auth, "Idempotency-Key": "k2"},
                        data={"status": "once"})
    assert other.json()["id"] != first.json()["id"]
    assert db.fetchval("SELECT count(*) FROM posts") == 2


def test_an_idempotency_key_belongs_to_its_token(client, db):
    auth = _member(client, "river")
    second = bearer(password_token(client, register_app(client), "river"))
    one = client.post("/api/v1/statuses", headers={**auth, "Idempotency-Key": "k"},
                      data={"status": "a"})
    two = client.post("/api/v1/statuses", headers={**second, "Idempotency-Key": "k"},
                      data={"status": "a"})
    assert one.json()["id"] != two.json()["id"]


def test_an_idempotency_key_older_than_an_hour_makes_a_new_post(client, db):
    auth = _member(client, "river")
    headers = {**auth, "Idempotency-Key": "k"}
    first = client.post("/api/v1/statuses", headers=headers, data={"status": "a"}).json()
    db.execute("UPDATE idempotency_keys SET created_at = now() - interval '61 minutes'")
    second = client.post("/api/v1/statuses", headers=headers, data={"status": "a"}).json()
    assert second["id"] != first["id"]
    assert db.fetchval("SELECT post_id FROM idempotency_keys") == int(second["id"])


def test_a_reply_names_its_parent_and_its_author(client):
    river = _member(client, "river")
    sky = _member(client, "sky")
    parent = _post(client, river, status="first", visibility="public").json()
    reply = _post(client, sky, status="@river welcome", in_reply_to_id=parent["id"],
                  visibility="public").json()
    assert reply["in_reply_to_id"] == parent["id"]
    assert reply["in_reply_to_account_id"] == parent["account"]["id"]
    assert client.get(f"/api/v1/statuses/{parent['id']}").json()["replies_count"] == 1


def test_a_reply_to_a_post_the_member_cannot_see_is_404(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    hidden = _post(client, river, status="followers only", visibility="private").json()
    response = _post(client, sky, status="hi", in_reply_to_id=hidden["id"])
    assert response.status_code == 404
    assert db.fetchval("SELECT count(*) FROM posts") == 1


def test_a_public_post_is_federated_to_remote_followers_and_a_local_one_is_not(client, db):
    auth = _member(client, "river")
    _remote_follower(db, 1)
    _post(client, auth, status="to everyone", visibility="public")
    _post(client, auth, status="to us", visibility="local")
    assert _sent(db) == ["Create"]


def test_a_posted_status_links_its_mentions_and_hashtags_and_lists_its_tags(client, db):
    _member(client, "sky")
    auth = _member(client, "river")
    _remote_follower(db, 2)
    status = _post(client, auth, status="Thanks @sky! #Sober #day_1 https://x.example/#no",
                   visibility="public").json()
    base = "http://testserver"
    assert status["content"] == (
        f'<p>Thanks <span class="h-card" translate="no"><a href="{base}/@sky" '
        'class="u-url mention">@<span>sky</span></a></span>! '
        f'<a href="{base}/tags/sober" class="mention hashtag" rel="tag">#<span>Sober</span></a> '
        f'<a href="{base}/tags/day_1" class="mention hashtag" rel="tag">#<span>day_1</span></a> '
        '<a href="https://x.example/#no" rel="nofollow noopener noreferrer">'
        "https://x.example/#no</a></p>")
    assert status["tags"] == [{"name": "day_1", "url": f"{base}/tags/day_1"},
                              {"name": "sober", "url": f"{base}/tags/sober"}]
    assert [m["acct"] for m in status["mentions"]] == ["sky"]
    # The timeline pages list the tags too (one query for the page).
    _post(client, auth, status="no tags here", visibility="public")
    home = client.get("/api/v1/timelines/home", headers=auth).json()
    assert [s["tags"] for s in home][:2] == [[], status["tags"]]
    # An edit links its new text the same way, and its tags follow it.
    edited = client.put(f"/api/v1/statuses/{status['id']}", headers=auth,
                        data={"status": "#Hope, @sky"}).json()
    assert edited["content"] == (
        f'<p><a href="{base}/tags/hope" class="mention hashtag" rel="tag">#<span>Hope</span>'
        f'</a>, <span class="h-card" translate="no"><a href="{base}/@sky" '
        'class="u-url mention">@<span>sky</span></a></span></p>')
    assert edited["tags"] == [{"name": "hope", "url": f"{base}/tags/hope"}]
    source = client.get(f"/api/v1/statuses/{status['id']}/source", headers=auth).json()
    assert source["text"] == "#Hope, @sky"
    update = json.loads(db.fetchval(
        "SELECT payload FROM deliveries WHERE payload::jsonb->>'type' = 'Update'"))
    assert update["object"]["content"] == edited["content"]
    assert {"type": "Hashtag", "href": f"{base}/tags/hope", "name": "#hope"} in (
        update["object"]["tag"])


def test_a_remote_status_lists_the_tags_it_arrived_with(client, db):
    auth = _member(client, "river")
    remote_id = _remote_follower(db, 1)
    post_id = db.fetchval(
        """INSERT INTO posts (uri, author_remote_id, visibility, content_html)
           VALUES ('https://peer.example/notes/1', $1, 'public', '<p>#Sober</p>')
           RETURNING id""", remote_id)
    db.execute("INSERT INTO post_tags (name, post_id) VALUES ('sober', $1)", post_id)
    status = client.get(f"/api/v1/statuses/{post_id}", headers=auth).json()
    assert status["tags"] == [{"name": "sober", "url": "http://testserver/tags/sober"}]


# -- scopes -------------------------------------------------------------------------

def test_writing_needs_a_token_with_write_statuses(client, db):
    signup(client, "river")
    app = register_app(client)
    read_only = bearer(password_token(client, app, "river", scope="read"))
    assert _post(client, read_only, status="x").status_code == 403
    assert client.post("/api/v1/statuses", data={"status": "x"}).status_code == 401
    granular = bearer(password_token(client, app, "river", scope="write:statuses"))
    assert _post(client, granular, status="x").status_code == 200
    assert db.fetchval("SELECT count(*) FROM posts") == 1


def test_every_action_checks_its_scope(client):
    auth = _member(client, "river")
    status = _post(client, auth, status="x", visibility="public").json()
    read_only = bearer(password_token(client, register_app(client), "river", scope="read"))
    for action in ("favourite", "unfavourite", "reblog", "unreblog", "bookmark",
                   "unbookmark", "mute", "unmute", "pin", "unpin"):
        response = client.post(f"/api/v1/statuses/{status['id']}/{action}", headers=read_only)
        assert response.status_code == 403, action
    assert client.delete(f"/api/v1/statuses/{status['id']}",
                         headers=read_only).status_code == 403
    assert client.put(f"/api/v1/statuses/{status['id']}", headers=read_only,
                      data={"status": "y"}).status_code == 403
    write_only = bearer(password_token(client, register_app(client), "river", scope="write"))
    assert client.get("/api/v1/bookmarks", headers=write_only).status_code == 403
    assert client.get("/api/v1/favourites", headers=write_only).status_code == 403


# -- reading ------------------------------------------------------------------------

def test_public_posts_are_readable_without_a_token_and_others_are_not_found(client):
    auth = _member(client, "river")
    public = _post(client, auth, status="hi", visibility="public").json()
    assert client.get(f"/api/v1/statuses/{public['id']}").status_code == 200
    for visibility in ("private", "local"):
        hidden = _post(client, auth, status="hi", visibility=visibility).json()
        response = client.get(f"/api/v1/statuses/{hidden['id']}")
        assert response.status_code == 404
        assert response.json() == {"error": "Record not found"}
    assert client.get("/api/v1/statuses/99999").status_code == 404
    assert client.get("/api/v1/statuses/nonsense").status_code == 404


def test_followers_only_posts_reach_accepted_followers_only(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    stone = _member(client, "stone")
    _follow(db, 2, 1)
    hidden = _post(client, river, status="close friends", visibility="private").json()
    assert client.get(f"/api/v1/statuses/{hidden['id']}", headers=sky).status_code == 200
    assert client.get(f"/api/v1/statuses/{hidden['id']}", headers=stone).status_code == 404
    assert client.post(f"/api/v1/statuses/{hidden['id']}/favourite",
                       headers=stone).status_code == 404
    assert db.fetchval("SELECT count(*) FROM reactions") == 0


def test_direct_posts_reach_only_those_they_mention(client):
    river = _member(client, "river")
    sky = _member(client, "sky")
    stone = _member(client, "stone")
    direct = _post(client, river, status="@sky just you", visibility="direct").json()
    assert client.get(f"/api/v1/statuses/{direct['id']}", headers=sky).status_code == 200
    assert client.get(f"/api/v1/statuses/{direct['id']}", headers=stone).status_code == 404


def test_many_statuses_come_back_in_the_order_asked_without_hidden_ones(client):
    river = _member(client, "river")
    one = _post(client, river, status="1", visibility="public").json()["id"]
    two = _post(client, river, status="2", visibility="public").json()["id"]
    hidden = _post(client, river, status="3", visibility="private").json()["id"]
    response = client.get("/api/v1/statuses", params=[("id[]", two), ("id[]", hidden),
                                                      ("id[]", one), ("id[]", "x")])
    assert [s["id"] for s in response.json()] == [two, one]


def test_context_shows_the_thread_as_far_as_the_viewer_may_see_it(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    stone = _member(client, "stone")
    root = _post(client, river, status="root", visibility="public").json()["id"]
    middle = _post(client, sky, status="@river middle", visibility="public",
                   in_reply_to_id=root).json()["id"]
    leaf = _post(client, river, status="@sky leaf", visibility="public",
                 in_reply_to_id=middle).json()["id"]
    secret = _post(client, river, status="@sky secret", visibility="direct",
                   in_reply_to_id=middle).json()["id"]
    mine = client.get(f"/api/v1/statuses/{middle}/context", headers=sky).json()
    assert [s["id"] for s in mine["ancestors"]] == [root]
    assert [s["id"] for s in mine["descendants"]] == [leaf, secret]
    theirs = client.get(f"/api/v1/statuses/{root}/context", headers=stone).json()
    assert theirs["ancestors"] == []
    assert [s["id"] for s in theirs["descendants"]] == [middle, leaf]
    anonymous = client.get(f"/api/v1/statuses/{leaf}/context").json()
    assert [s["id"] for s in anonymous["ancestors"]] == [root, middle]


# -- edits, history, source, delete -------------------------------------------------

def test_an_edit_keeps_the_history_and_federates_an_update(client, db):
    auth = _member(client, "river")
    _remote_follower(db, 1)
    status = _post(client, auth, status="first words", visibility="public").json()
    response = client.put(f"/api/v1/statuses/{status['id']}", headers=auth,
                          data={"status": "second words", "spoiler_text": "cw"})
    assert response.status_code == 200, response.text
    edited = response.json()
    assert edited["content"] == "<p>second words</p>" and edited["spoiler_text"] == "cw"
    assert edited["edited_at"] is not None
    history = client.get(f"/api/v1/statuses/{status['id']}/history").json()
    assert [h["content"] for h in history] == ["<p>first words</p>", "<p>second words</p>"]
    assert [h["spoiler_text"] for h in history] == ["", "cw"]
    assert history[0]["account"]["acct"] == "river"
    assert history[0]["created_at"] == status["created_at"]
    source = client.get(f"/api/v1/statuses/{status['id']}/source", headers=auth).json()
    assert source == {"id": status["id"], "text": "second words", "spoiler_text": "cw"}
    assert _sent(db) == ["Create", "Update"]


def test_an_unedited_post_has_a_history_of_one(client):
    auth = _member(client, "river")
    status = _post(client, auth, status="once", visibility="public").json()
    history = client.get(f"/api/v1/statuses/{status['id']}/history").json()
    assert [h["content"] for h in history] == ["<p>once</p>"]


def test_only_the_author_can_edit_delete_or_read_the_source(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    status = _post(client, river, status="mine", visibility="public").json()
    path = f"/api/v1/statuses/{status['id']}"
    assert client.put(path, headers=sky, data={"status": "yours"}).status_code == 404
    assert client.delete(path, headers=sky).status_code == 404
    assert client.get(path + "/source", headers=sky).status_code == 404
    assert db.fetchval("SELECT content_html FROM posts") == "<p>mine</p>"
    assert db.fetchval("SELECT count(*) FROM post_edits") == 0


def test_an_edit_with_bad_input_changes_nothing(client, db):
    auth = _member(client, "river")
    status = _post(client, auth, status="kept", visibility="public").json()
    for data in ({"status": ""}, {"status": "x", "poll[options][]": "a"},
                 {"status": "x", "spoiler_text": "w" * 201}):
        response = client.put(f"/api/v1/statuses/{status['id']}", headers=auth, data=data)
        assert response.status_code == 422, data
    assert db.fetchval("SELECT content_html FROM posts") == "<p>kept</p>"
    assert db.fetchval("SELECT count(*) FROM post_edits") == 0


def test_a_remote_update_is_kept_in_the_history(client, db):
    signup(client, "river")
    remote_id = _remote_follower(db, 1)
    db.execute("""INSERT INTO posts (uri, author_remote_id, visibility, content_html)
                  VALUES ('https://peer.example/notes/1', $1, 'public', '<p>v1</p>')""",
               remote_id)

    async def update(conn: Any) -> bool:
        remote = await peers.by_uri(conn, REMOTE)
        assert remote is not None
        note = objects.Post(id="https://peer.example/notes/1", type="Note",
                            content_html="<p>v2</p>")
        return await posts.updated_remotely(conn, remote, note)

    assert run(_with_conn(db.url, update))
    post_id = db.fetchval("SELECT id FROM posts")
    history = client.get(f"/api/v1/statuses/{post_id}/history").json()
    assert [h["content"] for h in history] == ["<p>v1</p>", "<p>v2</p>"]


def test_delete_answers_with_the_text_and_the_post_is_gone(client, db):
    auth = _member(client, "river")
    _remote_follower(db, 1)
    status = _post(client, auth, status="say it again", spoiler_text="cw",
                   visibility="public").json()
    response = client.delete(f"/api/v1/statuses/{status['id']}", headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["text"] == "say it again"
    assert response.json()["spoiler_text"] == "cw"
    assert client.get(f"/api/v1/statuses/{status['id']}", headers=auth).status_code == 404
    assert _sent(db) == ["Create", "Delete"]


def test_context_leaves_out_accounts_the_viewer_blocked_or_muted(client, db):
    river = _member(client, "river")
    sky = _member(client, "sky")
    stone = _member(client, "stone")
    root = _post(client, river, status="root", visibility="public").json()["id"]
    from_sky = _post(client, sky, status="@river hi", visibility="public",
                     in_reply_to_id=root).json()["id"]
    from_stone = _post(client, stone, status="@river hey", visibility="public",
                       in_reply_to_id=root).json()["id"]
    db.execute("INSERT INTO mutes (member_id, muted_member_id) VALUES (1, 2)")
    db.execute("""INSERT INTO blocks (uri, member_id, blocked_member_id)
                  VALUES ('http://testserver/blocks/1', 1, 3)""")
    shown = client.get(f"/api/v1/statuses/{root}/context", headers=river).json()
    assert shown["descendants"] == []
    anonymous = client.get(f"/api/v1/statuses/{root}/context").json()
    assert [s["id"] for s in anonymous["descendants"]] == [from_sky, from_stone]
    upward = client.get(f"/api/v1/statuses/{from_sky}/context", headers=stone).json()
    assert upward["ancestors"] == []  # river blocked stone


def test_an_edit_from_the_web_page_is_in_the_history_too(client, db):
    auth = _member(client, "river")  # the client is logged in as river too
    status = _post(client, auth, status="typo", visibility="public").json()
    response = post_form(client, f"/posts/{status['id']}/edit", f"/posts/{status['id']}/edit",
                         {"text": "fixed", "summary": ""})
    assert response.status_code == 303, response.text
    history = client.get(f"/api/v1/statuses/{status['id']}/history").json()
    assert [h["content"] for h in history] == ["<p>typo</p>", "<p>fixed</p>"]
