"""Mastodon API entities (docs.joinmastodon.org/entities) from Hearth's plain
dataclasses. Serialising a page is two steps: ``await *_context(conn, ...)``
batches every look-up the page needs (a few queries whatever its length),
then the pure functions here build the JSON from it."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import lru_cache
from html import escape
from typing import Any

from federation.sanitize import sanitize_html
from outbox.uris import local_username, tag_url
from recovery import bookmarks as recovery_bookmarks
from recovery import filters as recovery_filters
from recovery import lookups
from recovery import media as recovery_media
from recovery import posts as recovery_posts
from recovery.filter_models import Filter, FilterKeyword, FilterMatch, FilterStatus
from recovery.lookups import Accounts
from recovery.media_models import MediaAttachment
from recovery.models import (
    AccountStats,
    Member,
    Party,
    Post,
    PostState,
    RemoteProfile,
    Role,
    Visibility,
)
from recovery.status_models import BOOKMARKED, MUTED, PINNED
from web.api import poll_entities
from web.api.entity_cache import EntityCache, PostParts
from web.api.ids import member_account_id, remote_account_id

DEFAULT_AVATAR = "/static/avatar-default.png"
DEFAULT_HEADER = "/static/header-default.png"
_NO_STATS = AccountStats(0, 0, 0, None)
# Hearth visibility -> what Mastodon clients know. Community-only posts show
# as unlisted with local_only: true (clients know only the four).
_TO_API = {
    Visibility.PUBLIC: "public", Visibility.UNLISTED: "unlisted",
    Visibility.FOLLOWERS: "private", Visibility.DIRECT: "direct",
    Visibility.COMMUNITY: "unlisted",
}
_FROM_API = {
    "public": Visibility.PUBLIC, "unlisted": Visibility.UNLISTED,
    "private": Visibility.FOLLOWERS, "direct": Visibility.DIRECT,
    "local": Visibility.COMMUNITY, "local_only": Visibility.COMMUNITY,
}


def iso(moment: datetime | None) -> str | None:
    """Mastodon's timestamp shape: 2019-12-08T03:48:33.901Z."""
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def _date(moment: datetime | None) -> str | None:
    return moment.astimezone(UTC).date().isoformat() if moment else None


def api_visibility(visibility: Visibility) -> str:
    return _TO_API[visibility]


def visibility_from_api(value: str | None, local_only: bool = False) -> Visibility | None:
    """What a client asked for (``local``/``local_only`` or the flag mean
    community-only); None for an unknown value."""
    if local_only and value in (None, "", "public", "unlisted", "local", "local_only"):
        return Visibility.COMMUNITY
    if not value:
        return None
    return _FROM_API.get(value)


# -- accounts ---------------------------------------------------------------------

def _bio_html(bio: str) -> str:
    paragraphs = [escape(p.strip()) for p in bio.split("\n\n") if p.strip()]
    return "".join(f"<p>{p.replace(chr(10), '<br>')}</p>" for p in paragraphs)


def member_account(member: Member, stats: AccountStats | None, base_url: str) -> dict[str, Any]:
    stats = stats or _NO_STATS
    avatar = _media_url(base_url, member.avatar_file) or base_url + DEFAULT_AVATAR
    header = _media_url(base_url, member.header_file) or base_url + DEFAULT_HEADER
    return {
        "id": member_account_id(member.id),
        "username": member.username,
        "acct": member.username,
        "display_name": member.display_name,
        "locked": member.manually_approves_followers,
        "bot": False,
        "discoverable": member.discoverable,
        "indexable": False,
        "group": False,
        "noindex": True,
        "created_at": iso(_midnight(member.created_at)),
        "note": _bio_html(member.bio),
        "url": f"{base_url}/@{member.username}",
        "uri": f"{base_url}/users/{member.username}",
        "avatar": avatar, "avatar_static": avatar,
        "header": header, "header_static": header,
        "followers_count": stats.followers,
        "following_count": stats.following,
        "statuses_count": stats.statuses,
        "last_status_at": _date(stats.last_status_at),
        "hide_collections": False,
        "emojis": [],
        "fields": [],
    }


