"""Public pages, the crisis page on every page, health, and error pages."""

from __future__ import annotations

import json
from urllib.parse import urlsplit

import pytest

from tests.conftest import signup

PAGES = ["/", "/about", "/crisis", "/signup", "/login", "/reset-password"]


@pytest.mark.parametrize("path", PAGES)
def test_every_page_links_crisis_help_and_says_it_is_not_treatment(client, path):
    response = client.get(path)
    assert response.status_code == 200
    assert 'href="/crisis"' in response.text
    assert "does not replace it" in response.text
    assert "<main" in response.text and "<nav" in response.text and "<footer" in response.text
    assert response.headers["content-security-policy"].startswith("default-src 'self'")
    assert response.headers["x-frame-options"] == "DENY"


def test_home_page_shows_the_community_and_its_guidelines(app_factory):
    client = app_factory(instance_name="Harbor Light", description="Sober Sundays and more.")
    page = client.get("/").text
    assert "<title>Welcome · Harbor Light</title>" in page
    assert "Sober Sundays and more." in page
    assert "Protect anonymity" in page
    assert 'href="/signup"' in page


def test_crisis_page_ships_the_default_lines(client):
    page = client.get("/crisis").text
    for contact in ("988", "1-800-662-4357", "116 123", "13 11 14", "findahelpline.com"):
        assert contact in page
    assert 'href="tel:+18006624357"' in page
    assert 'href="https://findahelpline.com"' in page


def test_crisis_resources_and_rules_are_configurable(database_url, tmp_path, monkeypatch):
    from starlette.testclient import TestClient

    from web.app import create_app
    from web.settings import Settings

    crisis = tmp_path / "crisis.json"
    crisis.write_text(json.dumps([{"region": "Canada", "name": "Talk Suicide Canada",
                                   "contact": "9-8-8", "href": "tel:988"}]))
    rules = tmp_path / "rules.txt"
    rules.write_text("# our rules\nListen first.\n\nNo cross-talk.\n")
    settings = Settings.load({"HEARTH_CRISIS_RESOURCES_FILE": str(crisis),
                              "HEARTH_RULES_FILE": str(rules),
                              "HEARTH_DATABASE_URL": database_url,
                              "HEARTH_URL": "http://testserver"})
    with TestClient(create_app(settings)) as client:
        page = client.get("/crisis").text
        assert "Talk Suicide Canada" in page and "Samaritans" not in page
        about = client.get("/about").text
        assert "<li>Listen first.</li>" in about and "<li>No cross-talk.</li>" in about
        assert "our rules" not in about


def test_about_page_says_how_people_join(app_factory):
    assert "Anyone can sign up" in app_factory().get("/about").text
    assert "invite link" in app_factory(registration="invite").get("/about").text
    assert "moderator approves" in app_factory(registration="approval").get("/about").text


def test_healthz_answers_when_the_database_answers(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "up"}


def test_unknown_address_gets_a_readable_404(client):
    response = client.get("/no/such/page")
    assert response.status_code == 404
    assert "There is nothing at this address" in response.text
    assert "<title>Not found · Hearth</title>" in response.text
    assert 'href="/crisis"' in response.text


def test_wrong_method_gets_405_not_500(client):
    assert client.delete("/").status_code == 405
    assert client.post("/about").status_code == 405


def test_json_clients_get_json_errors(client):
    response = client.get("/nope", headers={"accept": "application/json"})
    assert response.status_code == 404
    assert response.json() == {"error": "There is nothing at this address."}


def test_database_going_away_gives_503_never_500(client, db, pg_admin_url):
    signup(client, "still_here")
    name = urlsplit(db.url).path.lstrip("/")
    db_admin = type(db)(pg_admin_url)
    db_admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS false")
    try:
        db_admin.execute("SELECT pg_terminate_backend(pid, 5000) FROM pg_stat_activity "
                         "WHERE datname = $1 AND pid <> pg_backend_pid()", name)
        health = client.get("/healthz")
        assert health.status_code == 503
        page = client.get("/@still_here")
        assert page.status_code == 503
        assert "having trouble" in page.text
        assert page.headers["retry-after"] == "30"
    finally:
        db_admin.execute(f"ALTER DATABASE {name} WITH ALLOW_CONNECTIONS true")
    # and it recovers by itself
    assert client.get("/healthz").status_code == 200
    assert client.get("/@still_here").status_code == 200
