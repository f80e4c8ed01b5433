"""Two real instances over loopback: one finds the other's members the way a
peer server does (WebFinger, then the actor document)."""

from __future__ import annotations

import pytest

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
