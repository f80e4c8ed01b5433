"""The social pages: finding people, following, follow requests, writing,
replying, liking, boosting and deleting, and who sees what.

Each member is a TestClient on an app of their own over the same database.
Other servers are an httpx2.MockTransport (``Fediverse``) serving WebFinger
and actor documents; nothing is sent anywhere: the deliveries table shows
what would be (RELIABILITY.md 25 and 26 are checked there and on the pages).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import asyncpg
import httpx2
import pytest
from starlette.testclient import TestClient

from federation import objects
from federation.keys import generate_rsa_keypair
from recovery import peers, posts
from recovery.models import Visibility
from tests.conftest import PASSWORD, csrf_from, login, make_settings, post_form, run, signup
from web.app import create_app

AP = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BASE = "http://testserver"


# -- other servers -----------------------------------------------------------------


class Fediverse:
    """Actors on other servers by URL, WebFinger for them, and hosts that are down."""

    def __init__(self, public_pem: str) -> None:
        self.public_pem = public_pem
        self.documents: dict[str, dict[str, Any]] = {}
        self.accounts: dict[str, str] = {}  # "name@host" -> actor id
        self.down: set[str] = set()
        self.requests: list[httpx2.Request] = []

    def actor(self, name: str, host: str = "remote.example", *, locked: bool = False,
              display: str | None = None) -> dict[str, Any]:
        uri = f"https://{host}/users/{name}"
        document = {
            "@context": ["https://www.w3.org/ns/activitystreams"], "id": uri,
            "type": "Person", "preferredUsername": name, "name": display or name.title(),
            "url": f"https://{host}/@{name}", "inbox": f"{uri}/inbox",
            "outbox": f"{uri}/outbox", "followers": f"{uri}/followers",
            "endpoints": {"sharedInbox": f"https://{host}/inbox"},
            "manuallyApprovesFollowers": locked,
            "publicKey": {"id": f"{uri}#main-key", "owner": uri,
                          "publicKeyPem": self.public_pem},
        }
        self.documents[uri] = document
        self.accounts[f"{name}@{host}"] = uri
        return document

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        if request.url.host in self.down:
            raise httpx2.ConnectError("connection refused", request=request)
        if request.url.path == "/.well-known/webfinger":
            resource = parse_qs(request.url.query.decode()).get("resource", [""])[0]
            actor = self.accounts.get(resource.removeprefix("acct:"))
            if actor is None:
                return httpx2.Response(404)
            jrd = {"subject": resource,
                   "links": [{"rel": "self", "type": AP, "href": actor}]}
            return httpx2.Response(200, json=jrd,
                                   headers={"content-type": "application/jrd+json"})
        document = self.documents.get(str(request.url))
        if document is None:
            return httpx2.Response(404)
        return httpx2.Response(200, content=json.dumps(document).encode(),
                               headers={"content-type": AP})


@pytest.fixture(scope="module")
def public_pem() -> str:
    return generate_rsa_keypair()[1]


@pytest.fixture
def fedi(public_pem: str) -> Fediverse:
    return Fediverse(public_pem)


@pytest.fixture
def join(database_url: str, fedi: Fediverse) -> Iterator[Any]:
    """``join(name)``: a member signed up and logged in, in a client of their own."""
    clients: list[TestClient] = []

    def factory(username: str, *, approve_followers: bool = True) -> TestClient:
        settings = make_settings(database_url, allow_private_network=True)

        def http_client(policy: Any) -> httpx2.AsyncClient:
            return httpx2.AsyncClient(transport=httpx2.MockTransport(fedi.handler))

        client = TestClient(create_app(settings, http_client_factory=http_client),
                            base_url=settings.url, follow_redirects=False)
        client.__enter__()
        clients.append(client)
        assert signup(client, username).status_code == 201
        if not approve_followers:
            assert post_form(client, "/settings", "/settings/profile",
                             {"display_name": "", "bio": ""}).status_code == 303
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


# -- helpers -----------------------------------------------------------------------


def write(client: TestClient, text: str, visibility: str = "public", summary: str = "") -> Any:
    return post_form(client, "/home", "/posts",
                     {"text": text, "visibility": visibility, "summary": summary})


def press(client: TestClient, action: str, **data: str) -> Any:
    """Submit one of the small forms (follow, like, accept...) with a fresh token."""
    return post_form(client, "/home", action, data)


def deliveries(db: Any) -> list[tuple[str, dict[str, Any]]]:
    return [(row["inbox"], json.loads(row["payload"]))
            for row in db.fetch("SELECT inbox, payload FROM deliveries ORDER BY id")]


def main_of(page: str) -> str:
    return page[page.index("<main"):page.index("</main>")]


def post_id(db: Any, text: str) -> int:
    found: int = db.fetchval("SELECT id FROM posts WHERE content_html LIKE $1", f"%{text}%")
    return found


def _with_conn(db: Any, work: Any) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(db.url)
        try:
            return await work(conn)
        finally:
            await conn.close()
    return run(go())


def known(db: Any, document: dict[str, Any]) -> int:
    """Store a remote actor as a lookup would."""
    async def work(conn: Any) -> int:
        return (await peers.remember(conn, document)).id
    result: int = _with_conn(db, work)
    return result


def remote_follows(db: Any, document: dict[str, Any], username: str, state: str) -> int:
    """The remote actor follows (or asked to follow) the member."""
    remote_id = known(db, document)
    follow_id: int = db.fetchval(
        """INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
           VALUES ($1, $2, (SELECT id FROM members WHERE username = $3), $4) RETURNING id""",
        f"{document['id']}#follows/{username}", remote_id, username, state)
    return follow_id


def follows_remote(db: Any, username: str, document: dict[str, Any]) -> None:
    """The member follows the remote actor, accepted."""
    remote_id = known(db, document)
    db.execute(
        """INSERT INTO follows (uri, follower_member_id, followed_remote_id, state)
           VALUES ($1, (SELECT id FROM members WHERE username = $2), $3, 'accepted')""",
        f"{BASE}/activities/follow-{username}-{remote_id}", username, remote_id)


def remote_post(db: Any, document: dict[str, Any], number: int, content: str,
                visibility: Visibility = Visibility.PUBLIC, **extra: Any) -> int:
    """A post by a remote actor, stored as the inbox stores one."""
    note = objects.parse_object({
        "id": f"{document['id']}/statuses/{number}", "type": "Note",
        "attributedTo": document["id"], "content": content,
        "url": f"https://{document['id'].split('/')[2]}/@x/{number}",
        "to": [PUBLIC], "published": "2024-05-01T12:00:00Z", **extra,
    })

    async def work(conn: Any) -> int:
        remote = await peers.remember(conn, document)
        stored = await posts.received(conn, remote, note, visibility, None)
        assert stored is not None
        return stored.id
    result: int = _with_conn(db, work)
    return result


# -- finding people ----------------------------------------------------------------


def test_search_looks_up_a_remote_account_and_shows_where_it_lives(join, fedi, db):
    fedi.actor("alice", display="Alice Lake")
    river = join("river")
    page = river.get("/search", params={"q": "@alice@remote.example"})
    assert page.status_code == 200
    assert "Alice Lake" in page.text and "@alice@remote.example" in page.text
    assert "On remote.example, another server." in page.text
    assert 'href="https://remote.example/@alice"' in page.text
    assert 'value="https://remote.example/users/alice"' in page.text  # the Follow form
    assert ">Follow<" in page.text
    assert db.fetchval("SELECT uri FROM remote_actors") == "https://remote.example/users/alice"


@pytest.mark.parametrize("query", ["quiet_owl", "@quiet_owl", "@quiet_owl@testserver"])
def test_search_finds_a_member_here_by_name(join, query):
    join("quiet_owl")
    river = join("river")
    page = river.get("/search", params={"q": query})
    assert page.status_code == 200
    assert "@quiet_owl@testserver" in page.text and "A member of this community." in page.text
    assert 'name="target" value="quiet_owl"' in page.text


@pytest.mark.parametrize(("query", "status", "message"), [
    ("@ghost@remote.example", 200, "There is no account @ghost@remote.example"),
    ("@alice@down.example", 200, "Could not reach down.example"),
    ("nobody_here", 200, "There is no member @nobody_here here."),
    ("@a@b@c", 422, "Write someone elsewhere as @name@server"),
    ("x" * 301, 422, "at most 300 characters"),
], ids=["unknown-handle", "unreachable-server", "unknown-member", "malformed", "too-long"])
def test_search_failures_are_explained_on_the_page_never_a_500(join, fedi, query, status,
                                                               message):
    fedi.down.add("down.example")
    river = join("river")
    page = river.get("/search", params={"q": query})
    assert page.status_code == status
    assert message in page.text
    assert 'role="alert"' in page.text


def test_search_refuses_a_blocked_domain_without_asking_it(join, fedi, db):
    db.execute("INSERT INTO domain_blocks (domain) VALUES ('bad.example')")
    fedi.actor("troll", "bad.example")
    river = join("river")
    page = river.get("/search", params={"q": "@troll@bad.example"})
    assert "This community does not connect with bad.example." in page.text
    assert fedi.requests == []


def test_social_pages_need_a_member_logged_in(client):
    for path in ("/home", "/search?q=x", "/follow-requests"):
        response = client.get(path)
        assert response.status_code == 303
        assert response.headers["location"].startswith("/login?next=")


# -- following ---------------------------------------------------------------------


def test_following_a_remote_account_queues_a_follow_to_its_own_inbox(join, fedi, db):
    alice = fedi.actor("alice")
    river = join("river")
    river.get("/search", params={"q": "@alice@remote.example"})
    card = "/search?q=%40alice%40remote.example"
    response = press(river, "/follow", target=alice["id"], next=card)
    assert response.status_code == 303 and response.headers["location"] == card
    [(inbox, follow)] = deliveries(db)
    assert inbox == "https://remote.example/users/alice/inbox"
    assert follow["type"] == "Follow" and follow["object"] == alice["id"]
    assert follow["actor"] == f"{BASE}/users/river"
    assert db.fetchval("SELECT signer_member_id FROM deliveries") == db.fetchval(
        "SELECT id FROM members WHERE username = 'river'")
    assert db.fetchval("SELECT state FROM follows") == "pending"
    card = river.get("/search", params={"q": "@alice@remote.example"}).text
    assert "Requested: waiting for their answer" in card and "Withdraw request" in card
    # following again does not ask twice
    press(river, "/follow", target=alice["id"])
    assert len(deliveries(db)) == 1


def test_unfollowing_a_remote_account_queues_an_undo_of_the_follow(join, fedi, db):
    alice = fedi.actor("alice")
    river = join("river")
    river.get("/search", params={"q": "@alice@remote.example"})
    press(river, "/follow", target=alice["id"])
    follow_id = deliveries(db)[0][1]["id"]
    db.execute("UPDATE follows SET state = 'accepted'")
    assert "Following" in river.get("/search", params={"q": "@alice@remote.example"}).text
    assert press(river, "/unfollow", target=alice["id"]).status_code == 303
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    inbox, undo = deliveries(db)[1]
    assert inbox == "https://remote.example/users/alice/inbox"
    assert undo["type"] == "Undo" and undo["object"]["id"] == follow_id
    assert undo["object"]["type"] == "Follow" and undo["object"]["object"] == alice["id"]


def test_a_member_who_approves_followers_answers_requests_from_members_here(join, db):
    sam = join("sam")  # approves each follower (the default)
    river = join("river")
    press(river, "/follow", target="sam")
    assert db.fetchval("SELECT state FROM follows") == "pending"
    assert "Requested" in river.get("/@sam").text
    write(sam, "Only for those I said yes to", "followers")
    assert "Only for those I said yes to" not in river.get("/home").text

    requests = sam.get("/follow-requests")
    assert "@river@testserver" in requests.text
    assert re.search(r"Requests <span class=\"count\">\(1", requests.text)  # the nav count
    follow_id = db.fetchval("SELECT id FROM follows")
    accepted = press(sam, f"/follow-requests/{follow_id}/accept")
    assert accepted.headers["location"] == "/follow-requests?done=accepted"
    assert db.fetchval("SELECT state FROM follows") == "accepted"
    assert "No one is waiting." in sam.get("/follow-requests").text
    assert "Only for those I said yes to" in river.get("/home").text
    assert deliveries(db) == []  # nothing leaves the instance between members here


def test_following_a_member_who_does_not_approve_is_immediate_and_counted(join, db):
    join("sam", approve_followers=False)
    river = join("river")
    press(river, "/follow", target="sam", next="/@sam")
    profile = river.get("/@sam").text
    assert "Following" in profile and ">Unfollow" in profile
    assert re.search(r"<strong>1</strong> follower\b", profile)
    press(river, "/unfollow", target="sam")
    assert db.fetchval("SELECT count(*) FROM follows") == 0


def test_follow_refusals_are_clear(join, db):
    river = join("river")
    assert press(river, "/follow", target="river").status_code == 422
    unknown = press(river, "/follow", target="nobody_at_all")
    assert unknown.status_code == 404 and "There is no member @nobody_at_all here." in unknown.text
    not_looked_up = press(river, "/follow", target="https://elsewhere.example/users/x")
    assert not_looked_up.status_code == 404
    assert "Look the account up with Search first" in not_looked_up.text
    no_token = river.post("/follow", data={"target": "river"})
    assert no_token.status_code == 403
    assert db.fetchval("SELECT count(*) FROM follows") == 0


def test_accepting_a_remote_request_sends_an_accept_naming_the_follow(join, fedi, db):
    alice = fedi.actor("alice")
    river = join("river")
    follow_id = remote_follows(db, alice, "river", "pending")
    assert river.post(f"/follow-requests/{follow_id}/accept").status_code == 403  # no token
    assert db.fetchval("SELECT state FROM follows") == "pending"
    page = river.get("/follow-requests").text
    assert "@alice@remote.example" in page and 'href="https://remote.example/@alice"' in page
    assert press(river, f"/follow-requests/{follow_id}/accept").status_code == 303
    assert db.fetchval("SELECT state FROM follows") == "accepted"
    [(inbox, accept)] = deliveries(db)
    assert inbox == "https://remote.example/users/alice/inbox"
    assert accept["type"] == "Accept" and accept["actor"] == f"{BASE}/users/river"
    assert accept["object"]["id"] == f"{alice['id']}#follows/river"


def test_rejecting_a_remote_request_sends_a_reject_and_forgets_it(join, fedi, db):
    alice = fedi.actor("alice")
    river = join("river")
    follow_id = remote_follows(db, alice, "river", "pending")
    assert press(river, f"/follow-requests/{follow_id}/reject").status_code == 303
    assert db.fetchval("SELECT count(*) FROM follows") == 0
    [(_, reject)] = deliveries(db)
    assert reject["type"] == "Reject" and reject["object"]["type"] == "Follow"


def test_nobody_answers_a_request_made_to_someone_else(join, fedi, db):
    alice = fedi.actor("alice")
    join("river")
    sam = join("sam")
    follow_id = remote_follows(db, alice, "river", "pending")
    assert press(sam, f"/follow-requests/{follow_id}/accept").status_code == 404
    assert press(sam, "/follow-requests/99999999999999999999/accept").status_code == 404
    assert db.fetchval("SELECT state FROM follows") == "pending"
    assert deliveries(db) == []


# -- writing: who it goes to --------------------------------------------------------


def test_public_post_goes_to_accepted_followers_once_per_shared_inbox(join, fedi, db):
    river = join("river")
    for name in ("alice", "bea"):
        remote_follows(db, fedi.actor(name), "river", "accepted")
    remote_follows(db, fedi.actor("cy", "other.example"), "river", "accepted")
    assert write(river, "Ninety days today").headers["location"] == "/home?posted=1"
    sent = deliveries(db)
    assert sorted(inbox for inbox, _ in sent) == [
        "https://other.example/inbox", "https://remote.example/inbox"]
    create = sent[0][1]
    assert create["type"] == "Create" and create["object"]["type"] == "Note"
    assert create["object"]["content"] == "<p>Ninety days today</p>"
    assert create["object"]["to"] == [PUBLIC]
    assert create["object"]["cc"] == [f"{BASE}/users/river/followers"]


def test_followers_only_post_is_queued_only_to_accepted_followers_line_25(join, fedi, db):
    river = join("river")
    remote_follows(db, fedi.actor("accepted", "yes.example"), "river", "accepted")
    remote_follows(db, fedi.actor("pending", "waiting.example"), "river", "pending")
    known(db, fedi.actor("stranger", "stranger.example"))
    write(river, "Rough night, made it through", "followers")
    sent = deliveries(db)
    assert [inbox for inbox, _ in sent] == ["https://yes.example/inbox"]
    note = sent[0][1]["object"]
    assert PUBLIC not in json.dumps(sent[0][1])
    assert note["to"] == [f"{BASE}/users/river/followers"]


def test_community_only_post_is_never_queued_nor_shown_outside(join, fedi, db):
    fedi.actor("alice")
    river = join("river")
    remote_follows(db, fedi.actor("bea"), "river", "accepted")
    assert write(river, "Just for us here @alice@remote.example", "community").status_code == 303
    assert deliveries(db) == []
    assert fedi.requests == []  # nobody elsewhere was even looked up
    post = post_id(db, "Just for us here")
    sam = join("sam")
    assert "Just for us here" in sam.get(f"/@river/{post}").text  # members here see it
    sam.cookies.clear()
    assert sam.get(f"/@river/{post}").status_code == 404  # visitors do not


def test_direct_post_goes_only_to_those_it_mentions(join, fedi, db):
    bob = fedi.actor("bob", "other.example")
    river = join("river")
    join("sam")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    write(river, "@bob@other.example @sam are you both around tonight?", "direct")
    [(inbox, create)] = deliveries(db)
    assert inbox == "https://other.example/inbox"
    note = create["object"]
    assert note["to"] == [bob["id"], f"{BASE}/users/sam"] and note["cc"] == []
    assert {"type": "Mention", "href": bob["id"], "name": "@bob@other.example"} in note["tag"]
    assert db.fetchval("SELECT recipients FROM posts") == [bob["id"], f"{BASE}/users/sam"]
    post = post_id(db, "are you both around")
    outsider = join("outsider")
    assert outsider.get(f"/@river/{post}").status_code == 404


def test_mentioned_remote_accounts_are_tagged_and_sent_the_post(join, fedi, db):
    bob = fedi.actor("bob", "other.example")
    river = join("river")
    write(river, "Thank you @bob@other.example for the meeting link", "public")
    [(inbox, create)] = deliveries(db)
    assert inbox == "https://other.example/inbox"
    assert create["object"]["cc"] == [f"{BASE}/users/river/followers", bob["id"]]
    assert create["object"]["tag"] == [
        {"type": "Mention", "href": bob["id"], "name": "@bob@other.example"}]


@pytest.mark.parametrize(("text", "message"), [
    ("Hello @ghost@remote.example", "Could not mention @ghost@remote.example."),
    ("Hello @alice@down.example", "Could not reach down.example"),
    ("Hello @nobody_here", "There is no member @nobody_here here."),
], ids=["unknown-handle", "unreachable-server", "unknown-member"])
def test_post_mentioning_someone_who_cannot_be_found_is_refused_whole(join, fedi, db, text,
                                                                       message):
    fedi.down.add("down.example")
    river = join("river")
    response = write(river, text)
    assert response.status_code == 422
    assert message in response.text
    assert "Hello @" in response.text  # what was written is kept in the form
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    assert deliveries(db) == []


@pytest.mark.parametrize(("values", "field", "message"), [
    ({"visibility": "everyone"}, "visibility", "Choose who can see the post"),
    ({"text": "   "}, "text", "Write something first."),
    ({"text": "x" * 5001}, "text", "at most 5000 characters"),
    ({"summary": "w" * 201}, "summary", "at most 200 characters"),
    ({"visibility": "direct"}, "text", "A direct post reaches only the people it mentions"),
], ids=["bad-visibility", "empty", "too-long", "warning-too-long", "direct-to-nobody"])
def test_bad_posts_are_refused_with_a_message_beside_the_field(join, db, values, field,
                                                               message):
    river = join("river")
    data = {"text": "A post", "visibility": "public", "summary": "", **values}
    response = post_form(river, "/home", "/posts", data)
    assert response.status_code == 422
    assert f'id="{field}-error"' in response.text and message in response.text
    assert db.fetchval("SELECT count(*) FROM posts") == 0


def test_posting_without_the_form_token_is_refused(join, db):
    river = join("river")
    response = river.post("/posts", data={"text": "hi", "visibility": "public"})
    assert response.status_code == 403
    assert db.fetchval("SELECT count(*) FROM posts") == 0


# -- reading -----------------------------------------------------------------------


def test_content_warning_hides_the_post_behind_a_disclosure(join):
    river = join("river")
    write(river, "Had a drink last night. Starting again.", summary="relapse")
    home = river.get("/home").text
    assert re.search(
        r'<details class="content-warning">\s*<summary><span class="cw-label">Content '
        r'warning:</span> relapse</summary>\s*<div class="post-content"><p>Had a drink',
        home)


def test_followers_only_post_is_404_to_anyone_but_followers_line_26(join, db):
    river = join("river")
    sam = join("sam", approve_followers=False)
    write(river, "For my people only", "followers")
    post = post_id(db, "For my people only")
    missing = sam.get("/@river/999999")
    hidden = sam.get(f"/@river/{post}")
    assert hidden.status_code == missing.status_code == 404
    assert main_of(hidden.text) == main_of(missing.text)
    assert "For my people only" not in sam.get("/@river").text
    assert press(sam, f"/posts/{post}/like").status_code == 404
    assert press(sam, f"/posts/{post}/reply").status_code == 404
    db.execute("INSERT INTO follows (uri, follower_member_id, followed_member_id, state) "
               "SELECT 'urn:f', s.id, r.id, 'accepted' FROM members s, members r "
               "WHERE s.username = 'sam' AND r.username = 'river'")
    assert "For my people only" in sam.get(f"/@river/{post}").text
    sam.cookies.clear()
    assert sam.get(f"/@river/{post}").status_code == 404


def test_a_post_lives_only_under_its_authors_name(join, db):
    river = join("river")
    join("sam")
    write(river, "Mine")
    post = post_id(db, "Mine")
    assert river.get(f"/@sam/{post}").status_code == 404
    assert river.get("/@river/99999999999999999999").status_code == 404
    as_server = river.get(f"/@river/{post}", headers={"accept": AP})
    assert as_server.status_code == 303
    assert as_server.headers["location"] == f"{BASE}/users/river/posts/{post}"


def test_remote_posts_on_home_show_their_origin_and_are_sanitised(join, fedi, db):
    alice = fedi.actor("alice", display="Alice Lake")
    river = join("river")
    follows_remote(db, "river", alice)
    remote_post(db, alice, 7, '<p>Sunrise walk <script>alert(1)</script></p>')
    home = river.get("/home").text
    assert "Alice Lake" in home and "@alice@remote.example" in home
    assert '<a href="https://remote.example/@x/7" rel="nofollow noopener noreferrer">' \
           "view on remote.example</a>" in home
    assert "Sunrise walk" in home and "<script>alert(1)" not in home
    post = db.fetchval("SELECT id FROM posts")
    page = river.get(f"/@alice@remote.example/{post}")
    assert page.status_code == 200 and "From remote.example" in page.text


def test_home_timeline_pages_back_with_older(join, db):
    river = join("river")
    for n in range(23):
        db.execute("INSERT INTO posts (author_member_id, visibility, content_html) "
                   "SELECT id, 'public', $1 FROM members", f"<p>entry {n:02d}</p>")
    first = river.get("/home").text
    assert "entry 22" in first and "entry 03" in first and "entry 02" not in first
    older = re.search(r'href="(/home\?max_id=\d+)">Older posts', first)
    assert older
    second = river.get(older.group(1)).text
    assert "entry 02" in second and "entry 00" in second and "entry 03" not in second
    assert "Older posts" not in second
    assert river.get("/home?max_id=abc").status_code == 400


# -- replies -----------------------------------------------------------------------


def test_reply_to_a_remote_followers_only_post_keeps_its_audience(join, fedi, db):
    alice = fedi.actor("alice")
    river = join("river")
    follows_remote(db, "river", alice)
    parent = remote_post(db, alice, 3, "<p>Day 3 is hard</p>", Visibility.FOLLOWERS,
                         to=[f"{alice['id']}/followers"])
    page = river.get(f"/@alice@remote.example/{parent}").text
    assert re.search(r'<option value="followers" selected>', page)
    assert "@alice@remote.example </textarea>" in page  # the reply starts with a mention
    response = post_form(river, f"/@alice@remote.example/{parent}", f"/posts/{parent}/reply",
                         {"text": "@alice@remote.example you've got this",
                          "visibility": "followers", "summary": ""})
    assert response.status_code == 303
    reply = db.fetchval("SELECT id FROM posts WHERE author_member_id IS NOT NULL")
    assert response.headers["location"] == f"/@alice@remote.example/{parent}#post-{reply}"
    [(inbox, create)] = deliveries(db)
    assert inbox == "https://remote.example/inbox"
    assert create["object"]["inReplyTo"] == f"{alice['id']}/statuses/3"
    assert create["object"]["to"] == [f"{BASE}/users/river/followers"]
    assert alice["id"] in create["object"]["cc"]
    thread = river.get(f"/@alice@remote.example/{parent}").text
    assert "you&#39;ve got this" in thread or "you've got this" in thread


def test_reply_to_a_local_post_names_it_and_shows_in_the_thread(join, db):
    river = join("river")
    sam = join("sam")
    write(river, "Meeting at eight")
    parent = post_id(db, "Meeting at eight")
    post_form(sam, f"/@river/{parent}", f"/posts/{parent}/reply",
              {"text": "See you there", "visibility": "public", "summary": ""})
    thread = river.get(f"/@river/{parent}").text
    assert "See you there" in thread and "1 reply" in thread
    reply = post_id(db, "See you there")
    assert f"/@river/{parent}" in river.get(f"/@sam/{reply}").text  # "in reply to" link


def test_a_bad_reply_is_shown_again_on_the_thread(join, db):
    river = join("river")
    write(river, "Meeting at eight")
    parent = post_id(db, "Meeting at eight")
    response = post_form(river, f"/@river/{parent}", f"/posts/{parent}/reply",
                         {"text": "", "visibility": "public", "summary": ""})
    assert response.status_code == 422
    assert "Write something first." in response.text and "Meeting at eight" in response.text


# -- likes and boosts --------------------------------------------------------------


def test_liking_a_post_here_stays_here(join, db):
    river = join("river")
    sam = join("sam")
    write(river, "Thirty days")
    post = post_id(db, "Thirty days")
    assert sam.post(f"/posts/{post}/like").status_code == 403  # no token
    assert press(sam, f"/posts/{post}/like", next=f"/@river/{post}").status_code == 303
    page = sam.get(f"/@river/{post}").text
    assert "1 like" in page and ">Unlike<" in page
    press(sam, f"/posts/{post}/like")  # twice is still once
    assert db.fetchval("SELECT count(*) FROM reactions") == 1
    press(sam, f"/posts/{post}/unlike")
    assert db.fetchval("SELECT count(*) FROM reactions") == 0
    assert deliveries(db) == []


def test_liking_a_remote_post_tells_its_author_and_unliking_undoes_it(join, fedi, db):
    alice = fedi.actor("alice")
    river = join("river")
    post = remote_post(db, alice, 9, "<p>One year</p>")
    press(river, f"/posts/{post}/like")
    press(river, f"/posts/{post}/unlike")
    (inbox, like), (undo_inbox, undo) = deliveries(db)
    assert inbox == undo_inbox == "https://remote.example/users/alice/inbox"
    assert like["type"] == "Like" and like["object"] == f"{alice['id']}/statuses/9"
    assert undo["type"] == "Undo" and undo["object"]["id"] == like["id"]


def test_boosting_goes_to_the_author_and_to_followers_and_can_be_undone(join, fedi, db):
    alice = fedi.actor("alice")
    river = join("river")
    remote_follows(db, fedi.actor("bea", "other.example"), "river", "accepted")
    post = remote_post(db, alice, 4, "<p>Sober picnic Sunday</p>")
    press(river, f"/posts/{post}/boost")
    sent = deliveries(db)
    assert sorted(inbox for inbox, _ in sent) == [
        "https://other.example/inbox", "https://remote.example/users/alice/inbox"]
    announce = sent[0][1]
    assert announce["type"] == "Announce" and announce["object"] == f"{alice['id']}/statuses/4"
    page = river.get(f"/@alice@remote.example/{post}").text
    assert "1 boost" in page and ">Undo boost<" in page
    press(river, f"/posts/{post}/unboost")
    undos = [payload for _, payload in deliveries(db)[2:]]
    assert len(undos) == 2 and all(u["type"] == "Undo" for u in undos)
    assert db.fetchval("SELECT count(*) FROM reactions") == 0


def test_boosting_a_post_from_here_announces_it_to_remote_followers(join, fedi, db):
    river = join("river")
    sam = join("sam")
    remote_follows(db, fedi.actor("bea"), "sam", "accepted")
    write(river, "Open meeting tonight")
    post = post_id(db, "Open meeting tonight")
    press(sam, f"/posts/{post}/boost")
    [(inbox, announce)] = deliveries(db)
    assert inbox == "https://remote.example/inbox"
    assert announce["object"] == f"{BASE}/users/river/posts/{post}"
    assert announce["cc"] == [f"{BASE}/users/river", f"{BASE}/users/sam/followers"]


@pytest.mark.parametrize("visibility", ["followers", "community"])
def test_only_public_and_unlisted_posts_can_be_boosted(join, db, visibility):
    river = join("river")
    write(river, "Not for sharing", visibility)
    post = post_id(db, "Not for sharing")
    refused = press(river, f"/posts/{post}/boost")
    assert refused.status_code == 403
    assert "Only public and unlisted posts can be boosted." in refused.text
    assert db.fetchval("SELECT count(*) FROM reactions") == 0
    assert ">Boost<" not in river.get(f"/@river/{post}").text


# -- deleting ----------------------------------------------------------------------


def test_deleting_a_post_tells_the_audience_it_went_to(join, fedi, db):
    bob = fedi.actor("bob", "other.example")
    river = join("river")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    write(river, "Oops, wrong group @bob@other.example")
    post = post_id(db, "Oops, wrong group")
    created = sorted(inbox for inbox, _ in deliveries(db))
    response = press(river, f"/posts/{post}/delete", next=f"/@river/{post}")
    assert response.headers["location"] == "/home?deleted=1"
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    deletes = [(inbox, p) for inbox, p in deliveries(db) if p["type"] == "Delete"]
    assert sorted(inbox for inbox, _ in deletes) == created
    assert deletes[0][1]["object"] == {"id": f"{BASE}/users/river/posts/{post}",
                                       "type": "Tombstone"}
    assert bob["id"] in deletes[0][1]["cc"]
    assert river.get(f"/@river/{post}").status_code == 404


def test_deleting_a_community_post_sends_nothing(join, fedi, db):
    river = join("river")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    write(river, "Here only", "community")
    press(river, f"/posts/{post_id(db, 'Here only')}/delete")
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    assert deliveries(db) == []


def test_deleting_someone_elses_post_is_403_and_it_stays(join, db):
    river = join("river")
    sam = join("sam")
    write(river, "Still here")
    post = post_id(db, "Still here")
    refused = press(sam, f"/posts/{post}/delete")
    assert refused.status_code == 403 and "Only its author can change a post." in refused.text
    assert db.fetchval("SELECT count(*) FROM posts") == 1
    write(river, "Followers only here", "followers")
    hidden = post_id(db, "Followers only here")
    assert press(sam, f"/posts/{hidden}/delete").status_code == 404  # not even 403


# -- profile and navigation --------------------------------------------------------


def test_profile_shows_the_posts_the_viewer_may_see_and_counts(join, fedi, db):
    river = join("river")
    sam = join("sam")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    write(river, "A public thought")
    write(river, "A followers thought", "followers")
    write(river, "A direct word to @sam", "direct")
    write(river, "A community thought", "community")
    own = river.get("/@river").text
    assert all(t in own for t in ("A public thought", "A followers thought",
                                  "A community thought"))
    assert "A direct word" not in own  # direct posts never sit on a profile
    assert re.search(r"<strong>1</strong> follower\b", own)
    seen_by_sam = sam.get("/@river").text
    assert "A public thought" in seen_by_sam and "A community thought" in seen_by_sam
    assert "A followers thought" not in seen_by_sam
    assert ">Follow<" in seen_by_sam
    sam.cookies.clear()
    visitor = sam.get("/@river").text
    assert "A public thought" in visitor and "A community thought" not in visitor
    assert ">Follow<" not in visitor


def test_members_see_home_search_and_requests_in_the_navigation(join, client):
    river = join("river")
    nav = river.get("/home").text
    for link in ('href="/home">Home', 'href="/search">Search', 'href="/follow-requests">Requests'):
        assert link in nav
    assert 'href="/search"' not in client.get("/").text
    assert csrf_from(nav)


# -- editing -----------------------------------------------------------------------


def edit(client: TestClient, post: int, text: str, summary: str = "") -> Any:
    return post_form(client, f"/posts/{post}/edit", f"/posts/{post}/edit",
                     {"text": text, "summary": summary})


def test_editing_a_post_sends_an_update_to_the_audience_its_create_had(join, fedi, db):
    bob = fedi.actor("bob", "other.example")
    river = join("river")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    remote_follows(db, fedi.actor("pending", "waiting.example"), "river", "pending")
    write(river, "Day one again @bob@other.example", "followers")
    post = post_id(db, "Day one again")
    created = sorted(inbox for inbox, _ in deliveries(db))
    assert created == ["https://other.example/inbox", "https://remote.example/inbox"]
    assert f'href="/posts/{post}/edit">Edit<' in river.get("/home").text
    page = river.get(f"/posts/{post}/edit")
    assert page.status_code == 200 and csrf_from(page.text)
    assert ">Day one again @bob@other.example</textarea>" in page.text  # as written
    assert "Followers only" in page.text  # who sees it, which an edit keeps

    response = edit(river, post, "Day two now @bob@other.example", summary="relapse")
    assert response.status_code == 303
    assert response.headers["location"] == f"/@river/{post}#post-{post}"
    shown = river.get(f"/@river/{post}").text
    assert "Day two now" in shown and "Day one again" not in shown
    assert re.search(r'<span class="muted edited">\(edited <time datetime="', shown)
    assert db.fetchval("SELECT edited_at FROM posts WHERE id = $1", post) is not None
    updates = [(inbox, p) for inbox, p in deliveries(db) if p["type"] == "Update"]
    assert sorted(inbox for inbox, _ in updates) == created
    update = updates[0][1]
    note = update["object"]
    assert note["id"] == f"{BASE}/users/river/posts/{post}"
    assert "Day two now" in note["content"] and note["summary"] == "relapse"
    assert note["updated"]
    assert note["to"] == update["to"] == [f"{BASE}/users/river/followers"]
    assert note["cc"] == [bob["id"]]
    assert {"type": "Mention", "href": bob["id"], "name": "@bob@other.example"} in note["tag"]
    assert PUBLIC not in json.dumps(update)
    # a second edit is a new Update, with an id of its own
    edit(river, post, "Day two, and a meeting tonight")
    assert len({p["id"] for _, p in deliveries(db) if p["type"] == "Update"}) == 2


def test_editing_a_community_post_sends_nothing(join, fedi, db):
    river = join("river")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    write(river, "Here only", "community")
    post = post_id(db, "Here only")
    assert edit(river, post, "Here only, and tonight too").status_code == 303
    assert "Here only, and tonight too" in river.get(f"/@river/{post}").text
    assert deliveries(db) == []


def _mention(href: str, shown: str) -> str:
    return (f'<span class="h-card" translate="no"><a href="{href}" class="u-url mention">'
            f"@<span>{shown}</span></a></span>")


def _hashtag(name: str, shown: str) -> str:
    return (f'<a href="{BASE}/tags/{name}" class="mention hashtag" rel="tag">'
            f"#<span>{shown}</span></a>")


def test_a_post_links_its_mentions_and_hashtags_and_its_create_carries_hashtag_tags(
        join, fedi, db):
    bob = fedi.actor("bob", "other.example")
    river = join("river")
    join("sam")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    write(river, "Thanks @bob@other.example and @Sam! #Sober #meetings, "
                 "https://x.example/notes#sober", "public")
    [create] = [p for _, p in deliveries(db) if p["type"] == "Create"][:1]
    note = create["object"]
    assert note["content"] == (
        f"<p>Thanks {_mention('https://other.example/@bob', 'bob@other.example')} and "
        f"{_mention(f'{BASE}/@sam', 'Sam')}! {_hashtag('sober', 'Sober')} "
        f"{_hashtag('meetings', 'meetings')}, "
        '<a href="https://x.example/notes#sober" rel="nofollow noopener noreferrer">'
        "https://x.example/notes#sober</a></p>")
    hashtags = [t for t in note["tag"] if t["type"] == "Hashtag"]
    assert hashtags == [
        {"type": "Hashtag", "href": f"{BASE}/tags/meetings", "name": "#meetings"},
        {"type": "Hashtag", "href": f"{BASE}/tags/sober", "name": "#sober"}]
    assert {"type": "Mention", "href": bob["id"], "name": "@bob@other.example"} in note["tag"]
    # The pages show the links as links, never as escaped markup.
    post = post_id(db, "Thanks ")
    page = main_of(river.get(f"/@river/{post}").text)
    assert note["content"] in page and "&lt;span" not in page
    # The Note fetched from its address carries the same tags.
    fetched = river.get(f"/users/river/posts/{post}", headers={"accept": AP}).json()
    assert [t for t in fetched["tag"] if t["type"] == "Hashtag"] == hashtags
    assert fetched["content"] == note["content"]


def test_an_edit_links_the_new_text_and_its_update_carries_the_new_hashtags(join, fedi, db):
    bob = fedi.actor("bob", "other.example")
    river = join("river")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    write(river, "Day one #sober", "public")
    post = post_id(db, "Day one")
    assert edit(river, post, "Day two @bob@other.example #Hope").status_code == 303
    # bob was never looked up here, and an edit looks nobody up: he stays text
    assert "@bob@other.example" in db.fetchval("SELECT content_html FROM posts")
    assert "u-url mention" not in db.fetchval("SELECT content_html FROM posts")
    known(db, bob)
    assert edit(river, post, "Day two @bob@other.example #Hope").status_code == 303
    [*_, update] = [p for _, p in deliveries(db) if p["type"] == "Update"]
    note = update["object"]
    assert note["content"] == (
        f"<p>Day two {_mention('https://other.example/@bob', 'bob@other.example')} "
        f"{_hashtag('hope', 'Hope')}</p>")
    assert [t for t in note.get("tag", []) if t["type"] == "Hashtag"] == [
        {"type": "Hashtag", "href": f"{BASE}/tags/hope", "name": "#hope"}]
    # The edit form reads back what was written.
    assert ">Day two @bob@other.example #Hope</textarea>" in river.get(
        f"/posts/{post}/edit").text


def test_a_community_post_links_members_here_but_leaves_a_remote_mention_as_text(
        join, fedi, db):
    fedi.actor("alice")
    river = join("river")
    join("sam")
    write(river, "For us @sam and @alice@remote.example #here", "community")
    assert fedi.requests == []
    assert db.fetchval("SELECT content_html FROM posts") == (
        f"<p>For us {_mention(f'{BASE}/@sam', 'sam')} and @alice@remote.example "
        f"{_hashtag('here', 'here')}</p>")


def test_the_tag_page_shows_a_visitor_only_the_public_posts_with_the_tag(join, fedi, db):
    river = join("river")
    sam = join("sam")
    for text, visibility in [("Public #Sober day", "public"), ("Friends #sober only", "followers"),
                             ("Just us #SOBER", "community"), ("Unlisted #sober note", "unlisted"),
                             ("Other tag #hope", "public")]:
        assert write(river, text, visibility).status_code == 303
    remote_post(db, fedi.actor("alice"), 1, "<p>Remote #sober</p>", tags=[
        {"type": "Hashtag", "name": "#sober", "href": "https://remote.example/tags/sober"}])
    visitor = join("visitor")
    visitor.cookies.clear()
    page = visitor.get("/tags/Sober")
    assert page.status_code == 200
    shown = main_of(page.text)
    assert "<h1>#sober</h1>" in shown
    assert "Public " in shown and _hashtag("sober", "Sober") in shown
    for hidden in ("Friends ", "Just us", "Unlisted ", "Other tag", "Remote "):
        assert hidden not in shown, hidden
    # A member here also sees the community post; as on Mastodon, a tag lists
    # no followers-only or unlisted post, even to their author.
    member_view = main_of(sam.get("/tags/sober").text)
    assert "Public " in member_view and "Just us" in member_view
    own_view = main_of(river.get("/tags/sober").text)
    assert "Friends " not in member_view + own_view
    assert "Unlisted " not in member_view + own_view
    # Someone who muted the author does not see them there either.
    db.execute("""INSERT INTO mutes (member_id, muted_member_id)
                  SELECT s.id, r.id FROM members s, members r
                  WHERE s.username = 'sam' AND r.username = 'river'""")
    assert "Public " not in main_of(sam.get("/tags/sober").text)


def test_the_tag_page_pages_back_newest_first_and_refuses_odd_names(join, db):
    river = join("river")
    for n in range(22):
        write(river, f"Entry {n:02d} #daily")
    first = river.get("/tags/daily").text
    entries = re.findall(r"Entry (\d\d)", main_of(first))
    assert entries == [f"{n:02d}" for n in range(21, 1, -1)]
    older = re.search(r'href="(/tags/daily\?max_id=\d+)"', first)
    assert older
    rest = main_of(river.get(older[1]).text)
    assert re.findall(r"Entry (\d\d)", rest) == ["01", "00"]
    assert "Older posts" not in rest
    assert river.get("/tags/nothing_yet").status_code == 200
    assert "No posts you can see have #nothing_yet yet." in river.get("/tags/nothing_yet").text
    for bad in ("123", "a-b", "%3Cscript%3E"):
        assert river.get(f"/tags/{bad}").status_code == 404, bad
    assert river.get("/tags/daily?max_id=x").status_code == 400


def test_only_the_author_edits_and_bad_text_is_refused_beside_the_field(join, fedi, db):
    river = join("river")
    sam = join("sam")
    write(river, "Still mine")
    post = post_id(db, "Still mine")
    assert sam.get(f"/posts/{post}/edit").status_code == 403
    refused = edit(sam, post, "Not yours")
    assert refused.status_code == 403 and "Only its author can change a post." in refused.text
    assert f"/posts/{post}/edit" not in sam.get(f"/@river/{post}").text  # no Edit button
    write(river, "Followers only here", "followers")
    hidden = post_id(db, "Followers only here")
    assert sam.get(f"/posts/{hidden}/edit").status_code == 404  # not even 403
    assert edit(sam, hidden, "Not yours").status_code == 404
    remote = remote_post(db, fedi.actor("alice"), 5, "<p>Theirs</p>")
    assert river.get(f"/posts/{remote}/edit").status_code == 403
    assert river.post(f"/posts/{post}/edit", data={"text": "No token"}).status_code == 403

    for text, summary, field, message in [
        ("   ", "", "text", "Write something first."),
        ("x" * 5001, "", "text", "at most 5000 characters"),
        ("Fine text", "w" * 201, "summary", "at most 200 characters"),
    ]:
        response = edit(river, post, text, summary)
        assert response.status_code == 422
        assert f'id="{field}-error"' in response.text and message in response.text
    assert "Fine text</textarea>" in response.text  # what was written is kept
    assert db.fetchval("SELECT content_html FROM posts WHERE id = $1", post) == "<p>Still mine</p>"
    assert db.fetchval("SELECT count(*) FROM posts WHERE edited_at IS NOT NULL") == 0
    assert deliveries(db) == []


# -- boosts are posts of their own (issue 3) ------------------------------------------


def test_a_boost_is_a_post_of_the_booster_pointing_at_the_original(join, fedi, db):
    river = join("river")
    sam = join("sam")
    write(river, "Open meeting tonight")
    original = post_id(db, "Open meeting tonight")
    press(sam, f"/posts/{original}/boost")
    press(sam, f"/posts/{original}/boost")  # twice is still once
    [boost] = db.fetch("""SELECT p.id, p.content_html, p.visibility, p.uri, m.username
                          FROM posts p JOIN members m ON m.id = p.author_member_id
                          WHERE p.reblog_of_id = $1""", original)
    assert (boost["username"], boost["content_html"], boost["visibility"], boost["uri"]) == (
        "sam", "", "public", None)
    assert boost["id"] > original  # in the posts' id order, at the time of the boost
    assert db.fetchval("SELECT count(*) FROM reactions") == 0
    assert "1 boost" in river.get(f"/@river/{original}").text
    profile = sam.get("/@sam").text  # a member's profile shows their boosts
    assert "boosted" in profile and "Open meeting tonight" in profile
    assert sam.get(f"/@sam/{boost['id']}").status_code == 404  # no page of its own
    press(sam, f"/posts/{original}/unboost")
    assert db.fetchval("SELECT count(*) FROM posts WHERE reblog_of_id IS NOT NULL") == 0
    assert "0 boosts" in river.get(f"/@river/{original}").text


def test_home_shows_who_boosted_at_the_time_of_the_boost(join, db):
    river = join("river")
    sam = join("sam")
    kim = join("kim", approve_followers=False)
    write(sam, "An old post by sam")
    old = post_id(db, "An old post by sam")
    press(river, "/follow", target="kim")
    write(river, "Something river wrote")
    press(kim, f"/posts/{old}/boost")  # river follows kim, not sam
    home = river.get("/home").text
    assert "kim</a> boosted" in home
    assert home.index("An old post by sam") < home.index("Something river wrote")
    assert 'class="button small">Undo boost<' not in home  # river has not boosted it
    own = post_id(db, "Something river wrote")
    press(kim, f"/posts/{own}/boost")
    home = river.get("/home").text  # a post shows once, where it is newest
    assert home.count(f'id="post-{own}"') == 1
    assert home.index("kim</a> boosted") < home.index(f'id="post-{own}"')


def test_the_boost_of_a_deleted_post_goes_with_it_and_is_not_counted_in_nodeinfo(
        join, db):
    river = join("river")
    sam = join("sam")
    write(river, "Soon gone")
    original = post_id(db, "Soon gone")
    press(sam, f"/posts/{original}/boost")
    nodeinfo = sam.get("/nodeinfo/2.1").json()
    assert nodeinfo["usage"]["localPosts"] == 1
    press(river, f"/posts/{original}/delete")
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    assert "Soon gone" not in sam.get("/@sam").text


def test_a_boost_is_served_as_an_announce_and_listed_in_the_outbox(join, fedi, db):
    river = join("river")
    sam = join("sam")
    remote_follows(db, fedi.actor("bea"), "sam", "accepted")
    write(river, "Open meeting tonight")
    original = post_id(db, "Open meeting tonight")
    press(sam, f"/posts/{original}/boost")
    boost = db.fetchval("SELECT id FROM posts WHERE reblog_of_id = $1", original)
    [(_, announce)] = deliveries(db)
    assert announce["id"] == f"{BASE}/users/sam/posts/{boost}"
    served = sam.get(f"/users/sam/posts/{boost}", headers={"accept": AP})
    assert served.status_code == 200
    document = served.json()
    assert document["type"] == "Announce" and document["id"] == announce["id"]
    assert document["object"] == f"{BASE}/users/river/posts/{original}"
    page = sam.get("/users/sam/outbox?page=true", headers={"accept": AP}).json()
    assert [item["type"] for item in page["orderedItems"]] == ["Announce"]
    press(sam, f"/posts/{original}/unboost")
    undo = deliveries(db)[-1][1]
    assert undo["type"] == "Undo" and undo["object"]["id"] == announce["id"]


# -- deleting an account federates (issue 3) ----------------------------------------


def test_deleting_an_account_sends_a_delete_of_the_actor_once_per_inbox(join, fedi, db):
    river = join("river")
    remote_follows(db, fedi.actor("alice"), "river", "accepted")
    remote_follows(db, fedi.actor("bea"), "river", "pending")  # same shared inbox
    follows_remote(db, "river", fedi.actor("carl", "other.example"))
    response = post_form(river, "/settings", "/settings/delete",
                         {"delete_password": PASSWORD, "confirm": "river"})
    assert response.status_code == 200
    sent = deliveries(db)
    assert sorted(inbox for inbox, _ in sent) == [
        "https://other.example/inbox", "https://remote.example/inbox"]
    delete = sent[0][1]
    assert delete == {"@context": delete["@context"], "id": f"{BASE}/users/river#delete",
                      "type": "Delete", "actor": f"{BASE}/users/river",
                      "object": f"{BASE}/users/river", "to": [PUBLIC]}
    # Only the key (to sign it) and the bare row stay; nothing else of theirs.
    [kept] = db.fetch("SELECT display_name, bio, password_hash, status, deleted_at "
                      "FROM members")
    assert (kept["bio"], kept["password_hash"], kept["status"]) == ("", "!", "suspended")
    assert kept["deleted_at"] is not None
    for table in ("sessions", "recovery_codes", "follows"):
        assert db.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert db.fetchval("SELECT count(*) FROM member_keys") == 1
    assert river.get("/@river").status_code == 410  # Gone, even while its Delete is sent
    assert login(river, "river").status_code != 303
    assert signup(river, "river").status_code == 422  # never given out again


def test_deleting_an_account_nobody_elsewhere_knew_removes_it_at_once(join, db):
    river = join("river")
    response = post_form(river, "/settings", "/settings/delete",
                         {"delete_password": PASSWORD, "confirm": "river"})
    assert response.status_code == 200
    assert deliveries(db) == []
    assert db.fetchval("SELECT count(*) FROM members") == 0
