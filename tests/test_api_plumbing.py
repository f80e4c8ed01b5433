"""The client API's plumbing: one parameter reader for every body shape,
JSON errors, both trailing-slash forms, CORS for browser apps, paging and
account ids."""

from __future__ import annotations

import pytest
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.testclient import TestClient

from recovery.models import Party
from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app
from web.api.http import (
    EXCEPTION_HANDLERS,
    Params,
    api_routes,
    link_header,
    page_of,
    read_params,
)
from web.api.ids import account_id, parse_account_id

# -- parameters --------------------------------------------------------------------

async def _echo(request: Request) -> Response:
    params = await read_params(request)
    return JSONResponse({
        "values": {k: v for k, v in params.as_dict().items() if k != "file"},
        "limit": params.get_int("limit", 20, minimum=1, maximum=40),
        "sensitive": params.get_bool("sensitive"),
        "ids": params.strs("media_ids"),
        "poll": params.sub("poll").get_list("options"),
        "expires_in": params.sub("poll").get_int("expires_in"),
    })


@pytest.fixture
def echo() -> TestClient:
    app = Starlette(routes=api_routes("/echo", _echo, ["GET", "POST"]),
                    exception_handlers=EXCEPTION_HANDLERS)
    return TestClient(app)


def test_query_string_arrays_and_nested_keys_unfold(echo):
    body = echo.get("/echo?media_ids[]=1&media_ids[]=2&poll[options][]=a&poll[options][]=b"
                    "&poll[expires_in]=300&sensitive=1").json()
    assert body["ids"] == ["1", "2"]
    assert body["poll"] == ["a", "b"]
    assert body["expires_in"] == 300
    assert body["sensitive"] is True


def test_urlencoded_form_and_json_bodies_read_the_same(echo):
    form = echo.post("/echo", data={"media_ids[]": ["7", "8"], "poll[options][]": ["x", "y"],
                                    "sensitive": "false", "limit": "5"}).json()
    json = echo.post("/echo", json={"media_ids": ["7", "8"], "poll": {"options": ["x", "y"]},
                                    "sensitive": False, "limit": 5}).json()
    for body in (form, json):
        assert body["ids"] == ["7", "8"]
        assert body["poll"] == ["x", "y"]
        assert body["sensitive"] is False
        assert body["limit"] == 5


def test_multipart_bodies_are_read_too(echo):
    body = echo.post("/echo", data={"media_ids[]": ["3"], "sensitive": "true"},
                     files={"file": ("a.txt", b"hello", "text/plain")}).json()
    assert body["ids"] == ["3"]
    assert body["sensitive"] is True


@pytest.mark.parametrize(("query", "message"), [
    ("limit=abc", "limit must be a whole number"),
    ("limit=0", "limit must be at least 1"),
    ("limit=41", "limit must be at most 40"),
    ("sensitive=maybe", "sensitive must be true or false"),
])
def test_bad_parameters_are_422_with_the_reason(echo, query, message):
    response = echo.get(f"/echo?{query}")
    assert response.status_code == 422
    assert message in response.json()["error"]


def test_body_that_is_not_json_or_not_an_object_is_refused_cleanly(echo):
    assert echo.post("/echo", content=b"{nope", headers={
        "content-type": "application/json"}).status_code == 400
    assert echo.post("/echo", content=b"[1, 2]", headers={
        "content-type": "application/json"}).status_code == 422
    deep = b"[" * 10000 + b"]" * 10000
    assert echo.post("/echo", content=b'{"a": ' + deep + b"}", headers={
        "content-type": "application/json"}).status_code in (400, 422)


def test_both_trailing_slash_forms_answer_without_a_redirect(echo, client):
    assert echo.get("/echo").status_code == 200
    assert echo.get("/echo/", follow_redirects=False).status_code == 200
    for path in ("/api/v1/instance", "/api/v2/instance", "/api/v1/instance/rules"):
        assert client.get(path).status_code == 200
        assert client.get(path + "/").status_code == 200


# -- paging and ids ----------------------------------------------------------------

def test_page_limit_defaults_to_20_and_is_clamped_to_40():
    assert page_of(Params({})).limit == 20
    assert page_of(Params({"limit": "500"})).limit == 40
    page = page_of(Params({"max_id": "99", "min_id": "5"}))
    assert (page.max_id, page.min_id, page.since_id) == (99, 5, None)


def test_link_header_points_next_to_older_and_prev_to_newer(echo):
    app = Starlette()
    scope = {"type": "http", "method": "GET", "path": "/api/v1/timelines/home",
             "query_string": b"limit=2&max_id=10", "headers": [(b"host", b"hearth.example")],
             "scheme": "https", "server": ("hearth.example", 443), "app": app}
    link = link_header(Request(scope), ["9", "8"])
    assert link == ('<https://hearth.example/api/v1/timelines/home?limit=2&max_id=8>; '
                    'rel="next", <https://hearth.example/api/v1/timelines/home?limit=2'
                    '&min_id=9>; rel="prev"')
    assert link_header(Request(scope), []) is None


def test_account_ids_are_distinct_for_members_and_remote_actors_and_round_trip():
    member, remote = Party(member_id=7), Party(remote_id=7)
    assert account_id(member) != account_id(remote)
    assert parse_account_id(account_id(member)) == member
    assert parse_account_id(account_id(remote)) == remote
    for bad in ("", "0", "1", "-2", "abc", "9" * 30):
        assert parse_account_id(bad) is None


# -- errors and CORS ---------------------------------------------------------------

def test_api_errors_are_json_never_html(client):
    for path in ("/api/v1/nothing-here", "/api/v1/accounts/verify_credentials"):
        response = client.get(path)
        assert response.headers["content-type"].startswith("application/json")
        assert "error" in response.json()
    assert client.get("/api/v1/accounts/verify_credentials").status_code == 401
    bogus = client.get("/api/v1/lists", headers=bearer("not-a-token"))
    assert bogus.status_code == 401
    assert bogus.json() == {"error": "The access token is invalid"}


def test_cors_preflight_is_answered_for_the_api_and_token_endpoints(client):
    for path in ("/api/v1/apps", "/oauth/token", "/oauth/revoke", "/api/v1/timelines/home",
                 "/.well-known/oauth-authorization-server"):
        response = client.options(path, headers={
            "origin": "https://elk.example", "access-control-request-method": "POST",
            "access-control-request-headers": "authorization, content-type"})
        assert response.status_code == 204, path
        assert response.headers["access-control-allow-origin"] == "*"
        assert "POST" in response.headers["access-control-allow-methods"]
        assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_cors_headers_on_api_responses_expose_link_but_not_on_pages(client):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    response = client.get("/api/v1/lists", headers={**bearer(token),
                                                    "origin": "https://elk.example"})
    assert response.headers["access-control-allow-origin"] == "*"
    assert "Link" in response.headers["access-control-expose-headers"]
    assert "access-control-allow-credentials" not in response.headers
    assert "access-control-allow-origin" not in client.get("/about").headers
