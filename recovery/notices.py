"""Who is told when something happens to them, and the notifications a
client lists. The services where things happen call the functions below in
their own transaction (local actions and remote activities alike): a follow
or a follow request, a favourite, a boost, a mention, an edit of a post the
member boosted or favourited, a new post of an account they follow with
``notify`` on (``status``). Never of the member's own actions, never from
an account they block or mute (with notifications) or that blocks them.
A follow request's notification goes once the member answers it or the
request is withdrawn (as on Mastodon); an accepted one then tells of the
follow.

Milestones (recovery/progress.py, kind ``milestone``) are private: a client
is shown one only once the member shared it as a post, as a ``status``
notification about that post (Mastodon's type for "an account posted"; the
account is the member's own). An unshared milestone is on the web page only:
Mastodon has no documented type for it and clients drop unknown types."""

from __future__ import annotations

from typing import Any

from recovery import notifications
from recovery.errors import NotFound
from recovery.models import Follow, Member, Party, Post, Visibility
from recovery.notice_models import Listed, NoticeQuery
from recovery.status_models import ListPage
from recovery.store import follow_options as follow_options_store
from recovery.store import markers as markers_store
from recovery.store import notices as store
from recovery.store import posts as posts_store
from recovery.store import timelines as timelines_store

FOLLOW = "follow"
FOLLOW_REQUEST = "follow_request"
MENTION = "mention"
FAVOURITE = "favourite"
REBLOG = "reblog"
UPDATE = "update"
STATUS = "status"
PAGE_MAX = 80
UNREAD_MAX = 1000
MENTIONS_MAX = 50
NOT_FOUND = "Record not found"


async def _tell(conn: Any, member_id: int, kind: str, sender: Party,
                post_id: int | None = None) -> None:
    if sender.member_id == member_id or await store.silenced(conn, member_id, sender):
        return
    await notifications.notify(conn, member_id, kind, from_member_id=sender.member_id,
                               from_remote_id=sender.remote_id, post_id=post_id)


def _author(post: Post) -> Party:
    return Party(post.author.member_id, post.author.remote_id)


async def followed(conn: Any, follow: Follow, uri: str) -> None:
    """A new follow (``uri`` its activity id) of a member: ``follow`` when
    accepted at once, ``follow_request`` when the member approves followers.
    A repeated Follow of an existing follow tells nobody again."""
    target = follow.followed.member_id
    if target is not None and follow.uri == uri:
        await _tell(conn, target, FOLLOW if follow.accepted else FOLLOW_REQUEST,
                    follow.follower)


async def request_answered(conn: Any, follow: Follow, accepted: bool) -> None:
    """The member answered a follow request (``follow`` as it was before):
    its notification goes; an accepted one tells of the follow."""
    target = follow.followed.member_id
    if target is None or follow.accepted:
        return
    await follow_options_store.withdraw_notices(conn, target, FOLLOW_REQUEST, follow.follower)
    if accepted:
        await _tell(conn, target, FOLLOW, follow.follower)


async def request_withdrawn(conn: Any, follow: Follow) -> None:
    """A follow request was withdrawn before any answer: its notification goes."""
    target = follow.followed.member_id
    if target is not None and not follow.accepted:
        await follow_options_store.withdraw_notices(conn, target, FOLLOW_REQUEST,
                                                    follow.follower)


async def favourited(conn: Any, post: Post, sender: Party) -> None:
    if post.author.member_id is not None:
        await _tell(conn, post.author.member_id, FAVOURITE, sender, post.id)


async def boosted(conn: Any, post: Post, sender: Party) -> None:
    if post.author.member_id is not None:
        await _tell(conn, post.author.member_id, REBLOG, sender, post.id)


async def posted(conn: Any, post: Post, local_prefix: str) -> None:
    """A new post: the members here it names are told (``mention``: its
    recipients; a reply names the author of the post it answers), and the
    followers who asked to hear of its author's posts (``status``).
    ``local_prefix`` starts members' actor URIs (``https://host/users/``)."""
    found = await timelines_store.parties_by_uris(conn, post.recipients[:MENTIONS_MAX],
                                                  local_prefix)
    uri_of = {p.member_id: uri for uri, p in found.items() if p.member_id is not None}
    named = await store.active_member_ids(conn, sorted(uri_of))
    for member_id in named:
        # A followers-only post reaches only followers (RELIABILITY.md 25-26),
        # even those it mentions: a mention of anyone else tells no one.
        if post.visibility is Visibility.FOLLOWERS and not await posts_store.visible_to(
                conn, post.id, member_id, uri_of[member_id]):
            continue
        await _tell(conn, member_id, MENTION, _author(post), post.id)
    if post.visibility is Visibility.DIRECT or post.is_boost:
        return
    subscribers = await follow_options_store.subscribers(conn, _author(post))
    if subscribers and not await _reply_to_others(conn, post):
        for member_id in subscribers:
            if member_id not in named:
                await _tell(conn, member_id, STATUS, _author(post), post.id)




async def _reply_to_others(conn: Any, post: Post) -> bool:
    """A reply to someone else's post: as on Mastodon, followers are not told
    of it (nor of a direct post or a boost; whether each may see a post is the
    list's check, as for every notification)."""
    if post.in_reply_to_id is None:
        return post.in_reply_to_uri is not None
    parents = await timelines_store.posts_by_ids(conn, [post.in_reply_to_id])
    return not parents or _author(parents[0]) != _author(post)


async def edited(conn: Any, post: Post) -> None:
    """Members who boosted or favourited an edited post."""
    for member_id in await store.interacted_members(conn, post.id):
        await _tell(conn, member_id, UPDATE, _author(post), post.id)


# -- what clients list --------------------------------------------------------------

async def page(conn: Any, member: Member, member_uri: str, query: NoticeQuery,
               wanted: ListPage) -> list[Listed]:
    capped = ListPage(min(max(wanted.limit, 1), PAGE_MAX), wanted.max_id, wanted.since_id,
                      wanted.min_id)
    return await store.listed_page(conn, member.id, member_uri, query, capped)


async def one(conn: Any, member: Member, member_uri: str, notification_id: int) -> Listed:
    found = await store.listed_one(conn, member.id, member_uri, notification_id)
    if found is None:
        raise NotFound(NOT_FOUND)
    return found


async def unread_count(conn: Any, member: Member, member_uri: str, query: NoticeQuery,
                       limit: int = 100) -> int:
    """Notifications newer than the member's notifications marker and not
    read on the web page, counted up to ``limit`` (at most 1,000)."""
    marker = await markers_store.get_markers(conn, member.id, ["notifications"])
    after = marker[0].last_read_id if marker else None
    return await store.count_unread(conn, member.id, member_uri, query, after,
                                    min(max(limit, 1), UNREAD_MAX))


async def dismiss(conn: Any, member: Member, notification_id: int) -> None:
    if not await notifications.dismiss(conn, member, notification_id):
        raise NotFound(NOT_FOUND)


async def clear(conn: Any, member: Member) -> None:
    await notifications.dismiss(conn, member)


async def posts_of(conn: Any, listed: list[Listed]) -> list[Post]:
    """The posts these notifications are about (those still here)."""
    wanted = sorted({item.post_id for item in listed if item.post_id is not None})
    return await timelines_store.posts_by_ids(conn, wanted) if wanted else []
