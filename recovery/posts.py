"""Posts: members write them, remote posts arrive, everyone sees exactly
what their audience allows (DESIGN.md, "Rules that keep members safe")."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

from federation import objects
from federation.sanitize import (
    MAX_HASHTAGS,
    find_hashtags,
    html_to_text,
    plain_to_html,
    sanitize_html,
)
from recovery import events, media, notices, store, threads
from recovery.errors import InvalidInput, NotFound, PermissionDenied
from recovery.models import Member, Party, Post, PostMilestone, RemoteActor, Visibility
from recovery.status_models import ListPage
from recovery.store import progress as progress_store
from recovery.store import social as social_store
from recovery.store import timelines as timelines_store

TEXT_MAX = 5000
SUMMARY_MAX = 200
TIMELINE_MAX = 40
BOOSTABLE = (Visibility.PUBLIC, Visibility.UNLISTED)
# Where each mention a member wrote points, as federation.sanitize.plain_to_html reads it.
MentionLinks = Mapping[tuple[str, str | None], str]


def _checked_text(text: str, summary: str, with_media: bool = False) -> tuple[str, str]:
    """The text and warning as stored; a post with media may have no text
    (as Mastodon allows), any other needs some."""
    body, warning = text.strip(), " ".join(summary.split())
    if not body and not with_media:
        raise InvalidInput("text", "Write something first.")
    if len(body) > TEXT_MAX:
        raise InvalidInput("text", f"Posts can be at most {TEXT_MAX} characters.")
    if len(warning) > SUMMARY_MAX:
        raise InvalidInput("summary", f"Content warnings are at most {SUMMARY_MAX} characters.")
    return body, warning


async def write(
    conn: Any, member: Member, text: str, visibility: Visibility, *, summary: str = "",
    reply_to: Post | None = None, reply_to_uri: str | None = None,
    recipients: Sequence[str] = (), milestone: PostMilestone | None = None,
    sensitive: bool = False, language: str | None = None, with_media: bool = False,
    mentions: MentionLinks | None = None, tag_base: str | None = None,
) -> Post:
    """A member's new post; a reply keeps its thread's context; a milestone
    post carries what it celebrates. ``with_media``: the caller attaches
    media to it in this transaction, so it may have no text. The mentions
    the caller resolved (``mentions``) and, with ``tag_base``, the hashtags
    become links."""
    body, warning = _checked_text(text, summary, with_media)
    post_id = await store.insert_post(conn, {
        "author_member_id": member.id, "visibility": visibility,
        "content_html": plain_to_html(body, mentions=mentions, tag_base=tag_base),
        "summary": warning,
        "sensitive": bool(warning) or sensitive,
        "in_reply_to_id": reply_to.id if reply_to else None,
        "in_reply_to_uri": reply_to_uri,
        "context_uri": (reply_to.context_uri or reply_to_uri) if reply_to else None,
        "recipients": list(recipients), "tags": find_hashtags(body), "language": language,
    })
    assert post_id is not None
    if milestone is not None:
        await progress_store.set_post_milestone(conn, post_id, milestone)
    await events.post_created(conn, post_id)
    return await _get(conn, post_id)


async def edit(conn: Any, member: Member, post_id: int, text: str, summary: str,
               *, sensitive: bool = False, mentions: MentionLinks | None = None,
               tag_base: str | None = None) -> Post:
    """Change the member's own post; the version it replaces is kept (history).
    A post with media may be left without text. Mentions and hashtags are
    linked as ``write`` links them."""
    post = await _own(conn, member, post_id)
    with_media = bool(await media.of_posts(conn, [post.id]))
    body, warning = _checked_text(text, summary, with_media)
    await threads.keep_version(conn, post)
    await store.update_post(conn, post.id,
                            plain_to_html(body, mentions=mentions, tag_base=tag_base),
                            warning, bool(warning) or sensitive)
    await store.set_post_tags(conn, post.id, find_hashtags(body))
    await events.post_edited(conn, post.id)
    await notices.edited(conn, post)
    return await _get(conn, post.id)


async def delete(conn: Any, member: Member, post_id: int) -> Post:
    """Delete the member's own post; returns it as it was, for the Delete."""
    post = await _own(conn, member, post_id)
    await store.delete_post(conn, post.id)
    await events.post_deleted(conn, post)
    return post


async def _own(conn: Any, member: Member, post_id: int) -> Post:
    post = await store.get_post(conn, post_id)
    if post is None or post.is_boost:
        raise NotFound("That post is not there any more.")
    if post.author.member_id != member.id:
        raise PermissionDenied("Only its author can change a post.")
    return post


async def _get(conn: Any, post_id: int) -> Post:
    post = await store.get_post(conn, post_id)
    assert post is not None
    return post


