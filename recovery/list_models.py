"""Plain data for a member's lists (docs.joinmastodon.org/entities/List):
named groups of accounts they follow, each with its own timeline."""

from __future__ import annotations

from dataclasses import dataclass

REPLIES_POLICIES = ("followed", "list", "none")


@dataclass(frozen=True, slots=True)
class MemberList:
    """A list. ``replies_policy``: which replies its timeline shows besides
    replies to the member and an author's replies to themselves: to anyone
    the member follows (``followed``), to the list's accounts (``list``), or
    none. ``exclusive``: its posts are meant to stay out of the home feed."""

    id: int
    member_id: int
    title: str
    replies_policy: str
    exclusive: bool


@dataclass(frozen=True, slots=True)
class ListChange:
    """What a create or update asks for; None leaves a field as it is."""

    title: str | None = None
    replies_policy: str | None = None
    exclusive: bool | None = None
