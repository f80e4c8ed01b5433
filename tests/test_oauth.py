"""OAuth 2 for Mastodon clients: apps, the consent page, every grant,
revocation, scopes, and the redirect-URI rules (RELIABILITY.md 30 and 31)."""

from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import pytest

from recovery import oauth
from recovery.oauth import allows
from tests.conftest import csrf_from, login, signup
from tests.helpers_api import (
    OOB,
    bearer,
    code_from_page,
    consent,
    password_token,
    register_app,
)

VERIFIER = "a-verifier-of-enough-length-0123456789-abcdefghij"


# -- apps and redirect URIs --------------------------------------------------------

def test_app_registration_returns_client_credentials_and_stores_the_secret_hashed(client, db):
    app = register_app(client, redirect_uris=f"{OOB}\nhttps://app.example/cb")
    assert app["redirect_uris"] == [OOB, "https://app.example/cb"]
    assert app["redirect_uri"] == f"{OOB}\nhttps://app.example/cb"
    assert app["scopes"] == ["read", "write", "follow", "push"]
    assert app["client_id"] and app["client_secret"]
    assert app["client_secret"] not in db.dump_text()


def test_app_registration_takes_json_with_an_array_of_redirect_uris(client):
    response = client.post("/api/v1/apps", json={
        "client_name": "Elk", "redirect_uris": ["https://elk.example/callback",
                                                "com.example.app:/oauth"],
        "scopes": "read write", "website": "https://elk.example"})
    assert response.status_code == 200, response.text
    assert response.json()["redirect_uris"] == ["https://elk.example/callback",
                                                "com.example.app:/oauth"]
    assert response.json()["website"] == "https://elk.example"


@pytest.mark.parametrize("uri", [
    "http://app.example/cb", "javascript:alert(1)", "data:text/html,hi",
    "https://app.example/cb#frag", "not a uri", "/relative", "https:///nohost",
])
def test_redirect_uri_that_could_leak_codes_is_refused_with_a_reason(client, uri):
    response = client.post("/api/v1/apps", data={"client_name": "x", "redirect_uris": uri})
    assert response.status_code == 422
    assert response.json()["error"]


@pytest.mark.parametrize("uri", ["http://127.0.0.1:4567/cb", "http://localhost/cb",
                                 "http://[::1]:8080/cb", "com.example.app:/callback", OOB])
def test_loopback_http_and_app_schemes_are_accepted_as_redirect_uris(client, uri):
    assert register_app(client, redirect_uris=uri)["redirect_uris"] == [uri]


def test_unknown_scope_is_refused_and_admin_scopes_are_ignored(client):
    assert client.post("/api/v1/apps", data={
        "client_name": "x", "redirect_uris": OOB, "scopes": "read nonsense"}).status_code == 422
    app = register_app(client, scopes="read admin:read admin:write")
    assert app["scopes"] == ["read"]


def test_app_verify_credentials_works_with_an_app_only_token(client):
    app = register_app(client)
    token = client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": app["client_secret"]}).json()["access_token"]
    response = client.get("/api/v1/apps/verify_credentials", headers=bearer(token))
    assert response.status_code == 200
    assert response.json()["name"] == "Test App"
    assert "client_secret" not in response.json()
    # ... but it is no member: user endpoints answer 422
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 422
    assert me.json() == {"error": "This method requires an authenticated user"}


# -- authorization code ------------------------------------------------------------

def test_consent_page_sends_a_visitor_to_log_in_and_back(client):
    app = register_app(client)
    query = {"client_id": app["client_id"], "redirect_uri": OOB, "response_type": "code",
             "scope": "read"}
    response = client.get("/oauth/authorize", params=query)
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=")
    signup(client, "river")
    client.cookies.clear()
    back = login(client, "river", next_path=parse_qs(
        urlsplit(response.headers["location"]).query)["next"][0])
    assert back.status_code == 303
    assert back.headers["location"].startswith("/oauth/authorize?client_id=")
    assert "Allow Test App" in client.get(back.headers["location"]).text