def remote_account(profile: RemoteProfile, stats: AccountStats | None,
                   base_url: str) -> dict[str, Any]:
    stats = stats or _NO_STATS
    actor = profile.actor
    username = actor.username or actor.uri.rstrip("/").rsplit("/", 1)[-1]
    avatar = profile.avatar or base_url + DEFAULT_AVATAR
    header = profile.header or base_url + DEFAULT_HEADER
    return {
        "id": remote_account_id(actor.id),
        "username": username,
        "acct": f"{username}@{actor.host}",
        "display_name": actor.name or "",
        "locked": actor.manually_approves_followers,
        "bot": actor.type in ("Service", "Application"),
        "discoverable": profile.discoverable,
        "group": actor.type == "Group",
        "created_at": iso(_midnight(_parse_time(profile.published) or profile.fetched_at)),
        "note": _clean_note(profile.summary_html),
        "url": actor.url or actor.uri,
        "uri": actor.uri,
        "avatar": avatar, "avatar_static": avatar,
        "header": header, "header_static": header,
        "followers_count": stats.followers,
        "following_count": stats.following,
        "statuses_count": stats.statuses,
        "last_status_at": _date(stats.last_status_at),
        "emojis": [],
        "fields": [],
    }


@lru_cache(maxsize=4096)
def _clean_note(summary_html: str) -> str:
    """A remote bio made safe; the same few bios come back on every page, and
    sanitising is a pure function of the text."""
    return sanitize_html(summary_html)


def credential_account(member: Member, stats: AccountStats | None,
                       base_url: str) -> dict[str, Any]:
    """The member's own account, with ``source`` and ``role`` (verify_credentials)."""
    account = member_account(member, stats, base_url)
    account["source"] = {
        "privacy": "private" if member.manually_approves_followers else "public",
        "sensitive": False,
        "language": None,
        "note": member.bio,
        "fields": [],
        "follow_requests_count": 0,
        "hide_collections": False,
        "discoverable": member.discoverable,
        "indexable": False,
    }
    account["role"] = role_entity(member.role)
    return account


def role_entity(role: Role) -> dict[str, Any]:
    ids = {Role.MEMBER: "-99", Role.MODERATOR: "2", Role.ADMIN: "3"}
    names = {Role.MEMBER: "", Role.MODERATOR: "Moderator", Role.ADMIN: "Admin"}
    return {"id": ids[role], "name": names[role], "color": "",
            "permissions": "0", "highlighted": role is not Role.MEMBER}


def _midnight(moment: datetime) -> datetime:
    """Mastodon rounds account creation to the day; it also keeps members'
    sign-up times private."""
    return moment.astimezone(UTC).replace(hour=0, minute=0, second=0, microsecond=0)


def _parse_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def account_of(party: Party, accounts: Accounts, base_url: str) -> dict[str, Any] | None:
    if party.member_id is not None:
        member = accounts.members.get(party.member_id)
        return member_account(member, accounts.member_stats.get(member.id), base_url) \
            if member else None
    assert party.remote_id is not None
    profile = accounts.remotes.get(party.remote_id)
    return remote_account(profile, accounts.remote_stats.get(party.remote_id), base_url) \
        if profile else None


async def accounts_context(conn: Any, parties: list[Party]) -> Accounts:
    return await lookups.accounts(
        conn, [p.member_id for p in parties if p.member_id is not None],
        [p.remote_id for p in parties if p.remote_id is not None])


# -- media ------------------------------------------------------------------------

def _media_url(base_url: str, name: str | None) -> str | None:
    return f"{base_url}/media/{name}" if name else None


def _media_kind(media_type: str) -> str:
    kind = media_type.split("/", 1)[0]
    return {"image": "image", "video": "video", "audio": "audio"}.get(kind, "unknown")


