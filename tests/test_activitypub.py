"""ActivityPub's read side: posts and their Create activities, outboxes, and
follower collections, served only to their audience (RELIABILITY.md 7, 26).

Remote actors are served by an httpx2.MockTransport, each with its own key,
and sign their GETs as Mastodon does (draft-cavage) or with RFC 9421."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

import asyncpg
import httpx2
import pytest
from starlette.testclient import TestClient

from federation.keys import generate_rsa_keypair
from federation.signatures import sign_request, sign_request_rfc9421, signature_header
from recovery import follows, members, peers, posts
from recovery.models import Visibility
from tests.conftest import make_settings, run, signup
from web.app import create_app

AP = "application/activity+json"
PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
BASE = "http://testserver"
REMOTE = "https://remote.example"
VIEWERS = ("stranger", "pending", "follower", "recipient")


def actor_uri(name: str) -> str:
    return f"{REMOTE}/users/{name}"


def key_id(name: str) -> str:
    return f"{actor_uri(name)}#main-key"


def actor_document(name: str, public_pem: str) -> dict[str, Any]:
    uri = actor_uri(name)
    return {"@context": ["https://www.w3.org/ns/activitystreams"], "id": uri,
            "type": "Person", "preferredUsername": name, "inbox": f"{uri}/inbox",
            "endpoints": {"sharedInbox": f"{REMOTE}/inbox"},
            "publicKey": {"id": key_id(name), "owner": uri, "publicKeyPem": public_pem}}


@pytest.fixture(scope="module")
def keys() -> dict[str, tuple[str, str]]:
    """(private, public) PEM per remote actor, plus a spare for rotation."""
    return {name: generate_rsa_keypair() for name in (*VIEWERS, "rotated")}


class Remote:
    """The other server: documents by URL, and every request made to it."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, bytes]] = {}
        self.requests: list[httpx2.Request] = []

    def serve(self, url: str, document: dict[str, Any], status: int = 200) -> None:
        self.documents[url] = (status, json.dumps(document).encode())

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        status, body = self.documents.get(str(request.url), (404, b"{}"))
        if status == 599:
            raise httpx2.ConnectTimeout("timed out", request=request)
        return httpx2.Response(status, headers={"content-type": AP}, content=body)


@pytest.fixture
def remote(keys) -> Remote:
    remote = Remote()
    for name in VIEWERS:
        remote.serve(actor_uri(name), actor_document(name, keys[name][1]))
    return remote


@pytest.fixture
def client(database_url, remote) -> Any:
    settings = make_settings(database_url, allow_private_network=True)

    def client_factory(policy: Any) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))

    app = create_app(settings, http_client_factory=client_factory)
    with TestClient(app, base_url=BASE, follow_redirects=False) as client:
        yield client


async def _connected(url: str, work: Any) -> Any:
    conn = await asyncpg.connect(url)
    try:
        return await work(conn)
    finally:
        await conn.close()


def write(database_url: str, username: str, text: str, visibility: Visibility,
          recipients: Sequence[str] = ()) -> int:
    async def work(conn: Any) -> int:
        member = await members.get_profile(conn, username)
        post = await posts.write(conn, member, text, visibility, recipients=recipients)
        return post.id
    result: int = run(_connected(database_url, work))
    return result


def remote_follows(database_url: str, name: str, public_pem: str, username: str,
                   *, accept: bool) -> None:
    """A remote actor asks to follow the member (who approves followers) and,
    with ``accept``, the member says yes."""
    async def work(conn: Any) -> None:
        remote = await peers.remember(conn, actor_document(name, public_pem), key_id(name),
                                      public_pem)
        member = await members.get_profile(conn, username)
        follow = await follows.followed_by_remote(conn, remote, member,
                                                  f"{actor_uri(name)}/follows/{username}")
        assert follow.state == "pending"
        if accept:
            await follows.answer_request(conn, member, follow.id, accept=True)
    run(_connected(database_url, work))


@pytest.fixture
def river(client, db, database_url, keys) -> str:
    """The member 'river', with an accepted and a pending remote follower;
    the browser session is dropped so only signatures can grant anything."""
    signup(client, "river")
    client.cookies.clear()
    db.execute("UPDATE members SET manually_approves_followers = true")
    remote_follows(database_url, "follower", keys["follower"][1], "river", accept=True)
    remote_follows(database_url, "pending", keys["pending"][1], "river", accept=False)
    return "river"


