"""OAuth 2 routes: app registration (/api/v1/apps), the consent page
(/oauth/authorize), tokens (/oauth/token), revocation (/oauth/revoke) and the
RFC 8414 metadata document."""

from __future__ import annotations

import base64
import binascii
from typing import Any
from urllib.parse import unquote, urlencode, urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response
from starlette.routing import Route

from recovery import oauth
from recovery.models import OAuthApp
from web.api.http import (
    Params,
    api_routes,
    authenticate,
    json_response,
    read_params,
)
from web.http import (
    connection,
    field,
    form,
    login_redirect,
    render,
    require_member,
    transaction,
    viewer,
)

_AUTHORIZE_FIELDS = ("client_id", "redirect_uri", "response_type", "scope", "state",
                     "code_challenge", "code_challenge_method")
_SCOPE_TEXT = {
    "read": "read everything your account can see: posts, follows, notifications",
    "write": "post, edit and delete for you, and change your profile and settings",
    "follow": "follow, unfollow, block and mute for you",
    "push": "send you push notifications",
    "profile": "see your username and profile (nothing else)",
}


def application_entity(app: OAuthApp, secret: str | None = None) -> dict[str, Any]:
    entity: dict[str, Any] = {
        "id": str(app.id),
        "name": app.name,
        "website": app.website,
        "scopes": list(app.scopes),
        "redirect_uri": "\n".join(app.redirect_uris),
        "redirect_uris": list(app.redirect_uris),
    }
    if secret is not None:
        entity.update(client_id=app.client_id, client_secret=secret,
                      client_secret_expires_at=0)
    return entity


# -- /api/v1/apps -----------------------------------------------------------------

async def create_app(request: Request) -> Response:
    params = await read_params(request)
    async with transaction(request) as conn:
        app, secret = await oauth.register_app(
            conn, params.get_str("client_name", "", max_length=oauth.APP_NAME_MAX) or "",
            _words(params, "redirect_uris"), _words(params, "scopes"),
            params.get_str("website", max_length=2000),
        )
    return json_response(application_entity(app, secret))


def _words(params: Params, name: str) -> list[str] | None:
    if name not in params:
        return None
    return [w for item in params.strs(name, max_items=50) for w in item.split()]


async def verify_app(request: Request) -> Response:
    caller = await authenticate(request, ("read", "write", "follow", "push", "profile"),
                                user=False)
    assert caller is not None
    return json_response(application_entity(caller.app))


# -- /oauth/authorize -------------------------------------------------------------

async def authorize_page(request: Request) -> Response:
    values = {name: request.query_params.get(name, "") for name in _AUTHORIZE_FIELDS}
    member = await viewer(request)
    if member is None:  # log in first, then come back here with the same query
        return login_redirect(f"{request.url.path}?{request.url.query}")
    try:
        async with connection(request) as conn:
            app, redirect_uri, scopes = await _check(conn, values)
    except oauth.OAuthError as exc:
        return await render(request, "error.html", {"status": 400, "message": str(exc)},
                            status_code=400)
    hidden = {**values, "redirect_uri": redirect_uri, "scope": " ".join(scopes)}
    response = await render(request, "oauth_authorize.html", {
        "app": app, "viewer": member, "hidden": hidden, "scope_lines": _scope_lines(scopes),
    })
    response.headers["content-security-policy"] = _consent_csp(redirect_uri)
    response.headers["cache-control"] = "no-store"
    return response


async def authorize(request: Request) -> Response:
    member = await require_member(request)
    data = await form(request)
    values = {name: field(data, name) for name in _AUTHORIZE_FIELDS}
    try:
        async with transaction(request) as conn:
            app, redirect_uri, scopes = await _check(conn, values)
            if field(data, "decision") != "authorize":
                return _back(redirect_uri, {"error": "access_denied",
                                            "error_description": "The member said no."},
                             values["state"], request, app)
            code = await oauth.grant_code(conn, app, member, redirect_uri, scopes,
                                          values["code_challenge"] or None)
    except oauth.OAuthError as exc:
        return await render(request, "error.html", {"status": 400, "message": str(exc)},
                            status_code=400)
    if redirect_uri == oauth.OOB:
        response = await render(request, "oauth_code.html", {"code": code, "app_name": app.name})
        response.headers["cache-control"] = "no-store"
        return response
    return _back(redirect_uri, {"code": code}, values["state"], request, app)


async def _check(conn: Any, values: dict[str, str]) -> tuple[OAuthApp, str, tuple[str, ...]]:
    return await oauth.check_authorization(
        conn, values["client_id"], values["redirect_uri"], values["response_type"],
        values["scope"] or None, values["code_challenge"], values["code_challenge_method"])


def _back(redirect_uri: str, result: dict[str, str], state: str, request: Request,
          app: OAuthApp) -> Response:
    """Back to the app at its registered redirect URI (for OOB: a page)."""
    if redirect_uri == oauth.OOB:
        return RedirectResponse("/", status_code=303)
    if state:
        result = {**result, "state": state}
    joiner = "&" if "?" in redirect_uri else "?"
    return RedirectResponse(f"{redirect_uri}{joiner}{urlencode(result)}", status_code=303)


