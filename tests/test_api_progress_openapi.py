"""The progress API's OpenAPI 3.1 document: served, well formed (every schema
valid JSON Schema 2020-12, every reference resolves, every path parameter
described), and naming exactly the routes the app registers under
/api/hearth/v1, method for method. Real responses are validated against it
by every test that goes through tests/helpers_progress_api.Api."""

from __future__ import annotations

import json
import re
from typing import Any

from jsonschema import Draft202012Validator
from starlette.routing import Route

from tests.helpers_progress_api import BASE
from web.routing import PathIndex

METHODS = {"get", "put", "post", "delete", "patch"}


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        found = [node["$ref"]] if isinstance(node.get("$ref"), str) else []
        return found + [r for value in node.values() for r in _refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in _refs(value)]
    return []


def _registered(app: Any) -> set[tuple[str, str]]:
    found = set()
    routes = [r for top in app.routes
              for r in (top.routes if isinstance(top, PathIndex) else [top])]
    for route in routes:
        if isinstance(route, Route) and route.path.startswith(BASE):
            path = re.sub(r"\{([a-z_]+)(:[a-z]+)?\}", r"{\1}", route.path.rstrip("/"))
            found.update((path, m.lower()) for m in route.methods or () if m != "HEAD")
    return found


def test_the_document_is_served_and_well_formed(client):
    response = client.get(f"{BASE}/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("application/json")
    document = response.json()
    assert document["openapi"].startswith("3.1")
    for schema in document["components"]["schemas"].values():
        Draft202012Validator.check_schema(schema)
    for ref in _refs(document):
        target: Any = document
        for part in ref.removeprefix("#/").split("/"):
            target = target[part]
    for template, operations in document["paths"].items():
        named = set(re.findall(r"\{([a-z_]+)\}", template))
        for method, operation in operations.items():
            assert method in METHODS
            given = {p["name"] for p in operation.get("parameters", []) if p["in"] == "path"}
            assert given == named, (template, method)
            assert "200" in operation["responses"] and operation["summary"]
            if operation.get("security"):
                assert {"401", "403"} <= set(operation["responses"]), (template, method)
    assert {"read:progress", "write:progress"} <= set(
        document["components"]["securitySchemes"]["oauth"]["flows"]["authorizationCode"]
        ["scopes"])
    json.dumps(document)  # plain JSON all through


def test_every_route_under_the_prefix_is_in_the_document_and_nothing_else(client):
    document = client.get(f"{BASE}/openapi.json").json()
    described = {(path, method) for path, operations in document["paths"].items()
                 for method in operations}
    registered = _registered(client.app)
    assert registered, "no routes found under the prefix"
    assert registered - described == set(), "routes missing from the document"
    assert described - registered == set(), "documented paths the app does not serve"


def test_every_path_answers_with_and_without_a_trailing_slash(client):
    for path in ("/openapi.json", "/counter", "/checkins", "/milestones/custom"):
        assert client.get(f"{BASE}{path}/").status_code in (200, 401)
        assert client.get(f"{BASE}{path}").status_code in (200, 401)
