"""Plain data the domain hands around; the store returns these, never records."""

from __future__ import annotations

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