def _scope_lines(scopes: tuple[str, ...]) -> list[str]:
    lines = []
    for scope in scopes:
        if scope in _SCOPE_TEXT:
            lines.append(_SCOPE_TEXT[scope])
        else:
            kind, _, what = scope.partition(":")
            lines.append(f"{'read' if kind == 'read' else 'change'} your {what}")
    return lines


def _consent_csp(redirect_uri: str) -> str:
    """The page's policy, letting the form's redirect reach the app: browsers
    apply form-action to the redirect that follows a form post."""
    target = ""
    if redirect_uri != oauth.OOB:
        parts = urlsplit(redirect_uri)
        target = (f" {parts.scheme}://{parts.netloc}" if parts.scheme in ("http", "https")
                  else f" {parts.scheme}:")
    return ("default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
            f"form-action 'self'{target}; frame-ancestors 'none'; base-uri 'none'; "
            "object-src 'none'")


# -- /oauth/token and /oauth/revoke ------------------------------------------------

async def token(request: Request) -> Response:
    params = await read_params(request)
    client_id, client_secret = _client(request, params)
    grant = params.get_str("grant_type", "") or ""
    scope = _scope_param(params)
    async with connection(request) as conn:
        if grant == "authorization_code":  # no transaction: a tried code stays spent
            issued = await oauth.exchange_code(
                conn, client_id, client_secret, params.get_str("code", "") or "",
                params.get_str("redirect_uri", "") or "",
                params.get_str("code_verifier", "") or "")
        elif grant == "client_credentials":
            issued = await oauth.client_token(conn, client_id, client_secret, scope)
        elif grant == "password" and request.app.state.settings.oauth_password_grant:
            issued = await oauth.password_token(
                conn, client_id, client_secret, params.get_str("username", "") or "",
                params.get_str("password", "") or "", scope)
        else:
            raise oauth.OAuthError("unsupported_grant_type",
                                   f"Supported grant types: {', '.join(_grants(request))}.")
    access_token, scopes, created = issued
    return JSONResponse({
        "access_token": access_token, "token_type": "Bearer", "scope": " ".join(scopes),
        "created_at": int(created.timestamp()),
    }, headers={"cache-control": "no-store", "pragma": "no-cache"})


def _scope_param(params: Params) -> str | None:
    if "scope" in params:
        return " ".join(params.strs("scope", max_items=50)) or None
    if "scopes" in params:
        return " ".join(params.strs("scopes", max_items=50)) or None
    return None


def _client(request: Request, params: Params) -> tuple[str, str]:
    """client_id and client_secret from HTTP Basic or the body."""
    header = request.headers.get("authorization", "")
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() == "basic":
        try:
            decoded = base64.b64decode(encoded.strip(), validate=True).decode()
        except (binascii.Error, UnicodeDecodeError):
            raise oauth.OAuthError("invalid_client", "Malformed Basic credentials.",
                                   401) from None
        user, _, password = decoded.partition(":")
        return unquote(user), unquote(password)
    return (params.get_str("client_id", "") or "", params.get_str("client_secret", "") or "")


async def revoke(request: Request) -> Response:
    params = await read_params(request)
    client_id, client_secret = _client(request, params)
    async with transaction(request) as conn:
        await oauth.revoke(conn, client_id, client_secret, params.get_str("token", "") or "")
    return json_response({})


# -- metadata ---------------------------------------------------------------------

def _grants(request: Request) -> list[str]:
    grants = ["authorization_code", "client_credentials"]
    if request.app.state.settings.oauth_password_grant:
        grants.append("password")
    return grants


async def metadata(request: Request) -> Response:
    url = request.app.state.settings.url
    return json_response({
        "issuer": f"{url}/",
        "service_documentation": "https://docs.joinmastodon.org/",
        "authorization_endpoint": f"{url}/oauth/authorize",
        "token_endpoint": f"{url}/oauth/token",
        "revocation_endpoint": f"{url}/oauth/revoke",
        "app_registration_endpoint": f"{url}/api/v1/apps",
        "scopes_supported": list(oauth.SCOPES),
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": _grants(request),
        "token_endpoint_auth_methods_supported": ["client_secret_basic", "client_secret_post"],
        "revocation_endpoint_auth_methods_supported": ["client_secret_basic",
                                                       "client_secret_post"],
        "code_challenge_methods_supported": list(oauth.PKCE_METHODS),
    })


routes = [
    *api_routes("/api/v1/apps", create_app, ["POST"]),
    *api_routes("/api/v1/apps/verify_credentials", verify_app, ["GET"]),
    Route("/oauth/authorize", authorize_page, methods=["GET"]),
    Route("/oauth/authorize", authorize, methods=["POST"]),
    *api_routes("/oauth/token", token, ["POST"]),
    *api_routes("/oauth/revoke", revoke, ["POST"]),
    *api_routes("/.well-known/oauth-authorization-server", metadata, ["GET"]),
]
