"""Real instances over loopback: discovery and signed deliveries between them."""

from __future__ import annotations

import json
import re
import time
from collections.abc import Callable

import pytest

from federation.keys import generate_rsa_keypair
from federation.signatures import sign_request
from tests.conftest import csrf_from, signup_over_http

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


def eventually(check: Callable[[], bool], what: str, within: float = 30.0) -> None:
    """Wait for ``check`` to hold, asking again until the deadline (each
    check is a database round trip, so this never spins idle)."""
    deadline = time.monotonic() + within
    while not check():
        if time.monotonic() > deadline:
            pytest.fail(f"{what}: not within {within:g} s")


def test_a_member_follows_someone_elsewhere_and_reads_their_posts_at_home(instances):
    """Harbor's member looks up lakeside's, follows (lakeside's member lets
    followers in without asking), and lakeside's public post reaches
    harbor's home timeline: pages, WebFinger, signed deliveries, the inbox
    and delivery workers of both processes."""
    harbor = instances("harbor")
    lakeside = instances("lakeside")
    handle = f"@quiet_owl@{lakeside.url.removeprefix('http://')}"
    with harbor.client() as river, lakeside.client() as owl:
        assert signup_over_http(river, "river_stone").status_code == 201
        assert signup_over_http(owl, "quiet_owl").status_code == 201
        unlocked = owl.post("/settings/profile", data={
            "csrf_token": csrf_from(owl.get("/settings").text),
            "display_name": "Quiet Owl", "bio": ""})
        assert unlocked.status_code == 303

        card = river.get("/search", params={"q": handle})
        assert card.status_code == 200 and "Quiet Owl" in card.text
        followed = river.post("/follow", data={
            "csrf_token": csrf_from(card.text), "target": f"{lakeside.url}/users/quiet_owl"})
        assert followed.status_code == 303
        eventually(lambda: harbor.db.fetchval("SELECT state FROM follows") == "accepted",
                   "lakeside's Accept reaching harbor")
        card = river.get("/search", params={"q": handle}).text
        assert 'class="follow-state">Following<' in card

        # A mention (of harbor's member, with the port in the handle) and a
        # hashtag travel as links and tags, and harbor keeps them so.
        river_handle = f"@river_stone@{harbor.url.removeprefix('http://')}"
        posted = owl.post("/posts", data={
            "csrf_token": csrf_from(owl.get("/home").text),
            "text": f"Ninety days today #Sober, thanks {river_handle}",
            "visibility": "public", "summary": ""})
        assert posted.status_code == 303
        eventually(lambda: harbor.db.fetchval(
            "SELECT count(*) FROM posts WHERE content_html LIKE '%Ninety days today%'") == 1,
            "lakeside's post reaching harbor")
        stored = harbor.db.fetchval("SELECT content_html FROM posts")
        assert (f'<a href="{lakeside.url}/tags/sober" class="mention hashtag" '
                'rel="tag nofollow noopener noreferrer">#<span>Sober</span></a>') in stored
        assert (f'<span class="h-card" translate="no"><a href="{harbor.url}/@river_stone" '
                'class="u-url mention" rel="nofollow noopener noreferrer">'
                f"@<span>{river_handle[1:]}</span></a></span>") in stored
        assert [r["name"] for r in harbor.db.fetch("SELECT name FROM post_tags")] == ["sober"]
        home = river.get("/home").text
        assert "Ninety days today" in home and "Quiet Owl" in home
        assert stored in home  # shown as links, not as escaped markup
        # remote posts show where they come from (remote_actors.host keeps no port yet)
        assert re.search(r'<p class="handle">@quiet_owl@127\.0\.0\.1(:\d+)?</p>', home)
        assert re.search(rf'href="{lakeside.url}/@quiet_owl/\d+" rel="nofollow noopener '
                         r'noreferrer">view on 127\.0\.0\.1', home)
