"""Accounts in the Mastodon client API (docs.joinmastodon.org/methods/accounts):
an account, its statuses, followers and follows, look-up and search,
relationships, familiar followers, and update_credentials. The changes a
member makes to another account (follow, block, mute...) are in
``web.api.account_actions``."""

from __future__ import annotations

import dataclasses
import json
from html import escape
from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from federation.errors import InvalidDocument
from federation.webfinger import parse_handle
from recovery import accounts, blocks, bookmarks, filters, follows, members, peers
from recovery.account_models import AccountSettings, Listed
from recovery.accounts import PageBounds, PostFilter
from recovery.models import Member, Party, Post, RemoteActor, Status
from web import profile_updates
from web.api import entities, entity_cache
from web.api import media as media_api
from web.api.http import (
    ApiError,
    Params,
    api_routes,
    authenticate,
    authenticate_member,
    json_response,
    page_of,
    paged_response,
    read_params,
)
from web.api.ids import account_id, parse_account_id
from web.api.relationships import (
    NOT_FOUND,
    accept_waiting_requests,
    domain_errors,
    party_of,
    relationships_json,
)
from web.following import LookupFailed, lookup
from web.http import connection, transaction
from web.social import Site, member_named

SEARCH_MAX = 80
QUERY_MAX = 300


# -- rendering --------------------------------------------------------------------

def _fields(settings: AccountSettings) -> list[dict[str, Any]]:
    return [{"name": f.name, "value": escape(f.value), "verified_at": None}
            for f in settings.fields]


def _apply(account: dict[str, Any], settings: AccountSettings | None) -> dict[str, Any]:
    """What a member set from a client, on their Account entity."""
    if settings is not None:
        account.update(bot=settings.bot, hide_collections=settings.hide_collections,
                       fields=_fields(settings))
    return account


async def accounts_json(conn: Any, base_url: str, parties: list[Party],
                        ) -> list[dict[str, Any] | None]:
    """Account entities for ``parties`` in order (None for one not shown:
    gone, or a member not active)."""
    found = await entities.accounts_context(conn, parties)
    settings = await accounts.settings_of(conn, [p.member_id for p in parties
                                                 if p.member_id is not None])
    shown: list[dict[str, Any] | None] = []
    for party in parties:
        member = found.members.get(party.member_id or 0)
        remote = found.remotes.get(party.remote_id or 0)
        if (member is not None and member.status is not Status.ACTIVE) or (
                remote is not None and remote.actor.gone):
            shown.append(None)
            continue
        account = entities.account_of(party, found, base_url)
        shown.append(_apply(account, settings.get(party.member_id or 0)) if account else None)
    return shown


async def listed_response(request: Request, conn: Any, listed: list[Listed],
                           extra: bool = False) -> Response:
    """A page of accounts with its Link header (paged by the rows' ids)."""
    shown = await accounts_json(conn, _base(request), [entry.party for entry in listed])
    payload = []
    for entry, account in zip(listed, shown, strict=True):
        if account is not None:
            if extra:
                account["mute_expires_at"] = entities.iso(entry.expires_at)
            payload.append(account)
    return paged_response(request, payload, [entry.row_id for entry in listed])


def _base(request: Request) -> str:
    url: str = request.app.state.settings.url
    return url


def bounds(params: Params, default: int = 40, maximum: int = 80) -> PageBounds:
    page = page_of(params, default=default, maximum=maximum)
    return PageBounds(page.limit, page.max_id, page.since_id, page.min_id)


# -- reading ----------------------------------------------------------------------

async def get_account(request: Request) -> Response:
    await authenticate(request, "read:accounts", required=False, user=False)
    async with connection(request) as conn:
        party, _ = await party_of(conn, request.path_params["id"])
        shown = (await accounts_json(conn, _base(request), [party]))[0]
    if shown is None:
        raise ApiError(404, NOT_FOUND)
    return json_response(shown)


