"""What the accounts API changes between a member and another account:
follow, unfollow, block, unblock, answers to follow requests. Each is the
domain change plus the activities it causes for a remote actor, queued by
``outbox.publish`` in the same transaction. Also the Relationship entity and
the account look-ups every accounts route starts with."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from outbox import activities, blocking, uris
from outbox.publish import publish
from recovery import blocks, follows
from recovery.account_models import Relationship
from recovery.errors import HearthError, InvalidInput, NotFound, PermissionDenied
from recovery.follow_models import FollowOptions
from recovery.models import Follow, Member, Party, RemoteActor, Status
from web import following
from web.api import entities
from web.api.http import ApiError
from web.api.ids import account_id, parse_account_id
from web.social import Site

NOT_FOUND = "Record not found"
BLOCKED = "This action is not allowed"


@contextmanager
def domain_errors() -> Iterator[None]:
    """The domain's errors as the API answers them: 422, 404 or 403 with
    the reason."""
    try:
        yield
    except InvalidInput as exc:
        raise ApiError(422, f"Validation failed: {exc.message}") from exc
    except NotFound as exc:
        raise ApiError(404, NOT_FOUND) from exc
    except PermissionDenied as exc:
        raise ApiError(403, str(exc) or BLOCKED) from exc
    except HearthError as exc:
        raise ApiError(422, str(exc)) from exc


async def party_of(conn: Any, raw_id: str) -> tuple[Party, Member | RemoteActor]:
    """The account an id names: an active member, or a remote actor that is
    not gone; 404 otherwise."""
    party = parse_account_id(raw_id)
    if party is None:
        raise ApiError(404, NOT_FOUND)
    found = await entities.accounts_context(conn, [party])
    if party.member_id is not None:
        member = found.members.get(party.member_id)
        if member is None or member.status is not Status.ACTIVE:
            raise ApiError(404, NOT_FOUND)
        return party, member
    profile = found.remotes.get(party.remote_id or 0)
    if profile is None or profile.actor.gone:
        raise ApiError(404, NOT_FOUND)
    return party, profile.actor


def relationship_entity(rel: Relationship,
                        options: FollowOptions | None = None) -> dict[str, Any]:
    """The Relationship entity; ``options``: what the member chose when
    following (the defaults when not given)."""
    chosen = options or FollowOptions()
    follows_them = rel.following or rel.requested
    return {
        "id": account_id(rel.target),
        "following": rel.following,
        "showing_reblogs": follows_them and chosen.reblogs,
        "notifying": follows_them and chosen.notify,
        "languages": list(chosen.languages)
                     if follows_them and chosen.languages is not None else None,
        "followed_by": rel.followed_by,
        "blocking": rel.blocking,
        "blocked_by": rel.blocked_by,
        "muting": rel.muting,
        "muting_notifications": rel.muting_notifications,
        "requested": rel.requested,
        "requested_by": rel.requested_by,
        "domain_blocking": False,
        "endorsed": False,
        "note": rel.note,
    }


async def relationship_json(conn: Any, member: Member, party: Party) -> dict[str, Any]:
    return (await relationships_json(conn, member, [await blocks.relationship(conn, member,
                                                                              party)]))[0]


async def relationships_json(conn: Any, member: Member,
                             found: list[Relationship]) -> list[dict[str, Any]]:
    """Relationship entities with the member's follow options, in one query."""
    options = await follows.options_toward(conn, member, [r.target for r in found])
    return [relationship_entity(r, options.get(r.target)) for r in found]


def _target(account: Member | RemoteActor) -> str:
    """What web.following names an account by: a username or an actor id."""
    return account.username if isinstance(account, Member) else account.uri


async def follow(conn: Any, site: Site, member: Member, party: Party,
                 account: Member | RemoteActor, *, reblogs: bool | None = None,
                 notify: bool | None = None,
                 languages: tuple[str, ...] | None = None) -> None:
    """Follow (or ask to follow) the account; a remote one is sent a Follow.
    Refused while either blocks the other. ``reblogs`` and ``notify`` set
    what the member chose, and ``languages`` those of the account's posts
    shown at home (None: the default for a new follow, unchanged for an
    existing one, as on Mastodon; empty languages: all again)."""
    if party.member_id == member.id:
        raise ApiError(403, BLOCKED)
    if await blocks.blocked_either_way(conn, member, party):
        raise ApiError(403, BLOCKED)
    with domain_errors():
        made = await following.follow(conn, site, member, _target(account))
    await follows.choose(conn, made, reblogs=reblogs, notify=notify, languages=languages)


async def unfollow(conn: Any, site: Site, member: Member,
                   account: Member | RemoteActor) -> None:
    with domain_errors():
        await following.unfollow(conn, site, member, _target(account))


async def block(conn: Any, site: Site, member: Member, party: Party,
                account: Member | RemoteActor) -> None:
    """Block the account: follows end both ways; a remote actor is sent an
    Undo of our Follow, a Reject of theirs, and the Block."""
    with domain_errors():
        made, ended = await blocks.block(conn, member, party, uris.new_activity_uri(site.base))
    if isinstance(account, RemoteActor):
        inbox = [account.inbox or account.shared_inbox]
        for ended_follow in ended:
            await publish(conn, _ending(site, member, account, ended_follow), member, inbox)
        if made is not None:
            await publish(conn, blocking.block(site.base, member, account, made.uri), member,
                          inbox)


def _ending(site: Site, member: Member, remote: RemoteActor, ended: Follow) -> dict[str, Any]:
    if ended.follower.member_id == member.id:
        original = activities.follow(site.base, member, remote, ended.uri)
        return activities.undo(site.base, member, original, [remote.uri])
    return activities.answer_follow(site.base, member, ended, remote, False)


async def unblock(conn: Any, site: Site, member: Member, party: Party,
                  account: Member | RemoteActor) -> None:
    lifted = await blocks.unblock(conn, member, party)
    if lifted is not None and isinstance(account, RemoteActor):
        await publish(conn, blocking.undo_block(site.base, member, account, lifted.uri), member,
                      [account.inbox or account.shared_inbox])


async def _their_follow(conn: Any, member: Member, account: Member | RemoteActor,
                        ) -> Follow | None:
    if isinstance(account, Member):
        return await follows.between(conn, account, Party(member_id=member.id))
    return await follows.of_member_by_remote(conn, account, member.id)


async def answer_request(conn: Any, site: Site, member: Member,
                         account: Member | RemoteActor, accept: bool) -> None:
    """Accept or reject the account's pending follow request; 404 when it
    has none waiting."""
    request = await _their_follow(conn, member, account)
    if request is None or request.accepted:
        raise ApiError(404, NOT_FOUND)
    with domain_errors():
        await following.answer(conn, site, member, request.id, accept)


async def remove_follower(conn: Any, site: Site, member: Member,
                          account: Member | RemoteActor) -> None:
    """The account no longer follows the member (a remote one is sent a
    Reject of its Follow, as Mastodon does)."""
    follow = await _their_follow(conn, member, account)
    if follow is not None:
        with domain_errors():
            await following.answer(conn, site, member, follow.id, False)


async def accept_waiting_requests(conn: Any, site: Site, member: Member) -> None:
    """Let in everyone waiting (the member stopped approving followers, as
    Mastodon does on unlocking); remote followers are sent their Accepts."""
    for request in await following.follow_requests(conn, site, member):
        await following.answer(conn, site, member, request.id, True)