def test_authorization_code_with_pkce_gives_a_token_once(client):
    signup(client, "river")
    app = register_app(client, redirect_uris="https://app.example/cb")
    response = consent(client, {
        "client_id": app["client_id"], "redirect_uri": "https://app.example/cb",
        "response_type": "code", "scope": "read write", "state": "xyz",
        "code_challenge": oauth.pkce_challenge(VERIFIER), "code_challenge_method": "S256"})
    assert response.status_code == 303
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == "https://app.example/cb"
    query = parse_qs(location.query)
    assert query["state"] == ["xyz"]
    exchange = {"grant_type": "authorization_code", "code": query["code"][0],
                "client_id": app["client_id"], "redirect_uri": "https://app.example/cb"}
    wrong = client.post("/oauth/token", data={**exchange, "code_verifier": "wrong" * 10})
    assert wrong.status_code == 400
    assert wrong.json()["error"] == "invalid_grant"
    # a failed exchange spent the code (single use), so ask again
    spent = client.post("/oauth/token", data={**exchange, "code_verifier": VERIFIER})
    assert spent.status_code == 400 and spent.json()["error"] == "invalid_grant"
    response = consent(client, {
        "client_id": app["client_id"], "redirect_uri": "https://app.example/cb",
        "response_type": "code", "scope": "read write",
        "code_challenge": oauth.pkce_challenge(VERIFIER), "code_challenge_method": "S256"})
    code = parse_qs(urlsplit(response.headers["location"]).query)["code"][0]
    exchange["code"] = code
    ok = client.post("/oauth/token", data={**exchange, "code_verifier": VERIFIER})
    assert ok.status_code == 200, ok.text
    body = ok.json()
    assert body["token_type"] == "Bearer" and body["scope"] == "read write"
    assert isinstance(body["created_at"], int)
    again = client.post("/oauth/token", data={**exchange, "code_verifier": VERIFIER})
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(body["access_token"]))
    assert me.json()["username"] == "river"


def test_oob_shows_the_code_and_the_secret_exchanges_it(client):
    signup(client, "river")
    app = register_app(client)
    page = consent(client, {"client_id": app["client_id"], "redirect_uri": OOB,
                            "response_type": "code", "scope": "read"})
    assert page.status_code == 200
    code = code_from_page(page.text)
    response = client.post("/oauth/token", json={
        "grant_type": "authorization_code", "code": code, "client_id": app["client_id"],
        "client_secret": app["client_secret"], "redirect_uri": OOB})
    assert response.status_code == 200, response.text
    assert response.json()["scope"] == "read"


def test_deny_redirects_with_access_denied_and_issues_nothing(client, db):
    signup(client, "river")
    app = register_app(client, redirect_uris="com.example.app:/cb")
    response = consent(client, {"client_id": app["client_id"],
                                "redirect_uri": "com.example.app:/cb",
                                "response_type": "code", "state": "s1"}, decision="deny")
    assert response.status_code == 303
    assert response.headers["location"].startswith("com.example.app:/cb?error=access_denied")
    assert db.fetchval("SELECT count(*) FROM oauth_codes") == 0


@pytest.mark.parametrize("redirect_uri", [
    "https://app.example/cb/", "https://app.example/cb?x=1", "https://evil.example/cb",
    "https://APP.example/cb", "https://app.example/cb#x",
])
def test_redirect_uri_not_exactly_as_registered_is_an_error_never_a_redirect_line_31(
        client, redirect_uri):
    signup(client, "river")
    app = register_app(client, redirect_uris="https://app.example/cb https://app.example/two")
    query = {"client_id": app["client_id"], "redirect_uri": redirect_uri,
             "response_type": "code"}
    page = client.get("/oauth/authorize", params=query)
    assert page.status_code == 400
    assert "location" not in page.headers
    assert "redirect_uri" in page.text
    # posting the form anyway is refused the same way
    posted = client.post("/oauth/authorize", data={
        **query, "decision": "authorize", "csrf_token": csrf_from(page.text)})
    assert posted.status_code == 400
    assert "location" not in posted.headers


