"""Polls: a member adds one to a new post, members and remote actors vote,
and when it ends its author and the members who voted are told (a ``poll``
notification, as Mastodon does).

The rules are Mastodon's (PollValidator, VoteValidator): two to four
options of at most 50 characters, none twice, open from five minutes to a
month; a vote is refused once the poll has ended, for an option that does
not exist, from the poll's own author, and from someone who voted already
(on a multiple-choice poll: for that option); several choices only on a
multiple-choice poll. A vote takes the poll's row lock, so two requests of
one voter cannot both be counted."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from typing import Any

from recovery import blocks, notifications
from recovery.errors import InvalidInput, NotFound, PermissionDenied
from recovery.models import Member, Party, Post, RemoteActor
from recovery.poll_models import Poll, PollDraft, RemoteQuestion
from recovery.store import polls as store

MAX_OPTIONS = 4
MAX_OPTION_CHARACTERS = 50
MIN_EXPIRATION = 300  # seconds
MAX_EXPIRATION = 2629746  # a month
REMOTE_MAX_OPTIONS = 20
REMOTE_OPTION_MAX = 500
POLL = "poll"  # the notification's kind

ENDED = "The poll has already ended"
NO_SUCH_OPTION = "The chosen vote option does not exist"
OWN_POLL = "You cannot vote in your own polls"
ALREADY_VOTED = "You have already voted on this poll"


def check(draft: PollDraft) -> PollDraft:
    """The draft as stored (options trimmed), or InvalidInput with the reason."""
    options = tuple(o.strip() for o in draft.options)
    if len(options) < 2:
        raise InvalidInput("poll", "Poll options must have more than one item")
    if len(options) > MAX_OPTIONS:
        raise InvalidInput("poll", f"Poll options can't contain more than {MAX_OPTIONS} items")
    if any(not o for o in options):
        raise InvalidInput("poll", "Poll options can't be blank")
    if any(len(o) > MAX_OPTION_CHARACTERS for o in options):
        raise InvalidInput("poll", "Poll options cannot be longer than "
                           f"{MAX_OPTION_CHARACTERS} characters each")
    if len(set(options)) != len(options):
        raise InvalidInput("poll", "Poll options contains duplicate items")
    if draft.expires_in < MIN_EXPIRATION:
        raise InvalidInput("poll", "Poll expires_in is too soon (at least "
                           f"{MIN_EXPIRATION} seconds)")
    if draft.expires_in > MAX_EXPIRATION:
        raise InvalidInput("poll", "Poll expires_in is too far into the future (at most "
                           f"{MAX_EXPIRATION} seconds)")
    return PollDraft(options, draft.expires_in, draft.multiple, draft.hide_totals)


async def attach(conn: Any, post: Post, draft: PollDraft) -> None:
    """Add the (checked) poll to the member's new post, in its transaction."""
    checked = check(draft)
    await store.insert(conn, post.id, checked.options, checked.multiple,
                       checked.hide_totals,
                       datetime.now(UTC) + timedelta(seconds=checked.expires_in))


async def of_posts(conn: Any, post_ids: Sequence[int], viewer: Member | None) -> dict[int, Poll]:
    """The polls of a page of posts with the viewer's own votes, in one query
    (none for no posts)."""
    if not post_ids:
        return {}
    return await store.of_posts(conn, post_ids, viewer.id if viewer else None)


async def of_post(conn: Any, post_id: int, viewer: Member | None) -> Poll:
    found = (await of_posts(conn, [post_id], viewer)).get(post_id)
    if found is None:
        raise NotFound("That post has no poll.")
    return found


async def federated(conn: Any, post_id: int) -> Poll | None:
    """A local post's poll as its Question tells other servers: without its
    counts while ``hide_totals`` hides them; None when it has none."""
    poll = (await store.of_posts(conn, [post_id], None)).get(post_id)
    if poll is None or poll.remote:
        return None
    if poll.hide_totals and not poll.expired():
        return replace(poll, counts=tuple(0 for _ in poll.options))
    return poll


def voted(poll: Poll, post: Post, viewer: Member | None) -> bool:
    """Mastodon counts a poll's author as having voted (they see results)."""
    return viewer is not None and (bool(poll.own_votes) or post.author.member_id == viewer.id)


