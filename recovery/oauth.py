"""OAuth 2 for client apps (Mastodon's API): app registration, redirect-URI
rules, scopes, authorization codes with PKCE, and tokens.

Client secrets, codes and tokens are 32-byte random strings; only their
SHA-256 is stored. Tokens do not expire (as on Mastodon); revoking one,
deleting its member or suspending the member ends it, and no refresh tokens
are issued.
"""

from __future__ import annotations

import base64
import dataclasses
import hashlib
import hmac
import ipaddress
import re
import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from recovery import events, members, store
from recovery.errors import HearthError, InvalidInput, LoginRefused, NotFound, RateLimited
from recovery.models import Member, OAuthApp, OAuthCode, OAuthToken
from recovery.oauth_models import AuthorisedApp
from recovery.store import authorised_apps as app_store

OOB = "urn:ietf:wg:oauth:2.0:oob"
CODE_LIFETIME = timedelta(minutes=10)
PKCE_METHODS = ("S256",)
APP_NAME_MAX = 200
REDIRECT_URIS_MAX = 10

# "progress" is Hearth's own (the /api/hearth/v1 progress API): read:progress and
# write:progress, covered by read and write like Mastodon's granular scopes.
_READ = ("accounts", "blocks", "bookmarks", "favourites", "filters", "follows", "lists",
         "mutes", "notifications", "progress", "search", "statuses")
_WRITE = ("accounts", "blocks", "bookmarks", "conversations", "favourites", "filters",
          "follows", "lists", "media", "mutes", "notifications", "progress", "reports",
          "statuses")
FOLLOW_COVERS = frozenset({"read:follows", "write:follows", "read:blocks", "write:blocks",
                           "read:mutes", "write:mutes"})
SCOPES: tuple[str, ...] = (
    "read", "write", "follow", "push", "profile",
    *(f"read:{s}" for s in _READ), *(f"write:{s}" for s in _WRITE),
)
DEFAULT_SCOPES = ("read",)
_SCHEME = re.compile(r"[a-z][a-z0-9+.-]*")
_UNSAFE_SCHEMES = frozenset({"javascript", "data", "vbscript", "file", "about", "blob",
                             "filesystem", "view-source", "ws", "wss", "ftp"})


class OAuthError(HearthError):
    """An RFC 6749 error: ``error`` is the code, ``str()`` the description."""

    def __init__(self, error: str, description: str, status: int = 400) -> None:
        super().__init__(description)
        self.error = error
        self.description = description
        self.status = status


# -- scopes -----------------------------------------------------------------------

def parse_scopes(raw: str | Iterable[str] | None, *, default: Iterable[str] = DEFAULT_SCOPES,
                 field: str = "scope") -> tuple[str, ...]:
    """Known scopes in order, duplicates dropped; admin:* scopes are ignored
    (Hearth offers no admin API); anything else unknown is refused."""
    words = (raw.replace("+", " ").split() if isinstance(raw, str)
             else [w for item in raw for w in str(item).split()] if raw is not None else [])
    words = [w for w in words if not w.startswith("admin:") and w != "admin"]
    if not words:
        return tuple(default)
    unknown = [w for w in words if w not in SCOPES]
    if unknown:
        raise InvalidInput(field, f"Unknown scope: {unknown[0][:50]}")
    return tuple(dict.fromkeys(words))


def allows(granted: Iterable[str], needed: str) -> bool:
    """Whether a token with the ``granted`` scopes may do what ``needed`` names."""
    have = set(granted)
    if needed in have:
        return True
    family, _, _ = needed.partition(":")
    if family in ("read", "write") and ":" in needed and family in have:
        return True
    return needed in FOLLOW_COVERS and "follow" in have


def _within(requested: Iterable[str], granted: Iterable[str]) -> bool:
    return all(allows(granted, scope) for scope in requested)


# -- applications -----------------------------------------------------------------

def check_redirect_uri(uri: str) -> str:
    """The URI when it may receive codes: OOB, https, http to loopback only, or an
    app's own scheme (com.example.app:/callback); no fragment."""
    if uri == OOB:
        return uri
    parts = urlsplit(uri)
    scheme = parts.scheme.lower()
    if not scheme or not _SCHEME.fullmatch(scheme):
        raise InvalidInput("redirect_uris", f"Redirect URI {uri[:100]!r} is not an absolute URI.")
    if parts.fragment or "#" in uri:
        raise InvalidInput("redirect_uris", "Redirect URIs must not have a fragment (#...).")
    if scheme in _UNSAFE_SCHEMES:
        raise InvalidInput("redirect_uris", f"Redirect URIs may not use the {scheme}: scheme.")
    if scheme in ("http", "https") and not parts.hostname:
        raise InvalidInput("redirect_uris", f"Redirect URI {uri[:100]!r} has no host.")
    if scheme == "http" and not is_loopback(parts.hostname or ""):
        raise InvalidInput(
            "redirect_uris", "Plain http:// redirect URIs are allowed only to localhost; "
            "use https:// or your app's own scheme.")
    return uri


