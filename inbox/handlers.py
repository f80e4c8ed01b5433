"""What each received activity does: a dispatch table from (activity type,
object type) to one small named handler.

The worker has already parsed the activity, checked that it comes from the
origin of what it changes (``origin_ok``, RELIABILITY.md 17), and resolved
its actor, who signed it. A handler runs inside the activity's own
transaction, so its change and any activity it queues (``outbox.publish``)
commit together. It returns a few words for the log, never content; it
raises FetchFailed when a server it needs is down (the worker tries again
later) and another FederationError when something it needs is unusable (the
activity is dropped).

The object type is the embedded object's ``type``; ``BY_ID`` stands for an
object given by its id alone, ``ANY`` for either. Anything not in the table
is logged and dropped by the worker.
"""

from __future__ import annotations

import dataclasses
import hashlib
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any

from federation.activities import Activity, visibility_of
from federation.actors import Actor
from federation.addresses import same_origin
from federation.fetch import fetch_document
from federation.objects import Post as Note
from federation.objects import parse_object
from federation.vocab import ACTOR_TYPES
from inbox import votes
from inbox.remote import RemoteFetcher, resolve_actor
from outbox import activities as outgoing
from outbox import uris
from outbox.publish import publish
from recovery import actors, follows, media, members, notices, peers, posts
from recovery.errors import NotFound
from recovery.media_models import RemoteMedia
from recovery.models import Follow, Member, Post, RemoteActor, Visibility
from recovery.posts import shared_with

ANY = "*"
BY_ID = ""
NOTE_TYPES = ("Note", "Article", "Page", "Question")  # a Question: a Note with a poll
_PUBLICLY = (Visibility.PUBLIC, Visibility.UNLISTED)
_MAX_ADDRESSEES = 20  # local actors looked up for one post's to/cc


@dataclass(frozen=True)
class Inbound:
    """One activity being handled, and what its handler may use."""

    conn: Any
    fetcher: RemoteFetcher
    base: str  # this instance's public URL
    activity: Activity
    payload: dict[str, Any]  # as received; only Update(actor) reads it
    actor: RemoteActor  # the signer


Handler = Callable[[Inbound], Awaitable[str]]


# -- follows --------------------------------------------------------------------


async def on_follow(job: Inbound) -> str:
    """A Follow of a member: accepted at once (and answered) unless the
    member approves followers (RELIABILITY.md 28); a repeated Follow of an
    accepted follow is answered again, as Mastodon does."""
    member = await _member_at(job, job.activity.object_id, with_keys=True)
    if member is None:
        return "dropped: not a member here"
    follow = await follows.followed_by_remote(job.conn, job.actor, member, job.activity.id)
    if not follow.accepted:
        return "pending the member's approval"
    await publish(job.conn, _accept(job, member, follow), member,
                  [job.actor.inbox or job.actor.delivery_inbox])
    return "accepted"


def _accept(job: Inbound, member: Member, follow: Follow) -> dict[str, Any]:
    """The Accept of this Follow. A repeated Follow has a new id: the Accept
    names it, and gets an id of its own so it is queued (and read) anew."""
    answered = dataclasses.replace(follow, uri=job.activity.id)
    accept = outgoing.answer_follow(job.base, member, answered, job.actor, accept=True)
    if follow.uri != job.activity.id:
        accept["id"] += "-" + hashlib.sha256(job.activity.id.encode()).hexdigest()[:16]
    return accept


async def on_accept_follow(job: Inbound) -> str:
    """Matched by the Follow's id; only the followed actor's counts (23)."""
    follow = await follows.accepted_by_remote(job.conn, _object_id(job), job.actor)
    return "follow accepted" if follow else "ignored: not a follow of theirs (RELIABILITY 23)"


async def on_reject_follow(job: Inbound) -> str:
    follow = await follows.rejected_by_remote(job.conn, _object_id(job), job.actor)
    return "follow rejected" if follow else "ignored: not a follow of theirs (RELIABILITY 23)"