def signed_headers(path: str, private_pem: str, name: str, *, method: str = "GET",
                   url: str | None = None, now: datetime | None = None) -> dict[str, str]:
    return sign_request(method, url or f"{BASE}{path}", {"Accept": AP}, None, key_id(name),
                        private_pem, now=now)


def fetch(client: TestClient, path: str, viewer: str | None = None,
          keys: dict[str, tuple[str, str]] | None = None) -> Any:
    if viewer is None:
        return client.get(path, headers={"Accept": AP})
    assert keys is not None
    return client.get(path, headers=signed_headers(path, keys[viewer][0], viewer))


def missing_answer(client: TestClient) -> Any:
    return client.get("/users/river/posts/999999", headers={"Accept": AP})


# What each viewer may fetch of each visibility (RELIABILITY.md 26).
ALLOWED = {
    Visibility.PUBLIC: {None, *VIEWERS},
    Visibility.UNLISTED: {None, *VIEWERS},
    Visibility.FOLLOWERS: {"follower"},
    Visibility.DIRECT: {"recipient"},
    Visibility.COMMUNITY: set(),
}


@pytest.mark.parametrize("viewer", [None, *VIEWERS],
                         ids=["unsigned", *(f"signed-by-{v}" for v in VIEWERS)])
@pytest.mark.parametrize("visibility", list(Visibility), ids=[v.value for v in Visibility])
def test_posts_reach_only_their_audience_line_26(
    client, river, database_url, keys, visibility, viewer
):
    recipients = [actor_uri("recipient")] if visibility is Visibility.DIRECT else []
    post_id = write(database_url, river, "Day 30. Grateful.", visibility, recipients)
    missing = missing_answer(client)
    for suffix in ("", "/activity"):
        path = f"/users/river/posts/{post_id}{suffix}"
        response = fetch(client, path, viewer, keys)
        if viewer in ALLOWED[visibility]:
            assert response.status_code == 200, (path, viewer)
            assert response.headers["content-type"].startswith(AP)
            document = response.json()
            note = document if not suffix else document["object"]
            assert note["id"] == f"{BASE}/users/river/posts/{post_id}"
            assert note["content"] == "<p>Day 30. Grateful.</p>"
            if suffix:
                assert document["type"] == "Create"
                assert document["id"] == f"{BASE}/users/river/posts/{post_id}/activity"
            if visibility not in (Visibility.PUBLIC, Visibility.UNLISTED):
                assert "no-store" in response.headers["cache-control"]
        else:
            # exactly the answer a post that does not exist gets: nothing leaks
            assert response.status_code == 404, (path, viewer)
            assert response.content == missing.content
            assert response.headers["content-type"] == missing.headers["content-type"]
            assert "Grateful" not in response.text


def test_direct_post_carries_exactly_its_own_recipients(client, river, database_url, keys):
    named = [actor_uri("recipient"), "https://other.example/users/kit"]
    post_id = write(database_url, river, "Call me tonight?", Visibility.DIRECT, named)
    note = fetch(client, f"/users/river/posts/{post_id}", "recipient", keys).json()
    assert note["to"] == named and note["cc"] == []
    assert "bto" not in note and "bcc" not in note
    create = fetch(client, f"/users/river/posts/{post_id}/activity", "recipient", keys).json()
    assert create["to"] == named and create["cc"] == [] and create["object"]["to"] == named


def test_followers_only_post_is_addressed_to_the_followers_collection(
    client, river, database_url, keys
):
    post_id = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    note = fetch(client, f"/users/river/posts/{post_id}", "follower", keys).json()
    assert note["to"] == [f"{BASE}/users/river/followers"]
    assert PUBLIC not in json.dumps(note)


def test_rfc9421_signed_get_from_a_follower_is_honoured(client, river, database_url, keys):
    post_id = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    path = f"/users/river/posts/{post_id}"
    headers = sign_request_rfc9421("GET", f"{BASE}{path}", {"Accept": AP}, None,
                                   key_id("follower"), keys["follower"][0])
    assert client.get(path, headers=headers).status_code == 200
    elsewhere = sign_request_rfc9421("GET", f"{BASE}/users/river/outbox", {"Accept": AP}, None,
                                     key_id("follower"), keys["follower"][0])
    assert client.get(path, headers=elsewhere).status_code == 404


