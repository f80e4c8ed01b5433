"""Route lookup by path segment (web/routing.py): every route of the real app
is found exactly as Starlette's one-by-one matching finds it, with literal
segments tried before parameters, and the app answers 404, 405 and
trailing-slash paths as before."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

import pytest
from starlette.routing import BaseRoute, Match, Route
from starlette.testclient import TestClient

from web.app import create_app
from web.routing import PathIndex, indexed
from web.settings import Settings

SAMPLES = ((r"\{[^}:]+:int\}", "12"), (r"\{[^}:]+:path\}", "a/b.png"), (r"\{[^}]+\}", "xyz"))


def _app() -> Any:
    """The app as served, never started (no database needed to match)."""
    return create_app(Settings.load({}), "postgresql://127.0.0.1:1/unused")


def _flat(routes: list[BaseRoute]) -> Iterator[BaseRoute]:
    for route in routes:
        if isinstance(route, PathIndex):
            yield from route.routes
        else:
            yield route


def _match(routes: list[BaseRoute], scope: dict[str, Any]) -> tuple[BaseRoute | None, Match]:
    partial = None
    for route in routes:
        match, child = route.matches(scope)
        if match is Match.FULL:
            return child.get("hearth.route", route), Match.FULL
        if match is Match.PARTIAL and partial is None:
            partial = child.get("hearth.route", route)
    return partial, Match.PARTIAL if partial else Match.NONE


def _sample(path: str) -> str:
    for pattern, value in SAMPLES:
        path = re.sub(pattern, value, path)
    return path


def test_the_app_is_indexed_and_every_route_is_found_as_before() -> None:
    indexed_routes = _app().router.routes
    assert any(isinstance(route, PathIndex) for route in indexed_routes)
    flat = list(_flat(indexed_routes))
    assert len(flat) > 300
    paths = [_sample(r.path) for r in flat if isinstance(r, Route)]
    paths += ["/nowhere", "/api/v1/nowhere", "/api/v1/timelines/home/", "/api/v1/instance/",
              "/", "/@someone", "/@someone/12", "/static/hearth.css", "/api/v1/streaming"]
    compared = 0
    for path in paths:
        for kind in ("http", "websocket"):
            for method in ("GET", "POST", "PUT", "PATCH", "DELETE"):
                scope = {"type": kind, "path": path, "method": method, "root_path": "",
                         "headers": []}
                assert _match(indexed_routes, scope) == _match(flat, scope), (kind, method, path)
                compared += 1
    assert compared > 3000


def test_a_literal_segment_is_tried_before_a_parameter() -> None:
    def endpoint() -> None:  # never called
        raise AssertionError

    by_id = Route("/things/{id}", endpoint, name="thing")
    lookup = Route("/things/lookup", endpoint, name="lookup")
    others = [Route(f"/things/x{n}", endpoint) for n in range(5)]
    routes = indexed([by_id, *others, lookup])
    scope = {"type": "http", "path": "/things/lookup", "method": "GET", "root_path": "",
             "headers": []}
    assert _match(routes, scope)[0] is lookup
    scope["path"] = "/things/7"
    assert _match(routes, scope)[0] is by_id
    assert routes[0].url_path_for("thing", id="7") == "/things/7"


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/v1/instance", 200),
    ("GET", "/api/v1/instance/", 200),
    ("GET", "/api/v1/no-such-thing", 404),
    ("DELETE", "/api/v1/instance", 405),
    ("GET", "/no-such-page", 404),
    ("GET", "/static/hearth.css", 200),
])
def test_the_app_answers_as_before(client: TestClient, method: str, path: str,
                                   status: int) -> None:
    response = client.request(method, path, follow_redirects=False)
    assert response.status_code == status, response.text[:200]


def test_url_for_finds_indexed_routes() -> None:
    app = _app()
    assert app.url_path_for("static", path="hearth.css") == "/static/hearth.css"
    names = [r.name for r in _flat(app.router.routes) if isinstance(r, Route) and r.name]
    for name in names[:50]:
        route = next(r for r in _flat(app.router.routes) if getattr(r, "name", None) == name)
        params = {p: "12" for p in route.param_convertors}
        assert app.url_path_for(name, **params) == route.url_path_for(name, **params)
