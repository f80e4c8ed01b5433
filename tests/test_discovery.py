"""WebFinger, host-meta, NodeInfo and actor documents (federation issue)."""

from __future__ import annotations

import pytest
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.hazmat.primitives.serialization import load_pem_public_key

from tests.conftest import post_form, signup

AP = "application/activity+json"
LD = 'application/ld+json; profile="https://www.w3.org/ns/activitystreams"'


@pytest.fixture
def member(client):
    signup(client, "Quiet_Owl")
    post_form(client, "/settings", "/settings/profile",
              {"display_name": "Quiet Owl", "bio": "Day 12.\n<b>bold</b>",
               "approve_followers": "yes"})
    return "Quiet_Owl"


def test_webfinger_finds_a_member_by_acct_and_by_actor_url(client, member):
    for resource in ("acct:quiet_owl@testserver", "acct:@Quiet_Owl@testserver",
                     "http://testserver/users/Quiet_Owl", "http://testserver/@quiet_owl"):
        response = client.get("/.well-known/webfinger", params={"resource": resource})
        assert response.status_code == 200, resource
        assert response.headers["content-type"].startswith("application/jrd+json")
        assert response.headers["access-control-allow-origin"] == "*"
        jrd = response.json()
        assert jrd["subject"] == "acct:Quiet_Owl@testserver"
        self_link = next(link for link in jrd["links"] if link["rel"] == "self")
        assert self_link == {"rel": "self", "type": AP,
                             "href": "http://testserver/users/Quiet_Owl"}
        page = next(link for link in jrd["links"] if "profile-page" in link["rel"])
        assert page["href"] == "http://testserver/@Quiet_Owl"


@pytest.mark.parametrize(("resource", "status"), [
    ("", 400),
    ("acct:nobody@testserver", 404),
    ("acct:quiet_owl@elsewhere.example", 404),
    ("https://elsewhere.example/users/quiet_owl", 404),
    ("mailto:quiet_owl@testserver", 404),
    ("xmpp:quiet_owl@testserver", 404),
    ("http://testserver/users/quiet_owl/extra", 404),
])
def test_webfinger_refuses_unknown_resources(client, member, resource, status):
    response = client.get("/.well-known/webfinger", params={"resource": resource})
    assert response.status_code == status
    assert "error" in response.json()


def test_webfinger_hides_pending_and_suspended_members(client, member, db):
    db.execute("UPDATE members SET status = 'pending'")
    response = client.get("/.well-known/webfinger",
                          params={"resource": "acct:quiet_owl@testserver"})
    assert response.status_code == 404


def test_webfinger_finds_the_instance_actor(client):
    response = client.get("/.well-known/webfinger",
                          params={"resource": "acct:testserver@testserver"})
    assert response.status_code == 200
    assert response.json()["links"][0]["href"] == "http://testserver/actor"


def test_host_meta_points_at_webfinger(client):
    response = client.get("/.well-known/host-meta")
    assert response.headers["content-type"].startswith("application/xrd+xml")
    assert 'template="http://testserver/.well-known/webfinger?resource={uri}"' in response.text


@pytest.mark.parametrize("schema", ["2.0", "2.1"])
def test_nodeinfo_describes_the_instance_and_nothing_private(client, member, schema):
    links = client.get("/.well-known/nodeinfo").json()["links"]
    href = next(link["href"] for link in links if link["rel"].endswith(schema))
    response = client.get(href.removeprefix("http://testserver"))
    assert response.status_code == 200
    doc = response.json()
    assert doc["version"] == schema
    assert doc["software"]["name"] == "hearth"
    assert doc["protocols"] == ["activitypub"]
    assert doc["openRegistrations"] is True
    assert doc["usage"]["users"]["total"] == 1
    assert doc["usage"]["localPosts"] == 0
    post_form(client, "/home", "/posts", {"text": "hello", "visibility": "public", "summary": ""})
    again = client.get(href.removeprefix("http://testserver")).json()
    assert again["usage"]["localPosts"] == 1
    text = response.text
    for private in ("Quiet_Owl", "Day 12", "argon2", "PRIVATE KEY"):
        assert private not in text