def _signed_wrongly(how: str, path: str, private_pem: str) -> dict[str, str]:
    name = "follower"
    if how == "another-path":
        return signed_headers("/users/river/outbox", private_pem, name)
    if how == "another-query":
        return signed_headers(f"{path}?page=true", private_pem, name)
    if how == "another-method":
        return signed_headers(path, private_pem, name, method="POST")
    if how == "another-host":
        return signed_headers(path, private_pem, name, url=f"http://elsewhere.example{path}")
    if how == "stale":
        return signed_headers(path, private_pem, name, now=datetime.now(UTC) - timedelta(hours=2))
    if how == "host-not-signed":
        headers = signed_headers(path, private_pem, name)
        headers["Signature"] = signature_header("GET", path, headers,
                                                ["(request-target)", "date", "accept"],
                                                key_id(name), private_pem)
        return headers
    assert how == "garbled"
    return {**signed_headers(path, private_pem, name), "Signature": 'keyId="nonsense"'}


WRONG = ["another-path", "another-query", "another-method", "another-host", "stale",
         "host-not-signed", "garbled"]


@pytest.mark.parametrize("how", WRONG)
def test_signature_for_another_path_method_host_or_time_grants_nothing_line_7(
    client, river, database_url, keys, how
):
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    path = f"/users/river/posts/{followers_only}"
    assert fetch(client, path, "follower", keys).status_code == 200  # signed rightly
    response = client.get(path, headers=_signed_wrongly(how, path, keys["follower"][0]))
    assert response.status_code == 404
    assert response.content == missing_answer(client).content


@pytest.mark.parametrize("how", WRONG)
def test_bad_signature_on_a_public_post_is_simply_ignored(
    client, river, database_url, keys, how
):
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    path = f"/users/river/posts/{public}"
    response = client.get(path, headers=_signed_wrongly(how, path, keys["follower"][0]))
    assert response.status_code == 200
    assert response.json()["content"] == "<p>Day 30.</p>"


def test_signer_on_a_blocked_domain_gets_nothing_and_no_key_is_fetched(
    client, river, db, database_url, keys, remote
):
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    db.execute("INSERT INTO domain_blocks (domain) VALUES ('remote.example')")
    assert fetch(client, f"/users/river/posts/{followers_only}", "follower", keys
                 ).status_code == 404
    assert fetch(client, f"/users/river/posts/{public}", "stranger", keys).status_code == 200
    assert remote.requests == []


def test_key_host_timing_out_leaves_the_request_anonymous(
    client, river, database_url, keys, remote
):
    remote.serve(actor_uri("stranger"), {}, status=599)
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    assert fetch(client, f"/users/river/posts/{followers_only}", "stranger", keys
                 ).status_code == 404
    assert fetch(client, f"/users/river/posts/{public}", "stranger", keys).status_code == 200


def test_unknown_signer_key_is_fetched_once_and_cached(
    client, river, database_url, keys, remote
):
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    for _ in range(3):
        assert fetch(client, f"/users/river/posts/{public}", "stranger", keys
                     ).status_code == 200
    assert [str(r.url) for r in remote.requests] == [actor_uri("stranger")]


def test_follower_who_rotated_their_key_is_refetched_and_honoured_line_12(
    client, river, db, database_url, keys, remote
):
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    remote.serve(actor_uri("follower"), actor_document("follower", keys["rotated"][1]))
    db.execute("UPDATE remote_actors SET fetched_at = now() - interval '2 minutes'")
    path = f"/users/river/posts/{followers_only}"
    response = client.get(path, headers=signed_headers(path, keys["rotated"][0], "follower"))
    assert response.status_code == 200


def test_undone_follow_ends_access(client, river, db, database_url, keys):
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    path = f"/users/river/posts/{followers_only}"
    db.execute("DELETE FROM follows WHERE follower_remote_id = "
               "(SELECT id FROM remote_actors WHERE uri = $1)", actor_uri("follower"))
    assert fetch(client, path, "follower", keys).status_code == 404


def test_follower_whose_account_is_gone_loses_access(
    client, river, db, database_url, keys, remote
):
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    path = f"/users/river/posts/{followers_only}"
    db.execute("UPDATE remote_actors SET gone_at = now() WHERE uri = $1", actor_uri("follower"))
    remote.serve(actor_uri("follower"), {}, status=410)
    assert fetch(client, path, "follower", keys).status_code == 404


def test_post_under_another_members_address_is_404(client, river, database_url, keys):
    signup(client, "lake")
    client.cookies.clear()
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    response = fetch(client, f"/users/lake/posts/{public}")
    assert response.status_code == 404
    assert response.content == missing_answer(client).content


