"""Accounts as the client API shows them: an account's posts as a viewer may
see them, its followers and follows (unless its member hides them), follow
requests, search, familiar followers, and the settings a member makes from
a client app (hide_collections, bot, profile fields, posting defaults)."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from recovery.account_models import AccountSettings, Listed, ProfileField
from recovery.errors import InvalidInput
from recovery.models import Member, Party, Post
from recovery.store import accounts as store

FIELDS_MAX = 4
FIELD_NAME_MAX = 255
FIELD_VALUE_MAX = 255
PRIVACY = ("public", "unlisted", "private")
_TAG = re.compile(r"[A-Za-z0-9_]{1,100}")
_LANGUAGE = re.compile(r"[a-z]{2,3}")


@dataclass(frozen=True, slots=True)
class PostFilter:
    """What GET /api/v1/accounts/:id/statuses narrows the list to."""

    exclude_replies: bool = False
    exclude_reblogs: bool = False
    tagged: str | None = None
    only_media: bool = False  # posts with media attached (boosts have none)


@dataclass(frozen=True, slots=True)
class PageBounds:
    limit: int
    max_id: int | None = None
    since_id: int | None = None
    min_id: int | None = None


async def posts_of(conn: Any, author: Party, viewer: Member | None, viewer_uri: str | None,
                   page: PageBounds, only: PostFilter) -> list[Post]:
    if only.tagged is not None and not _TAG.fullmatch(only.tagged.removeprefix("#")):
        raise InvalidInput("tagged", "tagged is a hashtag: letters, digits and underscores.")
    return await store.account_posts(
        conn, author, viewer.id if viewer else None, viewer_uri if viewer else None,
        limit=page.limit, max_id=page.max_id, since_id=page.since_id, min_id=page.min_id,
        exclude_replies=only.exclude_replies, exclude_reblogs=only.exclude_reblogs,
        tagged=only.tagged.removeprefix("#") if only.tagged else None,
        only_media=only.only_media)


async def collections_hidden(conn: Any, owner: Party, viewer: Member | None) -> bool:
    """Whether the viewer is kept from the account's follower lists: a member
    who hides them shows them to nobody else."""
    if owner.member_id is None or (viewer is not None and viewer.id == owner.member_id):
        return False
    return (await settings(conn, owner.member_id)).hide_collections


async def followers(conn: Any, party: Party, page: PageBounds) -> list[Listed]:
    return await store.followers_of(conn, party, page.limit, page.max_id, page.since_id,
                                    page.min_id)


async def following(conn: Any, party: Party, page: PageBounds) -> list[Listed]:
    return await store.following_of(conn, party, page.limit, page.max_id, page.since_id,
                                    page.min_id)


async def follow_requests(conn: Any, member: Member, page: PageBounds) -> list[Listed]:
    return await store.follow_requests_to(conn, member.id, page.limit, page.max_id,
                                          page.since_id, page.min_id)


async def search(conn: Any, username: str, host: str | None, *, limit: int, offset: int,
                 following_of: Member | None = None) -> list[Party]:
    if not username:
        return []
    return await store.search(conn, username, host, limit, offset,
                              following_of.id if following_of else None)


async def familiar_followers(conn: Any, viewer: Member, target: Party) -> list[Party]:
    return await store.familiar_followers(conn, viewer.id, target)


async def settings(conn: Any, member_id: int) -> AccountSettings:
    found = await store.settings_of(conn, [member_id])
    return found.get(member_id, AccountSettings(member_id))


async def settings_of(conn: Any, member_ids: Sequence[int]) -> dict[int, AccountSettings]:
    ids = sorted(set(member_ids))
    return await store.settings_of(conn, ids) if ids else {}


def checked_fields(pairs: Sequence[tuple[str, str]]) -> tuple[ProfileField, ...]:
    """Profile fields as given (empty pairs dropped), at most FIELDS_MAX."""
    fields = []
    for name, value in pairs:
        name, value = _one_line(name), _one_line(value)
        if not name and not value:
            continue
        if len(name) > FIELD_NAME_MAX or len(value) > FIELD_VALUE_MAX:
            raise InvalidInput("fields_attributes", "Profile field names and values are at "
                               f"most {FIELD_NAME_MAX} characters.")
        fields.append(ProfileField(name, value))
    if len(fields) > FIELDS_MAX:
        raise InvalidInput("fields_attributes", f"A profile has at most {FIELDS_MAX} fields.")
    return tuple(fields)


def _one_line(text: str) -> str:
    text = unicodedata.normalize("NFC", text).strip()
    return "".join(ch for ch in text if unicodedata.category(ch) != "Cc")


async def save_settings(conn: Any, wanted: AccountSettings) -> AccountSettings:
    if wanted.default_privacy is not None and wanted.default_privacy not in PRIVACY:
        raise InvalidInput("source[privacy]", "source[privacy] is public, unlisted or private.")
    if wanted.default_language is not None and not _LANGUAGE.fullmatch(wanted.default_language):
        raise InvalidInput("source[language]", "source[language] is an ISO 639 code, e.g. en.")
    return await store.save_settings(conn, wanted)