async def received(
    conn: Any, remote: RemoteActor, note: objects.Post, visibility: Visibility,
    reply_to: Post | None,
) -> Post | None:
    """Store a remote post; None when it was deleted before it arrived
    (RELIABILITY.md 45) or its id is already taken (18)."""
    if await store.is_tombstoned(conn, note.id):
        return None
    post_id = await store.insert_post(conn, {
        "uri": note.id, "author_remote_id": remote.id, "visibility": visibility,
        "content_html": sanitize_html(note.content_html or ""),
        "summary": html_to_text(note.summary or "")[:SUMMARY_MAX],
        "sensitive": bool(note.sensitive or note.summary),
        "in_reply_to_id": reply_to.id if reply_to else None,
        "in_reply_to_uri": note.in_reply_to, "context_uri": note.context,
        "url": note.url, "recipients": [*note.to, *note.cc],
        "published_at": note.published, "language": note.language,
        "tags": [h.name[:100] for h in note.hashtags[:MAX_HASHTAGS]],
    })
    if post_id is not None and note.milestone is not None:  # from a peer Hearth
        await progress_store.set_post_milestone(
            conn, post_id, PostMilestone(note.milestone.days, note.milestone.name[:60]))
    if post_id is None:
        return None
    await events.post_created(conn, post_id)
    return await store.get_post(conn, post_id)


async def updated_remotely(conn: Any, remote: RemoteActor, note: objects.Post) -> bool:
    """An Update of a remote post; only its author may change it (19)."""
    post = await store.get_post_by_uri(conn, note.id)
    if post is None or post.author.remote_id != remote.id or post.is_boost:
        return False
    await threads.keep_version(conn, post)
    await store.update_post(conn, post.id, sanitize_html(note.content_html or ""),
                            html_to_text(note.summary or "")[:SUMMARY_MAX],
                            bool(note.sensitive or note.summary), note.updated)
    await events.post_edited(conn, post.id)
    await notices.edited(conn, post)
    return True


async def deleted_remotely(conn: Any, remote: RemoteActor, uri: str) -> bool:
    """A Delete of a remote post: gone, and remembered so a late Create is
    ignored (45). Only its author may delete it (19); the caller has checked
    the uri is on the author's server."""
    post = await store.get_post_by_uri(conn, uri)
    if post is not None and post.author.remote_id != remote.id:
        return False
    await store.add_tombstone(conn, uri)
    if post is not None:
        await store.delete_post(conn, post.id)
        await events.post_deleted(conn, post)
    return True


async def visible(
    conn: Any, viewer: Member | None, viewer_uri: str | None, post_id: int
) -> Post:
    """The post when the viewer may see it; NotFound otherwise, exactly as
    if it did not exist."""
    if not await store.visible_to(conn, post_id, viewer.id if viewer else None, viewer_uri):
        raise NotFound("There is no such post, or it is not shared with you.")
    return await _get(conn, post_id)


async def tags_of(conn: Any, post_ids: Sequence[int]) -> dict[int, list[str]]:
    """The stored hashtags (case-folded) of each of the posts, by post id."""
    return await store.tags_of_posts(conn, post_ids) if post_ids else {}


async def by_uri(conn: Any, uri: str) -> Post | None:
    return await store.get_post_by_uri(conn, uri)


async def by_id(conn: Any, post_id: int) -> Post | None:
    return await store.get_post(conn, post_id)


async def home(
    conn: Any, member: Member, member_uri: str, limit: int = 20, max_id: int | None = None
) -> list[Post]:
    """The member's home timeline (the precomputed feed; the client API's
    home timeline is the same query)."""
    return await timelines_store.home_posts(
        conn, member.id, member_uri, ListPage(min(max(limit, 1), TIMELINE_MAX), max_id))


async def of_member(
    conn: Any, author: Member, viewer: Member | None, viewer_uri: str | None, limit: int = 20,
) -> list[Post]:
    return await store.member_posts(conn, author.id, viewer.id if viewer else None,
                                    viewer_uri, min(max(limit, 1), TIMELINE_MAX))


async def replies(conn: Any, post: Post) -> list[Post]:
    return await store.replies_to(conn, [post.id])


async def react(
    conn: Any, kind: str, uri: str, post: Post, *, member: Member | None = None,
    remote: RemoteActor | None = None, remote_follows_author: bool = False,
) -> bool:
    """A like (boosts are posts: ``boost``); a remote actor's only counts for
    a post shared with them (RELIABILITY.md 27). False when refused or
    already there."""
    if kind != "like" or post.is_boost:
        return False
    if remote is not None and not shared_with(post, remote, remote_follows_author):
        return False
    added = await store.add_reaction(conn, kind, uri, post.id,
                                     member.id if member else None,
                                     remote.id if remote else None)
    if added and (member or remote):
        await notices.favourited(conn, post, Party(member.id if member else None,
                                                   remote.id if remote else None))
    return added


async def boost(
    conn: Any, member: Member, post: Post, visibility: Visibility | None = None,
) -> Post | None:
    """The member boosts a public or unlisted post: a post of their own that
    points at it, as public as the post (a boost never puts an unlisted post
    in public listings) or unlisted if asked. None when they had boosted it
    already."""
    if post.is_boost or post.visibility not in BOOSTABLE:
        raise PermissionDenied("Only public and unlisted posts can be boosted.")
    if visibility not in (None, *BOOSTABLE):
        raise InvalidInput("visibility", "A boost is public or unlisted.")
    shown = Visibility.UNLISTED if visibility is Visibility.UNLISTED else post.visibility
    boost_id = await store.insert_boost(conn, post.id, shown.value, member_id=member.id)
    if boost_id is None:
        return None
    await events.post_created(conn, boost_id)
    await notices.boosted(conn, post, Party(member_id=member.id))
    return await store.get_post(conn, boost_id)