@pytest.mark.parametrize("path", [
    "/users/nobody/posts/1", "/users/river/posts/999999", "/users/river/posts/abc",
    "/users/river/posts/99999999999999999999999", "/users/nobody/posts/1/activity",
    "/users/nobody/outbox", "/users/nobody/followers", "/users/nobody/following",
])
def test_unknown_members_and_posts_are_404_json(client, river, path):
    response = client.get(path, headers={"Accept": AP})
    assert response.status_code == 404
    assert response.json() == {"error": "There is nothing at this address."}
    assert response.headers["vary"] == "Accept"


def test_suspended_members_posts_and_collections_are_404(client, river, db, database_url):
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    db.execute("UPDATE members SET status = 'suspended'")
    for path in (f"/users/river/posts/{public}", "/users/river/outbox",
                 "/users/river/followers"):
        assert client.get(path, headers={"Accept": AP}).status_code == 404


@pytest.mark.parametrize("accept", ["text/html", "text/html,application/xhtml+xml,*/*;q=0.8",
                                    "*/*", None])
def test_browsers_are_sent_to_the_post_page(client, river, database_url, accept):
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    headers = {"Accept": accept} if accept else {}
    for post_id in (followers_only, 999999):  # the same, whether it exists or not
        for suffix in ("", "/activity"):
            response = client.get(f"/users/river/posts/{post_id}{suffix}", headers=headers)
            assert response.status_code == 303
            assert response.headers["location"] == f"/@river/{post_id}"


# -- Accept: what each address answers (RELIABILITY.md 35) -------------------------------

ACTIVITYPUB_ONLY = {  # address -> the page an HTML-only client is sent to
    "/users/river/outbox": "/@river", "/users/river/outbox?page=true": "/@river",
    "/users/river/followers": "/@river", "/users/river/following": "/@river",
    "/actor": "/about", "/actor/outbox": "/about",
}
NEITHER = ["image/png", "text/plain", "application/xml",
           "application/activity+json;q=0, application/ld+json;q=0, text/html;q=0",
           "*/*;q=0"]


def _with_pages(post_id: int) -> dict[str, str]:
    return {"/users/river": "/@river", f"/users/river/posts/{post_id}": f"/@river/{post_id}",
            f"/users/river/posts/{post_id}/activity": f"/@river/{post_id}"}


@pytest.mark.parametrize("accept", NEITHER)
def test_an_accept_allowing_neither_activitystreams_nor_html_is_406_everywhere_line_35(
    client, river, database_url, accept
):
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    for path in (*ACTIVITYPUB_ONLY, *_with_pages(public)):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 406, path
        assert "application/activity+json" in response.json()["error"]
        assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize("accept", [
    AP, f'application/ld+json; profile="{"https://www.w3.org/ns/activitystreams"}"',
    "application/json", "application/*", "*/*", None,
    "text/html;q=0.9, application/activity+json",
])
def test_activitypub_only_addresses_answer_activitystreams_to_whoever_accepts_it(
    client, river, accept
):
    headers = {"Accept": accept} if accept else {}
    for path in ACTIVITYPUB_ONLY:
        response = client.get(path, headers=headers)
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(AP)


@pytest.mark.parametrize("accept", ["text/html", "application/xhtml+xml", "text/*"])
def test_a_client_accepting_only_html_is_sent_to_the_nearest_page(
    client, river, database_url, accept
):
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    for path, page in {**ACTIVITYPUB_ONLY, **_with_pages(public)}.items():
        response = client.get(path, headers={"Accept": accept})
        assert (response.status_code, response.headers["location"]) == (303, page), path
        assert response.headers["vary"] == "Accept"


@pytest.mark.parametrize("accept", [AP, "application/json", "application/ld+json",
                                    "text/html;q=0.5, application/activity+json",
                                    "application/*"])
def test_addresses_with_a_page_answer_activitystreams_when_it_is_asked_for(
    client, river, database_url, accept
):
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    for path in _with_pages(public):
        response = client.get(path, headers={"Accept": accept})
        assert response.status_code == 200, path
        assert response.headers["content-type"].startswith(AP)


# -- more signed GETs --------------------------------------------------------------------


def test_a_signed_get_from_an_unavailable_host_makes_it_available_again_line_43(
    client, river, db, database_url, keys
):
    public = write(database_url, river, "Day 30.", Visibility.PUBLIC)
    db.execute("""INSERT INTO peer_hosts (host, failure_days, unavailable_since)
                  VALUES ('remote.example', ARRAY[current_date], now())""")
    assert fetch(client, f"/users/river/posts/{public}", "stranger", keys).status_code == 200
    assert db.fetchval("SELECT unavailable_since FROM peer_hosts") is None
    assert db.fetchval("SELECT failure_days FROM peer_hosts") == []


