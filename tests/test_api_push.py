"""Web Push (docs.joinmastodon.org/methods/push): subscription CRUD per
access token, bad input refused with nothing stored, and real pushes to a
real HTTP receiver on 127.0.0.1 that decrypts them with the subscription's
private key (RFC 8291) and checks the VAPID JWT (RFC 8292); a push service
that answers 410 loses the subscription, a failing one is retried later, a
revoked token's subscription goes, and nothing private is ever pushed."""

from __future__ import annotations

import asyncio
import base64
import json
import os
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import asyncpg
import http_ece
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from mastodon import Mastodon
from py_vapid import Vapid02
from py_vapid import jwt as vapid_jwt

from federation.fetch import FetchPolicy, make_client
from recovery import notifications
from tests.conftest import run, signup
from tests.helpers_api import bearer, password_token, register_app
from web.workers import JOBS, JobContext, run_once

URL = "/api/v1/push/subscription"
ALL_ALERTS = ("mention", "status", "reblog", "follow", "follow_request", "favourite", "poll",
              "update", "admin.sign_up", "admin.report")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


# -- a push service on 127.0.0.1 ---------------------------------------------------

@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes


@dataclass
class PushService:
    """Answers 201, or the status its path asks for (/status/410)."""

    base: str = ""
    received: list[Received] = field(default_factory=list)


@pytest.fixture(scope="module")
def service() -> Iterator[PushService]:
    found = PushService()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("content-length", "0")))
            found.received.append(Received(self.path, dict(self.headers.items()), body))
            parts = self.path.split("/")
            status = int(parts[2]) if len(parts) > 2 and parts[1] == "status" else 201
            self.send_response(status)
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    found.base = f"http://127.0.0.1:{server.server_address[1]}"
    yield found
    server.shutdown()
    server.server_close()
    thread.join()


@dataclass
class Device:
    """An app's side of a subscription: its key pair and auth secret."""

    key: ec.EllipticCurvePrivateKey
    auth: bytes

    @classmethod
    def new(cls) -> Device:
        return cls(ec.generate_private_key(ec.SECP256R1()), os.urandom(16))

    @property
    def p256dh(self) -> str:
        return _b64(self.key.public_key().public_bytes(
            serialization.Encoding.X962, serialization.PublicFormat.UncompressedPoint))

    def decrypt(self, body: bytes) -> dict[str, Any]:
        plain = http_ece.decrypt(body, private_key=self.key, auth_secret=self.auth,
                                 version="aes128gcm")
        found: dict[str, Any] = json.loads(plain)
        return found


# -- helpers -----------------------------------------------------------------------

def _token(client: Any, name: str, scope: str = "read write follow push") -> str:
    signup(client, name)
    return password_token(client, register_app(client), name, scope=scope)


def _subscribe(client: Any, token: str, endpoint: str, device: Device,
               **data: str) -> Any:
    return client.post(URL, headers=bearer(token), data={
        "subscription[endpoint]": endpoint, "subscription[keys][p256dh]": device.p256dh,
        "subscription[keys][auth]": _b64(device.auth), **data})


def _post(client: Any, token: str, text: str) -> str:
    answer = client.post("/api/v1/statuses", headers=bearer(token),
                         data={"status": text, "visibility": "public"})
    assert answer.status_code == 200, answer.text
    status_id: str = answer.json()["id"]
    return status_id


def _send_pushes(client: Any, database_url: str) -> dict[str, int]:
    """The push job once, in the app's loop, over a client that may reach
    loopback (as tests do with HEARTH_ALLOW_PRIVATE_NETWORK)."""
    from tests.conftest import make_settings

    settings = make_settings(database_url, allow_private_network=True)
    [job] = [job for job in JOBS if job.name == "send-pushes"]

    async def once() -> dict[str, int]:
        http = make_client(FetchPolicy(user_agent="Hearth test", allow_private=True))
        try:
            return await run_once(client.app.state.pool, (job,),
                                  JobContext(http, settings, asyncio.Event()))
        finally:
            await http.aclose()

    done: dict[str, int] = client.portal.call(once)
    return done


