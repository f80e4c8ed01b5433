"""Helpers for client-API tests: register an app, get tokens the ways a
Mastodon app does, and call the API with a bearer token."""

from __future__ import annotations

import re
from typing import Any

from tests.conftest import PASSWORD, csrf_from

OOB = "urn:ietf:wg:oauth:2.0:oob"


def register_app(client: Any, redirect_uris: Any = OOB,
                 scopes: str = "read write follow push", **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/apps", data={
        "client_name": "Test App", "redirect_uris": redirect_uris, "scopes": scopes, **extra})
    assert response.status_code == 200, response.text
    app: dict[str, Any] = response.json()
    return app


def password_token(client: Any, app: dict[str, Any], username: str,
                   scope: str = "read write follow push", password: str = PASSWORD) -> str:
    response = client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": username,
        "password": password, "scope": scope})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def consent(client: Any, query: dict[str, str], decision: str = "authorize") -> Any:
    """Open the consent page (logged in) and press a button."""
    page = client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"',
                             page.text))
    fields["csrf_token"] = csrf_from(page.text)
    return client.post("/oauth/authorize", data={**fields, "decision": decision})


def code_from_page(html: str) -> str:
    match = re.search(r'id="authorization-code"[^>]*>([^<]+)<', html)
    assert match, "no code on the page"
    return match.group(1)