def test_a_gotosocial_follower_signing_with_its_main_key_is_honoured(
    client, river, db, database_url, keys, remote
):
    """GoToSocial's key id is ACTOR/main-key, whose address answers with a
    stub of the actor (tests/data/payloads/gotosocial/objects/main_key.json):
    the full actor is fetched from its own address, and must list the key."""
    followers_only = write(database_url, river, "Rough night.", Visibility.FOLLOWERS)
    actor, gts_key = actor_uri("follower"), f"{actor_uri('follower')}/main-key"
    full = actor_document("follower", keys["follower"][1])
    full["publicKey"]["id"] = gts_key
    stub = {"@context": ["https://w3id.org/security/v1", "https://www.w3.org/ns/activitystreams"],
            "id": actor, "type": "Person", "preferredUsername": "follower",
            "publicKey": full["publicKey"]}
    remote.serve(actor, full)
    remote.serve(gts_key, stub)
    db.execute("UPDATE remote_actors SET key_id = NULL WHERE uri = $1", actor)
    path = f"/users/river/posts/{followers_only}"
    headers = sign_request("GET", f"{BASE}{path}", {"Accept": AP}, None, gts_key,
                           keys["follower"][0])
    assert client.get(path, headers=headers).status_code == 200
    assert [str(r.url) for r in remote.requests] == [gts_key, actor]
    assert db.fetchval("SELECT key_id FROM remote_actors WHERE uri = $1", actor) == gts_key