def is_loopback(host: str) -> bool:
    """``localhost`` or a loopback address (where plain http is allowed)."""
    if host.lower() == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def parse_redirect_uris(raw: str | Iterable[str] | None) -> tuple[str, ...]:
    words = (raw.split() if isinstance(raw, str)
             else [w for item in raw for w in str(item).split()] if raw is not None else [])
    if not words:
        raise InvalidInput("redirect_uris", "redirect_uris is required.")
    if len(words) > REDIRECT_URIS_MAX:
        raise InvalidInput("redirect_uris", f"At most {REDIRECT_URIS_MAX} redirect URIs.")
    return tuple(dict.fromkeys(check_redirect_uri(w) for w in words))


async def register_app(
    conn: Any, name: str, redirect_uris: str | Iterable[str] | None,
    scopes: str | Iterable[str] | None, website: str | None,
) -> tuple[OAuthApp, str]:
    """A new app and its client secret (shown once)."""
    name = name.strip()
    if not name or len(name) > APP_NAME_MAX:
        raise InvalidInput("client_name", f"client_name must be 1 to {APP_NAME_MAX} characters.")
    uris = parse_redirect_uris(redirect_uris)
    granted = parse_scopes(scopes, field="scopes")
    site = (website or "").strip() or None
    if site is not None and (len(site) > 2000 or urlsplit(site).scheme not in ("http", "https")):
        raise InvalidInput("website", "website must be an http:// or https:// address.")
    secret = _random()
    app = await store.insert_oauth_app(
        conn, _random(), _hash(secret), name, site, uris, granted)
    return app, secret


async def get_app(conn: Any, client_id: str) -> OAuthApp | None:
    return await store.get_oauth_app(conn, client_id) if client_id else None


async def authenticate_client(conn: Any, client_id: str, client_secret: str) -> OAuthApp:
    app = await get_app(conn, client_id)
    if app is None or not client_secret or not await store.oauth_client_secret_ok(
            conn, client_id, _hash(client_secret)):
        raise OAuthError("invalid_client", "Client authentication failed: unknown "
                         "client_id or wrong client_secret.", 401)
    return app


# -- authorization ----------------------------------------------------------------

async def check_authorization(
    conn: Any, client_id: str, redirect_uri: str, response_type: str,
    scope: str | None, code_challenge: str, code_challenge_method: str,
) -> tuple[OAuthApp, str, tuple[str, ...]]:
    """The app, the exact registered redirect URI, and the scopes asked for;
    every refusal is an OAuthError to show (never to redirect with)."""
    app = await get_app(conn, client_id)
    if app is None:
        raise OAuthError("invalid_client", "This app is not registered here.", 401)
    if not redirect_uri and len(app.redirect_uris) == 1:
        redirect_uri = app.redirect_uris[0]
    if redirect_uri not in app.redirect_uris:
        raise OAuthError("invalid_request",
                         "The redirect_uri is not one this app registered.")
    if response_type != "code":
        raise OAuthError("unsupported_response_type", "Only response_type=code is supported.")
    try:
        scopes = parse_scopes(scope, default=app.scopes)
    except InvalidInput as exc:
        raise OAuthError("invalid_scope", exc.message) from None
    if not _within(scopes, app.scopes):
        raise OAuthError("invalid_scope", "The app asked for more than it registered for.")
    if code_challenge or code_challenge_method:
        if code_challenge_method not in PKCE_METHODS:
            raise OAuthError("invalid_request", "Only the S256 code challenge method is "
                             "supported.")
        if not re.fullmatch(r"[A-Za-z0-9_-]{43}", code_challenge):
            raise OAuthError("invalid_request", "code_challenge must be a base64url SHA-256.")
    return app, redirect_uri, scopes


async def grant_code(
    conn: Any, app: OAuthApp, member: Member, redirect_uri: str,
    scopes: tuple[str, ...], code_challenge: str | None,
) -> str:
    code = _random()
    await store.insert_oauth_code(
        conn, _hash(code), OAuthCode(app.id, member.id, redirect_uri, scopes,
                                     code_challenge or None),
        datetime.now(UTC) + CODE_LIFETIME)
    return code


# -- tokens -----------------------------------------------------------------------

async def _issue(conn: Any, app: OAuthApp, member_id: int | None,
                 scopes: tuple[str, ...]) -> tuple[str, datetime]:
    token = _random()
    created = await store.insert_oauth_token(conn, _hash(token), app.id, member_id, scopes)
    return token, created