async def get_accounts(request: Request) -> Response:
    """GET /api/v1/accounts?id[]=: the accounts found, in order."""
    await authenticate(request, "read:accounts", required=False, user=False)
    params = await read_params(request)
    parties = _parties(params.strs("id", max_items=40))
    async with connection(request) as conn:
        shown = await accounts_json(conn, _base(request), parties)
    return json_response([account for account in shown if account is not None])


def _parties(raw_ids: list[str]) -> list[Party]:
    parties = [parse_account_id(raw) for raw in raw_ids]
    return list(dict.fromkeys(p for p in parties if p is not None))


async def account_statuses(request: Request) -> Response:
    """The account's posts; those the viewer's ``hide`` filters for the
    ``account`` context catch are left out (paging moves on past them)."""
    found = await authenticate(request, "read:statuses", required=False, user=False)
    viewer = found.member if found else None
    params = await read_params(request)
    page = bounds(params, default=20, maximum=40)
    only = PostFilter(exclude_replies=bool(params.get_bool("exclude_replies", False)),
                      exclude_reblogs=bool(params.get_bool("exclude_reblogs", False)),
                      tagged=params.get_str("tagged", max_length=101),
                      only_media=bool(params.get_bool("only_media", False)))
    async with connection(request) as conn:
        party, account = await party_of(conn, request.path_params["id"])
        if viewer is not None and (await blocks.relationship(conn, viewer, party)).blocked_by:
            return paged_response(request, [], [])
        if params.get_bool("pinned", False):
            pinned = (await bookmarks.pinned(conn, account, viewer, Site.of(request).actor(viewer))
                      if isinstance(account, Member) else [])  # remote pins are not read
            return json_response(await _unhidden(conn, request, pinned, viewer))
        with domain_errors():
            shown = await accounts.posts_of(conn, party, viewer, Site.of(request).actor(viewer),
                                            page, only)
        payload = await _unhidden(conn, request, shown, viewer)
    return paged_response(request, payload, [p.id for p in shown])


async def _unhidden(conn: Any, request: Request, listed: list[Post],
                    viewer: Member | None) -> list[dict[str, Any]]:
    """Status entities for ``listed`` but those the viewer's filters hide."""
    hidden = await filters.hidden_ids(conn, viewer, listed, "account")
    return await entities.statuses(conn, [p for p in listed if p.id not in hidden], viewer,
                                   _base(request), entity_cache.of(request))


async def _collection(request: Request, followers: bool) -> Response:
    found = await authenticate(request, "read:accounts", required=False, user=False)
    viewer = found.member if found else None
    page = bounds(await read_params(request))
    async with connection(request) as conn:
        party, _ = await party_of(conn, request.path_params["id"])
        if await accounts.collections_hidden(conn, party, viewer):
            return paged_response(request, [], [])
        listed = await (accounts.followers if followers else accounts.following)(
            conn, party, page)
        return await listed_response(request, conn, listed)


async def account_followers(request: Request) -> Response:
    return await _collection(request, followers=True)


async def account_following(request: Request) -> Response:
    return await _collection(request, followers=False)


async def relationships(request: Request) -> Response:
    _, member = await authenticate_member(request, "read:follows")
    params = await read_params(request)
    parties = _parties(params.strs("id", max_items=blocks.RELATIONSHIPS_MAX))
    async with connection(request) as conn:
        shown = await accounts_json(conn, _base(request), parties)
        wanted = [p for p, account in zip(parties, shown, strict=True) if account is not None]
        with domain_errors():
            found = await blocks.relationships(conn, member, wanted)
        return json_response(await relationships_json(conn, member, found))


async def familiar_followers(request: Request) -> Response:
    """For each account asked about, members the caller follows who follow it."""
    _, member = await authenticate_member(request, "read:follows")
    params = await read_params(request)
    raw = params.strs("id", max_items=40) or await _json_ids(request)
    answer = []
    async with connection(request) as conn:
        for party in _parties(raw):
            known = await accounts.familiar_followers(conn, member, party)
            shown = await accounts_json(conn, _base(request), known)
            answer.append({"id": account_id(party),
                           "accounts": [a for a in shown if a is not None]})
    return json_response(answer)