def _write_many(database_url: str) -> tuple[list[int], list[str]]:
    """25 public posts with every other kind in between; (public ids, the
    words only the non-public posts contain)."""
    public_ids, secrets = [], []
    others = [Visibility.UNLISTED, Visibility.FOLLOWERS, Visibility.DIRECT, Visibility.COMMUNITY]
    for n in range(25):
        public_ids.append(write(database_url, "river", f"Public day {n}", Visibility.PUBLIC))
        if n % 5 == 0:
            kind = others[(n // 5) % len(others)]
            secret = f"secret{n}"
            write(database_url, "river", secret, kind, [actor_uri("recipient")])
            secrets.append(secret)
    return public_ids, secrets


@pytest.mark.parametrize("viewer", [None, "follower", "recipient"])
def test_outbox_pages_hold_public_posts_only_newest_first(
    client, river, database_url, keys, viewer
):
    public_ids, secrets = _write_many(database_url)
    collection = fetch(client, "/users/river/outbox", viewer, keys)
    assert collection.status_code == 200
    assert collection.headers["content-type"].startswith(AP)
    assert collection.headers["vary"] == "Accept"
    outbox = f"{BASE}/users/river/outbox"
    assert collection.json() == {
        "@context": "https://www.w3.org/ns/activitystreams", "id": outbox,
        "type": "OrderedCollection", "totalItems": 25, "first": f"{outbox}?page=true"}

    first = fetch(client, "/users/river/outbox?page=true", viewer, keys).json()
    assert first["type"] == "OrderedCollectionPage" and first["partOf"] == outbox
    assert first["id"] == f"{outbox}?page=true"
    newest = sorted(public_ids, reverse=True)
    assert [item["object"]["id"] for item in first["orderedItems"]] == [
        f"{BASE}/users/river/posts/{i}" for i in newest[:20]]
    assert all(item["type"] == "Create" and item["to"] == [PUBLIC]
               for item in first["orderedItems"])
    assert first["next"] == f"{outbox}?page=true&max_id={newest[19]}"

    second = client.get(first["next"].removeprefix(BASE), headers={"Accept": AP}).json()
    assert second["id"] == first["next"]
    assert [item["object"]["id"] for item in second["orderedItems"]] == [
        f"{BASE}/users/river/posts/{i}" for i in newest[20:]]
    assert "next" not in second
    for page in (collection.text, json.dumps(first), json.dumps(second)):
        assert not any(secret in page for secret in secrets)
        assert actor_uri("recipient") not in page


def test_outbox_of_a_member_without_posts_is_empty(client, river):
    page = client.get("/users/river/outbox?page=true", headers={"Accept": AP}).json()
    assert page["orderedItems"] == [] and "next" not in page
    assert client.get("/users/river/outbox").json()["totalItems"] == 0


@pytest.mark.parametrize("max_id", ["abc", "-1", "1e5", ""])
def test_outbox_with_a_malformed_max_id_is_400(client, river, max_id):
    response = client.get(f"/users/river/outbox?page=true&max_id={max_id}")
    assert response.status_code == 400
    assert "max_id" in response.json()["error"]


def test_follower_collections_count_accepted_follows_and_list_nobody(
    client, river, db, database_url, keys
):
    signup(client, "lake")
    client.cookies.clear()
    lake, river_id = (db.fetchval("SELECT id FROM members WHERE username = $1", name)
                      for name in ("lake", "river"))
    db.execute("""INSERT INTO follows (uri, follower_member_id, followed_member_id, state)
                  VALUES ('http://testserver/f/1', $1, $2, 'accepted'),
                         ('http://testserver/f/2', $2, $1, 'accepted')""", lake, river_id)
    db.execute("""INSERT INTO follows (uri, follower_member_id, followed_remote_id, state)
                  SELECT 'http://testserver/f/3', $1, id, 'pending' FROM remote_actors
                  WHERE uri = $2""", river_id, actor_uri("follower"))
    expected = {"followers": 2, "following": 1}  # pending follows do not count
    for which, total in expected.items():
        for viewer in (None, "follower"):
            response = fetch(client, f"/users/river/{which}", viewer, keys)
            assert response.status_code == 200
            assert response.headers["content-type"].startswith(AP)
            assert response.headers["vary"] == "Accept"
            assert response.json() == {
                "@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{BASE}/users/river/{which}", "type": "OrderedCollection",
                "totalItems": total}
            for who in (actor_uri("follower"), actor_uri("pending"), "lake"):
                assert who not in response.text
    assert client.get("/users/river/followers?page=true").json().get("first") is None


def test_instance_actor_has_an_empty_outbox(client):
    response = client.get("/actor/outbox", headers={"Accept": AP})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP)
    assert response.json() == {"@context": "https://www.w3.org/ns/activitystreams",
                               "id": f"{BASE}/actor/outbox", "type": "OrderedCollection",
                               "totalItems": 0, "orderedItems": []}


def test_instance_inbox_receives_as_the_shared_inbox_does(client, db, keys):
    activity = {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{actor_uri('stranger')}/statuses/1/activity", "type": "Create",
                "actor": actor_uri("stranger"), "to": [PUBLIC],
                "object": {"id": f"{actor_uri('stranger')}/statuses/1", "type": "Note",
                           "attributedTo": actor_uri("stranger"), "content": "<p>Hi</p>"}}
    body = json.dumps(activity).encode()
    unsigned = client.post("/actor/inbox", content=body, headers={"Content-Type": AP})
    assert unsigned.status_code == 401
    for_shared = sign_request("POST", f"{BASE}/inbox", {"Content-Type": AP}, body,
                              key_id("stranger"), keys["stranger"][0])
    assert client.post("/actor/inbox", content=body, headers=for_shared).status_code == 401
    headers = sign_request("POST", f"{BASE}/actor/inbox", {"Content-Type": AP}, body,
                           key_id("stranger"), keys["stranger"][0])
    assert client.post("/actor/inbox", content=body, headers=headers).status_code == 202
    assert db.fetchval("SELECT actor_uri FROM inbox_activities") == actor_uri("stranger")


def test_no_answer_carries_keys_or_password_hashes(client, river, db, database_url, keys):
    for kind in Visibility:
        write(database_url, river, f"A {kind.value} post", kind, [actor_uri("recipient")])
    password_hash = db.fetchval("SELECT password_hash FROM members")
    private_pems = [r["private_key_pem"] for r in db.fetch(
        "SELECT private_key_pem FROM member_keys UNION ALL "
        "SELECT private_key_pem FROM instance_actor")]
    ids = [r["id"] for r in db.fetch("SELECT id FROM posts")]
    paths = [*(f"/users/river/posts/{i}{s}" for i in ids for s in ("", "/activity")),
             "/users/river/outbox", "/users/river/outbox?page=true",
             "/users/river/followers", "/users/river/following", "/actor/outbox"]
    for viewer in (None, "follower", "recipient"):
        for path in paths:
            text = fetch(client, path, viewer, keys).text
            assert "PRIVATE KEY" not in text and "argon2" not in text
            assert password_hash not in text
            assert not any(pem.strip().splitlines()[1] in text for pem in private_pems)
