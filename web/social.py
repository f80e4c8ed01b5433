"""What the timeline, post and profile pages show, and what the social
actions share: the site they run on, and who may see which post.

The actions themselves are in ``web.following`` (finding people, following,
follow requests) and ``web.posting`` (writing, replying, liking, boosting,
deleting): each is the domain change plus the activities it causes, queued
by ``outbox.publish`` in the same transaction, so both commit or neither does.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from starlette.requests import Request

from inbox.remote import RemoteFetcher
from outbox import uris
from recovery import (
    followed_tags,
    follows,
    media,
    members,
    notifications,
    polls,
    posts,
    progress,
    timelines,
)
from recovery.errors import NotFound
from recovery.models import Follow, Member, Party, Post, Visibility
from recovery.status_models import ListPage

PAGE_SIZE = 20
MAX_ID = 2**63 - 1  # ids are bigints: a larger one exists nowhere
NO_SUCH_POST = "There is no such post, or it is not shared with you."


@dataclass(frozen=True)
class Site:
    """What the actions need of the app: its address and its remote fetcher."""

    base: str
    domain: str
    fetcher: RemoteFetcher

    @classmethod
    def of(cls, request: Request) -> Site:
        settings = request.app.state.settings
        return cls(settings.url, settings.domain, request.app.state.fetcher)

    def actor(self, member: Member | None) -> str:
        return uris.actor_uri(self.base, member.username) if member else ""


async def member_named(conn: Any, username: str) -> Member | None:
    """An active member here by username, or None."""
    if not username:
        return None
    try:
        return await members.get_profile(conn, username)
    except NotFound:
        return None


def follow_state(follow: Follow | None) -> str:
    """'none', 'pending' or 'accepted', as the follow buttons show it."""
    return "none" if follow is None else follow.state


async def visible_post(conn: Any, site: Site, viewer: Member | None, post_id: int) -> Post:
    """The post if the viewer may see it; NotFound, exactly as for a post
    that does not exist, otherwise (RELIABILITY.md 26)."""
    if not 0 < post_id <= MAX_ID:
        raise NotFound(NO_SUCH_POST)
    return await posts.visible(conn, viewer, site.actor(viewer), post_id)


def path_name(post: Post) -> str:
    """The name in the address of a post's page: /@name/ID, /@name@host/ID."""
    author = post.author
    return f"{author.username}@{author.host}" if author.host else author.username


async def nav(conn: Any, member: Member | None) -> dict[str, Any]:
    """What the navigation shows a member: the follow requests waiting and
    the notifications unread."""
    return {"pending_requests": await follows.pending_count(conn, member) if member else 0,
            "unread_notifications": await notifications.unread_count(conn, member)}


def once_each(listed: list[Post]) -> list[Post]:
    """A page of posts and boosts, each post shown once: where it appears
    first (newest), as itself or under a boost."""
    seen: set[int] = set()
    shown = []
    for post in listed:
        shows = (post.reblog or post).id
        if shows not in seen:
            seen.add(shows)
            shown.append(post)
    return shown


async def home_page(conn: Any, site: Site, member: Member, max_id: int | None) -> dict[str, Any]:
    listed = await posts.home(conn, member, site.actor(member), PAGE_SIZE, max_id)
    shown = once_each(listed)
    return {
        "posts": shown, "reacted": await posts.reacted(conn, member, shown),
        "attachments": await attachments_of(conn, shown),
        "polls": await polls_of(conn, shown, member),
        "older": listed[-1].id if len(listed) == PAGE_SIZE else None,
        **await nav(conn, member),
    }