async def _json_ids(request: Request) -> list[str]:
    """Mastodon.py sends this GET's ids as a JSON body."""
    if "json" not in request.headers.get("content-type", ""):
        return []
    body = await request.body()
    if len(body) > 10_000:
        raise ApiError(422, "Validation failed: id has too many items")
    try:
        data = json.loads(body or b"{}")
    except ValueError:
        raise ApiError(400, "The request body is not valid JSON") from None
    ids = data.get("id", []) if isinstance(data, dict) else []
    return [str(i) for i in (ids if isinstance(ids, list) else [ids])][:40]


async def lookup_account(request: Request) -> Response:
    """GET /api/v1/accounts/lookup?acct=name or name@host, among accounts
    known here (no network look-up: that is search's resolve)."""
    await authenticate(request, "read:accounts", required=False, user=False)
    acct = (await read_params(request)).get_str("acct", required=True, max_length=QUERY_MAX)
    assert acct is not None
    site = Site.of(request)
    async with connection(request) as conn:
        party = await _known(conn, site, acct)
        shown = (await accounts_json(conn, _base(request), [party]))[0] if party else None
    if shown is None:
        raise ApiError(404, NOT_FOUND)
    return json_response(shown)


async def _known(conn: Any, site: Site, acct: str) -> Party | None:
    username, host = _split(acct)
    if host is None or host.lower() == site.domain.lower():
        member = await member_named(conn, username)
        return Party(member_id=member.id) if member else None
    remote = await _remote_named(conn, username, host)
    return Party(remote_id=remote.id) if remote else None


async def _remote_named(conn: Any, username: str, host: str) -> RemoteActor | None:
    remote = await peers.by_handle(conn, username, host)
    return remote if remote is not None and not remote.gone else None


def _split(acct: str) -> tuple[str, str | None]:
    text = acct.strip().removeprefix("@")
    if "@" not in text:
        return text, None
    try:
        username, host = parse_handle(text)
    except InvalidDocument:
        raise ApiError(422, "Validation failed: acct is name or name@host") from None
    return username, host


async def search_accounts(request: Request) -> Response:
    """GET /api/v1/accounts/search: accounts known here whose name starts
    with ``q``; with resolve=true a name@host not known yet is looked up
    through WebFinger."""
    _, member = await authenticate_member(request, "read:accounts")
    params = await read_params(request)
    query = params.get_str("q", required=True, max_length=QUERY_MAX) or ""
    limit = params.get_int("limit", 40, minimum=1, maximum=SEARCH_MAX, clamp=True) or 40
    offset = params.get_int("offset", 0, minimum=0, maximum=10_000) or 0
    following_only = bool(params.get_bool("following", False))
    username, host = _split(query)
    site = Site.of(request)
    if host is not None and host.lower() == site.domain.lower():
        host = None
    async with connection(request) as conn:
        if host is not None and params.get_bool("resolve", False) and offset == 0:
            await _resolve(conn, site, username, host)
        found = await accounts.search(conn, username, host, limit=limit, offset=offset,
                                      following_of=member if following_only else None)
        shown = await accounts_json(conn, _base(request), found)
    return json_response([account for account in shown if account is not None])


async def _resolve(conn: Any, site: Site, username: str, host: str) -> None:
    """Look ``@username@host`` up over the network (stored when found); an
    account that cannot be had is simply not among the results."""
    try:
        async with conn.transaction():
            await lookup(conn, site, username, host)
    except LookupFailed:
        return


# -- update_credentials -------------------------------------------------------------