def test_scopes_beyond_the_apps_are_refused_on_the_consent_page_line_30(client):
    signup(client, "river")
    app = register_app(client, scopes="read")
    page = client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": OOB, "response_type": "code",
        "scope": "read write"})
    assert page.status_code == 400


def test_pkce_plain_is_refused_and_s256_only_is_advertised(client):
    signup(client, "river")
    app = register_app(client)
    page = client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": OOB, "response_type": "code",
        "code_challenge": VERIFIER, "code_challenge_method": "plain"})
    assert page.status_code == 400
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert meta["code_challenge_methods_supported"] == ["S256"]


def test_consent_page_csp_lets_the_form_redirect_to_the_app(client):
    signup(client, "river")
    app = register_app(client, redirect_uris="com.example.app:/cb")
    page = client.get("/oauth/authorize", params={
        "client_id": app["client_id"], "redirect_uri": "com.example.app:/cb",
        "response_type": "code"})
    assert "form-action 'self' com.example.app:" in page.headers["content-security-policy"]


# -- password and client credentials -------------------------------------------------

def test_password_grant_gives_a_member_token(client):
    signup(client, "river")
    app = register_app(client)
    token = password_token(client, app, "river", scope="read")
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 200
    assert me.json()["acct"] == "river"
    assert me.json()["source"]["note"] == ""


def test_password_grant_with_a_wrong_password_is_invalid_grant_and_counts_to_the_limit(
        client, db):
    signup(client, "river")
    app = register_app(client)
    data = {"grant_type": "password", "client_id": app["client_id"],
            "client_secret": app["client_secret"], "username": "river",
            "password": "wrong password here"}
    for _ in range(5):
        response = client.post("/oauth/token", data=data)
        assert response.status_code == 400
        assert response.json()["error"] == "invalid_grant"
    locked = client.post("/oauth/token", data=data)
    assert locked.status_code == 429
    assert "wrong password" not in db.dump_text()


def test_password_grant_can_be_turned_off(app_factory):
    client = app_factory(oauth_password_grant=False)
    signup(client, "river")
    app = register_app(client)
    response = client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": "river",
        "password": "correct horse battery"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert "password" not in meta["grant_types_supported"]


def test_token_endpoint_accepts_http_basic_client_authentication(client):
    app = register_app(client)
    response = client.post("/oauth/token", data={"grant_type": "client_credentials"},
                           auth=(app["client_id"], app["client_secret"]))
    assert response.status_code == 200, response.text


