"""Real instances over loopback: discovery and signed deliveries between them."""

from __future__ import annotations

import json

import pytest

from federation.keys import generate_rsa_keypair
from federation.signatures import sign_request
from tests.conftest import signup_over_http

pytestmark = pytest.mark.slow

AP = "application/activity+json"


def test_a_peer_finds_a_member_through_webfinger_and_reads_their_actor(instances):
    harbor = instances("harbor")
    lakeside = instances("lakeside")
    with harbor.client() as http:
        assert signup_over_http(http, "river_stone").status_code == 201
    domain = harbor.url.removeprefix("http://")
    with lakeside.client() as peer:  # what lakeside's server would send
        jrd = peer.get(f"{harbor.url}/.well-known/webfinger",
                       params={"resource": f"acct:river_stone@{domain}"}).json()
        actor_url = next(link["href"] for link in jrd["links"] if link["rel"] == "self")
        assert actor_url == f"{harbor.url}/users/river_stone"
        actor = peer.get(actor_url, headers={"accept": AP})
    assert actor.headers["content-type"].startswith(AP)
    assert actor.json()["id"] == actor_url
    assert actor.json()["inbox"] == f"{actor_url}/inbox"
    # the two instances are separate communities with separate databases
    assert lakeside.db.fetchval("SELECT count(*) FROM members") == 0
    assert harbor.db.fetchval("SELECT count(*) FROM members") == 1


def test_a_delivery_signed_by_a_member_of_another_instance_is_verified_and_stored(instances):
    """Real HTTP both ways: harbor's inbox fetches lakeside's actor to check
    the signature of what lakeside's member sent."""
    harbor = instances("harbor")
    lakeside = instances("lakeside")
    with lakeside.client() as http:
        assert signup_over_http(http, "quiet_owl").status_code == 201
    private_pem = lakeside.db.fetchval("SELECT private_key_pem FROM member_keys")
    actor = f"{lakeside.url}/users/quiet_owl"
    activity = {"@context": "https://www.w3.org/ns/activitystreams",
                "id": f"{actor}/activities/1", "type": "Create", "actor": actor,
                "object": {"id": f"{actor}/posts/1", "type": "Note", "attributedTo": actor,
                           "content": "<p>90 days today</p>"}}
    body = json.dumps(activity).encode()
    headers = sign_request("POST", f"{harbor.url}/inbox", {"Content-Type": AP}, body,
                           f"{actor}#main-key", private_pem)
    with harbor.client() as http:
        response = http.post("/inbox", content=body, headers=headers)
        assert response.status_code == 202, response.text
        replay = http.post("/inbox", content=body, headers=headers)
        assert replay.status_code == 202
    assert harbor.db.fetchval("SELECT count(*) FROM inbox_activities") == 1
    assert harbor.db.fetchval("SELECT uri FROM remote_actors") == actor
    # and a forgery with another key is refused, nothing stored
    forged_headers = sign_request("POST", f"{harbor.url}/inbox", {"Content-Type": AP},
                                  body.replace(b"/1", b"/2"), f"{actor}#main-key",
                                  generate_rsa_keypair()[0])
    with harbor.client() as http:
        forged = http.post("/inbox", content=body.replace(b"/1", b"/2"), headers=forged_headers)
    assert forged.status_code == 401
    assert harbor.db.fetchval("SELECT count(*) FROM inbox_activities") == 1
