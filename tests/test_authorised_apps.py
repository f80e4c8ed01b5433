"""Settings -> Authorised apps: a member sees the apps that hold tokens for
their account (name, website, scopes, when authorised, last used) and
revokes one: every token of theirs for it ends, and its open streams close.
In the test client end to end, and once in a real Chromium without
JavaScript."""

from __future__ import annotations

import asyncio
import re

import httpx2
import pytest
from playwright.sync_api import expect

from tests import test_browser as browser_tests
from tests.conftest import csrf_from, run, signup
from tests.helpers_api import bearer, password_token, register_app
from tests.test_api_streaming import live
from tests.test_browser import _sign_up
from web.streams import Channel, StreamClosed

# test_browser.py's fixtures, found by pytest under these names.
browser, chromium_path, hearth_server, open_page, shot = (
    browser_tests.browser, browser_tests.chromium_path, browser_tests.hearth_server,
    browser_tests.open_page, browser_tests.shot,
)

DEADLINE = 5.0


def _app_id(html: str, name: str) -> int:
    match = re.search(rf'<h2 id="app-(\d+)-name">{re.escape(name)}</h2>', html)
    assert match, f"{name} is not listed"
    return int(match.group(1))


def _revoke(client, app_id: int):
    token = csrf_from(client.get("/settings/apps").text)
    return client.post(f"/settings/apps/{app_id}/revoke", data={"csrf_token": token})


def test_settings_page_links_to_authorised_apps(client):
    signup(client, "river")
    page = client.get("/settings")
    assert '<a href="/settings/apps">Authorised apps</a>' in page.text


def test_authorised_apps_page_needs_a_login(client):
    response = client.get("/settings/apps")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings/apps"


def test_an_authorised_app_is_listed_and_revoking_it_ends_its_tokens(client):
    signup(client, "river")
    tusky = register_app(client, client_name="Tusky", website="https://tusky.example",
                         scopes="read write follow")
    elk = register_app(client, client_name="Elk")
    first = password_token(client, tusky, "river", scope="read")
    second = password_token(client, tusky, "river", scope="write follow")
    kept = password_token(client, elk, "river", scope="read")
    assert client.get("/api/v1/accounts/verify_credentials",
                      headers=bearer(first)).status_code == 200  # recorded as used

    page = client.get("/settings/apps")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    tusky_id = _app_id(page.text, "Tusky")
    section = page.text[page.text.index(f'id="app-{tusky_id}-name"'):]
    section = section[:section.index("</section>")]
    assert 'href="https://tusky.example"' in section
    assert "<code>read</code>, <code>write</code>, <code>follow</code>" in section
    assert re.search(r"<dt>Authorised</dt>\s*<dd><time datetime=", section)
    assert re.search(r"<dt>Last used</dt>\s*<dd><time datetime=", section)
    elk_section = page.text[page.text.index(f'id="app-{_app_id(page.text, "Elk")}-name"'):]
    assert "Not yet" in elk_section[:elk_section.index("</section>")]

    response = _revoke(client, tusky_id)
    assert response.status_code == 303
    assert response.headers["location"] == "/settings/apps?done=revoked"
    for token in (first, second):
        assert client.get("/api/v1/accounts/verify_credentials",
                          headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/accounts/verify_credentials",
                      headers=bearer(kept)).status_code == 200
    after = client.get("/settings/apps?done=revoked").text
    assert "Access revoked." in after
    assert "Tusky" not in after and "Elk" in after


def test_revoking_needs_the_csrf_token_and_touches_only_the_members_own_tokens(
        app_factory, db):
    river, stone = app_factory(), app_factory()
    signup(river, "river")
    signup(stone, "stone")
    app = register_app(river, client_name="Tusky")
    rivers = password_token(river, app, "river", scope="read")
    stones = password_token(stone, app, "stone", scope="read")
    app_id = _app_id(river.get("/settings/apps").text, "Tusky")

    assert river.post(f"/settings/apps/{app_id}/revoke", data={}).status_code == 403
    # stone revokes Tusky: river's token lives on
    assert _revoke(stone, app_id).status_code == 303
    assert river.get("/api/v1/accounts/verify_credentials",
                     headers=bearer(rivers)).status_code == 200
    assert river.get("/api/v1/accounts/verify_credentials",
                     headers=bearer(stones)).status_code == 401
    # an app with no tokens of theirs (any more), or none at all: 404, no 500
    for unknown in (app_id, 999_999, 2**64):
        assert _revoke(stone, unknown).status_code == 404
    assert db.fetchval("SELECT count(*) FROM oauth_tokens WHERE revoked_at IS NULL") == 1
    assert "No app can use your account." in stone.get("/settings/apps").text


def test_revoking_also_spends_the_apps_unused_authorization_codes(client, db):
    signup(client, "river")
    app = register_app(client, client_name="Tusky")
    password_token(client, app, "river", scope="read")
    member_id = db.fetchval("SELECT id FROM members WHERE username = 'river'")
    app_row = db.fetchval("SELECT id FROM oauth_apps WHERE name = 'Tusky'")
    db.execute("""INSERT INTO oauth_codes (code_hash, app_id, member_id, redirect_uri, scopes,
                                          expires_at)
                  VALUES ('\\x01', $1, $2, 'urn:ietf:wg:oauth:2.0:oob', '{read}',
                          now() + interval '5 minutes')""", app_row, member_id)
    assert _revoke(client, app_row).status_code == 303
    assert db.fetchval("SELECT count(*) FROM oauth_codes") == 0


def test_revoking_an_app_closes_its_open_streams_at_once(client, database_url):
    signup(client, "river")
    app = register_app(client, client_name="Tusky")
    tokens = {"river": password_token(client, app, "river", scope="read")}
    app_id = _app_id(client.get("/settings/apps").text, "Tusky")

    async def body() -> None:
        # the periodic check is an hour away: only the revocation's event can close it
        async with live(database_url, tokens, check_interval=3600) as hub:
            stream = await hub.stream("river", Channel("user"))
            response = await asyncio.to_thread(_revoke, client, app_id)
            assert response.status_code == 303
            with pytest.raises(StreamClosed, match="no longer valid"):
                await stream.next(DEADLINE)
            assert stream not in hub.hub.streams

    run(body())


@pytest.mark.browser
@pytest.mark.slow
def test_member_revokes_an_app_from_the_settings_page_in_a_browser(
        open_page, shot, hearth_server):
    with httpx2.Client(base_url=hearth_server.url, timeout=15) as http:
        app = http.post("/api/v1/apps", data={
            "client_name": "Ivory", "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
            "scopes": "read write", "website": "https://ivory.example"}).json()
    page = open_page(java_script_enabled=False)
    _sign_up(page, "birch_apps")
    with httpx2.Client(base_url=hearth_server.url, timeout=15) as http:
        token = password_token(http, app, "birch_apps", scope="read write")

    page.goto("/settings")
    page.get_by_role("link", name="Authorised apps").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Authorised apps")
    expect(page.get_by_role("heading", level=2, name="Ivory")).to_be_visible()
    expect(page.get_by_role("link", name="https://ivory.example")).to_be_visible()
    shot(page, "1-listed")

    page.get_by_role("button", name="Revoke Ivory").click()
    expect(page.get_by_role("status")).to_contain_text("Access revoked.")
    expect(page.get_by_role("heading", level=2, name="Ivory")).to_have_count(0)
    shot(page, "2-revoked")
    with httpx2.Client(base_url=hearth_server.url, timeout=15) as http:
        response = http.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
        assert response.status_code == 401