async def on_undo_follow(job: Inbound) -> str:
    """By the Follow's id, or (a follower who re-sent its Follow names the
    newer id) by the pair the embedded Follow names. Only the follower can
    undo: the worker checked the embedded Follow is the Undo's actor's."""
    if await follows.undone_by_remote(job.conn, _object_id(job), job.actor):
        return "unfollowed"
    undone = job.activity.object
    member = (await _member_at(job, undone.object_id)
              if isinstance(undone, Activity) and undone.actor == job.actor.uri else None)
    follow = await _follow_of(job, member.id) if member else None
    if follow is None or not await follows.undone_by_remote(job.conn, follow.uri, job.actor):
        return "ignored: no such follow"
    return "unfollowed"


# -- posts ------------------------------------------------------------------------


async def on_create_note(job: Inbound) -> str:
    """A post, stored when it is addressed to this community in some way;
    its author is the actor who signed it (RELIABILITY.md 18)."""
    note = job.activity.object
    if not isinstance(note, Note):
        return "ignored: no readable object"
    if note.attributed_to not in (None, job.actor.uri):
        return "ignored: attributed to someone else (RELIABILITY 18)"
    if votes.is_vote(note):  # a poll vote, never a reply
        assert note.in_reply_to is not None
        poll_post = await _local_post(job, note.in_reply_to)
        return await votes.counted(job.conn, job.actor, note, poll_post, poll_post is not None
                                   and await _shares(job, poll_post, job.actor))
    return await _store_note(job, job.actor, note, public_only=False)


async def on_update_note(job: Inbound) -> str:
    """Only the author changes a post (RELIABILITY.md 19)."""
    note = job.activity.object
    if not isinstance(note, Note):
        return "ignored: no readable object"
    post = await posts.by_uri(job.conn, note.id)
    if (post is not None and post.author.remote_id == job.actor.id
            and votes.counts_only(post, note)):
        await votes.stored(job.conn, post, note)
        return "poll counts updated"
    changed = await posts.updated_remotely(job.conn, job.actor, note)
    if changed and (post := await posts.by_uri(job.conn, note.id)) is not None:
        await media.received(job.conn, post.id, [
            RemoteMedia(a.url, a.media_type, a.name) for a in note.attachments])
        await votes.stored(job.conn, post, note)
    return "post updated" if changed else "ignored: not a post of theirs here (RELIABILITY 19)"


async def on_update_actor(job: Inbound) -> str:
    """An actor's new profile. The key is never taken from it: the stored
    key stays when the profile names it, else it is cleared and fetched from
    the actor's server on their next signed request (the only way a key
    ever gets in: checked to belong to the actor it was fetched from)."""
    embedded, raw = job.activity.object, job.payload.get("object")
    raw = raw[0] if isinstance(raw, list) and raw else raw
    if not isinstance(embedded, Actor) or not isinstance(raw, dict):
        return "ignored: no readable actor"
    if embedded.id != job.actor.uri:
        return "ignored: updates another actor (RELIABILITY 19)"
    document = {key: value for key, value in raw.items() if key != "publicKey"}
    key_id = embedded.public_key_id
    kept = await peers.key(job.conn, key_id) if key_id else None
    if kept is not None and kept.owner == job.actor.uri:
        await peers.remember(job.conn, document, kept.key_id, kept.public_key_pem)
        return "profile updated"
    await peers.remember(job.conn, document)
    return "profile updated; key to be fetched again"


async def on_delete(job: Inbound) -> str:
    """The actor itself (tombstoned, and its posts, boosts, likes and follows
    here removed), or one of its posts: tombstoned even when unknown (45),
    removed only when it is theirs (19). The worker has checked the object
    is on the actor's server (17)."""
    target = _object_id(job)
    if target == job.actor.uri:
        await peers.gone(job.conn, job.actor.uri)
        return "actor gone, and all of theirs here"
    if await posts.deleted_remotely(job.conn, job.actor, target):
        return "post deleted"
    return "ignored: another actor's post (RELIABILITY 19)"


async def _store_note(job: Inbound, author: RemoteActor, note: Note, *, public_only: bool) -> str:
    return (await _stored_note(job, author, note, public_only=public_only))[1]


