"""Calls the Phanpy web client made against a running Hearth that failed,
reproduced through the API (found by logging in with Phanpy in Chromium and
recording its failed requests and console errors)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from tests.conftest import signup
from tests.helpers_api import bearer, module_client, password_token, register_app
from tests.helpers_media import image_bytes

PHANPY_ORIGIN = "http://localhost:8090"


@pytest.fixture(scope="module")
def client(pg_admin_url: str, template_name: str) -> Iterator[Any]:
    with module_client(pg_admin_url, template_name) as shared:
        for name in ("phanpy_reader", "phanpy_author", "phanpy_third"):
            signup(shared, name)
        yield shared


@pytest.fixture(scope="module")
def token(client: Any) -> str:
    return password_token(client, register_app(client, PHANPY_ORIGIN + "/"), "phanpy_reader")


def _account_id(client: Any, token: str, acct: str) -> str:
    found = client.get("/api/v1/accounts/lookup", params={"acct": acct},
                       headers=bearer(token))
    assert found.status_code == 200, found.text
    account_id: str = found.json()["id"]
    return account_id


def test_default_avatar_and_header_can_be_read_cross_origin(client, token):
    """Phanpy loads avatars and headers with crossorigin="anonymous"; without
    the CORS header Chromium blocks them ("No 'Access-Control-Allow-Origin'")."""
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(token)).json()
    for url in (me["avatar"], me["header"]):
        response = client.get(url, headers={"origin": PHANPY_ORIGIN})
        assert response.status_code == 200, url
        assert response.headers["content-type"].startswith("image/")
        assert response.headers["access-control-allow-origin"] == "*"
        assert "access-control-allow-credentials" not in response.headers


def test_uploaded_avatar_can_be_read_cross_origin(client, token):
    updated = client.patch("/api/v1/accounts/update_credentials", headers=bearer(token),
                           files={"avatar": ("me.png", image_bytes("PNG"), "image/png")})
    assert updated.status_code == 200, updated.text
    avatar = updated.json()["avatar"]
    assert "/media/" in avatar
    response = client.get(avatar, headers={"origin": PHANPY_ORIGIN})
    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == "*"
    preflight = client.options(avatar, headers={
        "origin": PHANPY_ORIGIN, "access-control-request-method": "GET"})
    assert preflight.status_code == 204
    assert preflight.headers["access-control-allow-origin"] == "*"


def test_pages_still_get_no_cors_header(client):
    assert "access-control-allow-origin" not in client.get(
        "/about", headers={"origin": PHANPY_ORIGIN}).headers


def test_profile_featured_tags_is_an_empty_list(client, token):
    """Phanpy asks for GET /api/v1/accounts/:id/featured_tags on every
    profile it opens; Hearth answered 404."""
    author = _account_id(client, token, "phanpy_author")
    for headers in (bearer(token), {}):
        response = client.get(f"/api/v1/accounts/{author}/featured_tags", headers=headers)
        assert response.status_code == 200, response.text
        assert response.json() == []
        assert response.headers["access-control-allow-origin"] == "*"


@pytest.mark.parametrize("bad_id", ["999999", "not-an-id"])
def test_featured_tags_of_an_unknown_account_is_a_404(client, token, bad_id):
    response = client.get(f"/api/v1/accounts/{bad_id}/featured_tags", headers=bearer(token))
    assert response.status_code == 404
    assert response.json() == {"error": "Record not found"}


def _post(client: Any, token: str, **data: str) -> dict[str, Any]:
    response = client.post("/api/v1/statuses", headers=bearer(token),
                           data={"visibility": "public", **data})
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


def test_statuses_list_who_they_mention_for_reply_prefill(client, token):
    """Phanpy prefills a reply with the author and ``status.mentions``;
    Hearth always answered ``mentions: []``, so replying in a thread
    dropped everyone but the last author."""
    author = password_token(client, register_app(client), "phanpy_author")
    third = password_token(client, register_app(client), "phanpy_third")
    opening = _post(client, author, status="Opening a thread")
    reply = _post(client, token, status="@phanpy_third come and read this",
                  in_reply_to_id=opening["id"])
    author_id = _account_id(client, token, "phanpy_author")
    third_id = _account_id(client, token, "phanpy_third")
    base = str(client.base_url).rstrip("/")
    assert sorted(reply["mentions"], key=lambda m: m["username"]) == [
        {"id": author_id, "username": "phanpy_author", "acct": "phanpy_author",
         "url": f"{base}/@phanpy_author"},
        {"id": third_id, "username": "phanpy_third", "acct": "phanpy_third",
         "url": f"{base}/@phanpy_third"}]
    assert opening["mentions"] == []
    shown = client.get(f"/api/v1/statuses/{reply['id']}", headers=bearer(third)).json()
    assert shown["mentions"] == reply["mentions"]
    context = client.get(f"/api/v1/statuses/{opening['id']}/context",
                         headers=bearer(author)).json()
    assert [d["mentions"] for d in context["descendants"]] == [reply["mentions"]]


def test_a_boost_carries_mentions_only_on_the_boosted_status(client, token):
    author = password_token(client, register_app(client), "phanpy_author")
    original = _post(client, author, status="@phanpy_reader thank you")
    boost = client.post(f"/api/v1/statuses/{original['id']}/reblog", headers=bearer(token))
    assert boost.status_code == 200, boost.text
    assert boost.json()["mentions"] == []
    assert [m["acct"] for m in boost.json()["reblog"]["mentions"]] == ["phanpy_reader"]


def _browser_form(parts: list[tuple[str, str | None, str]]) -> tuple[bytes, str]:
    """A multipart body as Chromium builds it from a form: a file input with
    no file chosen is sent as ``filename=""`` and no bytes."""
    boundary = "----WebKitFormBoundaryPhanpyProfile"
    chunks = []
    for name, filename, value in parts:
        disposition = f'form-data; name="{name}"'
        if filename is not None:
            disposition += f'; filename="{filename}"\r\nContent-Type: application/octet-stream'
        chunks.append(f"--{boundary}\r\nContent-Disposition: {disposition}\r\n\r\n{value}\r\n")
    body = "".join(chunks) + f"--{boundary}--\r\n"
    return body.encode(), f"multipart/form-data; boundary={boundary}"


def test_profile_editor_form_with_empty_image_fields_saves_the_text(client):
    """Phanpy's profile editor posts its whole form, with the avatar and
    header inputs empty; Hearth answered 422 "avatar: The file is not an
    image" and saved nothing."""
    third = password_token(client, register_app(client), "phanpy_third")
    before = client.get("/api/v1/accounts/verify_credentials", headers=bearer(third)).json()
    body, content_type = _browser_form([
        ("header", "", ""), ("avatar", "", ""),
        ("display_name", None, "Third Person"), ("note", None, "One day at a time.")])
    response = client.patch("/api/v1/accounts/update_credentials", content=body,
                            headers={**bearer(third), "content-type": content_type})
    assert response.status_code == 200, response.text
    saved = response.json()
    assert saved["display_name"] == "Third Person"
    assert saved["source"]["note"] == "One day at a time."
    assert (saved["avatar"], saved["header"]) == (before["avatar"], before["header"])


def test_an_empty_file_that_has_a_name_is_still_refused(client):
    third = password_token(client, register_app(client), "phanpy_third")
    body, content_type = _browser_form([("avatar", "me.png", ""),
                                        ("display_name", None, "Not Saved")])
    response = client.patch("/api/v1/accounts/update_credentials", content=body,
                            headers={**bearer(third), "content-type": content_type})
    assert response.status_code == 422
    assert "avatar" in response.json()["error"]
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(third)).json()
    assert me["display_name"] != "Not Saved"