def media_attachment(media: MediaAttachment, base_url: str) -> dict[str, Any]:
    """The MediaAttachment entity: an upload here (served from /media), or a
    remote post's attachment (its remote address, never fetched here)."""
    meta: dict[str, Any] = dict(media.meta)
    if not media.is_remote:
        meta["focus"] = {"x": media.focus_x, "y": media.focus_y}
    url = _media_url(base_url, media.file_name) or media.remote_url
    kind = _media_kind(media.media_type)
    preview = _media_url(base_url, media.preview_name) or (url if kind == "image" else None)
    return {
        "id": str(media.id),
        "type": kind,
        "url": url,
        "preview_url": preview,
        "remote_url": media.remote_url,
        "preview_remote_url": None,
        "text_url": None,
        "meta": meta,
        "description": media.description or None,
        "blurhash": media.blurhash,
    }


# -- statuses ---------------------------------------------------------------------

@dataclass
class StatusContext:
    """Everything a page of statuses needs, looked up in one batch: what is
    the same for every viewer (``parts``, ``authors``; kept by the entity
    cache when there is one) and the viewer's own (``reacted``,
    ``filtered``, ``polls``)."""

    base_url: str
    parents: dict[int, Party]  # by the replying post's id
    parts: dict[int, PostParts] = field(default_factory=dict)  # by post id
    authors: dict[Party, dict[str, Any]] = field(default_factory=dict)  # counts not yet in
    reblogs: dict[int, Post] = field(default_factory=dict)
    reacted: set[tuple[str, int]] = field(default_factory=set)
    filtered: dict[int, list[FilterMatch]] = field(default_factory=dict)  # the viewer's
    polls: dict[int, dict[str, Any]] = field(default_factory=dict)  # Poll entities by post
    states: dict[int, PostState] = field(default_factory=dict)  # newer counts, by post id


def _author_party(post: Post) -> Party:
    return Party(post.author.member_id, post.author.remote_id)


async def status_context(conn: Any, shown: list[Post], viewer: Member | None,
                         base_url: str, cache: EntityCache | None = None, *,
                         states: dict[int, PostState] | None = None,
                         marks: set[tuple[str, int]] | None = None,
                         filters: Sequence[Filter] | None = None) -> StatusContext:
    """The look-ups for ``shown``; ``states`` has newer counts for posts read
    earlier and ``marks`` the viewer's marks on them
    (recovery.timelines.still_current), ``filters`` the viewer's filters
    when the caller has them."""
    reblogs = {p.reblog.id: p.reblog for p in shown if p.reblog is not None}
    for post_id in sorted({p.reblog_of_id for p in shown if p.reblog_of_id is not None}
                          - set(reblogs)):  # boosts whose original was not loaded
        original = await recovery_posts.by_id(conn, post_id)
        if original is not None:
            reblogs[post_id] = original
    every = list({p.id: p for p in [*shown, *reblogs.values()]}.values())
    parts: dict[int, PostParts] = {}
    authors: dict[Party, dict[str, Any]] = {}
    for post in every:
        found = cache.post(post) if cache else None
        if found is not None:
            parts[post.id] = found
        account = cache.author(post.author) if cache else None
        if account is not None:
            authors[_author_party(post)] = account
    missing = [p for p in every if p.id not in parts]
    polls = await poll_entities.of_posts(
        conn, [p for p in every if p.id not in parts or parts[p.id].has_poll], viewer)
    if missing or len(authors) < len({_author_party(p) for p in every}):
        await _build(conn, every, missing, polls, base_url, cache, parts, authors)
    # liked, boosted, bookmarked, pinned, muted: one query
    if marks is not None:
        reacted = marks
    elif viewer and every:
        reacted = await recovery_bookmarks.marks(conn, viewer, every)
    else:
        reacted = set()
    filtered = await recovery_filters.matches(conn, viewer, every, filters)
    parents = {post_id: found.parent for post_id, found in parts.items()
               if found.parent is not None}
    return StatusContext(base_url, parents, parts, authors, reblogs, reacted, filtered, polls,
                         states or {})