async def _stored_note(
    job: Inbound, author: RemoteActor, note: Note, *, public_only: bool
) -> tuple[Post | None, str]:
    """The post stored (None if not), and what happened, for the log."""
    visibility = Visibility(visibility_of(note, author.followers))
    if public_only and visibility not in _PUBLICLY:
        return None, "ignored: not public"
    reply_to = await _reply_target(job, note.in_reply_to)
    if reply_to is not None and reply_to.uri is None and not await _shares(job, reply_to, author):
        return None, "ignored: reply to a post not shared with them (RELIABILITY 27)"
    if not await _addressed_here(job, author, note, visibility):
        return None, "ignored: addressed to nobody here"
    stored = await posts.received(job.conn, author, note, visibility, reply_to)
    if stored is None:
        return None, "ignored: deleted or id taken (RELIABILITY 18, 45)"
    await notices.posted(job.conn, stored, uris.actor_uri(job.base, ""))
    await votes.stored(job.conn, stored, note)
    if note.attachments:
        await media.received(job.conn, stored.id, [
            RemoteMedia(a.url, a.media_type, a.name) for a in note.attachments])
    return stored, "post stored"


async def _addressed_here(
    job: Inbound, author: RemoteActor, note: Note, visibility: Visibility
) -> bool:
    if visibility in _PUBLICLY:
        return True
    if visibility is Visibility.FOLLOWERS and await follows.has_local_followers(
            job.conn, author):
        return True
    return await _names_a_member(job, (*note.to, *note.cc))


async def _names_a_member(job: Inbound, addressees: Iterable[str]) -> bool:
    names = {name.lower() for uri in addressees if (name := uris.local_username(job.base, uri))}
    for name in sorted(names)[:_MAX_ADDRESSEES]:
        if await _member_at(job, uris.actor_uri(job.base, name)) is not None:
            return True
    return False


async def _reply_target(job: Inbound, uri: str | None) -> Post | None:
    """A local post, or a remote one already here; nothing is fetched (36)."""
    if uri is None:
        return None
    post = await _local_post(job, uri) or await posts.by_uri(job.conn, uri)
    return None if post is None or post.is_boost else post


# -- reactions ------------------------------------------------------------------


async def on_like(job: Inbound) -> str:
    return await _react(job, "like")


async def on_announce(job: Inbound) -> str:
    """A boost, stored as the booster's own post (Mastodon's reblog): of a
    local post; or of a remote post someone here may want, fetched from its
    origin when it is not here yet, never believed as embedded (20)."""
    local = await _local_post(job, _object_id(job))
    if local is not None:
        return await _boost(job, local)
    if isinstance(job.activity.object, Activity):
        return "ignored: announced activities (FEP-1b12 groups) are not read yet"
    if job.activity.object_id is None or job.activity.object_id.startswith(job.base + "/"):
        return "ignored: no such post here"
    if not await follows.has_local_followers(job.conn, job.actor):
        return "ignored: nobody here follows them"
    post = await posts.by_uri(job.conn, job.activity.object_id)
    if post is None:
        post, outcome = await _fetch_announced(job, job.activity.object_id)
        if post is None:
            return outcome
    return await _boost(job, post)


async def _fetch_announced(job: Inbound, uri: str) -> tuple[Post | None, str]:
    """The post from its own server (one fetch, its author at most one more;
    nothing it replies to is followed: RELIABILITY.md 36)."""
    fetcher = job.fetcher
    document = await fetch_document(fetcher.client, uri, policy=fetcher.policy, sign=fetcher.sign)
    note = parse_object(document)
    if note.type not in NOTE_TYPES:
        return None, "ignored: not a post"
    if note.attributed_to is None or not same_origin(note.attributed_to, note.id):
        return None, "ignored: author not on the post's server (RELIABILITY 17)"
    author = await resolve_actor(job.conn, fetcher, note.attributed_to)
    if author.gone:
        return None, "ignored: author gone"
    return await _stored_note(job, author, note, public_only=True)


async def _boost(job: Inbound, post: Post) -> str:
    """The signer's boost of ``post``, as public or unlisted as the Announce."""
    visibility = Visibility(visibility_of(job.activity, job.actor.followers))
    follows_author = post.author.member_id is not None and await _follows_member(
        job, post.author.member_id)
    added = await posts.boosted_remotely(
        job.conn, job.actor, job.activity.id, post, visibility, job.activity.published,
        follows_author=follows_author)
    return "boost added" if added else "ignored: boost refused or repeated (RELIABILITY 27)"


