"""RELIABILITY.md lines no other test file covered (tests/RELIABILITY.md maps
every line to its tests). Each test names the line it covers.

Remote servers are an httpx2.MockTransport that records what was asked
(as in test_inbox.py), or, where the bytes on the wire matter (a server
dripping its answer, an instance under load), a real HTTP server on loopback
in a thread of this process. Load and restart tests run a real `hearth serve`.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import dataclasses
import json
import logging
import re
import select
import socket
import threading
import time
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx2
import pytest
from starlette.testclient import TestClient

from federation.convert import MAX_RECIPIENTS
from federation.keys import generate_rsa_keypair
from federation.signatures import sign_request
from inbox.receive import HOSTS_TO_CLEAR_TTL, ReceiveCache
from inbox.worker import process_batch
from tests.conftest import (
    PASSWORD,
    Db,
    csrf_from,
    login,
    make_settings,
    post_form,
    recovery_codes_from,
    signup,
    signup_over_http,
)
from tests.test_inbox import ALICE, AP, KEY_ID, REMOTE, Remote, actor_document, signed
from web.app import create_app
from web.security import SESSION_COOKIE

PUBLIC = "https://www.w3.org/ns/activitystreams#Public"
THIRD = "https://third.example"
CAROL = f"{THIRD}/users/carol"


@pytest.fixture(scope="module")
def alice_keys() -> tuple[str, str]:
    return generate_rsa_keypair()


# -- helpers -------------------------------------------------------------------------


def create(number: int, actor: str = ALICE, **note: Any) -> dict[str, Any]:
    """A public Create of a Note by ``actor``; ``note`` changes the Note."""
    obj = {"id": f"{actor}/statuses/{number}", "type": "Note", "attributedTo": actor,
           "content": "<p>One day at a time</p>", "to": [PUBLIC], **note}
    return {"@context": "https://www.w3.org/ns/activitystreams",
            "id": f"{actor}/activities/{number}", "type": "Create", "actor": actor,
            "to": obj["to"], "object": obj}


@pytest.fixture
def remote(alice_keys) -> Remote:
    remote = Remote()
    remote.serve(ALICE, actor_document(alice_keys[1]))
    return remote


@pytest.fixture
def inbox(database_url, remote) -> Iterator[TestClient]:
    """An app whose other servers are ``remote`` (a MockTransport)."""
    settings = make_settings(database_url, allow_private_network=True)

    def client_factory(policy: Any) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))

    with TestClient(create_app(settings, http_client_factory=client_factory),
                    base_url=settings.url) as client:
        yield client


def deliver(client: TestClient, activity: dict[str, Any], private_pem: str,
            key_id: str = KEY_ID) -> Any:
    body, headers = signed(activity, private_pem, key_id=key_id)
    return client.post("/inbox", content=body, headers=headers)


def work(client: TestClient) -> int:
    """One batch of the inbox worker, on the app's own pool and fetcher."""
    state = client.app.state
    return int(client.portal.call(process_batch, state.pool, state.fetcher, state.settings.url))


