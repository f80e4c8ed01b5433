"""The inbox's front door (RELIABILITY.md 1-16, 32-35): every delivery is
verified before anything is stored; a good one is stored once and answered
202. Remote servers are an httpx2.MockTransport that records what was asked."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from starlette.testclient import TestClient

from federation.keys import generate_rsa_keypair
from federation.signatures import sign_request
from tests.conftest import make_settings, signup
from web.app import create_app

REMOTE = "https://remote.example"
ALICE = f"{REMOTE}/users/alice"
KEY_ID = f"{ALICE}#main-key"
AP = "application/activity+json"


@pytest.fixture(scope="module")
def alice_keys() -> tuple[str, str]:
    return generate_rsa_keypair()


@pytest.fixture(scope="module")
def other_keys() -> tuple[str, str]:
    return generate_rsa_keypair()


def actor_document(public_pem: str, actor: str = ALICE, key_id: str = KEY_ID) -> dict[str, Any]:
    return {"@context": ["https://www.w3.org/ns/activitystreams"], "id": actor,
            "type": "Person", "preferredUsername": actor.rsplit("/", 1)[1],
            "inbox": f"{actor}/inbox", "endpoints": {"sharedInbox": f"{REMOTE}/inbox"},
            "publicKey": {"id": key_id, "owner": actor, "publicKeyPem": public_pem}}


class Remote:
    """The other servers: documents by URL, and every request made to them."""

    def __init__(self) -> None:
        self.documents: dict[str, tuple[int, str, bytes]] = {}
        self.requests: list[httpx2.Request] = []

    def serve(self, url: str, document: dict[str, Any], status: int = 200,
              content_type: str = AP) -> None:
        self.documents[url] = (status, content_type, json.dumps(document).encode())

    def handler(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        url = str(request.url)
        if url not in self.documents:
            return httpx2.Response(404)
        status, content_type, body = self.documents[url]
        if status == 599:
            raise httpx2.ConnectTimeout("timed out", request=request)
        return httpx2.Response(status, headers={"content-type": content_type}, content=body)


@pytest.fixture
def remote(alice_keys) -> Remote:
    remote = Remote()
    remote.serve(ALICE, actor_document(alice_keys[1]))
    return remote


@pytest.fixture
def inbox(database_url, remote) -> Any:
    settings = make_settings(database_url, allow_private_network=True)

    def client_factory(policy: Any) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(remote.handler))

    with TestClient(create_app(settings, http_client_factory=client_factory),
                    base_url=settings.url) as client:
        yield client


def note(activity_id: str = f"{ALICE}/statuses/1/activity", actor: str = ALICE,
         **changes: Any) -> dict[str, Any]:
    return {"@context": "https://www.w3.org/ns/activitystreams", "id": activity_id,
            "type": "Create", "actor": actor, "to": ["https://www.w3.org/ns/activitystreams#Public"],
            "object": {"id": f"{actor}/statuses/1", "type": "Note", "attributedTo": actor,
                       "content": "<p>One day at a time</p>"}, **changes}


def signed(activity: dict[str, Any] | bytes, private_pem: str, *, key_id: str = KEY_ID,
           path: str = "/inbox", now: datetime | None = None,
           content_type: str = AP) -> tuple[bytes, dict[str, str]]:
    body = activity if isinstance(activity, bytes) else json.dumps(activity).encode()
    headers = sign_request("POST", f"http://testserver{path}", {"Content-Type": content_type},
                           body, key_id, private_pem, now=now)
    return body, headers


def post(client: TestClient, body: bytes, headers: dict[str, str], path: str = "/inbox") -> Any:
    return client.post(path, content=body, headers=headers)


def stored(db) -> int:
    return db.fetchval("SELECT count(*) FROM inbox_activities")


def test_signed_create_is_stored_once_and_answered_202(inbox, db, alice_keys, remote):
    body, headers = signed(note(), alice_keys[0])
    response = post(inbox, body, headers)
    assert response.status_code == 202
    row = db.fetch("SELECT activity_id, actor_uri, activity_type, payload FROM inbox_activities")
    assert [(r["activity_id"], r["actor_uri"], r["activity_type"]) for r in row] == [
        (f"{ALICE}/statuses/1/activity", ALICE, "Create")]
    assert json.loads(row[0]["payload"])["object"]["content"] == "<p>One day at a time</p>"
    # the key fetch was a GET signed by the instance actor
    fetch = remote.requests[0]
    assert str(fetch.url) == ALICE and fetch.method == "GET"
    assert 'keyId="http://testserver/actor#main-key"' in fetch.headers["signature"]
    assert "activity+json" in fetch.headers["accept"]


def test_replayed_request_is_accepted_without_a_second_row_line_15(inbox, db, alice_keys):
    body, headers = signed(note(), alice_keys[0])
    assert post(inbox, body, headers).status_code == 202
    assert post(inbox, body, headers).status_code == 202
    assert stored(db) == 1


def test_keys_are_cached_after_the_first_fetch(inbox, alice_keys, remote):
    for n in range(3):
        body, headers = signed(note(f"{ALICE}/activities/{n}"), alice_keys[0])
        assert post(inbox, body, headers).status_code == 202
    assert len(remote.requests) == 1


def test_member_inbox_takes_deliveries_too_and_unknown_members_404(inbox, db, alice_keys):
    signup(inbox, "river")
    body, headers = signed(note(), alice_keys[0], path="/users/river/inbox")
    assert post(inbox, body, headers, "/users/river/inbox").status_code == 202
    body, headers = signed(note(f"{ALICE}/x"), alice_keys[0], path="/users/nobody/inbox")
    assert post(inbox, body, headers, "/users/nobody/inbox").status_code == 404
    assert stored(db) == 1


def test_unsigned_post_is_refused_line_1(inbox, db):
    response = inbox.post("/inbox", content=json.dumps(note()), headers={"content-type": AP})
    assert response.status_code == 401
    assert "not signed" in response.json()["error"]
    assert stored(db) == 0


@pytest.mark.parametrize("signature", [
    "garbage", 'keyId="x"', f'keyId="{KEY_ID}",algorithm="rsa-sha256"', "", "=" * 5000,
])
def test_unparsable_signature_is_refused_line_2(inbox, db, alice_keys, signature):
    body, headers = signed(note(), alice_keys[0])
    headers["Signature"] = signature
    assert post(inbox, body, headers).status_code in (400, 401)
    assert stored(db) == 0


def test_hmac_signed_with_the_public_key_never_verifies_line_3(inbox, db, alice_keys):
    import base64
    import hashlib
    import hmac

    body, headers = signed(note(), alice_keys[0])
    signing_string = "\n".join([
        "(request-target): post /inbox", f"host: {headers['Host']}",
        f"date: {headers['Date']}", f"digest: {headers['Digest']}"])
    mac = hmac.new(alice_keys[1].encode(), signing_string.encode(), hashlib.sha256).digest()
    for algorithm in ("hmac-sha256", "hs2019"):
        headers["Signature"] = (f'keyId="{KEY_ID}",algorithm="{algorithm}",'
                                f'headers="(request-target) host date digest",'
                                f'signature="{base64.b64encode(mac).decode()}"')
        assert post(inbox, body, headers).status_code == 401
    assert stored(db) == 0


def test_body_changed_after_signing_is_refused_line_4(inbox, db, alice_keys):
    body, headers = signed(note(), alice_keys[0])
    tampered = body.replace(b"One day at a time", b"Drink with me tonight")
    assert post(inbox, tampered, headers).status_code == 401
    assert stored(db) == 0


def test_digest_that_does_not_match_is_refused_line_5(inbox, db, alice_keys):
    body, headers = signed(note(), alice_keys[0])
    headers["Digest"] = "SHA-256=" + "A" * 43 + "="
    assert post(inbox, body, headers).status_code == 401
    assert stored(db) == 0


@pytest.mark.parametrize("shift", [timedelta(hours=2), -timedelta(hours=2)])
def test_stale_or_future_dates_are_refused_line_6(inbox, db, alice_keys, shift):
    body, headers = signed(note(), alice_keys[0], now=datetime.now(UTC) + shift)
    assert post(inbox, body, headers).status_code == 401
    assert stored(db) == 0


def test_signature_for_another_path_is_refused_line_7(inbox, db, alice_keys):
    signup(inbox, "river")
    body, headers = signed(note(), alice_keys[0], path="/users/river/inbox")
    assert post(inbox, body, headers, "/inbox").status_code == 401
    assert stored(db) == 0


def test_blocked_domain_gets_403_without_any_fetch_line_8(inbox, db, alice_keys, remote):
    db.execute("INSERT INTO domain_blocks (domain) VALUES ('example')")
    body, headers = signed(note(), alice_keys[0])
    response = post(inbox, body, headers)
    assert response.status_code == 403
    assert remote.requests == []
    assert stored(db) == 0


def test_key_document_naming_another_key_is_refused_line_10(inbox, db, alice_keys, remote):
    remote.serve(ALICE, actor_document(alice_keys[1], key_id=f"{ALICE}#other-key"))
    body, headers = signed(note(), alice_keys[0])
    assert post(inbox, body, headers).status_code == 401
    assert stored(db) == 0


@pytest.mark.parametrize("content_type", ["application/json", "image/png", "text/html"])
def test_key_served_with_a_wrong_content_type_is_refused_line_11(
    inbox, db, alice_keys, remote, content_type
):
    remote.serve(ALICE, actor_document(alice_keys[1]), content_type=content_type)
    body, headers = signed(note(), alice_keys[0])
    assert post(inbox, body, headers).status_code == 401
    assert stored(db) == 0


def test_rotated_key_is_refetched_once_then_accepted_line_12(
    inbox, db, alice_keys, other_keys, remote
):
    body, headers = signed(note(), alice_keys[0])
    assert post(inbox, body, headers).status_code == 202
    remote.serve(ALICE, actor_document(other_keys[1]))  # alice rotates her key
    db.execute("UPDATE remote_actors SET fetched_at = now() - interval '2 minutes'")
    body, headers = signed(note(f"{ALICE}/activities/after"), other_keys[0])
    assert post(inbox, body, headers).status_code == 202
    assert len(remote.requests) == 2
    # a forger failing again soon after does not make us fetch again (rate limit)
    body, headers = signed(note(f"{ALICE}/activities/forged"), alice_keys[0])
    assert post(inbox, body, headers).status_code == 401
    assert len(remote.requests) == 2
    assert stored(db) == 2


def test_self_delete_with_a_gone_key_is_accepted_and_tombstoned_line_13(
    inbox, db, alice_keys, remote
):
    body, headers = signed(note(), alice_keys[0])
    post(inbox, body, headers)
    remote.serve(ALICE, {}, status=410)
    db.execute("UPDATE remote_actors SET key_id = NULL")  # nothing cached any more
    delete = {"id": f"{ALICE}#delete", "type": "Delete", "actor": ALICE, "object": ALICE,
              "to": ["https://www.w3.org/ns/activitystreams#Public"]}
    body, headers = signed(delete, alice_keys[0])
    assert post(inbox, body, headers).status_code == 202
    assert db.fetchval("SELECT gone_at IS NOT NULL FROM remote_actors") is True


def test_key_host_timing_out_is_503_never_500_line_14(inbox, db, alice_keys, remote):
    remote.serve(ALICE, {}, status=599)
    body, headers = signed(note(), alice_keys[0])
    response = post(inbox, body, headers)
    assert response.status_code == 503
    assert response.headers["retry-after"]
    assert stored(db) == 0


def test_actor_who_is_not_the_signer_is_discarded_line_16(inbox, db, alice_keys, remote):
    mallory = f"{REMOTE}/users/mallory"
    body, headers = signed(note(f"{mallory}/1", actor=mallory), alice_keys[0])
    response = post(inbox, body, headers)
    assert response.status_code == 401
    assert "not the one who signed" in response.json()["error"]
    assert stored(db) == 0


def test_activity_id_on_another_host_than_its_actor_is_refused(inbox, db, alice_keys):
    body, headers = signed(note("https://elsewhere.example/activity/1"), alice_keys[0])
    assert post(inbox, body, headers).status_code == 400
    assert stored(db) == 0


def test_body_over_one_megabyte_is_413_line_32(inbox, db, alice_keys):
    big = note(object={"id": f"{ALICE}/big", "type": "Note", "content": "x" * 1_100_000})
    body, headers = signed(big, alice_keys[0])
    assert post(inbox, body, headers).status_code == 413
    assert stored(db) == 0


def test_deeply_nested_json_is_400_line_33(inbox, db, alice_keys):
    body, headers = signed(b'{"a":' * 10_000 + b"1" + b"}" * 10_000, alice_keys[0])
    assert post(inbox, body, headers).status_code == 400
    assert stored(db) == 0


@pytest.mark.parametrize("body", [
    b"\xff\xfe not utf-8", b"not json", b"[1, 2]", b'{"type": "Create", "actor": "x"}',
    b'{"id": "x", "actor": "x"}', b'{"id": "x", "type": "Create"}',
])
def test_malformed_documents_are_400_line_34(inbox, db, alice_keys, body):
    body, headers = signed(body, alice_keys[0])
    assert post(inbox, body, headers).status_code == 400
    assert stored(db) == 0


def test_wrong_content_type_is_415_line_35(inbox, db, alice_keys):
    body, headers = signed(note(), alice_keys[0], content_type="text/plain")
    assert post(inbox, body, headers).status_code == 415
    assert stored(db) == 0


def test_ld_json_with_the_activitystreams_profile_is_accepted(inbox, alice_keys):
    ld = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'
    body, headers = signed(note(), alice_keys[0], content_type=ld)
    assert post(inbox, body, headers).status_code == 202


def test_embedded_ld_signature_changes_nothing_line_24(inbox, db, alice_keys):
    forged = note(signature={"type": "RsaSignature2017", "creator": "https://x.example/k",
                             "signatureValue": "AAAA"})
    body, headers = signed(forged, alice_keys[0])
    assert post(inbox, body, headers).status_code == 202
    assert db.fetchval("SELECT actor_uri FROM inbox_activities") == ALICE