# -- subscriptions -----------------------------------------------------------------

def test_subscription_is_created_shown_changed_and_removed_per_token(client, db, service):
    token = _token(client, "river")
    device = Device.new()
    created = _subscribe(client, token, f"{service.base}/push/river", device,
                         **{"data[alerts][mention]": "true", "data[alerts][follow]": "1",
                            "data[alerts][favourite]": "false", "data[policy]": "followed"})
    assert created.status_code == 200, created.text
    entity = created.json()
    server_key = client.get("/api/v2/instance").json()["configuration"]["vapid"]["public_key"]
    assert len(_unb64(server_key)) == 65 and _unb64(server_key)[0] == 4
    assert entity == {
        "id": entity["id"], "endpoint": f"{service.base}/push/river", "standard": False,
        "alerts": {a: a in ("mention", "follow") for a in ALL_ALERTS},
        "policy": "followed", "server_key": server_key}
    assert client.get(URL, headers=bearer(token)).json() == entity

    changed = client.put(URL, headers=bearer(token), json={
        "data": {"alerts": {"favourite": True, "reblog": True}, "policy": "all"}})
    assert changed.status_code == 200, changed.text
    assert changed.json()["policy"] == "all"
    assert [a for a, on in changed.json()["alerts"].items() if on] == ["reblog", "favourite"]

    other = password_token(client, register_app(client), "river")  # another app, same member
    assert client.get(URL, headers=bearer(other)).status_code == 404
    again = _subscribe(client, token, f"{service.base}/push/river2", device)
    assert again.json()["endpoint"].endswith("/push/river2")
    assert db.fetchval("SELECT count(*) FROM push_subscriptions") == 1
    assert token not in db.dump_text()  # sealed, as oauth_tokens keeps only hashes

    assert client.delete(URL, headers=bearer(token)).json() == {}
    assert client.get(URL, headers=bearer(token)).status_code == 404
    assert client.delete(URL, headers=bearer(token)).status_code == 200
    assert db.fetchval("SELECT count(*) FROM push_subscriptions") == 0


BAD_INPUT = [
    ("subscription[endpoint]", "http://push.example/abc"),  # http only to loopback
    ("subscription[endpoint]", "ftp://push.example/abc"),
    ("subscription[endpoint]", "https://user:secret@push.example/abc"),
    ("subscription[endpoint]", "not a url"),
    ("subscription[endpoint]", ""),
    ("subscription[endpoint]", "https://push.example/" + "a" * 2100),
    ("subscription[keys][p256dh]", _b64(b"\x04" + b"\x01" * 64)),  # not on the curve
    ("subscription[keys][p256dh]", "%%%"),
    ("subscription[keys][auth]", _b64(b"short")),
    ("data[policy]", "everyone"),
]


def test_bad_input_is_refused_with_422_and_nothing_stored_and_push_scope_needed(client, db):
    token = _token(client, "river")
    device = Device.new()
    for name, value in BAD_INPUT:
        data = {"subscription[endpoint]": "https://push.example/abc",
                "subscription[keys][p256dh]": device.p256dh,
                "subscription[keys][auth]": _b64(device.auth), name: value}
        answer = client.post(URL, headers=bearer(token), data=data)
        assert answer.status_code == 422, (name, value, answer.text)
        assert answer.json()["error"].startswith("Validation failed")
    assert db.fetchval("SELECT count(*) FROM push_subscriptions") == 0
    assert client.put(URL, headers=bearer(token),
                      data={"data[policy]": "all"}).status_code == 404
    without_push = password_token(client, register_app(client), "river", scope="read write")
    assert client.get(URL, headers=bearer(without_push)).status_code == 403
    assert client.get(URL).status_code == 401