async def tag_page(
    conn: Any, site: Site, viewer: Member | None, name: str, max_id: int | None
) -> dict[str, Any]:
    """The posts here with hashtag ``name`` that the viewer may see (a
    visitor: public ones only), newest first, without accounts they blocked
    or muted; NotFound for a name no hashtag can have."""
    tag = timelines.tag_name(name)
    if tag is None:
        raise NotFound("There is no such hashtag.")
    listed = await timelines.tagged(conn, viewer, site.actor(viewer) or None, tag,
                                    ListPage(PAGE_SIZE, max_id),
                                    timelines.Origin.asked(local=False, remote=False))
    shown = once_each(listed)
    return {
        "tag": tag, "posts": shown,
        "reacted": await posts.reacted(conn, viewer, shown) if viewer else set(),
        "attachments": await attachments_of(conn, shown),
        "polls": await polls_of(conn, shown, viewer),
        "older": listed[-1].id if len(listed) == PAGE_SIZE else None,
        "following": bool(await followed_tags.following(conn, viewer, [tag])),
        **await nav(conn, viewer),
    }


async def post_page(
    conn: Any, site: Site, viewer: Member | None, name: str | None, post_id: int
) -> dict[str, Any]:
    """A post, the post it replies to and its replies, as far as the viewer
    may see them. The name in the address, if given, must be the author's."""
    post = await visible_post(conn, site, viewer, post_id)
    if post.is_boost:  # a boost has no page of its own: the boosted post has
        raise NotFound(NO_SUCH_POST)
    if name is not None and path_name(post).lower() != name.lower():
        raise NotFound(NO_SUCH_POST)
    parent = None
    if post.in_reply_to_id is not None:
        try:
            parent = await visible_post(conn, site, viewer, post.in_reply_to_id)
        except NotFound:
            parent = None
    replies = await posts.visible_replies(conn, post, viewer, site.actor(viewer))
    return {
        "post": post, "parent": parent, "replies": replies,
        "reacted": await posts.reacted(conn, viewer, [post, *replies]) if viewer else set(),
        "attachments": await attachments_of(conn, [post, *replies, *([parent] if parent else [])]),
        "polls": await polls_of(conn, [post, *replies, *([parent] if parent else [])], viewer),
        "reply_text": _reply_prefix(site, viewer, post),
        "reply_visibility": post.visibility.value,
        **await nav(conn, viewer),
    }


def _reply_prefix(site: Site, viewer: Member | None, post: Post) -> str:
    """A reply starts by mentioning the author, as on Mastodon."""
    if viewer is None or post.author.member_id == viewer.id:
        return ""
    return f"@{path_name(post)} " if post.author.host else f"@{post.author.username} "


async def profile_page(
    conn: Any, site: Site, viewer: Member | None, member: Member
) -> dict[str, Any]:
    """What a member's profile shows the viewer: their posts the viewer may
    see (direct ones never), follower counts, and whether the viewer follows."""
    shown = once_each([
        p for p in await posts.of_member(conn, member, viewer, site.actor(viewer) or None)
        if p.visibility is not Visibility.DIRECT])
    followers, following = await follows.counts(conn, member)
    state = None
    if viewer is not None and viewer.id != member.id:
        state = follow_state(await follows.between(conn, viewer, Party(member_id=member.id)))
    return {
        "posts": shown, "followers": followers, "following": following,
        "follow_state": state,
        # the count of sober days, only when the member allows this viewer
        "sober_days": await progress.shown_count(conn, member, viewer, datetime.now(UTC)),
        "reacted": await posts.reacted(conn, viewer, shown) if viewer else set(),
        "attachments": await attachments_of(conn, shown),
        "polls": await polls_of(conn, shown, viewer),
        **await nav(conn, viewer),
    }


async def attachments_of(conn: Any, shown: list[Post]) -> dict[int, Any]:
    """The shown posts' (and boosted posts') media, for the post cards."""
    ids = [p.id for p in shown] + [p.reblog.id for p in shown if p.reblog is not None]
    return await media.of_posts(conn, ids)



async def polls_of(conn: Any, shown: list[Post], viewer: Member | None) -> dict[int, Any]:
    """The shown posts' (and boosted posts') polls, with the viewer's votes."""
    ids = [p.id for p in shown] + [p.reblog.id for p in shown if p.reblog is not None]
    return await polls.of_posts(conn, ids, viewer)