async def _react(job: Inbound, kind: str) -> str:
    post = await _local_post(job, _object_id(job))
    if post is None:
        return "ignored: not a post here"
    follows_author = post.author.member_id is not None and await _follows_member(
        job, post.author.member_id)
    added = await posts.react(job.conn, kind, job.activity.id, post, remote=job.actor,
                              remote_follows_author=follows_author)
    return f"{kind} added" if added else f"ignored: {kind} refused or repeated (RELIABILITY 27)"


async def on_undo_like(job: Inbound) -> str:
    removed = await posts.unreact(job.conn, _object_id(job), job.actor)
    return "reaction removed" if removed else "ignored: no such reaction of theirs"


async def on_undo_announce(job: Inbound) -> str:
    """The signer's boost goes, matched by the Announce's id."""
    if await posts.unboosted_remotely(job.conn, _object_id(job), job.actor):
        return "boost removed"
    return "ignored: no such boost of theirs"


async def on_undo_block(job: Inbound) -> str:
    removed = await peers.unblocked_by(job.conn, _object_id(job), job.actor)
    return "block removed" if removed else "ignored: no such block of theirs"


async def on_undo_by_id(job: Inbound) -> str:
    """An Undo naming only an id: whichever of their follows, likes, boosts
    or blocks has it (each is matched to the actor too)."""
    for undo in (on_undo_follow, on_undo_like, on_undo_announce, on_undo_block):
        outcome = await undo(job)
        if not outcome.startswith("ignored"):
            return outcome
    return "ignored: nothing of theirs has that id"


# -- moderation ----------------------------------------------------------------


async def on_block(job: Inbound) -> str:
    member = await _member_at(job, job.activity.object_id)
    if member is None:
        return "dropped: not a member here"
    added = await peers.blocked_by(job.conn, job.activity.id, job.actor, member.id)
    return "blocked a member" if added else "ignored: already blocked"


async def on_flag(job: Inbound) -> str:
    """A report, kept for moderators when it names something of ours."""
    ours = [uri for uri in job.activity.object_ids if uri.startswith(job.base + "/")]
    if not ours:
        return "ignored: reports nothing of ours"
    added = await peers.reported(job.conn, job.activity.id, job.actor,
                                 job.activity.content or "", ours)
    return "report stored" if added else "ignored: already reported"


async def on_move(job: Inbound) -> str:
    """An account moving elsewhere (Mastodon's Move: actor and object the old
    account, target the new). Believed only when the target, fetched from
    its own server, names the old account in ``alsoKnownAs``; then each
    member here who followed the old account follows the new one (a Follow
    sent, the follow pending until Accepted) and stops following the old
    one (an Undo sent)."""
    old, target = job.actor, job.activity.target
    if job.activity.object_id != old.uri or target is None or target == old.uri:
        return "ignored: moves someone else, or to nowhere"
    if target.startswith(job.base + "/"):
        return "ignored: moves to an account here (not followed yet)"
    fetcher = job.fetcher
    document = await fetch_document(fetcher.client, target, policy=fetcher.policy,
                                    sign=fetcher.sign)
    if old.uri not in _ids(document.get("alsoKnownAs")):
        return "ignored: the target does not name the old account in alsoKnownAs"
    new = await peers.remember(job.conn, document)
    if new.gone:
        return "ignored: the target is gone"
    await peers.moved(job.conn, old, new.uri)
    moved = 0
    for old_follow, follower in await follows.members_following(job.conn, old):
        member = await _member_at(job, uris.actor_uri(job.base, follower.username),
                                  with_keys=True)
        if member is not None:
            await _move_follow(job, member, old_follow, new)
            moved += 1
    return f"move followed: {moved} follow(s) moved"


async def _move_follow(job: Inbound, member: Member, old_follow: Follow,
                       new: RemoteActor) -> None:
    uri = uris.new_activity_uri(job.base)
    followed = await follows.follow_remote(job.conn, member, new, uri)
    if followed.uri == uri:  # a new request, not one already made
        await publish(job.conn, outgoing.follow(job.base, member, new, uri), member,
                      [new.inbox or new.shared_inbox])
    if await follows.unfollow(job.conn, member, old_follow.followed) is not None:
        undone = outgoing.follow(job.base, member, job.actor, old_follow.uri)
        await publish(job.conn, outgoing.undo(job.base, member, undone, [job.actor.uri]),
                      member, [job.actor.inbox or job.actor.shared_inbox])