async def boost_of(conn: Any, member: Member, post: Post) -> Post | None:
    """The member's boost of ``post``, if any."""
    return await store.boost_by_member(conn, post.id, member.id)


async def unboost(conn: Any, member: Member, post: Post) -> Post | None:
    """Take the member's boost of ``post`` back; the boost as it was, or None."""
    boosted = await store.boost_by_member(conn, post.id, member.id)
    if boosted is not None:
        await store.delete_post(conn, boosted.id)
        await events.post_deleted(conn, boosted)
    return boosted


async def boosted_remotely(
    conn: Any, remote: RemoteActor, announce_id: str, post: Post, visibility: Visibility,
    published: datetime | None, *, follows_author: bool = False,
) -> bool:
    """A remote actor's Announce of a post here, stored as their boost: only
    of a public or unlisted post (so shared with them, RELIABILITY.md 27),
    and only as a public or unlisted boost. False when refused, repeated, or
    undone before it arrived (45)."""
    if post.is_boost or post.visibility not in BOOSTABLE or visibility not in BOOSTABLE:
        return False
    if not shared_with(post, remote, follows_author) or await store.is_tombstoned(
            conn, announce_id):
        return False
    boost_id = await store.insert_boost(conn, post.id, visibility.value, remote_id=remote.id,
                                        uri=announce_id, published_at=published)
    if boost_id is None:
        return False
    await events.post_created(conn, boost_id)
    await notices.boosted(conn, post, Party(remote_id=remote.id))
    return True


async def unboosted_remotely(conn: Any, announce_id: str, remote: RemoteActor) -> bool:
    """An Undo of a remote actor's Announce: their boost is gone."""
    boosted = await store.get_post_by_uri(conn, announce_id)
    if not await store.delete_remote_boost(conn, announce_id, remote.id):
        return False
    if boosted is not None:
        await events.post_deleted(conn, boosted)
    return True


def shared_with(post: Post, remote: RemoteActor, follows_author: bool) -> bool:
    if post.visibility in (Visibility.PUBLIC, Visibility.UNLISTED):
        return True
    if post.visibility is Visibility.FOLLOWERS:
        return follows_author
    if post.visibility is Visibility.DIRECT:
        return remote.uri in post.recipients
    return False


async def reaction_of(conn: Any, kind: str, post: Post, member: Member) -> str | None:
    return await store.reaction_uri(conn, kind, post.id, member.id, None)


async def unreact(conn: Any, uri: str, remote: RemoteActor | None = None) -> bool:
    """Remove a like or boost by its activity id (a remote one only by its actor)."""
    return await store.remove_reaction_by_uri(conn, uri, remote.id if remote else None)


async def fetched_remotely(
    conn: Any, author: Member, post_id: int, viewer: RemoteActor | None
) -> Post:
    """The author's post as another server may fetch it, ``viewer`` being the
    actor whose signature was verified (None: anonymous). Public and unlisted
    to anyone, followers-only to an accepted follower, direct to an actor it
    names, community-only never (RELIABILITY.md 26). NotFound otherwise,
    exactly as if it did not exist."""
    allowed = await store.fetchable_by_remote(
        conn, post_id, author.id, viewer.id if viewer else None, viewer.uri if viewer else None)
    post = await store.get_post(conn, post_id) if allowed else None
    if post is None:
        raise NotFound("There is no such post, or it is not shared with you.")
    return post


async def public_of_member(
    conn: Any, author: Member, limit: int = 20, max_id: int | None = None
) -> list[Post]:
    """The member's public posts, newest first: what their outbox shows."""
    return await store.public_posts_of_member(conn, author.id, min(max(limit, 1), TIMELINE_MAX),
                                              max_id)


async def public_count(conn: Any, author: Member) -> int:
    return await store.count_public_posts_of_member(conn, author.id)


def check_text(text: str, summary: str, with_media: bool = False) -> None:
    """Raise InvalidInput as ``write`` would for this text and warning, before
    anything slow (looking up mentions) is done."""
    _checked_text(text, summary, with_media)


async def reacted(conn: Any, member: Member, shown: Sequence[Post]) -> set[tuple[str, int]]:
    """(kind, post id) of the member's likes and boosts among ``shown`` (of
    the boosted post, for a boost)."""
    return await social_store.reactions_among(conn, member.id,
                                              [(p.reblog or p).id for p in shown])


async def visible_replies(
    conn: Any, post: Post, viewer: Member | None, viewer_uri: str
) -> list[Post]:
    """The replies to ``post`` the viewer may see, oldest first."""
    return await social_store.visible_replies(conn, post.id, viewer.id if viewer else None,
                                              viewer_uri if viewer else None)


async def local_count(conn: Any) -> int:
    """How many posts members here have written (NodeInfo's localPosts)."""
    return await store.count_local_posts(conn)
