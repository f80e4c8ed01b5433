"""Plain data the domain hands around; the store returns these, never records."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum


class Role(StrEnum):
    MEMBER = "member"
    MODERATOR = "moderator"
    ADMIN = "admin"


class Status(StrEnum):
    ACTIVE = "active"
    PENDING = "pending"
    SUSPENDED = "suspended"


class Registration(StrEnum):
    OPEN = "open"
    APPROVAL = "approval"
    INVITE = "invite"


@dataclass(frozen=True, slots=True)
class Member:
    id: int
    username: str
    display_name: str
    bio: str
    role: Role
    status: Status
    created_at: datetime
    manually_approves_followers: bool = True
    discoverable: bool = False
    avatar_file: str | None = None  # in the media directory (recovery.media)
    header_file: str | None = None

    @property
    def shown_name(self) -> str:
        return self.display_name or self.username

    @property
    def is_moderator(self) -> bool:
        return self.role in (Role.MODERATOR, Role.ADMIN)


@dataclass(frozen=True, slots=True)
class Credentials:
    member: Member
    password_hash: str


@dataclass(frozen=True, slots=True)
class KeyPair:
    public_key_pem: str
    private_key_pem: str


@dataclass(frozen=True, slots=True)
class Invite:
    code: str
    max_uses: int
    uses: int
    expires_at: datetime | None
    created_at: datetime
    created_by: str | None


@dataclass(frozen=True, slots=True)
class Registered:
    """What sign-up returns: the member and the recovery codes, shown once."""

    member: Member
    recovery_codes: list[str]


@dataclass(frozen=True, slots=True)
class CrisisResource:
    region: str
    name: str
    contact: str
    href: str
    note: str = ""


@dataclass(frozen=True, slots=True)
class Community:
    """What the instance tells visitors about itself."""

    name: str
    description: str
    rules: tuple[str, ...]
    crisis_resources: tuple[CrisisResource, ...]
    registration: Registration


@dataclass(frozen=True, slots=True)
class RemoteActor:
    """An actor of another server, as last fetched."""

    id: int
    uri: str
    host: str
    type: str
    username: str | None
    name: str | None
    url: str | None
    inbox: str | None
    shared_inbox: str | None
    followers: str | None
    manually_approves_followers: bool
    gone: bool

    @property
    def handle(self) -> str:
        return f"@{self.username or '?'}@{self.host}"

    @property
    def shown_name(self) -> str:
        return self.name or self.username or self.uri

    @property
    def delivery_inbox(self) -> str | None:
        return self.shared_inbox or self.inbox


@dataclass(frozen=True, slots=True)
class RemoteKey:
    key_id: str
    owner: str
    public_key_pem: str
    fetched_at: datetime


class Visibility(StrEnum):
    PUBLIC = "public"
    UNLISTED = "unlisted"
    FOLLOWERS = "followers"
    DIRECT = "direct"
    COMMUNITY = "community"  # shown here only, never federated


@dataclass(frozen=True, slots=True)
class Party:
    """One side of a follow or the author of a post: a member or a remote actor."""

    member_id: int | None = None
    remote_id: int | None = None

    def __post_init__(self) -> None:
        if (self.member_id is None) == (self.remote_id is None):
            raise ValueError("a party is a member or a remote actor, not both or neither")

    @property
    def is_local(self) -> bool:
        return self.member_id is not None


@dataclass(frozen=True, slots=True)
class Follow:
    id: int
    uri: str
    follower: Party
    followed: Party
    state: str  # 'pending' or 'accepted'

    @property
    def accepted(self) -> bool:
        return self.state == "accepted"


@dataclass(frozen=True, slots=True)
class Author:
    """Who wrote a post, as pages show them."""

    member_id: int | None
    remote_id: int | None
    username: str
    name: str
    host: str | None  # None for members of this instance
    uri: str | None  # remote actor id
    url: str | None  # remote profile page
    version: int = 0  # the author's row version (xmin); 0 when not read from it

    @property
    def handle(self) -> str:
        return f"@{self.username}" + (f"@{self.host}" if self.host else "")


@dataclass(frozen=True, slots=True)
class Post:
    id: int
    uri: str | None  # None for local posts: their id is made from the instance URL
    author: Author
    visibility: Visibility
    content_html: str
    summary: str
    sensitive: bool
    in_reply_to_id: int | None
    in_reply_to_uri: str | None
    context_uri: str | None
    url: str | None
    recipients: tuple[str, ...]
    published_at: datetime
    edited_at: datetime | None
    likes: int = 0
    boosts: int = 0
    replies: int = 0
    reblog_of_id: int | None = None  # a boost: the boosted post's id
    reblog: Post | None = None  # a boost: the boosted post, when loaded
    milestone: PostMilestone | None = None  # a milestone post (hearth:milestone)
    language: str | None = None  # ISO 639, when the author's client said
    version: int = 0  # the row's version (xmin); 0 when not read from the row
    author_stats: AccountStats | None = None  # the author's counts, read with the post

    @property
    def is_boost(self) -> bool:
        return self.reblog_of_id is not None


@dataclass(frozen=True, slots=True)
class OAuthApp:
    """A client application registered through POST /api/v1/apps."""

    id: int
    client_id: str
    name: str
    website: str | None
    redirect_uris: tuple[str, ...]
    scopes: tuple[str, ...]
    created_at: datetime


@dataclass(frozen=True, slots=True)
class OAuthCode:
    app_id: int
    member_id: int
    redirect_uri: str
    scopes: tuple[str, ...]
    code_challenge: str | None


@dataclass(frozen=True, slots=True)
class OAuthToken:
    """An access token as looked up; ``member`` is None for an app-only token."""

    id: int
    app: OAuthApp
    member: Member | None
    scopes: tuple[str, ...]
    created_at: datetime
    last_used_at: datetime | None
    home_version: int = 0  # the member's (home_versions in schema.sql)


@dataclass(frozen=True, slots=True)
class RemoteProfile:
    """A remote actor with the profile parts of its stored document."""

    actor: RemoteActor
    summary_html: str  # as the remote server sent it: sanitise before showing
    avatar: str | None
    header: str | None
    published: str | None
    fetched_at: datetime
    discoverable: bool


@dataclass(frozen=True, slots=True)
class AccountStats:
    followers: int
    following: int
    statuses: int
    last_status_at: datetime | None


@dataclass(frozen=True, slots=True)
class PostState:
    """What may change of a post without its row changing, and the versions
    (xmin) of its row and its author's: to check a kept copy of the post."""

    version: int
    author_version: int
    likes: int
    boosts: int
    replies: int
    author_stats: AccountStats


@dataclass(frozen=True, slots=True)
class PostMilestone:
    """What a milestone post celebrates: {"days": 90, "name": "90 days"}; never
    the date of the last drink."""

    days: int
    name: str

    @classmethod
    def from_json(cls, text: str | None) -> PostMilestone | None:
        if not text:
            return None
        value = json.loads(text)
        return cls(int(value["days"]), str(value["name"]))

    def to_json(self) -> str:
        return json.dumps({"days": self.days, "name": self.name})