def _ids(value: Any) -> set[str]:
    """The ids a property names: a string, an object with an id, or a list of them."""
    items = value if isinstance(value, list) else [value]
    found = {item.get("id") if isinstance(item, dict) else item for item in items[:100]}
    return {item for item in found if isinstance(item, str)}


# -- helpers ----------------------------------------------------------------------


def _object_id(job: Inbound) -> str:
    object_id = job.activity.object_id
    assert object_id is not None  # parse_activity requires one for these types
    return object_id


async def _member_at(job: Inbound, uri: str | None, *, with_keys: bool = False) -> Member | None:
    """The active member whose actor is ``uri``; ``with_keys`` makes sure
    they can sign (accounts older than keys get theirs now)."""
    username = uris.local_username(job.base, uri) if uri else None
    if username is None:
        return None
    try:
        if with_keys:
            return (await actors.public_member(job.conn, username))[0]
        return await members.get_profile(job.conn, username)
    except NotFound:
        return None


async def _local_post(job: Inbound, uri: str) -> Post | None:
    """One of our posts, by the URI we publish it under."""
    post_id = uris.local_post_id(job.base, uri)
    post = await posts.by_id(job.conn, post_id) if post_id is not None else None
    if post is None or post.author.member_id is None or post.is_boost:
        return None
    return post if uri == uris.post_uri(job.base, post.author.username, post.id) else None


async def _shares(job: Inbound, post: Post, remote: RemoteActor) -> bool:
    """Whether a local post is shared with ``remote`` (RELIABILITY.md 27)."""
    assert post.author.member_id is not None
    follows_author = await _follows_member(job, post.author.member_id, remote)
    return shared_with(post, remote, follows_author)


async def _follows_member(job: Inbound, member_id: int, remote: RemoteActor | None = None) -> bool:
    follow = await _follow_of(job, member_id, remote)
    return follow is not None and follow.accepted


async def _follow_of(job: Inbound, member_id: int, remote: RemoteActor | None = None
                     ) -> Follow | None:
    return await follows.of_member_by_remote(job.conn, remote or job.actor, member_id)


# -- the table --------------------------------------------------------------------

HANDLERS: dict[tuple[str, str], Handler] = {
    ("Follow", ANY): on_follow,
    ("Accept", "Follow"): on_accept_follow,
    ("Accept", BY_ID): on_accept_follow,
    ("Reject", "Follow"): on_reject_follow,
    ("Reject", BY_ID): on_reject_follow,
    ("Undo", "Follow"): on_undo_follow,
    ("Undo", "Like"): on_undo_like,
    ("Undo", "Announce"): on_undo_announce,
    ("Undo", "Block"): on_undo_block,
    ("Undo", BY_ID): on_undo_by_id,
    **{("Create", kind): on_create_note for kind in NOTE_TYPES},
    **{("Update", kind): on_update_note for kind in NOTE_TYPES},
    **{("Update", kind): on_update_actor for kind in sorted(ACTOR_TYPES)},
    ("Delete", ANY): on_delete,
    ("Like", ANY): on_like,
    ("Announce", ANY): on_announce,
    ("Block", ANY): on_block,
    ("Flag", ANY): on_flag,
    ("Move", ANY): on_move,
}


def handler_for(activity: Activity) -> Handler | None:
    """The handler for this activity and object type; None drops it. Nothing
    an actor that deleted itself sends later is done (RELIABILITY.md 13)."""
    kind = activity.raw_type_of_object or BY_ID
    handler = HANDLERS.get((activity.type, kind)) or HANDLERS.get((activity.type, ANY))
    return _unless_deleted(handler) if handler is not None else None


def _unless_deleted(handler: Handler) -> Handler:
    async def checked(job: Inbound) -> str:
        if await peers.deleted(job.conn, job.actor.uri):
            return "ignored: the actor deleted itself"
        return await handler(job)

    return checked