def shows_totals(poll: Poll, post: Post, viewer: Member | None) -> bool:
    """``hide_totals`` hides the counts until the poll ends, but from its author."""
    return (not poll.hide_totals or poll.expired()
            or (viewer is not None and post.author.member_id == viewer.id))


def _choices(poll: Poll, choices: Sequence[int], earlier: Sequence[int]) -> list[int]:
    """Mastodon's VoteValidator, in its order."""
    if poll.expired():
        raise InvalidInput("choices", ENDED)
    if not choices or any(not 0 <= c < len(poll.options) for c in choices):
        raise InvalidInput("choices", NO_SUCH_OPTION)
    if len(set(choices)) != len(choices) or (not poll.multiple and len(choices) > 1):
        raise InvalidInput("choices", ALREADY_VOTED)
    if (earlier and not poll.multiple) or set(earlier) & set(choices):
        raise InvalidInput("choices", ALREADY_VOTED)
    return list(choices)


async def vote(conn: Any, member: Member, post: Post, choices: Sequence[int]) -> Poll:
    """The member's vote on a post they may see (the caller checked); the
    poll as it stands after. Run it in a transaction."""
    author = Party(post.author.member_id, post.author.remote_id)
    if await blocks.blocked_either_way(conn, member, author):
        raise PermissionDenied("You cannot vote in this poll.")
    poll = await store.lock(conn, post.id, member.id)
    if poll is None:
        raise NotFound("That post has no poll.")
    if post.author.member_id == member.id:
        if poll.expired():
            raise InvalidInput("choices", ENDED)
        raise InvalidInput("choices", OWN_POLL)
    chosen = _choices(poll, choices, poll.own_votes)
    for choice in chosen:
        if not await store.add_vote(conn, post.id, choice, member_id=member.id):
            raise InvalidInput("choices", ALREADY_VOTED)
    if poll.remote:
        await store.count_remote_vote(conn, post.id, chosen, new_voter=not poll.own_votes)
    else:
        await store.touch(conn, post.id)
    return await of_post(conn, post.id, member)


async def voted_remotely(conn: Any, remote: RemoteActor, post: Post, option: str,
                         uri: str) -> bool:
    """A remote actor's vote (a Note named after an option, in reply to the
    Question) on a local poll; False when it does not count: no such poll
    or option, the poll has ended, or the actor voted already."""
    poll = await store.lock(conn, post.id, None)
    if poll is None or poll.remote or poll.expired() or option not in poll.options:
        return False
    choice = poll.options.index(option)
    earlier = await store.votes_of(conn, post.id, None, remote.id)
    if (earlier and not poll.multiple) or choice in earlier:
        return False
    if not await store.add_vote(conn, post.id, choice, remote_id=remote.id, uri=uri):
        return False
    await store.touch(conn, post.id)
    return True


async def received(conn: Any, post_id: int, question: RemoteQuestion) -> None:
    """A remote Question's poll, stored with its post or refreshed by an Update."""
    options = tuple(o[:REMOTE_OPTION_MAX] for o in question.options[:REMOTE_MAX_OPTIONS])
    if not options:
        return
    counts = [max(int(c), 0) for c in question.counts[:len(options)]]
    await store.set_remote(conn, post_id, options, counts, question.multiple,
                           question.expires_at, question.voters, question.closed)


async def changed_before(conn: Any, moment: datetime, limit: int = 50) -> list[int]:
    """Local polls whose counts changed before ``moment`` and whose Update
    is not sent yet: claimed (their mark cleared in this transaction)."""
    return await store.take_changed(conn, moment, limit)


async def end_due(conn: Any, limit: int = 50) -> list[int]:
    """Polls whose time is up: marked ended, and their (local) author and the
    members who voted are told. The ids of the local polls that ended, so
    their final counts can be sent. Run it in a transaction."""
    ended = []
    for post_id in await store.due_to_end(conn, datetime.now(UTC), limit):
        await store.mark_ended(conn, post_id)
        author = await store.author_of(conn, post_id)
        told = [*([author.member_id] if author.member_id is not None else []),
                *await store.voters_of(conn, post_id)]
        for member_id in dict.fromkeys(told):
            await notifications.notify(conn, member_id, POLL, post_id=post_id,
                                       from_member_id=author.member_id,
                                       from_remote_id=author.remote_id)
        if author.member_id is not None:
            ended.append(post_id)
    return ended