def test_wrong_client_secret_is_invalid_client_401(client):
    app = register_app(client)
    response = client.post("/oauth/token", data={
        "grant_type": "client_credentials", "client_id": app["client_id"],
        "client_secret": "nope"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert "error_description" in response.json()


def test_unknown_grant_type_is_unsupported_grant_type(client):
    response = client.post("/oauth/token", data={"grant_type": "refresh_token"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"


# -- tokens: stored hashed, revoked, killed (RELIABILITY.md 30) ------------------------

def test_tokens_are_stored_only_as_hashes(client, db):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    assert token not in db.dump_text()


def test_revoked_token_is_401_line_30(client):
    signup(client, "river")
    app = register_app(client)
    token = password_token(client, app, "river")
    response = client.post("/oauth/revoke", data={
        "token": token, "client_id": app["client_id"], "client_secret": app["client_secret"]})
    assert response.status_code == 200 and response.json() == {}
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 401
    assert me.json() == {"error": "The access token is invalid"}


def test_revoke_by_another_app_leaves_the_token_alone(client):
    signup(client, "river")
    app, other = register_app(client), register_app(client)
    token = password_token(client, app, "river")
    client.post("/oauth/revoke", data={"token": token, "client_id": other["client_id"],
                                       "client_secret": other["client_secret"]})
    me = client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert me.status_code == 200


def test_token_of_a_deleted_app_is_401_line_30(client, db):
    signup(client, "river")
    app = register_app(client)
    token = password_token(client, app, "river")
    db.execute("DELETE FROM oauth_apps WHERE client_id = $1", app["client_id"])
    assert client.get("/api/v1/accounts/verify_credentials",
                      headers=bearer(token)).status_code == 401


def test_token_of_a_suspended_member_is_401_line_30(client, db):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    db.execute("UPDATE members SET status = 'suspended' WHERE username = 'river'")
    assert client.get("/api/v1/accounts/verify_credentials",
                      headers=bearer(token)).status_code == 401
    assert client.get("/api/v1/lists", headers=bearer(token)).status_code == 401


def test_deleting_the_account_deletes_its_tokens_line_30(client, db):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    db.execute("DELETE FROM members WHERE username = 'river'")
    assert db.fetchval("SELECT count(*) FROM oauth_tokens") == 0
    assert client.get("/api/v1/accounts/verify_credentials",
                      headers=bearer(token)).status_code == 401


def test_token_without_the_needed_scope_is_403_line_30(client):
    signup(client, "river")
    app = register_app(client)
    token = password_token(client, app, "river", scope="write")
    response = client.get("/api/v1/accounts/verify_credentials", headers=bearer(token))
    assert response.status_code == 403
    assert response.json() == {"error": "This action is outside the authorized scopes"}


def test_profile_scope_is_enough_for_verify_credentials_only(client):
    signup(client, "river")
    app = register_app(client, scopes="profile")
    token = password_token(client, app, "river", scope="profile")
    assert client.get("/api/v1/accounts/verify_credentials",
                      headers=bearer(token)).status_code == 200
    assert client.get("/api/v1/lists", headers=bearer(token)).status_code == 403


def test_requesting_more_scope_than_the_app_registered_is_invalid_scope(client):
    signup(client, "river")
    app = register_app(client, scopes="read")
    response = client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": "river",
        "password": "correct horse battery", "scope": "read write"})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_scope"


def test_token_use_is_recorded_at_most_once_a_minute(client, db):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    client.get("/api/v1/lists", headers=bearer(token))
    first = db.fetchval("SELECT last_used_at FROM oauth_tokens")
    client.get("/api/v1/lists", headers=bearer(token))
    assert first is not None
    assert db.fetchval("SELECT last_used_at FROM oauth_tokens") == first


def test_access_token_query_parameter_is_accepted_for_streaming_clients(client):
    signup(client, "river")
    token = password_token(client, register_app(client), "river")
    assert client.get(f"/api/v1/lists?access_token={token}").status_code == 200


# -- scopes -----------------------------------------------------------------------

@pytest.mark.parametrize(("granted", "needed", "ok"), [
    (("read",), "read:statuses", True),
    (("read",), "read", True),
    (("read:statuses",), "read", False),
    (("read:statuses",), "read:accounts", False),
    (("write",), "write:media", True),
    (("write",), "read:statuses", False),
    (("follow",), "read:follows", True),
    (("follow",), "write:blocks", True),
    (("follow",), "write:mutes", True),
    (("follow",), "read:statuses", False),
    (("follow",), "write:statuses", False),
    (("push",), "push", True),
    (("profile",), "read:accounts", False),
])
def test_one_function_decides_what_a_scope_set_allows(granted, needed, ok):
    assert allows(granted, needed) is ok


def test_metadata_lists_exactly_what_works(client):
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == "http://testserver/"
    assert meta["token_endpoint"] == "http://testserver/oauth/token"
    assert meta["revocation_endpoint"] == "http://testserver/oauth/revoke"
    assert meta["grant_types_supported"] == ["authorization_code", "client_credentials",
                                             "password"]
    assert meta["response_types_supported"] == ["code"]
    assert "read:statuses" in meta["scopes_supported"]
    assert not any(s.startswith("admin") for s in meta["scopes_supported"])


def test_password_grant_setting_reads_on_and_off():
    from web.settings import ConfigError, Settings
    assert Settings.load({}).oauth_password_grant is True
    assert Settings.load({"HEARTH_OAUTH_PASSWORD_GRANT": "off"}).oauth_password_grant is False
    with pytest.raises(ConfigError):
        Settings.load({"HEARTH_OAUTH_PASSWORD_GRANT": "sometimes"})