def test_revoking_the_token_removes_its_subscription(client, db, service):
    signup(client, "river")
    app = register_app(client)
    token = password_token(client, app, "river")
    assert _subscribe(client, token, f"{service.base}/push/r", Device.new()).status_code == 200
    revoked = client.post("/oauth/revoke", data={
        "client_id": app["client_id"], "client_secret": app["client_secret"], "token": token})
    assert revoked.status_code == 200, revoked.text
    assert db.fetchval("SELECT count(*) FROM push_subscriptions") == 0


# -- sending -----------------------------------------------------------------------

def test_a_mention_is_pushed_encrypted_and_vapid_signed(client, db, service, database_url):
    river, sky = _token(client, "river"), _token(client, "sky")
    device = Device.new()
    path = "/push/mention"
    assert _subscribe(client, river, service.base + path, device, **{
        "subscription[standard]": "true", "data[alerts][mention]": "true"}).status_code == 200
    text = "@river " + "well done on the week, " * 10
    _post(client, sky, text)
    assert _send_pushes(client, database_url) == {"send-pushes": 1}

    # the receiver records a push before answering it, so it is here already
    [push] = [r for r in service.received if r.path == path]
    headers = {k.lower(): v for k, v in push.headers.items()}
    assert headers["content-encoding"] == "aes128gcm"
    assert headers["ttl"] == str(48 * 3600) and headers["urgency"] == "high"
    payload = device.decrypt(push.body)
    [note] = client.get("/api/v1/notifications", headers=bearer(river)).json()
    assert payload["access_token"] == river
    assert payload["notification_id"] == int(note["id"])
    assert payload["notification_type"] == "mention"
    assert payload["preferred_locale"] == "en"
    assert payload["title"] == "You were mentioned by sky"
    assert payload["icon"] == note["account"]["avatar_static"]
    assert payload["body"].startswith("@river well done on the week")
    assert len(payload["body"]) <= 140

    scheme, _, value = headers["authorization"].partition(" ")
    assert scheme == "vapid" and Vapid02.verify(headers["authorization"])
    parts = dict(p.split("=", 1) for p in value.split(","))
    server_key = client.get("/api/v2/instance").json()["configuration"]["vapid"]["public_key"]
    assert parts["k"] == server_key
    claims = vapid_jwt.decode(parts["t"], parts["k"])  # raises unless the signature holds
    assert claims["aud"] == service.base and claims["sub"] == "http://testserver"
    assert time.time() < claims["exp"] <= time.time() + 24 * 3600
    assert db.fetchval("SELECT count(*) FROM push_jobs") == 0


def test_an_app_that_does_not_ask_for_the_standard_gets_mastodon_s_legacy_push(
        client, service, database_url):
    """As Mastodon before 4.4: aesgcm with Encryption and Crypto-Key headers,
    a ``WebPush`` JWT; decrypted here by Mastodon.py as its apps do."""
    river, sky = _token(client, "river"), _token(client, "sky")
    api = Mastodon(api_base_url="http://127.0.0.1:9", version_check_mode="none")
    private, public = api.push_subscription_generate_keys()
    path = "/push/legacy"
    answer = client.post(URL, headers=bearer(river), data={  # as Mastodon.py sends it
        "subscription[endpoint]": service.base + path,
        "subscription[keys][p256dh]": base64.b64encode(public["pubkey"]).decode(),
        "subscription[keys][auth]": base64.b64encode(public["auth"]).decode(),
        "policy": "all", "data[alerts][favourite]": "1"})
    assert answer.status_code == 200, answer.text
    assert answer.json()["standard"] is False
    status = _post(client, river, "Day 12 <b>and</b> counting")
    client.post(f"/api/v1/statuses/{status}/favourite", headers=bearer(sky))
    assert _send_pushes(client, database_url) == {"send-pushes": 1}

    [push] = [r for r in service.received if r.path == path]
    headers = {k.lower(): v for k, v in push.headers.items()}
    assert headers["content-encoding"] == "aesgcm" and headers["urgency"] == "normal"
    shown = api.push_subscription_decrypt_push(push.body, private, headers["encryption"],
                                               headers["crypto-key"])
    assert shown["notification_type"] == "favourite"
    assert shown["access_token"] == river
    assert shown["title"] == "sky favourited your post"
    assert shown["body"] == "Day 12 <b>and</b> counting"  # the text, as the member wrote it
    scheme, _, token = headers["authorization"].partition(" ")
    server_key = headers["crypto-key"].split("p256ecdsa=")[1]
    assert scheme == "WebPush"
    assert server_key == answer.json()["server_key"]
    assert vapid_jwt.decode(token, server_key)["aud"] == service.base