def test_nodeinfo_says_registrations_are_closed_unless_open(app_factory):
    client = app_factory(registration="invite")
    assert client.get("/nodeinfo/2.1").json()["openRegistrations"] is False
    assert client.get("/nodeinfo/3.0").status_code == 404


@pytest.mark.parametrize("accept", [AP, LD, f"{AP}, text/html;q=0.5"])
def test_actor_is_served_as_activitystreams_json(client, member, accept):
    response = client.get("/users/Quiet_Owl", headers={"accept": accept})
    assert response.status_code == 200
    assert response.headers["content-type"].startswith(AP)
    actor = response.json()
    base = "http://testserver/users/Quiet_Owl"
    assert actor["id"] == base and actor["type"] == "Person"
    assert actor["preferredUsername"] == "Quiet_Owl"
    assert actor["name"] == "Quiet Owl"
    assert actor["summary"] == "<p>Day 12.</p><p>&lt;b&gt;bold&lt;/b&gt;</p>"
    assert actor["inbox"] == f"{base}/inbox" and actor["outbox"] == f"{base}/outbox"
    assert actor["followers"] == f"{base}/followers"
    assert actor["endpoints"]["sharedInbox"] == "http://testserver/inbox"
    assert actor["manuallyApprovesFollowers"] is True
    assert actor["discoverable"] is False
    key = actor["publicKey"]
    assert key["id"] == f"{base}#main-key" and key["owner"] == base
    public = load_pem_public_key(key["publicKeyPem"].encode())
    assert isinstance(public, rsa.RSAPublicKey) and public.key_size == 2048


def test_profile_address_serves_the_actor_to_servers(client, member):
    response = client.get("/@Quiet_Owl", headers={"accept": AP})
    assert response.json()["id"] == "http://testserver/users/Quiet_Owl"
    assert client.get("/@Quiet_Owl").headers["content-type"].startswith("text/html")


def test_browsers_at_the_actor_url_go_to_the_profile_page(client, member):
    response = client.get("/users/Quiet_Owl", headers={"accept": "text/html"})
    assert response.status_code == 303
    assert response.headers["location"] == "/@Quiet_Owl"


def test_actor_documents_never_carry_private_data(client, member, db):
    text = client.get("/users/Quiet_Owl", headers={"accept": AP}).text
    assert "PRIVATE KEY" not in text
    assert "argon2" not in text and "password" not in text.lower()
    created = db.fetchval("SELECT created_at FROM members")
    assert f'"published":"{created:%Y-%m}-01T00:00:00Z"' in text  # month only


def test_unknown_and_pending_actors_are_404(client, member, db):
    assert client.get("/users/nobody", headers={"accept": AP}).status_code == 404
    db.execute("UPDATE members SET status = 'suspended'")
    assert client.get("/users/Quiet_Owl", headers={"accept": AP}).status_code == 404


def test_every_member_gets_a_distinct_key_pair_at_sign_up(client, app_factory, db):
    signup(client, "first_one")
    signup(app_factory(), "second_one")
    keys = db.fetch("SELECT public_key_pem, private_key_pem FROM member_keys")
    assert len(keys) == 2
    assert keys[0]["public_key_pem"] != keys[1]["public_key_pem"]
    assert all("PRIVATE KEY" in k["private_key_pem"] for k in keys)


def test_instance_actor_is_an_application_with_one_shared_key(client, app_factory):
    first = client.get("/actor", headers={"accept": AP}).json()
    assert first["type"] == "Application" and first["id"] == "http://testserver/actor"
    assert first["preferredUsername"] == "testserver"
    second = app_factory().get("/actor", headers={"accept": AP}).json()
    assert first["publicKey"]["publicKeyPem"] == second["publicKey"]["publicKeyPem"]
    assert "PRIVATE KEY" not in str(first)


def test_settings_control_follower_approval_and_discoverability(client, member):
    post_form(client, "/settings", "/settings/profile",
              {"display_name": "Quiet Owl", "bio": "", "discoverable": "yes"})
    actor = client.get("/users/Quiet_Owl", headers={"accept": AP}).json()
    assert actor["manuallyApprovesFollowers"] is False
    assert actor["discoverable"] is True