def eventually(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    """Wait for ``check`` (a database round trip or a wait of its own) to hold."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within:g} s")


class Peer:
    """Another server on loopback, in threads of this process: serves JSON
    documents by path, and drips its answer on the paths in ``dripping``
    (a byte every 50 ms, so no single read ever times out)."""

    def __init__(self) -> None:
        self.documents: dict[str, bytes] = {}
        self.dripping: set[str] = set()
        self.requested: list[str] = []
        self._asked = threading.Condition()
        self.hung_up = threading.Event()  # a dripped-to client closed the connection
        self._closing = threading.Event()
        peer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_GET(self) -> None:
                with peer._asked:
                    peer.requested.append(self.path)
                    peer._asked.notify_all()
                if self.path in peer.dripping:
                    peer._drip(self)
                    return
                body = peer.documents.get(self.path)
                self.send_response(200 if body is not None else 404)
                self.send_header("Content-Type", AP)
                self.send_header("Content-Length", str(len(body or b"")))
                self.end_headers()
                self.wfile.write(body or b"")

            def log_message(self, format: str, *args: Any) -> None:
                pass

        class Server(ThreadingHTTPServer):
            daemon_threads = True
            request_queue_size = 256

        self._server = Server(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def serve(self, path: str, document: dict[str, Any]) -> None:
        self.documents[path] = json.dumps(document).encode()

    def wait_for_requests(self, count: int, timeout: float) -> None:
        with self._asked:
            if not self._asked.wait_for(lambda: len(self.requested) >= count, timeout):
                pytest.fail(f"{len(self.requested)} of {count} requests within {timeout:g} s")

    def _drip(self, handler: BaseHTTPRequestHandler) -> None:
        handler.send_response(200)
        handler.send_header("Content-Type", AP)
        handler.send_header("Content-Length", "100000")
        handler.end_headers()
        try:
            while not self._closing.wait(0.05):  # the remote's pace, not the test's
                handler.wfile.write(b" ")
                handler.wfile.flush()
        except OSError:
            self.hung_up.set()
        handler.close_connection = True

    def __enter__(self) -> Peer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._closing.set()
        self._server.shutdown()
        self._server.server_close()


def peer_actor(peer: Peer, name: str, public_pem: str) -> tuple[str, str]:
    """An actor served by ``peer``: its id and key id."""
    actor = f"{peer.url}/users/{name}"
    peer.serve(f"/users/{name}", {
        "@context": ["https://www.w3.org/ns/activitystreams"], "id": actor, "type": "Person",
        "preferredUsername": name, "inbox": f"{actor}/inbox",
        "publicKey": {"id": f"{actor}#main-key", "owner": actor, "publicKeyPem": public_pem}})
    return actor, f"{actor}#main-key"


def signed_for(url: str, activity: dict[str, Any], key_id: str, private_pem: str
               ) -> tuple[bytes, dict[str, str]]:
    body = json.dumps(activity).encode()
    return body, sign_request("POST", url, {"Content-Type": AP}, body, key_id, private_pem)


# -- 9: a key on a private address, through the inbox ------------------------------------


@pytest.mark.parametrize("host", [
    "127.0.0.1", "10.1.2.3", "172.16.0.9", "192.168.1.1", "169.254.169.254",
    "0.0.0.0",  # noqa: S104 (a host name in a URL here, nothing is bound)
    "[::1]", "[::]", "[::ffff:10.0.0.1]", "[fd00::1]", "[fe80::1]", "localhost",
])
def test_a_key_on_a_private_address_is_refused_before_any_connection_line_9(
    database_url, db, alice_keys, host
):
    """As in production (no private network allowed): the inbox refuses the
    delivery and its transport is never called (test_fetch.py covers every
    resolved address and every redirect hop)."""
    remote = Remote()
    settings = make_settings(database_url)

    def client_factory(policy: Any) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))

    actor = f"https://{host}/users/alice"
    with TestClient(create_app(settings, http_client_factory=client_factory),
                    base_url=settings.url) as client:
        response = deliver(client, create(1, actor=actor), alice_keys[0],
                           key_id=f"{actor}#main-key")
    assert response.status_code in (401, 403)
    assert remote.requests == []
    assert db.fetchval("SELECT count(*) FROM inbox_activities") == 0


# -- 10, 21: GoToSocial's key ids (ACTOR/main-key answers with a stub of ACTOR) ----------

GTS_PAYLOADS = Path(__file__).parent / "data" / "payloads" / "gotosocial" / "objects"


def gotosocial_actor(peer: Peer, name: str, public_pem: str) -> tuple[str, str]:
    """A GoToSocial account on ``peer``: the key's address answers with the
    stub GoToSocial serves there, the actor's with the full actor (both
    written from GoToSocial's documentation, see their _comment)."""
    actor, key_id = f"{peer.url}/users/{name}", f"{peer.url}/users/{name}/main-key"
    for path, payload in ((f"/users/{name}/main-key", "main_key.json"),
                          (f"/users/{name}", "person.json")):
        text = (GTS_PAYLOADS / payload).read_text(encoding="utf-8")
        document = json.loads(text.replace("https://gts.example", peer.url)
                              .replace("1happyturtle", name))
        document["publicKey"] = {"id": key_id, "owner": actor, "publicKeyPem": public_pem}
        peer.serve(path, document)
    return actor, key_id


def test_a_gotosocial_key_answered_with_an_actor_stub_verifies_and_stores_the_full_actor(
    served_keys, db, alice_keys
):
    client, peer = served_keys
    actor, key_id = gotosocial_actor(peer, "turtle", alice_keys[1])
    for number in (1, 2):
        body, headers = signed(create(number, actor=actor), alice_keys[0], key_id=key_id)
        assert client.post("/inbox", content=body, headers=headers).status_code == 202
    assert db.fetchval("SELECT count(*) FROM inbox_activities") == 2
    # the stub, then the full actor from its own address; then nothing more
    assert peer.requested == ["/users/turtle/main-key", "/users/turtle"]
    [row] = db.fetch("SELECT uri, key_id, inbox, manually_approves_followers "
                      "FROM remote_actors")
    assert dict(row) == {"uri": actor, "key_id": key_id, "inbox": f"{actor}/inbox",
                         "manually_approves_followers": True}


def _gotosocial_variant(peer: Peer, how: str, public_pem: str) -> tuple[str, str]:
    actor, key_id = gotosocial_actor(peer, "turtle", public_pem)
    stub = json.loads(peer.documents["/users/turtle/main-key"])
    full = json.loads(peer.documents["/users/turtle"])
    if how == "stub names another key":
        stub["publicKey"]["id"] = f"{actor}#main-key"
    elif how == "stub on another server":
        stub["id"] = stub["publicKey"]["owner"] = "https://elsewhere.example/users/turtle"
    elif how == "actor lacks the key":
        full["publicKey"]["id"] = f"{actor}#main-key"
    elif how == "actor has another pem":
        full["publicKey"]["publicKeyPem"] = generate_rsa_keypair()[1]
    elif how == "key owned elsewhere":
        stub = {"id": key_id, "type": "CryptographicKey",
                "owner": "https://elsewhere.example/users/turtle", "publicKeyPem": public_pem}
    peer.serve("/users/turtle/main-key", stub)
    peer.serve("/users/turtle", full)
    return actor, key_id


@pytest.mark.parametrize("how", ["stub names another key", "stub on another server",
                                 "actor lacks the key", "actor has another pem",
                                 "key owned elsewhere"])
def test_a_key_whose_document_is_not_its_address_is_refused_unless_its_owner_lists_it_lines_10_21(
    served_keys, db, alice_keys, how
):
    """The stub is only a pointer: the key is taken from the owner's actor,
    fetched from the key's own server at its own address, or not at all."""
    client, peer = served_keys
    actor, key_id = _gotosocial_variant(peer, how, alice_keys[1])
    body, headers = signed(create(1, actor=actor), alice_keys[0], key_id=key_id)
    assert client.post("/inbox", content=body, headers=headers).status_code == 401
    assert db.fetchval("SELECT count(*) FROM inbox_activities") == 0
    if how in ("stub names another key", "stub on another server", "key owned elsewhere"):
        assert peer.requested == ["/users/turtle/main-key"]  # nothing fetched from elsewhere


def test_a_key_document_is_accepted_through_its_owners_actor(served_keys, db, alice_keys):
    client, peer = served_keys
    actor, _ = gotosocial_actor(peer, "turtle", alice_keys[1])
    key_id = f"{peer.url}/keys/turtle"
    peer.serve("/keys/turtle", {"@context": "https://w3id.org/security/v1", "id": key_id,
                                "type": "CryptographicKey", "owner": actor,
                                "publicKeyPem": alice_keys[1]})
    full = json.loads(peer.documents["/users/turtle"])
    full["publicKey"]["id"] = key_id
    peer.serve("/users/turtle", full)
    body, headers = signed(create(1, actor=actor), alice_keys[0], key_id=key_id)
    assert client.post("/inbox", content=body, headers=headers).status_code == 202
    assert peer.requested == ["/keys/turtle", "/users/turtle"]


# -- 43: a signed request from an unavailable host ---------------------------------------


def test_a_signed_delivery_from_an_unavailable_host_makes_it_available_again_line_43(
    inbox, db, alice_keys
):
    db.execute("""INSERT INTO peer_hosts (host, failure_days, unavailable_since)
                  VALUES ('remote.example', ARRAY[current_date - 2, current_date - 1,
                          current_date], now())""")
    assert deliver(inbox, create(1), alice_keys[0]).status_code == 202
    assert db.fetchval("SELECT unavailable_since FROM peer_hosts") is None


def test_signed_deliveries_from_healthy_hosts_write_nothing_about_them_line_43(
    inbox, db, alice_keys
):
    for number in (1, 2, 3):
        assert deliver(inbox, create(number), alice_keys[0]).status_code == 202
    assert db.fetchval("SELECT count(*) FROM peer_hosts") == 0


def test_a_host_failing_since_the_inbox_last_looked_is_cleared_once_it_looks_again_line_43(
    inbox, db, alice_keys
):
    """Which hosts need clearing is read every HOSTS_TO_CLEAR_TTL seconds
    per process, so the write happens for those hosts only."""
    now = [0.0]
    inbox.app.state.inbox_cache = ReceiveCache(clock=lambda: now[0])
    assert deliver(inbox, create(1), alice_keys[0]).status_code == 202
    db.execute("""INSERT INTO peer_hosts (host, failure_days)
                  VALUES ('remote.example', ARRAY[current_date])""")
    assert deliver(inbox, create(2), alice_keys[0]).status_code == 202
    assert db.fetchval("SELECT failure_days FROM peer_hosts") != []
    now[0] += HOSTS_TO_CLEAR_TTL
    assert deliver(inbox, create(3), alice_keys[0]).status_code == 202
    assert db.fetchval("SELECT failure_days FROM peer_hosts") == []


# -- 29: nothing private in what anyone can read, nor in the logs -------------------------


def _public_reads(client: TestClient, username: str, post_ids: list[int]) -> dict[str, str]:
    """Every document anyone may read about the member and the instance, by
    path (post ids the member may not show to an anonymous reader are 404)."""
    reads = {
        f"/users/{username}": AP, f"/@{username}": AP, "/actor": AP,
        f"/.well-known/webfinger?resource=acct:{username}@testserver": "",
        f"/.well-known/webfinger?resource=http://testserver/users/{username}": "",
        "/.well-known/host-meta": "", "/.well-known/nodeinfo": "",
        "/nodeinfo/2.0": "", "/nodeinfo/2.1": "",
        f"/users/{username}/outbox": AP, f"/users/{username}/outbox?page=true": AP,
        f"/users/{username}/followers": AP, f"/users/{username}/following": AP,
        "/actor/outbox": AP, "/healthz": "",
        **{f"/users/{username}/posts/{i}{tail}": AP
           for i in post_ids for tail in ("", "/activity")},
    }
    texts = {}
    for path, accept in reads.items():
        response = client.get(path, headers={"accept": accept} if accept else {})
        assert response.status_code == 200 or (
            response.status_code == 404 and "/posts/" in path), path
        texts[path] = response.text
    missing = client.get("/no/such/thing", headers={"accept": "application/json"})
    assert missing.status_code == 404
    texts["404"] = missing.text
    refused = client.post("/inbox", content=b"{}", headers={"content-type": AP})
    assert refused.status_code == 401
    texts["POST /inbox (refused)"] = refused.text
    return texts


def test_no_public_document_log_or_error_carries_private_data_line_29(
    app_factory, db, caplog
):
    """Password, its hash, recovery codes, session tokens, private keys and
    the client's address never reach actor JSON, WebFinger, NodeInfo, the
    outbox and collections, error answers, another member's view of the
    profile, or the logs. (Sobriety dates, check-ins and journals do not
    exist yet; the bio, which a member may use for them, is public by choice.)"""
    caplog.set_level(logging.DEBUG)
    address = "203.0.113.77"
    client = app_factory()
    client.headers.update({"x-forwarded-for": address, "x-real-ip": address,
                           "forwarded": f"for={address}"})
    codes = recovery_codes_from(signup(client, "quiet_owl").text)
    assert len(codes) == 10
    client.cookies.clear()
    assert login(client, "quiet_owl", "a wrong guess!").status_code != 303
    assert login(client, "quiet_owl").status_code == 303
    session = client.cookies[SESSION_COOKIE]
    for visibility in ("public", "followers", "community"):
        posted = post_form(client, "/home", "/posts", {
            "text": f"A {visibility} post", "visibility": visibility, "summary": ""})
        assert posted.status_code == 303
    # another member, and a stranger, look at the profile
    other = app_factory()
    assert signup(other, "river_stone").status_code == 201
    seen = {}
    for who, viewer in (("another member", other), ("anonymous", app_factory())):
        page = viewer.get("/@quiet_owl")
        assert page.status_code == 200 and "A public post" in page.text
        seen[f"/@quiet_owl ({who})"] = page.text
    post_ids = [r["id"] for r in db.fetch("SELECT id FROM posts")]
    seen.update(_public_reads(app_factory(), "quiet_owl", post_ids))

    password_hash = db.fetchval("SELECT password_hash FROM members WHERE username = 'quiet_owl'")
    key_lines = [line for r in db.fetch("SELECT private_key_pem FROM member_keys UNION ALL "
                                        "SELECT private_key_pem FROM instance_actor")
                 for line in r["private_key_pem"].splitlines()[1:3]]
    secrets = {"password": PASSWORD, "wrong password": "a wrong guess!",
               "password hash": password_hash, "session cookie": session,
               "session token": session.rsplit(".", 1)[0], "address": address,
               "PEM header": "PRIVATE KEY",
               **{f"recovery code {n}": code for n, code in enumerate(codes)},
               **{f"private key line {n}": line for n, line in enumerate(key_lines)}}
    for where, text in seen.items():
        leaked = [name for name, secret in secrets.items() if secret in text]
        assert not leaked, f"{where} carries {leaked}"
    leaked = [name for name, secret in secrets.items() if secret in caplog.text]
    assert not leaked, f"the logs carry {leaked}"
    assert address not in db.dump_text()


@pytest.mark.slow
def test_a_served_instance_logs_no_client_address_and_no_access_lines_line_29(instances):
    harbor = instances("harbor")
    address = "198.51.100.23"
    with httpx2.Client(base_url=harbor.url, timeout=15,
                       headers={"x-forwarded-for": address, "x-real-ip": address}) as http:
        assert signup_over_http(http, "quiet_owl").status_code == 201
        page = http.get("/home").text
        assert http.post("/posts", data={"csrf_token": csrf_from(page), "text": "Day 30",
                                         "visibility": "public", "summary": ""}
                         ).status_code == 303
        assert http.get("/no/such/page").status_code == 404
    harbor.process.stop()
    logged = harbor.process.stderr + "".join(harbor.process.stdout)
    assert address not in logged
    assert not re.search(r'"(GET|POST) /\S* HTTP/1\.[01]"', logged)  # no access log lines
    assert PASSWORD not in logged


# -- 32: a body without a length stops being read at the limit --------------------------


@pytest.mark.slow
def test_a_chunked_body_over_the_limit_is_refused_413_while_still_arriving_line_32(instances):
    """No Content-Length to refuse up front: the inbox of a real `hearth serve`
    answers 413 once a megabyte has come in, long before the 32 MB on offer."""
    harbor = instances("harbor")
    address = urlsplit(harbor.url)
    chunk = b"x" * 65536
    offered, sent = 32 * 1024 * 1024, 0
    answer = b""
    with socket.create_connection((address.hostname, address.port), timeout=15) as sock:
        sock.sendall(b"POST /inbox HTTP/1.1\r\nHost: " + address.netloc.encode() +
                     b"\r\nContent-Type: application/activity+json\r\n"
                     b"Transfer-Encoding: chunked\r\n\r\n")
        try:
            while sent < offered and not answer:
                readable, writable, _ = select.select([sock], [sock], [], 15)
                if readable:
                    answer = sock.recv(65536)
                elif writable:
                    sock.sendall(b"%x\r\n%s\r\n" % (len(chunk), chunk))
                    sent += len(chunk)
                else:
                    pytest.fail("the server neither read nor answered for 15 s")
        except ConnectionError:  # it stopped reading and closed: its answer is waiting
            answer = answer or sock.recv(65536)
    assert answer.startswith(b"HTTP/1.1 413"), answer[:100]
    assert sent < offered / 4


# -- 36: nothing is fetched up a reply chain or through a collection ---------------------


def test_a_reply_to_an_unknown_post_fetches_neither_it_nor_any_collection_line_36(
    inbox, db, alice_keys, remote
):
    parent = f"{THIRD}/statuses/9"
    remote.serve(parent, {"id": parent, "type": "Note", "attributedTo": CAROL,
                          "inReplyTo": f"{THIRD}/statuses/8", "content": "<p>up</p>"})
    replies = {"id": f"{ALICE}/statuses/1/replies", "type": "Collection",
               "first": {"type": "CollectionPage", "next": f"{ALICE}/statuses/1/replies?page=2",
                         "items": [f"{THIRD}/statuses/10"]}}
    activity = create(1, inReplyTo=parent, replies=replies, context=f"{THIRD}/contexts/1")
    assert deliver(inbox, activity, alice_keys[0]).status_code == 202
    assert work(inbox) == 1
    [post] = db.fetch("SELECT in_reply_to_uri, in_reply_to_id, context_uri FROM posts")
    assert post["in_reply_to_uri"] == parent and post["in_reply_to_id"] is None
    assert post["context_uri"] == f"{THIRD}/contexts/1"
    assert [str(r.url) for r in remote.requests] == [ALICE]  # the key, nothing else


def test_an_announced_post_is_fetched_alone_never_its_thread_or_replies_line_36(
    inbox, db, alice_keys, remote
):
    original = f"{THIRD}/statuses/5"
    remote.serve(CAROL, actor_document("PEM", actor=CAROL, key_id=f"{CAROL}#main-key"))
    remote.serve(original, {
        "id": original, "type": "Note", "attributedTo": CAROL, "to": [PUBLIC],
        "content": "<p>a reply</p>", "inReplyTo": f"{THIRD}/statuses/4",
        "replies": {"id": f"{original}/replies", "type": "Collection",
                    "first": f"{original}/replies?page=1"},
        "context": f"{THIRD}/contexts/2"})
    for number in (1, 2, 3, 4):  # a chain the fetch could climb, were it to
        uri = f"{THIRD}/statuses/{number}"
        remote.serve(uri, {"id": uri, "type": "Note", "attributedTo": CAROL, "to": [PUBLIC],
                           "inReplyTo": f"{THIRD}/statuses/{number - 1}", "content": "<p>x</p>"})
    announce = {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{ALICE}/activities/boost", "type": "Announce", "actor": ALICE,
                "object": original, "to": [PUBLIC]}
    assert deliver(inbox, announce, alice_keys[0]).status_code == 202
    river = db.fetchval("""INSERT INTO members (username, password_hash, guidelines_accepted_at)
                           VALUES ('river', 'x', now()) RETURNING id""")
    db.execute("""INSERT INTO follows (uri, follower_member_id, followed_remote_id, state)
                  SELECT 'http://testserver/follows/1', $1, id, 'accepted'
                  FROM remote_actors WHERE uri = $2""", river, ALICE)
    assert work(inbox) == 1
    assert db.fetchval("SELECT in_reply_to_uri FROM posts WHERE uri = $1",
                       original) == f"{THIRD}/statuses/4"
    assert [str(r.url) for r in remote.requests] == [ALICE, original, CAROL]


# -- 37: ten thousand tags, mentions or recipients ---------------------------------------


def _many(n: int, template: str) -> list[str]:
    return [template.format(n=i) for i in range(n)]


@pytest.mark.parametrize("shape", ["tags", "recipients", "local addressees"])
def test_ten_thousand_tags_mentions_or_recipients_are_stored_capped_line_37(
    inbox, db, alice_keys, shape
):
    if shape == "tags":
        tags = [{"type": "Mention", "href": f"{REMOTE}/u/{n}"} for n in range(5000)]
        tags += [{"type": "Hashtag", "name": f"#t{n}"} for n in range(5000)]
        activity = create(1, tag=tags)
    elif shape == "recipients":
        activity = create(1, to=[PUBLIC, *_many(10_000, REMOTE + "/u/{n}")])
    else:  # direct, to 10,000 names that could be members here
        activity = create(1, to=_many(10_000, "http://testserver/users/m{n}"))
    assert len(json.dumps(activity)) < 1_000_000
    assert deliver(inbox, activity, alice_keys[0]).status_code == 202
    started = time.monotonic()
    assert work(inbox) == 1
    assert time.monotonic() - started < 10
    [row] = db.fetch("SELECT processed_at, last_error FROM inbox_activities")
    assert row["processed_at"] is not None and row["last_error"] is None
    posts = db.fetch("SELECT visibility, cardinality(recipients) AS n FROM posts")
    if shape == "local addressees":
        assert posts == []  # addressed to nobody here
    else:
        [post] = posts
        assert post["visibility"] == "public" and post["n"] <= MAX_RECIPIENTS


# -- 38: a key server that drips its answer ----------------------------------------------

DEADLINE = 1.0  # the fetch deadline these tests give the app (it ships with 15 s)


@pytest.fixture
def served_keys(database_url) -> Iterator[tuple[TestClient, Peer]]:
    """An app fetching from a real loopback server through its real client,
    with the total fetch deadline cut to DEADLINE."""
    settings = make_settings(database_url, allow_private_network=True)
    with Peer() as peer, TestClient(create_app(settings), base_url=settings.url) as client:
        state = client.app.state
        assert state.fetcher.policy.total_timeout <= 15
        state.fetcher = dataclasses.replace(
            state.fetcher, policy=dataclasses.replace(state.fetcher.policy, total_timeout=DEADLINE))
        yield client, peer


def test_signed_gets_waiting_on_dripping_key_servers_do_not_starve_the_site_line_38(
    served_keys, db, alice_keys
):
    """A signed GET of a post fetches an unknown signer's key; while more of
    them wait on dripping key servers than the pool has connections, pages
    still get one, and each GET, its signer unknown, is answered as anonymous."""
    client, peer = served_keys
    assert signup(client, "river").status_code == 201
    post_form(client, "/home", "/posts", {"text": "Day 30.", "visibility": "public",
                                          "summary": ""})
    client.cookies.clear()
    path = f"/users/river/posts/{db.fetchval('SELECT id FROM posts')}"
    senders, gets = 12, []
    for n in range(senders):
        _, key_id = peer_actor(peer, f"slow{n}", alice_keys[1])
        peer.dripping.add(f"/users/slow{n}")
        gets.append(sign_request("GET", f"http://testserver{path}", {"Accept": AP}, None,
                                 key_id, alice_keys[0]))
    with concurrent.futures.ThreadPoolExecutor(senders) as pool:
        answers = [pool.submit(client.get, path, headers=headers) for headers in gets]
        peer.wait_for_requests(10, timeout=10)
        started = time.monotonic()
        health = client.get("/healthz")
        waited = time.monotonic() - started
        statuses = [answer.result(timeout=30).status_code for answer in answers]
    assert statuses == [200] * senders
    assert health.status_code == 200
    assert waited < DEADLINE / 2, f"the health check waited {waited:.2f} s for a connection"


def test_a_dripping_key_server_gets_503_at_the_deadline_and_the_inbox_goes_on_line_38(
    served_keys, db, alice_keys
):
    client, peer = served_keys
    actor, key_id = peer_actor(peer, "alice", alice_keys[1])
    peer.dripping.add("/users/alice")
    started = time.monotonic()
    body, headers = signed(create(1, actor=actor), alice_keys[0], key_id=key_id)
    response = client.post("/inbox", content=body, headers=headers)
    assert response.status_code == 503 and response.headers["retry-after"]
    assert time.monotonic() - started < DEADLINE + 2
    assert peer.hung_up.wait(10), "the dripping connection was left open"
    assert db.fetchval("SELECT count(*) FROM inbox_activities") == 0
    # the request's connection and worker were given back: the next one goes through
    peer.dripping.clear()
    body, headers = signed(create(2, actor=actor), alice_keys[0], key_id=key_id)
    assert client.post("/inbox", content=body, headers=headers).status_code == 202
    assert client.get("/healthz").status_code == 200


def test_dripping_key_servers_do_not_starve_the_rest_of_the_site_line_38(
    served_keys, db, alice_keys
):
    """Deliveries waiting on slow key servers must not hold what pages need:
    while more of them wait than the database pool has connections, the
    health check still answers well before the fetch deadline."""
    client, peer = served_keys
    senders = 12  # more than the pool's 10 connections
    requests = []
    for n in range(senders):
        actor, key_id = peer_actor(peer, f"slow{n}", alice_keys[1])
        peer.dripping.add(f"/users/slow{n}")
        requests.append(signed(create(1, actor=actor), alice_keys[0], key_id=key_id))
    with concurrent.futures.ThreadPoolExecutor(senders) as pool:
        answers = [pool.submit(client.post, "/inbox", content=body, headers=headers)
                   for body, headers in requests]
        peer.wait_for_requests(10, timeout=10)  # every pool connection is held by now
        started = time.monotonic()
        health = client.get("/healthz")
        waited = time.monotonic() - started
        statuses = [answer.result(timeout=30).status_code for answer in answers]
    assert statuses == [503] * senders
    assert health.status_code == 200
    assert waited < DEADLINE / 2, f"the health check waited {waited:.2f} s for a connection"


# -- 48: the database going away and coming back ----------------------------------------


class Outage:
    """Takes the test's database away as a restart does: no new connections,
    and every open one ended; ``end()`` lets connections in again."""

    def __init__(self, db: Db, pg_admin_url: str) -> None:
        self.name = urlsplit(db.url).path.lstrip("/")
        self.admin = Db(pg_admin_url)

    def begin(self) -> None:
        self.admin.execute(f"ALTER DATABASE {self.name} WITH ALLOW_CONNECTIONS false")
        self.admin.execute(
            "SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
            "WHERE datname = $1 AND pid <> pg_backend_pid()", self.name)

    def end(self) -> None:
        self.admin.execute(f"ALTER DATABASE {self.name} WITH ALLOW_CONNECTIONS true")


@pytest.fixture
def outage(db, pg_admin_url) -> Iterator[Outage]:
    cut = Outage(db, pg_admin_url)
    yield cut
    cut.end()


def test_inbox_answers_503_while_the_database_refuses_and_recovers_by_itself_line_48(
    inbox, db, alice_keys, outage
):
    assert deliver(inbox, create(1), alice_keys[0]).status_code == 202
    outage.begin()
    response = deliver(inbox, create(2), alice_keys[0])
    assert response.status_code == 503 and response.headers["retry-after"]
    assert deliver(inbox, create(3), alice_keys[0]).status_code == 503
    outage.end()
    assert deliver(inbox, create(2), alice_keys[0]).status_code == 202
    assert db.fetchval("SELECT count(*) FROM inbox_activities") == 2
    assert work(inbox) == 2


def test_a_delivery_whose_query_is_cut_off_by_a_restart_gets_503_never_500_line_48(
    inbox, db, alice_keys, outage
):
    assert deliver(inbox, create(1), alice_keys[0]).status_code == 202  # key cached
    loop = asyncio.new_event_loop()
    holder = loop.run_until_complete(asyncpg.connect(db.url))
    try:
        # hold the inbox table so the next delivery waits inside its INSERT
        loop.run_until_complete(holder.execute(
            "BEGIN; LOCK TABLE inbox_activities IN ACCESS EXCLUSIVE MODE"))
        with concurrent.futures.ThreadPoolExecutor(1) as pool:
            answer = pool.submit(deliver, inbox, create(2), alice_keys[0])
            eventually(lambda: db.fetchval(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
                "AND wait_event_type = 'Lock'") == 1, "the delivery waiting in its INSERT")
            outage.begin()
            response = answer.result(timeout=30)
    finally:
        holder.terminate()  # ended by the outage too, as a restart ends every connection
        loop.run_until_complete(asyncio.sleep(0))  # one turn: the socket is closed
        loop.close()
    assert response.status_code == 503 and response.headers["retry-after"]
    outage.end()
    assert deliver(inbox, create(2), alice_keys[0]).status_code == 202


# -- 47 and 48 under load: a real `hearth serve` ----------------------------------------

Answer = tuple[int, str | None]  # status (0: no answer at all) and Retry-After


class Burst:
    """Signed deliveries sent at once from a thread of their own, up to
    ``concurrency`` in flight; their answers are kept as they come."""

    def __init__(self, url: str, requests: list[tuple[bytes, dict[str, str]]],
                 concurrency: int = 100) -> None:
        self.url, self.requests, self.concurrency = url, requests, concurrency
        self.answers: list[Answer | None] = [None] * len(requests)
        self._done = 0
        self._changed = threading.Condition()
        self._thread = threading.Thread(target=lambda: asyncio.run(self._send_all()), daemon=True)
        self._thread.start()

    async def _send_all(self) -> None:
        limits = httpx2.Limits(max_connections=self.concurrency)
        async with httpx2.AsyncClient(timeout=60, limits=limits) as http:
            await asyncio.gather(*(self._send(http, n) for n in range(len(self.requests))))

    async def _send(self, http: httpx2.AsyncClient, n: int) -> None:
        body, headers = self.requests[n]
        try:
            response = await http.post(self.url, content=body, headers=headers)
            answer: Answer = (response.status_code, response.headers.get("retry-after"))
        except httpx2.HTTPError as exc:
            answer = (0, type(exc).__name__)
        with self._changed:
            self.answers[n] = answer
            self._done += 1
            self._changed.notify_all()

    def wait_for(self, count: int, timeout: float) -> None:
        with self._changed:
            if not self._changed.wait_for(lambda: self._done >= count, timeout):
                pytest.fail(f"{self._done} of {count} answers within {timeout:g} s")

    def finish(self, timeout: float = 120) -> list[Answer]:
        self.wait_for(len(self.requests), timeout)
        self._thread.join(timeout)
        return [answer for answer in self.answers if answer is not None]


def _creates(url: str, senders: list[tuple[str, str]], private_pem: str, numbers: range
             ) -> tuple[list[str], list[tuple[bytes, dict[str, str]]]]:
    """Signed Creates, numbered, from the senders in turn: their ids and requests."""
    activities = [create(n, actor=senders[n % len(senders)][0]) for n in numbers]
    requests = [signed_for(url, activity, senders[n % len(senders)][1], private_pem)
                for n, activity in zip(numbers, activities, strict=True)]
    return [activity["id"] for activity in activities], requests


def _refusals_say_when_to_retry(answers: list[Answer], allowed: set[int]) -> None:
    statuses = {status for status, _ in answers}
    assert statuses <= allowed, f"answers outside {allowed}: {sorted(statuses - allowed)}"
    assert all(retry_after for status, retry_after in answers if status in (429, 503))


def _stored_ids(db: Db) -> set[str]:
    return {r["activity_id"] for r in db.fetch("SELECT activity_id FROM inbox_activities")}


BURST = 500
DATABASE_RESTART_BUG = (
    "known bug: a pooled connection that has read the server's FATAL 57P01 "
    "(terminating connection due to administrator command) but not yet its close is "
    "still handed out; its next query, or pool.release()'s reset, raises "
    "asyncpg.InternalClientError ('cannot switch to state N; another operation (2) is "
    "in progress'), which web.app.DATABASE_DOWN does not list, so the request gets a "
    "500 and uvicorn drops the keep-alive connection")


@pytest.mark.slow
def test_a_burst_of_signed_deliveries_is_stored_or_told_when_to_retry_line_47(
    instances, alice_keys
):
    """Five senders, none known yet, deliver 500 Creates with 100 in flight
    at once: every one is answered 202, or 429/503 with Retry-After; every
    202 is in inbox_activities, and the worker in the process makes each a post."""
    harbor = instances("harbor")
    with Peer() as peer:
        senders = [peer_actor(peer, f"sender{n}", alice_keys[1]) for n in range(5)]
        ids, requests = _creates(f"{harbor.url}/inbox", senders, alice_keys[0], range(BURST))
        answers = Burst(f"{harbor.url}/inbox", requests).finish()
        try:
            _refusals_say_when_to_retry(answers, {202, 429, 503})
        except AssertionError as exc:
            log = harbor.process.stderr
            start = max(log.find("ERROR"), 0)
            raise AssertionError(f"{exc}\nserver log:\n{log[start:start + 5000]}") from None
        accepted = {ids[n] for n, (status, _) in enumerate(answers) if status == 202}
        assert accepted, "nothing at all was accepted"
        stored = _stored_ids(harbor.db)
        assert accepted <= stored <= set(ids)
        eventually(lambda: harbor.db.fetchval(
            "SELECT count(*) FROM inbox_activities WHERE processed_at IS NULL") == 0,
            "the worker processing the burst", within=60)
        assert harbor.db.fetchval("SELECT count(*) FROM posts") == len(stored)
    assert "Traceback" not in harbor.process.stderr


@pytest.mark.slow
def test_a_database_restart_under_load_fails_cleanly_and_heals_by_itself_line_48(
    instances, pg_admin_url, alice_keys
):
    """While deliveries pour in, the database goes away (every connection
    ended, new ones refused) and comes back: each request is answered 202 or
    503 with Retry-After, never 500 nor left hanging; every 202 is stored;
    and once the database is back, deliveries are accepted and processed
    again without anyone restarting Hearth."""
    harbor = instances("harbor")
    outage = Outage(harbor.db, pg_admin_url)
    with Peer() as peer, httpx2.Client(base_url=harbor.url, timeout=15) as http:
        senders = [peer_actor(peer, f"sender{n}", alice_keys[1]) for n in range(5)]
        ids, requests = _creates(f"{harbor.url}/inbox", senders, alice_keys[0], range(BURST))
        burst = Burst(f"{harbor.url}/inbox", requests)
        burst.wait_for(100, timeout=60)
        outage.begin()
        try:
            burst.wait_for(300, timeout=60)
            health = http.get("/healthz")
            assert health.status_code == 503
        finally:
            outage.end()
        answers = burst.finish()
        unclean = [answer for answer in answers if answer[0] in (0, 500)]
        _refusals_say_when_to_retry([a for a in answers if a not in unclean], {202, 503})
        assert 503 in {status for status, _ in answers}, "the outage went unnoticed"
        accepted = {ids[n] for n, (status, _) in enumerate(answers) if status == 202}
        assert accepted <= _stored_ids(harbor.db) <= set(ids)

        assert http.get("/healthz").status_code == 200
        after_ids, after = _creates(f"{harbor.url}/inbox", senders, alice_keys[0],
                                    range(BURST, BURST + 50))
        assert {status for status, _ in Burst(f"{harbor.url}/inbox", after).finish()} == {202}
        eventually(lambda: harbor.db.fetchval(
            "SELECT count(*) FROM inbox_activities WHERE processed_at IS NOT NULL "
            "AND activity_id = ANY($1::text[])", after_ids) == len(after_ids),
            "the worker processing deliveries again", within=60)
    assert not unclean, (f"500s or dropped connections during the restart: {unclean[:5]}\n"
                         + harbor.process.stderr[-4000:])
    assert "Traceback" not in harbor.process.stderr
