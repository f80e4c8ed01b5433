"""Following: members following members and remote actors, remote actors
following members, and the requests a member with approval on answers.
A member's follow carries what they chose (FollowOptions): whether the
account's boosts reach their home feed, and whether they are told of its
new posts, and in which languages its posts show at home. A follow
request's notification goes once it is answered or
withdrawn; an accepted one then tells the member of the follow."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from recovery import notices, store
from recovery.errors import InvalidInput, NotFound
from recovery.follow_models import FollowOptions
from recovery.models import Follow, Member, Party, RemoteActor
from recovery.store import follow_options as options_store
from recovery.store import social as social_store

PENDING, ACCEPTED = "pending", "accepted"
LANGUAGES_MAX = 100
_LANGUAGE = re.compile(r"[a-z]{2,3}")


async def follow_remote(conn: Any, member: Member, remote: RemoteActor, uri: str) -> Follow:
    """Ask to follow a remote actor; it stays pending until they Accept."""
    if remote.gone:
        raise InvalidInput("handle", "That account has been deleted.")
    return await store.insert_follow(conn, uri, Party(member_id=member.id),
                                     Party(remote_id=remote.id), PENDING)


async def follow_member(conn: Any, member: Member, target: Member, uri: str) -> Follow:
    """Follow another member here; pending when they approve followers."""
    if target.id == member.id:
        raise InvalidInput("handle", "You cannot follow yourself.")
    state = PENDING if target.manually_approves_followers else ACCEPTED
    follow = await store.insert_follow(conn, uri, Party(member_id=member.id),
                                       Party(member_id=target.id), state)
    await notices.followed(conn, follow, uri)
    return follow


async def unfollow(conn: Any, member: Member, followed: Party) -> Follow | None:
    """Stop following (or withdraw a request); the follow that ended, if any."""
    follow = await store.get_follow_between(conn, Party(member_id=member.id), followed)
    if follow is not None:
        await store.delete_follow(conn, follow.id)
        await notices.request_withdrawn(conn, follow)
    return follow


def checked_languages(raw: Sequence[str]) -> tuple[str, ...]:
    """The languages a follower chose (ISO 639 codes, e.g. ``en``), lower-cased,
    each once, in the order given; empty means all. InvalidInput else."""
    chosen = tuple(dict.fromkeys(r.strip().lower() for r in raw if r.strip()))
    if len(chosen) > LANGUAGES_MAX:
        raise InvalidInput("languages", f"Choose at most {LANGUAGES_MAX} languages.")
    for code in chosen:
        if not _LANGUAGE.fullmatch(code):
            raise InvalidInput("languages", "languages are ISO 639 codes such as en or "
                                            f"fr, not {code[:20]!r}.")
    return chosen


async def choose(conn: Any, follow: Follow, *, reblogs: bool | None = None,
                 notify: bool | None = None,
                 languages: tuple[str, ...] | None = None) -> FollowOptions | None:
    """What the follower chose for a follow (None leaves a choice as it is;
    no ``languages`` means all again). Hiding boosts takes the account's
    boosts out of their home feed; languages narrow it as it is read."""
    return await options_store.choose(conn, follow.id, reblogs, notify, languages)


async def options_toward(conn: Any, member: Member,
                         targets: list[Party]) -> dict[Party, FollowOptions]:
    """The member's choices for the accounts they follow (or asked to) among
    ``targets``."""
    return await options_store.options_toward(conn, member.id, targets) if targets else {}


async def followed_by_remote(
    conn: Any, remote: RemoteActor, target: Member, uri: str
) -> Follow:
    """A remote actor's Follow of a member: accepted at once unless the member
    approves followers (RELIABILITY.md 28)."""
    state = PENDING if target.manually_approves_followers else ACCEPTED
    follow = await store.insert_follow(conn, uri, Party(remote_id=remote.id),
                                       Party(member_id=target.id), state)
    await notices.followed(conn, follow, uri)
    return follow


async def answer_request(conn: Any, member: Member, follow_id: int, accept: bool) -> Follow:
    """The member accepts or rejects a follow request made to them."""
    follow = await store.get_follow(conn, follow_id)
    if follow is None or follow.followed.member_id != member.id:
        raise NotFound("That follow request is no longer there.")
    if accept:
        await store.accept_follow(conn, follow.id)
    else:
        await store.delete_follow(conn, follow.id)
    await notices.request_answered(conn, follow, accept)
    return follow


async def accepted_by_remote(conn: Any, follow_uri: str, remote: RemoteActor) -> Follow | None:
    """An Accept of our Follow: only the followed actor may accept it, and it
    is matched by the Follow's id (RELIABILITY.md 23)."""
    follow = await store.get_follow_by_uri(conn, follow_uri)
    if follow is None or follow.followed.remote_id != remote.id:
        return None
    await store.accept_follow(conn, follow.id)
    return follow