def test_only_wanted_alerts_from_the_policy_s_accounts_are_queued(client, db, service):
    river, sky = _token(client, "river"), _token(client, "sky")
    assert _subscribe(client, river, f"{service.base}/push/p", Device.new(), **{
        "data[alerts][mention]": "true", "data[policy]": "followed"}).status_code == 200
    status = _post(client, river, "Day 3")
    client.post(f"/api/v1/statuses/{status}/favourite", headers=bearer(sky))  # alert off
    _post(client, sky, "@river hi")
    assert db.fetchval("SELECT count(*) FROM push_jobs") == 0  # river does not follow sky
    sky_id = client.get("/api/v1/accounts/verify_credentials", headers=bearer(sky)).json()["id"]
    db.execute("UPDATE members SET manually_approves_followers = false")
    assert client.post(f"/api/v1/accounts/{sky_id}/follow",
                       headers=bearer(river)).status_code == 200
    _post(client, sky, "@river again")
    assert db.fetchval("SELECT count(*) FROM push_jobs") == 1


def test_a_milestone_is_never_pushed(client, db, service):
    river = _token(client, "river")
    assert _subscribe(client, river, f"{service.base}/push/m", Device.new(), **{
        f"data[alerts][{a}]": "true" for a in ALL_ALERTS}).status_code == 200
    member_id = db.fetchval("SELECT id FROM members WHERE username = 'river'")

    async def milestone() -> None:
        conn = await asyncpg.connect(db.url)
        try:
            await notifications.notify(conn, member_id, "milestone",
                                       {"days": 30, "key": "30d"})
        finally:
            await conn.close()

    run(milestone())
    assert db.fetchval("SELECT count(*) FROM notifications") == 1
    assert db.fetchval("SELECT count(*) FROM push_jobs") == 0


def test_a_gone_subscription_is_removed_and_a_failing_one_retried(
        client, db, service, database_url):
    river, sky, lake = _token(client, "river"), _token(client, "sky"), _token(client, "lake")
    for token, path in ((river, "/status/410"), (sky, "/status/503")):
        assert _subscribe(client, token, service.base + path, Device.new(),
                          **{"data[alerts][mention]": "true"}).status_code == 200
    _post(client, lake, "@river @sky hi")
    assert db.fetchval("SELECT count(*) FROM push_jobs") == 2
    assert _send_pushes(client, database_url) == {"send-pushes": 2}

    [kept] = db.fetch("SELECT s.endpoint FROM push_subscriptions s")
    assert kept["endpoint"].endswith("/status/503")
    [job] = db.fetch("""SELECT attempts, next_attempt_at - now() AS wait FROM push_jobs""")
    assert job["attempts"] == 1 and 20 < job["wait"].total_seconds() <= 30
    assert _send_pushes(client, database_url) == {"send-pushes": 0}  # not due yet
    db.execute("UPDATE push_jobs SET next_attempt_at = now(), attempts = 4")
    assert _send_pushes(client, database_url) == {"send-pushes": 1}
    assert db.fetchval("SELECT count(*) FROM push_jobs") == 0  # 5 attempts: dropped
    assert db.fetchval("SELECT count(*) FROM push_subscriptions") == 1
