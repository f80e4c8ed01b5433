"""The OAuth consent page in a real Chromium: a member of a Mastodon app is
sent to log in, comes back to the consent page, authorizes, and the app gets
its code (out of band, and by a redirect to another origin that the page's
CSP must let through)."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx2
import pytest
from playwright.sync_api import expect

from tests import test_browser as browser_tests
from tests.conftest import PASSWORD
from tests.test_browser import _sign_up

# test_browser.py's fixtures, found by pytest under these names.
browser, chromium_path, hearth_server, open_page, shot = (
    browser_tests.browser, browser_tests.chromium_path, browser_tests.hearth_server,
    browser_tests.open_page, browser_tests.shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
OOB = "urn:ietf:wg:oauth:2.0:oob"


def _register(url: str, redirect_uri: str) -> dict[str, str]:
    with httpx2.Client(base_url=url, timeout=15) as http:
        response = http.post("/api/v1/apps", data={
            "client_name": "Tusky", "redirect_uris": redirect_uri,
            "scopes": "read write follow", "website": "https://tusky.example"})
        assert response.status_code == 200, response.text
        app: dict[str, str] = response.json()
        return app


def _token(url: str, app: dict[str, str], code: str, redirect_uri: str) -> httpx2.Response:
    with httpx2.Client(base_url=url, timeout=15) as http:
        return http.post("/oauth/token", data={
            "grant_type": "authorization_code", "code": code, "redirect_uri": redirect_uri,
            "client_id": app["client_id"], "client_secret": app["client_secret"]})


def test_member_logs_in_then_authorizes_an_app_and_sees_the_code(
        open_page, shot, hearth_server):
    app = _register(hearth_server.url, OOB)
    page = open_page(java_script_enabled=False)
    _sign_up(page, "oak_consent")
    page.get_by_role("navigation", name="Main").get_by_role("button", name="Log out").click()

    query = urlencode({"client_id": app["client_id"], "redirect_uri": OOB,
                       "response_type": "code", "scope": "read write"})
    page.goto(f"/oauth/authorize?{query}")
    expect(page.get_by_role("heading", level=1)).to_have_text("Log in")
    page.get_by_label("Username").fill("oak_consent")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Allow Tusky to use your account?")
    expect(page.get_by_text("post, edit and delete for you")).to_be_visible()
    shot(page, "1-consent")
    page.get_by_role("button", name="Authorize").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Tusky is almost connected")
    code = page.locator("#authorization-code").inner_text()
    shot(page, "2-code")
    response = _token(hearth_server.url, app, code, OOB)
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read write"


def test_authorizing_redirects_to_the_app_on_another_origin(open_page, hearth_server):
    port = urlsplit(hearth_server.url).port
    redirect_uri = f"http://localhost:{port}/about"  # another origin than 127.0.0.1
    app = _register(hearth_server.url, redirect_uri)
    page = open_page(java_script_enabled=False)
    _sign_up(page, "elm_consent")
    query = urlencode({"client_id": app["client_id"], "redirect_uri": redirect_uri,
                       "response_type": "code", "state": "s-42"})
    page.goto(f"/oauth/authorize?{query}")
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(re.compile(rf"^http://localhost:{port}/about\?code="))
    params = parse_qs(urlsplit(page.url).query)
    assert params["state"] == ["s-42"]
    assert _token(hearth_server.url, app, params["code"][0], redirect_uri).status_code == 200
