"""The instance's API answers and the empty-but-valid start-up calls."""

from __future__ import annotations

import re

import pytest

from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app


def test_instance_v2_has_version_api_versions_streaming_limits_and_rules(client):
    body = client.get("/api/v2/instance").json()
    assert body["domain"] == "testserver"
    assert body["version"].startswith("4.3.0 (compatible; Hearth ")
    assert body["api_versions"] == {"mastodon": 2}
    assert body["configuration"]["urls"]["streaming"] == "ws://testserver"
    assert body["configuration"]["statuses"]["max_characters"] == 5000
    assert body["configuration"]["media_attachments"]["supported_mime_types"]
    assert body["configuration"]["polls"]["max_options"] == 4
    assert body["registrations"] == {"enabled": True, "approval_required": False,
                                     "message": None, "url": None}
    assert body["rules"][0] == {"id": "1", "text": body["rules"][0]["text"], "hint": ""}
    assert "Be kind" in body["rules"][0]["text"]
    assert body["contact"]["account"] is None


def test_instance_v1_counts_and_registration_modes(app_factory):
    client = app_factory(registration="approval")
    body = client.get("/api/v1/instance").json()
    assert body["uri"] == "testserver"
    assert body["urls"]["streaming_api"] == "ws://testserver"
    assert body["stats"] == {"user_count": 0, "status_count": 0, "domain_count": 0}
    assert body["registrations"] is True and body["approval_required"] is True
    assert body["rules"] == client.get("/api/v1/instance/rules").json()


def test_rules_come_from_the_community_guidelines(app_factory):
    client = app_factory(rules=("One rule.", "Two rules."))
    assert client.get("/api/v1/instance/rules").json() == [
        {"id": "1", "text": "One rule.", "hint": ""},
        {"id": "2", "text": "Two rules.", "hint": ""}]


def test_peers_list_known_hosts(client, db):
    db.execute("""INSERT INTO remote_actors (uri, host, type, document)
                  VALUES ('https://peer.example/users/a', 'peer.example', 'Person', '{}')""")
    assert client.get("/api/v1/instance/peers").json() == ["peer.example"]


@pytest.mark.parametrize("path", ["/api/v1/instance/activity", "/api/v1/custom_emojis",
                                  "/api/v1/trends/tags", "/api/v1/trends/statuses",
                                  "/api/v1/trends/links"])
def test_public_start_up_lists_are_empty_lists(client, path):
    response = client.get(path)
    assert response.status_code == 200 and response.json() == []


@pytest.mark.parametrize(("path", "expected"), [
    ("/api/v1/lists", []), ("/api/v1/filters", []), ("/api/v2/filters", []),
    ("/api/v1/markers", {}), ("/api/v1/followed_tags", []), ("/api/v1/suggestions", []),
    ("/api/v2/suggestions", []), ("/api/v1/featured_tags", []),
    ("/api/v1/domain_blocks", []), ("/api/v1/announcements", []),
])
def test_member_start_up_calls_answer_empty_but_valid(client, path, expected):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    response = client.get(path, headers=bearer(token))
    assert response.status_code == 200
    assert response.json() == expected
    assert client.get(path).status_code == 401


def test_preferences_and_missing_push_subscription(client):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    prefs = client.get("/api/v1/preferences", headers=bearer(token)).json()
    assert prefs["posting:default:visibility"] == "private"
    assert prefs["reading:expand:spoilers"] is False
    push = client.get("/api/v1/push/subscription", headers=bearer(token))
    assert push.status_code == 404
    assert push.json() == {"error": "Record not found"}


def test_extended_description_and_privacy_policy_are_the_about_pages_text(app_factory):
    client = app_factory(rules=("Speak from your own experience.", "No <b>selling</b>."),
                         registration="invite")
    described = client.get("/api/v1/instance/extended_description").json()
    assert set(described) == {"updated_at", "content"}
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", described["updated_at"])
    content = described["content"]
    assert "Speak from your own experience." in content
    assert "No &lt;b&gt;selling&lt;/b&gt;." in content  # rules are text, escaped
    assert "professional" in content  # supplements, not replaces, treatment
    assert "invite link" in content and 'id="privacy-heading"' in content
    privacy = client.get("/api/v1/instance/privacy_policy/").json()
    assert "IP address" in privacy["content"] and "sobriety date" in privacy["content"]
    assert "Speak from" not in privacy["content"]
    urls = client.get("/api/v2/instance").json()["configuration"]["urls"]
    assert urls["privacy_policy"] == "http://testserver/about#privacy-heading"
    assert client.get("/api/v1/instance/translation_languages").json() == {}
    page = client.get("/about").text
    assert "Speak from your own experience." in page and "IP address" in page