async def update_credentials(request: Request) -> Response:
    _, member = await authenticate_member(request, "write:accounts")
    params = await read_params(request)
    uploads = await media_api.profile_uploads(request)
    # Update(Person) to remote followers when the actor changed, in this transaction
    async with transaction(request) as conn, profile_updates.announced(
            conn, request.app.state.settings, member):
        with domain_errors():
            updated = await members.update_profile(
                conn, member.id,
                params.get_str("display_name", member.display_name) or "",
                params.get_str("note", member.bio) or "",
                manually_approves_followers=bool(params.get_bool(
                    "locked", member.manually_approves_followers)),
                discoverable=bool(params.get_bool("discoverable", member.discoverable)))
            saved = await accounts.save_settings(
                conn, _wanted_settings(params, await accounts.settings(conn, member.id)))
            # last: a refusal above leaves no image file behind
            replaced = await media_api.save_profile_uploads(conn, request, member.id, uploads)
        if member.manually_approves_followers and not updated.manually_approves_followers:
            await accept_waiting_requests(conn, Site.of(request), updated)
        response = json_response(await credential_json(conn, updated, _base(request), saved))
    media_api.remove_replaced(request, replaced)
    return response


def _wanted_settings(params: Params, current: AccountSettings) -> AccountSettings:
    source = params.sub("source")
    fields = current.fields
    if "fields_attributes" in params:
        fields = accounts.checked_fields(_field_pairs(params))
    return dataclasses.replace(
        current,
        hide_collections=bool(params.get_bool("hide_collections", current.hide_collections)),
        bot=bool(params.get_bool("bot", current.bot)),
        fields=fields,
        default_privacy=source.get_str("privacy", current.default_privacy),
        default_sensitive=bool(source.get_bool("sensitive", current.default_sensitive)),
        default_language=source.get_str("language", current.default_language) or None,
    )


def _field_pairs(params: Params) -> list[tuple[str, str]]:
    items = params.get_list("fields_attributes")
    if len(items) > accounts.FIELDS_MAX * 2:
        raise ApiError(422, "Validation failed: too many fields_attributes")
    pairs = []
    for item in items:
        if not isinstance(item, dict):
            raise ApiError(422, "Validation failed: fields_attributes are name and value pairs")
        name, value = item.get("name", ""), item.get("value", "")
        if not isinstance(name, str) or not isinstance(value, str):
            raise ApiError(422, "Validation failed: field names and values are text")
        pairs.append((name, value))
    return pairs


async def credential_json(conn: Any, member: Member, base_url: str,
                          settings: AccountSettings | None = None) -> dict[str, Any]:
    """The member's own account (verify_credentials, update_credentials),
    with what they set from a client and their waiting follow requests."""
    found = await entities.accounts_context(conn, [Party(member_id=member.id)])
    settings = settings or await accounts.settings(conn, member.id)
    account = _credential(found.members.get(member.id, member),  # as stored now
                          found.member_stats.get(member.id), settings, base_url)
    account["source"]["follow_requests_count"] = await follows.pending_count(conn, member)
    return account


def _credential(member: Member, stats: Any, settings: AccountSettings,
                base_url: str) -> dict[str, Any]:
    account = _apply(entities.credential_account(member, stats, base_url), settings)
    account["source"].update(
        privacy=settings.default_privacy or account["source"]["privacy"],
        sensitive=settings.default_sensitive, language=settings.default_language,
        fields=[{"name": f.name, "value": f.value, "verified_at": None}
                for f in settings.fields],
        hide_collections=settings.hide_collections)
    return account


routes = [
    *api_routes("/api/v1/accounts", get_accounts, ["GET"]),
    *api_routes("/api/v1/accounts/relationships", relationships, ["GET"]),
    *api_routes("/api/v1/accounts/lookup", lookup_account, ["GET"]),
    *api_routes("/api/v1/accounts/search", search_accounts, ["GET"]),
    *api_routes("/api/v1/accounts/familiar_followers", familiar_followers, ["GET"]),
    *api_routes("/api/v1/accounts/update_credentials", update_credentials, ["PATCH"]),
    *api_routes("/api/v1/accounts/{id:str}", get_account, ["GET"]),
    *api_routes("/api/v1/accounts/{id}/statuses", account_statuses, ["GET"]),
    *api_routes("/api/v1/accounts/{id}/followers", account_followers, ["GET"]),
    *api_routes("/api/v1/accounts/{id}/following", account_following, ["GET"]),
]