async def rejected_by_remote(conn: Any, follow_uri: str, remote: RemoteActor) -> Follow | None:
    follow = await store.get_follow_by_uri(conn, follow_uri)
    if follow is None or follow.followed.remote_id != remote.id:
        return None
    await store.delete_follow(conn, follow.id)
    return follow


async def undone_by_remote(conn: Any, follow_uri: str, remote: RemoteActor) -> Follow | None:
    """An Undo of a Follow: only its follower may undo it."""
    follow = await store.get_follow_by_uri(conn, follow_uri)
    if follow is None or follow.follower.remote_id != remote.id:
        return None
    await store.delete_follow(conn, follow.id)
    await notices.request_withdrawn(conn, follow)
    return follow


async def pending_requests(conn: Any, member: Member) -> list[tuple[Follow, RemoteActor]]:
    return await store.pending_remote_followers(conn, member.id)


async def following_remote(conn: Any, member: Member) -> list[tuple[Follow, RemoteActor]]:
    return await store.followed_remote_actors(conn, member.id)


async def remote_follower_inboxes(conn: Any, member: Member) -> list[str]:
    return await store.remote_follower_inboxes(conn, member.id)


async def counts(conn: Any, member: Member) -> tuple[int, int]:
    return await store.count_follows(conn, member.id)


async def between(conn: Any, member: Member, followed: Party) -> Follow | None:
    """The member's follow (or request) of ``followed``, if any."""
    return await store.get_follow_between(conn, Party(member_id=member.id), followed)


async def pending_from_members(conn: Any, member: Member) -> list[tuple[Follow, Member]]:
    """Follow requests to the member from other members here, oldest first."""
    return await social_store.pending_member_followers(conn, member.id)


async def pending_count(conn: Any, member: Member) -> int:
    """How many follow requests wait for the member's answer."""
    return await social_store.count_pending_follows(conn, member.id)


async def remote_party(conn: Any, party: Party) -> RemoteActor | None:
    """The remote actor on one side of a follow (None for a member)."""
    if party.remote_id is None:
        return None
    return await store.get_remote_actor(conn, party.remote_id)


async def of_member_by_remote(conn: Any, remote: RemoteActor, member_id: int) -> Follow | None:
    """The remote actor's follow of a member, pending or accepted, if any."""
    return await store.get_follow_between(conn, Party(remote_id=remote.id),
                                          Party(member_id=member_id))


async def has_local_followers(conn: Any, remote: RemoteActor) -> bool:
    return await store.has_local_followers(conn, remote.id)


async def members_following(conn: Any, remote: RemoteActor) -> list[tuple[Follow, Member]]:
    """Members here who follow (or asked to follow) a remote actor."""
    return await social_store.member_follows_of_remote(conn, remote.id)


async def departing_inboxes(conn: Any, member: Member) -> list[str]:
    """The remote inboxes that should hear a member has left: followers,
    followed, and those they or their posts interacted with (each once)."""
    return await store.related_remote_inboxes(conn, member.id)
