"""Media in a real Chromium: a member sets an avatar from the settings page,
and a post's image shows under it with its alt text.

The server, browser and screenshot fixtures are test_browser.py's (this
module gets a server of its own); screenshots go to
test-output/screenshots/ with the others."""

from __future__ import annotations

import httpx2
import pytest
from playwright.sync_api import expect

from tests import test_browser as browser_tests
from tests.conftest import PASSWORD
from tests.helpers_media import image_bytes, jpeg_with_gps
from tests.test_browser import _PAGE_FACTS, _sign_up

browser, chromium_path, hearth_server, open_page, shot = (
    browser_tests.browser, browser_tests.chromium_path, browser_tests.hearth_server,
    browser_tests.open_page, browser_tests.shot,
)

pytestmark = [pytest.mark.browser, pytest.mark.slow]
ALT = "A sunrise over the lake on my thirtieth day"


def _token(url: str, username: str) -> str:
    with httpx2.Client(base_url=url, timeout=15) as http:
        app = http.post("/api/v1/apps", data={"client_name": "Browser test",
                                              "redirect_uris": "urn:ietf:wg:oauth:2.0:oob",
                                              "scopes": "read write"}).json()
        token = http.post("/oauth/token", data={
            "grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": username,
            "password": PASSWORD, "scope": "read write"}).json()
    access: str = token["access_token"]
    return access


def test_a_member_sets_an_avatar_and_sees_a_posts_image_with_its_alt_text(
        open_page, shot, hearth_server, tmp_path):
    page = open_page()
    _sign_up(page, "lake_walker")
    page.goto("/settings")
    avatar = tmp_path / "me.jpg"
    avatar.write_bytes(jpeg_with_gps((900, 600)))
    page.get_by_label("Avatar").set_input_files(str(avatar))
    assert page.evaluate(_PAGE_FACTS)["unlabelled"] == []
    page.get_by_role("button", name="Save pictures").click()
    expect(page.get_by_role("status")).to_have_text("Your pictures are saved.")
    expect(page.get_by_alt_text("Your current avatar")).to_be_visible()
    shot(page, "1-avatar-saved")

    auth = {"authorization": f"Bearer {_token(hearth_server.url, 'lake_walker')}"}
    with httpx2.Client(base_url=hearth_server.url, timeout=15, headers=auth) as api:
        photo = api.post("/api/v2/media", data={"description": ALT},
                         files={"file": ("p.png", image_bytes("PNG", (800, 500)),
                                         "image/png")}).json()
        status = api.post("/api/v1/statuses", data={
            "status": "Thirty days.", "visibility": "public", "media_ids[]": photo["id"]})
        assert status.status_code == 200, status.text
    page.goto(f"/@lake_walker/{status.json()['id']}")
    image = page.get_by_role("article").first.get_by_alt_text(ALT)
    expect(image).to_be_visible()
    assert page.evaluate("(img) => img.naturalWidth", image.element_handle()) == 400
    shot(page, "2-post-with-image")