async def _build(conn: Any, every: list[Post], missing: list[Post],
                 polls: dict[int, dict[str, Any]], base_url: str, cache: EntityCache | None,
                 parts: dict[int, PostParts], authors: dict[Party, dict[str, Any]]) -> None:
    """Look up what the cache did not have: the parts of the ``missing``
    posts and the authors not in ``authors``; keep them in the cache."""
    parents = await lookups.post_authors(
        conn, [p.in_reply_to_id for p in missing if p.in_reply_to_id is not None])
    mentioned = await _mentioned(conn, missing, base_url)
    unknown = {_author_party(p) for p in every} - set(authors)
    accounts = await accounts_context(
        conn, [*unknown, *(party for found in mentioned.values() for party in found)])
    for post in every:
        party = _author_party(post)
        if party in unknown and party not in authors:
            account = account_of(party, accounts, base_url)
            if account is not None:
                authors[party] = account
                if cache is not None:
                    cache.keep_author(conn, post.author, account)
    ids = [p.id for p in missing]
    media = await recovery_media.of_posts(conn, ids) if ids else {}
    tags = await recovery_posts.tags_of(conn, ids) if ids else {}
    for post in missing:
        built = PostParts(
            post.version,
            tuple(media_attachment(m, base_url) for m in media.get(post.id, [])),
            tuple(m for m in (_mention(p, accounts, base_url)
                              for p in mentioned.get(post.id, ())) if m is not None),
            tuple({"name": name, "url": tag_url(base_url, name)}
                  for name in tags.get(post.id, ())),
            parents.get(post.in_reply_to_id) if post.in_reply_to_id else None,
            post.id in polls)
        parts[post.id] = built
        if cache is not None:
            cache.keep_post(conn, post.id, built)


async def _mentioned(conn: Any, posts: list[Post], base_url: str) -> dict[int, list[Party]]:
    """The accounts each post addresses besides its author (whom it mentions,
    and the author it replies to), from its stored recipients, in order."""
    if not posts:
        return {}
    names: dict[str, str] = {}
    for uri in {uri for post in posts for uri in post.recipients}:
        name = local_username(base_url, uri)
        if name is not None:
            names[uri] = name.lower()
    remote_uris = {uri for post in posts for uri in post.recipients} - set(names)
    local, remote = await lookups.parties_named(conn, names.values(), remote_uris)
    found: dict[int, list[Party]] = {}
    for post in posts:
        if post.reblog_of_id is not None:
            continue  # a boost mentions no one: its original does
        parties = [local.get(names[uri]) if uri in names else remote.get(uri)
                   for uri in post.recipients]
        author = _author_party(post)
        found[post.id] = list(dict.fromkeys(p for p in parties if p and p != author))
    return found


def _mention(party: Party, accounts: Accounts, base_url: str) -> dict[str, Any] | None:
    account = account_of(party, accounts, base_url)
    if account is None:
        return None
    return {key: account[key] for key in ("id", "username", "url", "acct")}


def _with_counts(account: dict[str, Any], stats: AccountStats | None) -> dict[str, Any]:
    if stats is None:
        return dict(account)
    return {**account, "followers_count": stats.followers,
            "following_count": stats.following, "statuses_count": stats.statuses,
            "last_status_at": _date(stats.last_status_at)}


