"""A member who deleted their account: their actor and their posts'
addresses answer 410 Gone (a Tombstone for servers, a page for browsers),
never the 404 of a name that was never used, and say nothing of them."""

from __future__ import annotations

from datetime import datetime

from tests.conftest import PASSWORD, post_form, signup

AP = "application/activity+json"
BASE = "http://testserver"


def _leave(client, db, username: str) -> int:
    """Sign up, post, and delete the account; the id the post had."""
    signup(client, username)
    post_form(client, "/settings", "/settings/profile",
              {"display_name": "Willow Leaving", "bio": "a bio that must go"})
    post_form(client, "/home", "/posts", {"text": "my last words", "visibility": "public",
                                          "summary": ""})
    post_id: int = db.fetchval("SELECT max(id) FROM posts")
    left = post_form(client, "/settings", "/settings/delete",
                     {"delete_password": PASSWORD, "confirm": username})
    assert left.status_code == 200
    return post_id


def test_a_deleted_members_actor_is_a_tombstone_with_410(client, db):
    _leave(client, db, "willow")
    for path in ("/users/willow", "/users/Willow", "/@willow"):
        response = client.get(path, headers={"accept": AP})
        assert response.status_code == 410, path
        assert response.headers["content-type"].startswith(AP)
        document = response.json()
        assert document["type"] == "Tombstone"
        assert document["id"] == f"{BASE}/users/{path.split('/')[-1].lstrip('@')}"
        assert document["formerType"] == "Person"
        assert datetime.fromisoformat(document["deleted"].replace("Z", "+00:00"))
        assert "Willow Leaving" not in response.text and "bio" not in response.text


def test_a_deleted_members_posts_are_tombstones_with_410(client, db):
    post_id = _leave(client, db, "willow")
    for path in (f"/users/willow/posts/{post_id}", f"/users/willow/posts/{post_id}/activity",
                 "/users/willow/posts/424242"):  # any id: nothing is told of which existed
        response = client.get(path, headers={"accept": AP})
        assert response.status_code == 410, path
        assert response.json()["type"] == "Tombstone"
        assert response.json()["id"] == BASE + path
        assert "my last words" not in response.text


def test_a_browser_at_a_deleted_members_address_gets_a_gone_page(client, db):
    post_id = _leave(client, db, "willow")
    for path in ("/users/willow", f"/users/willow/posts/{post_id}", "/@willow"):
        response = client.get(path, headers={"accept": "text/html"})
        assert response.status_code == 410, path
        assert "<h1>Gone</h1>" in response.text
        assert "deleted their account" in response.text


def test_names_never_used_and_live_members_are_unchanged(client, db):
    assert client.get("/users/nobody", headers={"accept": AP}).status_code == 404
    assert client.get("/users/nobody/posts/1", headers={"accept": AP}).status_code == 404
    assert client.get("/@nobody", headers={"accept": "text/html"}).status_code == 404
    signup(client, "staying")
    actor = client.get("/users/staying", headers={"accept": AP})
    assert actor.status_code == 200 and actor.json()["type"] == "Person"


def test_an_account_whose_delete_is_still_being_sent_is_gone_too(client, db):
    """With remote followers, the row (and key) stays until the Delete is
    delivered: the address already says 410."""
    signup(client, "willow")
    member_id = db.fetchval("SELECT id FROM members WHERE username = 'willow'")
    remote_id = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, inbox, document)
           VALUES ('https://peer.example/users/fern', 'peer.example', 'Person',
                   'https://peer.example/users/fern/inbox', '{}') RETURNING id""")
    db.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                  VALUES ('https://peer.example/follows/1', $1, $2, 'accepted')""",
               remote_id, member_id)
    left = post_form(client, "/settings", "/settings/delete",
                     {"delete_password": PASSWORD, "confirm": "willow"})
    assert left.status_code == 200
    assert db.fetchval("SELECT count(*) FROM members WHERE id = $1", member_id) == 1
    assert db.fetchval("SELECT count(*) FROM deliveries WHERE payload->>'type' = 'Delete'") == 1
    response = client.get("/users/willow", headers={"accept": AP})
    assert response.status_code == 410 and response.json()["type"] == "Tombstone"
