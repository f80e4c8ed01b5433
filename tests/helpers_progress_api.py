"""Helpers for the progress API tests: a member with a token, and calls whose
every response is checked against the OpenAPI document the server serves
(status code listed for the operation, body valid against its schema)."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from typing import Any

from jsonschema import Draft202012Validator

from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app

BASE = "/api/hearth/v1"


def days_ago(days: int) -> str:
    return (datetime.now(UTC) - timedelta(days=days)).date().isoformat()


def token_for(client: Any, username: str, scope: str = "read write",
              app_scopes: str = "read write follow push") -> dict[str, str]:
    """A new member (signed up on ``client``) and a bearer header for them."""
    signup(client, username)
    app = register_app(client, scopes=app_scopes)
    return bearer(password_token(client, app, username, scope=scope))


def template_of(document: dict[str, Any], path: str, method: str = "") -> str:
    """The document's path template that names ``path`` for ``method``
    (literal segments win over parameters, as the router's order has them)."""
    found = []
    for template, operations in document["paths"].items():
        if method and method.lower() not in operations:
            continue
        pattern = re.sub(r"\\\{[a-z_]+\\\}", "[^/]+", re.escape(template))
        if re.fullmatch(pattern, path):
            found.append((template.count("{"), template))
    assert found, f"{path} is not in the OpenAPI document"
    return min(found)[1]


def _resolve(document: dict[str, Any], item: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in item:
        parts = item["$ref"].removeprefix("#/").split("/")
        target: Any = document
        for part in parts:
            target = target[part]
        item = target
    return item


def check(document: dict[str, Any], method: str, path: str, response: Any) -> None:
    """The response is one the document lists for the operation, in its shape."""
    operation = document["paths"][template_of(document, path, method)][method.lower()]
    listed = operation["responses"]
    code = str(response.status_code)
    assert code in listed, f"{method} {path} answered {code}, not in the document: " \
                           f"{response.text[:300]}"
    content = _resolve(document, listed[code]).get("content", {})
    kind = response.headers.get("content-type", "").split(";")[0]
    assert kind in content, f"{method} {path} answered {kind}"
    schema = content[kind]["schema"]
    if kind == "application/json":
        root = {**schema, "components": document["components"]}
        Draft202012Validator(root).validate(response.json())


class Api:
    """Calls to /api/hearth/v1 as one token, each checked against the document."""

    def __init__(self, client: Any, headers: dict[str, str] | None,
                 document: dict[str, Any]) -> None:
        self.client, self.headers, self.document = client, headers or {}, document

    def call(self, method: str, path: str, **kwargs: Any) -> Any:
        headers = {**self.headers, **kwargs.pop("headers", {})}
        response = self.client.request(method, BASE + path, headers=headers, **kwargs)
        check(self.document, method, BASE + path.split("?")[0], response)
        return response

    def get(self, path: str, **kwargs: Any) -> Any:
        return self.call("GET", path, **kwargs)

    def put(self, path: str, **kwargs: Any) -> Any:
        return self.call("PUT", path, **kwargs)

    def post(self, path: str, **kwargs: Any) -> Any:
        return self.call("POST", path, **kwargs)

    def delete(self, path: str, **kwargs: Any) -> Any:
        return self.call("DELETE", path, **kwargs)


def api_for(client: Any, username: str, scope: str = "read write") -> Api:
    document = client.get(f"{BASE}/openapi.json").json()
    return Api(client, token_for(client, username, scope), document)
