"""Plain data of blocks, mutes, private notes, relationships and the settings
a member makes from a client app; the store returns these, never records."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from recovery.models import Party


@dataclass(frozen=True, slots=True)
class Block:
    id: int
    uri: str  # the Block activity's id, for its Undo
    member_id: int
    target: Party
    created_at: datetime


@dataclass(frozen=True, slots=True)
class Mute:
    id: int
    member_id: int
    target: Party
    notifications: bool
    expires_at: datetime | None


@dataclass(frozen=True, slots=True)
class Relationship:
    """What a member's relationship with one account is (Mastodon's entity)."""

    target: Party
    following: bool = False
    requested: bool = False
    followed_by: bool = False
    requested_by: bool = False
    blocking: bool = False
    blocked_by: bool = False
    muting: bool = False
    muting_notifications: bool = False
    note: str = ""


@dataclass(frozen=True, slots=True)
class ProfileField:
    name: str
    value: str


@dataclass(frozen=True, slots=True)
class AccountSettings:
    member_id: int
    hide_collections: bool = False
    bot: bool = False
    fields: tuple[ProfileField, ...] = ()
    default_privacy: str | None = None
    default_sensitive: bool = False
    default_language: str | None = None


@dataclass(frozen=True, slots=True)
class Listed:
    """One entry of a paged list of accounts: the row id pages go by (a
    follow's, a block's, a mute's) and the account."""

    row_id: int
    party: Party
    expires_at: datetime | None = None
