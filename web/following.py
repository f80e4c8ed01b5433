"""Finding people and following them: looking an account up here or on
another server, following and unfollowing, and answering follow requests.
A remote actor is sent its Follow, Undo, Accept or Reject in the same
transaction as the change."""

from __future__ import annotations

import dataclasses
import logging
from dataclasses import dataclass
from typing import Any

from federation.addresses import is_blocked
from federation.errors import FederationError, FetchFailed, FetchGone, FetchRefused, InvalidDocument
from federation.webfinger import parse_handle
from inbox import remote as remote_accounts
from outbox import activities, uris
from outbox.publish import publish
from recovery import follows, peers
from recovery.errors import InvalidInput, NotFound
from recovery.models import Follow, Member, Party, RemoteActor
from web.social import MAX_ID, Site, follow_state, member_named

log = logging.getLogger(__name__)

QUERY_MAX = 300


class LookupFailed(Exception):
    """An account could not be found or reached; ``str()`` is for the member."""


@dataclass(frozen=True)
class Account:
    """A search result: someone the member may follow."""

    name: str
    handle: str  # @name@host
    host: str
    page: str  # their profile: /@name here, an http(s) URL elsewhere
    target: str  # what the follow form sends: a username or an actor id
    local: bool
    state: str  # "self", "none", "pending" or "accepted"
    approves_followers: bool
    gone: bool = False


@dataclass(frozen=True)
class FollowRequest:
    id: int
    name: str
    handle: str
    page: str
    local: bool


async def find_account(conn: Any, site: Site, member: Member, query: str) -> Account:
    """The account ``query`` names: ``@name@server`` (looked up over the
    network when it is elsewhere), or ``name`` / ``@name`` here. InvalidInput
    when the query cannot be an account; LookupFailed when it is not found."""
    text = query.strip()
    if len(text) > QUERY_MAX:
        raise InvalidInput("q", f"Search for at most {QUERY_MAX} characters.")
    if "@" not in text.removeprefix("@"):
        return await _local_account(conn, site, member, text.removeprefix("@"))
    try:
        username, host = parse_handle(text)
    except InvalidDocument:
        raise InvalidInput(
            "q", "Write someone elsewhere as @name@server, e.g. @sam@recovery.example."
        ) from None
    if host.lower() == site.domain.lower():
        return await _local_account(conn, site, member, username)
    remote = await lookup(conn, site, username, host)
    followed = await follows.between(conn, member, Party(remote_id=remote.id))
    return Account(
        name=remote.shown_name, handle=remote.handle, host=remote.host,
        page=remote.url or remote.uri, target=remote.uri, local=False,
        state=follow_state(followed), approves_followers=remote.manually_approves_followers,
        gone=remote.gone,
    )


async def _local_account(conn: Any, site: Site, member: Member, username: str) -> Account:
    target = await member_named(conn, username)
    if target is None:
        raise LookupFailed(f"There is no member @{username[:60]} here.")
    state = "self"
    if target.id != member.id:
        state = follow_state(await follows.between(conn, member, Party(member_id=target.id)))
    return Account(
        name=target.shown_name, handle=f"@{target.username}@{site.domain}", host=site.domain,
        page=f"/@{target.username}", target=target.username, local=True, state=state,
        approves_followers=target.manually_approves_followers,
    )


async def lookup(conn: Any, site: Site, username: str, host: str) -> RemoteActor:
    """``@username@host`` through WebFinger; LookupFailed with a reason a
    member understands when it cannot be had."""
    handle = f"@{username}@{host}"
    blocked = await peers.blocked_domains(conn)
    if is_blocked(host.partition(":")[0], blocked):
        raise LookupFailed(f"This community does not connect with {host}.")
    fetcher = dataclasses.replace(
        site.fetcher, policy=dataclasses.replace(site.fetcher.policy, blocked_domains=blocked))
    try:
        return await remote_accounts.lookup(conn, fetcher, handle)
    except FederationError as exc:
        log.info("looking up %s failed: %s", handle, exc.reason)
        raise LookupFailed(_why(handle, host, exc)) from exc


def _why(handle: str, host: str, exc: FederationError) -> str:
    if isinstance(exc, FetchGone):
        return f"There is no account {handle}: {host} does not know that name."
    if isinstance(exc, FetchFailed):
        return f"Could not reach {host}. That server may be down; please try again later."
    if isinstance(exc, FetchRefused):
        return f"{host} cannot be reached from this server."
    return f"{host} answered, but not with an account this server can follow."


async def follow(conn: Any, site: Site, member: Member, target: str) -> Follow:
    """Follow a member here (``target`` is their username) or a remote actor
    already looked up (``target`` is its id); a remote one is sent a Follow."""
    uri = uris.new_activity_uri(site.base)
    party = await _party(conn, site, target)
    if isinstance(party, Member):
        return await follows.follow_member(conn, member, party, uri)
    followed = await follows.follow_remote(conn, member, party, uri)
    if followed.uri == uri:  # a new request, not one already made
        await publish(conn, activities.follow(site.base, member, party, uri), member,
                      [party.inbox or party.shared_inbox])
    return followed


async def unfollow(conn: Any, site: Site, member: Member, target: str) -> None:
    """Stop following, or withdraw a request; a remote actor is sent an Undo."""
    party = await _party(conn, site, target)
    if isinstance(party, Member):
        await follows.unfollow(conn, member, Party(member_id=party.id))
        return
    ended = await follows.unfollow(conn, member, Party(remote_id=party.id))
    if ended is not None:
        original = activities.follow(site.base, member, party, ended.uri)
        await publish(conn, activities.undo(site.base, member, original, [party.uri]), member,
                      [party.inbox or party.shared_inbox])


async def _party(conn: Any, site: Site, target: str) -> Member | RemoteActor:
    target = target.strip()
    if target.startswith(("https://", "http://")):
        username = uris.local_username(site.base, target)
        if username is None:
            remote = await peers.by_uri(conn, target)
            if remote is None:
                raise NotFound("Look the account up with Search first, then follow it.")
            return remote
        target = username
    found = await member_named(conn, target.removeprefix("@"))
    if found is None:
        raise NotFound(f"There is no member @{target.removeprefix('@')[:60]} here.")
    return found


async def follow_requests(conn: Any, site: Site, member: Member) -> list[FollowRequest]:
    """Everyone waiting for the member's answer, oldest first."""
    waiting = [
        FollowRequest(f.id, r.shown_name, r.handle, r.url or r.uri, local=False)
        for f, r in await follows.pending_requests(conn, member)
    ] + [
        FollowRequest(f.id, m.shown_name, f"@{m.username}@{site.domain}", f"/@{m.username}",
                      local=True)
        for f, m in await follows.pending_from_members(conn, member)
    ]
    return sorted(waiting, key=lambda request: request.id)


async def answer(conn: Any, site: Site, member: Member, follow_id: int, accept: bool) -> Follow:
    """Accept or reject a follow request; a remote follower is told which."""
    if not 0 < follow_id <= MAX_ID:
        raise NotFound("That follow request is no longer there.")
    answered = await follows.answer_request(conn, member, follow_id, accept)
    follower = await follows.remote_party(conn, answered.follower)
    if follower is not None:
        await publish(conn, activities.answer_follow(site.base, member, answered, follower, accept),
                      member, [follower.inbox or follower.shared_inbox])
    return answered