def status(post: Post, ctx: StatusContext) -> dict[str, Any] | None:
    """The Status entity; None when its author cannot be shown (gone)."""
    found = ctx.authors.get(_author_party(post))
    parts = ctx.parts.get(post.id)
    if found is None or parts is None:
        return None
    state = ctx.states.get(post.id)
    account = _with_counts(found, state.author_stats if state else post.author_stats)
    reblog = None
    if post.reblog_of_id is not None:
        original = ctx.reblogs.get(post.reblog_of_id)
        reblog = status(original, ctx) if original is not None else None
        if reblog is None:
            return None  # a boost of something gone or not shown
    target = ctx.reblogs.get(post.reblog_of_id or 0, post)
    uri = post.uri or f"{account['uri']}/posts/{post.id}"
    return {
        "id": str(post.id),
        "uri": uri,
        "url": post.url or (f"{ctx.base_url}/@{post.author.username}/{post.id}"
                            if post.uri is None else uri),
        "created_at": iso(post.published_at),
        "edited_at": iso(post.edited_at),
        "account": account,
        "content": "" if reblog else post.content_html,
        "visibility": api_visibility(post.visibility),
        "local_only": post.visibility is Visibility.COMMUNITY,
        "sensitive": post.sensitive or bool(post.summary),
        "spoiler_text": post.summary,
        "media_attachments": list(parts.media),
        "mentions": list(parts.mentions),
        "tags": list(parts.tags),
        "emojis": [],
        "reblogs_count": state.boosts if state else post.boosts,
        "favourites_count": state.likes if state else post.likes,
        "replies_count": state.replies if state else post.replies,
        "in_reply_to_id": str(post.in_reply_to_id) if post.in_reply_to_id else None,
        "in_reply_to_account_id": _party_id(parts.parent) if parts.parent else None,
        "reblog": reblog,
        "application": None,
        "language": post.language,
        "favourited": ("like", target.id) in ctx.reacted,
        "reblogged": ("boost", target.id) in ctx.reacted,
        "muted": (MUTED, target.id) in ctx.reacted,
        "bookmarked": (BOOKMARKED, target.id) in ctx.reacted,
        "pinned": (PINNED, post.id) in ctx.reacted,
        "filtered": [filter_result(m) for m in ctx.filtered.get(target.id, ())],
        "poll": None if reblog else ctx.polls.get(post.id),
        "card": None,
    }


def _party_id(party: Party) -> str:
    if party.member_id is not None:
        return member_account_id(party.member_id)
    assert party.remote_id is not None
    return remote_account_id(party.remote_id)


async def statuses(conn: Any, shown: list[Post], viewer: Member | None,
                   base_url: str, cache: EntityCache | None = None) -> list[dict[str, Any]]:
    """A page of Status entities in the given order, built in one batch."""
    ctx = await status_context(conn, shown, viewer, base_url, cache)
    return [s for s in (status(p, ctx) for p in shown) if s is not None]


# -- filters (docs.joinmastodon.org/entities/Filter) ------------------------------

def filter_keyword_entity(keyword: FilterKeyword) -> dict[str, Any]:
    return {"id": str(keyword.id), "keyword": keyword.keyword, "whole_word": keyword.whole_word}


def filter_status_entity(found: FilterStatus) -> dict[str, Any]:
    return {"id": str(found.id), "status_id": str(found.post_id)}


def filter_entity(found: Filter) -> dict[str, Any]:
    return {
        "id": str(found.id), "title": found.title, "context": list(found.context),
        "expires_at": iso(found.expires_at), "filter_action": found.action,
        "keywords": [filter_keyword_entity(k) for k in found.keywords],
        "statuses": [filter_status_entity(s) for s in found.statuses],
    }


def filter_result(match: FilterMatch) -> dict[str, Any]:
    """What a Status's ``filtered`` lists for its viewer."""
    return {"filter": filter_entity(match.filter),
            "keyword_matches": list(match.keyword_matches) or None,
            "status_matches": [str(i) for i in match.status_matches] or None}


def v1_filter(found: Filter, keyword: FilterKeyword) -> dict[str, Any]:
    """The version 1 Filter: one keyword of a filter."""
    return {"id": str(keyword.id), "phrase": keyword.keyword, "context": list(found.context),
            "whole_word": keyword.whole_word, "expires_at": iso(found.expires_at),
            "irreversible": found.action == "hide"}
