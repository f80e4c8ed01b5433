"""Calls the Elk web client made against a running Hearth that failed or that
it could not show right, reproduced through the API (found by signing in
with Elk, built from elk-zone/elk, in headless Chromium and recording its
failed requests, console errors and screenshots)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route
from starlette.testclient import TestClient

from tests.conftest import signup
from tests.helpers_api import bearer, module_client, password_token, register_app
from tests.helpers_media import image_bytes
from web.app import create_app
from web.settings import Settings

ELK_ORIGIN = "http://localhost:5314"


@pytest.fixture(scope="module")
def client(pg_admin_url: str, template_name: str) -> Iterator[Any]:
    with module_client(pg_admin_url, template_name) as shared:
        signup(shared, "elk_writer")
        yield shared


@pytest.fixture(scope="module")
def token(client: Any) -> str:
    return password_token(client, register_app(client, ELK_ORIGIN + "/"), "elk_writer")


def test_edit_history_shows_the_images_each_version_has(client, token):
    """Elk's edit history opens each version with its images; an edit keeps
    the post's images, so every version lists them."""
    auth = bearer(token)
    uploaded = client.post("/api/v2/media", headers=auth,
                           files={"file": ("walk.png", image_bytes("PNG"), "image/png")})
    assert uploaded.status_code in (200, 202), uploaded.text
    media_id = uploaded.json()["id"]
    posted = client.post("/api/v1/statuses", headers=auth, json={
        "status": "Ninety days today", "spoiler_text": "milestone",
        "media_ids": [media_id], "visibility": "private", "language": "en"})
    assert posted.status_code == 200, posted.text
    status_id = posted.json()["id"]
    # What Elk sends when a post is edited: the whole draft again, as JSON.
    edited = client.put(f"/api/v1/statuses/{status_id}", headers=auth, json={
        "status": "Ninety days today, thank you all", "spoiler_text": "milestone",
        "sensitive": False, "media_ids": [media_id], "language": "en",
        "media_attributes": [{"id": media_id, "description": ""}]})
    assert edited.status_code == 200, edited.text

    history = client.get(f"/api/v1/statuses/{status_id}/history", headers=auth)
    assert history.status_code == 200, history.text
    versions = history.json()
    assert [v["content"] for v in versions] == [
        "<p>Ninety days today</p>", "<p>Ninety days today, thank you all</p>"]
    for version in versions:
        assert [m["id"] for m in version["media_attachments"]] == [media_id]
        assert version["media_attachments"][0]["url"].startswith("http")


def _post_with_image(client: Any, auth: dict[str, str], text: str) -> tuple[str, str]:
    uploaded = client.post("/api/v2/media", headers=auth,
                           files={"file": ("walk.png", image_bytes("PNG"), "image/png")})
    assert uploaded.status_code in (200, 202), uploaded.text
    media_id: str = uploaded.json()["id"]
    posted = client.post("/api/v1/statuses", headers=auth,
                         json={"status": text, "media_ids": [media_id]})
    assert posted.status_code == 200, posted.text
    status_id: str = posted.json()["id"]
    return status_id, media_id


def test_delete_and_redraft_posts_the_same_images_again(client, token):
    """Elk's "Delete & re-draft": DELETE the post, then POST it again with
    the media ids the deleted post had. Another member cannot take them."""
    auth = bearer(token)
    status_id, media_id = _post_with_image(client, auth, "Morning walk")
    deleted = client.delete(f"/api/v1/statuses/{status_id}", headers=auth)
    assert deleted.status_code == 200, deleted.text
    assert deleted.json()["text"] == "Morning walk"
    assert client.get(f"/api/v1/statuses/{status_id}", headers=auth).status_code == 404

    signup(client, "elk_other")
    other = bearer(password_token(client, register_app(client), "elk_other"))
    taken = client.post("/api/v1/statuses", headers=other,
                        json={"status": "mine now", "media_ids": [media_id]})
    assert taken.status_code == 422, taken.text

    again = client.post("/api/v1/statuses", headers=auth,
                        json={"status": "Morning walk, again", "media_ids": [media_id]})
    assert again.status_code == 200, again.text
    assert [m["id"] for m in again.json()["media_attachments"]] == [media_id]


def test_delete_with_delete_media_lets_no_post_take_the_images(client, token):
    auth = bearer(token)
    status_id, media_id = _post_with_image(client, auth, "Gone for good")
    deleted = client.delete(f"/api/v1/statuses/{status_id}", headers=auth,
                            params={"delete_media": "true"})
    assert deleted.status_code == 200, deleted.text
    again = client.post("/api/v1/statuses", headers=auth,
                        json={"status": "Gone for good", "media_ids": [media_id]})
    assert again.status_code == 422, again.text


def _fails(request: Request) -> Response:
    raise RuntimeError("a handler that fails, as a bug would")


def test_a_server_error_on_the_api_still_reaches_a_browser_app(settings: Settings):
    """Elk showed a CORS failure where Hearth had answered 500: the error
    response is sent past the CORS middleware, so it needs the header too."""
    app = create_app(settings)
    app.router.routes.insert(0, Route("/api/v1/elk_failing", _fails))
    app.router.routes.insert(0, Route("/elk_failing_page", _fails))
    with TestClient(app, base_url=settings.url, raise_server_exceptions=False) as http:
        failed = http.get("/api/v1/elk_failing", headers={"origin": ELK_ORIGIN})
        assert failed.status_code == 500
        assert failed.headers["access-control-allow-origin"] == "*"
        assert "Link" in failed.headers["access-control-expose-headers"]
        assert failed.json() == {"error": "Something went wrong on our side."}
        assert "a handler that fails" not in failed.text

        page = http.get("/elk_failing_page", headers={"origin": ELK_ORIGIN})
        assert page.status_code == 500
        assert "access-control-allow-origin" not in page.headers