async def exchange_code(
    conn: Any, client_id: str, client_secret: str, code: str, redirect_uri: str,
    code_verifier: str,
) -> tuple[str, tuple[str, ...], datetime]:
    app = await get_app(conn, client_id)
    if app is None:
        raise OAuthError("invalid_client", "Unknown client_id.", 401)
    grant = await store.consume_oauth_code(conn, _hash(code)) if code else None
    if grant is None or grant.app_id != app.id:
        raise OAuthError("invalid_grant", "The authorization code is unknown, used or expired.")
    if redirect_uri and redirect_uri != grant.redirect_uri:
        raise OAuthError("invalid_grant", "redirect_uri differs from the one authorized.")
    if grant.code_challenge is not None:
        if not code_verifier or not hmac.compare_digest(
                pkce_challenge(code_verifier), grant.code_challenge):
            raise OAuthError("invalid_grant", "The PKCE code_verifier does not match.")
        if client_secret:
            await authenticate_client(conn, client_id, client_secret)
    else:
        await authenticate_client(conn, client_id, client_secret)
    token, created = await _issue(conn, app, grant.member_id, grant.scopes)
    return token, grant.scopes, created


async def client_token(
    conn: Any, client_id: str, client_secret: str, scope: str | None,
) -> tuple[str, tuple[str, ...], datetime]:
    app = await authenticate_client(conn, client_id, client_secret)
    scopes = _requested(scope, app)
    token, created = await _issue(conn, app, None, scopes)
    return token, scopes, created


async def password_token(
    conn: Any, client_id: str, client_secret: str, username: str, password: str,
    scope: str | None,
) -> tuple[str, tuple[str, ...], datetime]:
    """Call outside a transaction: a failed attempt must count (as for log-in)."""
    app = await authenticate_client(conn, client_id, client_secret)
    scopes = _requested(scope, app)
    try:
        member = await members.authenticate(conn, username, password)
    except LoginRefused as exc:
        raise OAuthError("invalid_grant", str(exc)) from None
    except RateLimited as exc:
        raise OAuthError("invalid_grant", str(exc), 429) from exc
    token, created = await _issue(conn, app, member.id, scopes)
    return token, scopes, created


def _requested(scope: str | None, app: OAuthApp) -> tuple[str, ...]:
    try:
        scopes = parse_scopes(scope)
    except InvalidInput as exc:
        raise OAuthError("invalid_scope", exc.message) from None
    if not _within(scopes, app.scopes):
        raise OAuthError("invalid_scope", "The app asked for more than it registered for.")
    return scopes


async def revoke(conn: Any, client_id: str, client_secret: str, token: str) -> None:
    """RFC 7009: the client's own token is revoked; an unknown token is no error."""
    await authenticate_client(conn, client_id, client_secret)
    if token and await store.revoke_oauth_token(conn, _hash(token), client_id):
        await events.tokens_changed(conn)  # its open streams close now


async def token_for(conn: Any, token: str) -> OAuthToken | None:
    """The live token, its use recorded (at most once a minute)."""
    found = await store.get_oauth_token(conn, _hash(token)) if token else None
    if found is not None and (found.last_used_at is None or
                              datetime.now(UTC) - found.last_used_at > timedelta(minutes=1)):
        await store.touch_oauth_token(conn, found.id)
    return found


async def revoke_member_tokens(conn: Any, member_id: int) -> int:
    revoked = await store.revoke_member_tokens(conn, member_id)
    if revoked:
        await events.tokens_changed(conn)
    return revoked


# -- a member's authorised apps (the settings page) ------------------------------

async def authorised_apps(conn: Any, member_id: int) -> list[AuthorisedApp]:
    """The apps holding live tokens of the member's, scopes in SCOPES order."""
    found = await app_store.list_authorised_apps(conn, member_id)
    return [dataclasses.replace(app, scopes=tuple(sorted(app.scopes, key=_scope_rank)))
            for app in found]


async def revoke_app(conn: Any, member_id: int, app_id: int) -> int:
    """End every token the app holds for the member (its open streams close
    now) and its unused codes; NotFound when it holds none."""
    await app_store.delete_app_codes(conn, member_id, app_id)
    revoked = await app_store.revoke_app_tokens(conn, member_id, app_id)
    if not revoked:
        raise NotFound("That app has no access to your account.")
    await events.tokens_changed(conn)
    return revoked


def _scope_rank(scope: str) -> int:
    return SCOPES.index(scope) if scope in SCOPES else len(SCOPES)


def pkce_challenge(verifier: str) -> str:
    digest = hashlib.sha256(verifier.encode()).digest()
    return base64.urlsafe_b64encode(digest).rstrip(b"=").decode()


def _random() -> str:
    return secrets.token_urlsafe(32)


def _hash(value: str) -> bytes:
    return hashlib.sha256(value.encode()).digest()


def token_digest(token: str) -> bytes:
    """What is stored of an access token (and what a process may keep)."""
    return _hash(token)
