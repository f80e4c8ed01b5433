"""Writing and changing posts: compose and reply (mentions looked up
first, then the post and its Create written in one transaction), edit,
delete, like and boost. An edit's Update and a deletion's Delete go to the
audience the Create went to, found again from what was stored with the post.
Community-only posts never leave the instance: no activity is built for them
at all."""

from __future__ import annotations

import uuid
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from federation.errors import InvalidDocument
from federation.objects import Mention
from federation.sanitize import find_mentions, html_to_text
from federation.webfinger import parse_handle
from outbox import activities, uris
from outbox.polls import with_question
from outbox.publish import publish
from recovery import follows, media, notices, peers, polls, posts
from recovery.errors import InvalidInput, PermissionDenied
from recovery.models import Member, Post, RemoteActor, Visibility
from web.following import LookupFailed, lookup
from web.social import Site, member_named, visible_post

# Called in the post's transaction, after the post is written.
Written = Callable[[Any, Post], Awaitable[None]]


def parse_visibility(raw: str) -> Visibility:
    try:
        return Visibility(raw)
    except ValueError:
        raise InvalidInput("visibility", "Choose who can see the post: public, unlisted, "
                           "followers only, direct or community only.") from None


@dataclass
class _Mentioned:
    """Who a post names: their actor ids, Mention tags and (remote) inboxes,
    and the pages its written mentions link to (``posts.MentionLinks``)."""

    uris: list[str] = field(default_factory=list)
    tags: list[Mention] = field(default_factory=list)
    inboxes: list[str | None] = field(default_factory=list)
    links: dict[tuple[str, str | None], str] = field(default_factory=dict)

    def link(self, username: str, host: str | None, href: str) -> None:
        """The mention ``@username[@host]`` as written links to ``href``."""
        self.links[(username.lower(), host.lower() if host else None)] = href

    def add(self, uri: str, handle: str | None, inbox: str | None = None) -> None:
        """``handle`` None: addressed, but not tagged (an actor no longer known)."""
        if uri not in self.uris:
            self.uris.append(uri)
            if handle is not None:
                self.tags.append(Mention(uri, handle))
            self.inboxes.append(inbox)


async def compose(
    conn: Any, site: Site, member: Member, text: str, summary: str, visibility_value: str,
    parent: Post | None = None, *, sensitive: bool = False, language: str | None = None,
    on_written: Written | None = None, with_media: bool = False,
) -> Post:
    """Write a post (a reply to ``parent`` if given) and queue its Create for
    its audience: public, unlisted and followers-only posts go to accepted
    remote followers and the remote actors mentioned, direct posts to those
    mentioned only, community-only posts nowhere. Run it on a connection
    outside a transaction: mentions are looked up first, then the post and
    its deliveries are written in one transaction, with whatever ``on_written``
    adds (the client API's Idempotency-Key, media: ``with_media`` says it
    attaches some, so the post may have no text)."""
    visibility = parse_visibility(visibility_value)
    posts.check_text(text, summary, with_media)
    mentioned = await _mentions(conn, site, member, text, visibility, parent)
    if visibility is Visibility.DIRECT and not mentioned.uris:
        raise InvalidInput("text", "A direct post reaches only the people it mentions: "
                           "mention someone with @name or @name@server.")
    async with conn.transaction():
        post = await posts.write(
            conn, member, text, visibility, summary=summary, reply_to=parent,
            reply_to_uri=activities.object_uri(site.base, parent) if parent else None,
            recipients=mentioned.uris, sensitive=sensitive, language=language,
            with_media=with_media, mentions=mentioned.links, tag_base=uris.tags_base(site.base),
        )
        await notices.posted(conn, post, uris.actor_uri(site.base, ""))
        if on_written is not None:
            await on_written(conn, post)
        if visibility is not Visibility.COMMUNITY:
            activity = activities.create(
                site.base, member, post, mentioned.uris, mentions=mentioned.tags,
                attachments=await media.federated(conn, site.base, post.id),
                hashtags=await hashtags_of(conn, post))
            activity = with_question(activity, await polls.federated(conn, post.id))
            await publish(conn, activity, member,
                          await _audience(conn, member, visibility, mentioned.inboxes))
    return post


async def reply(
    conn: Any, site: Site, member: Member, post_id: int, text: str, summary: str,
    visibility_value: str, *, sensitive: bool = False, language: str | None = None,
    on_written: Written | None = None, with_media: bool = False,
) -> tuple[Post, Post]:
    """Reply to a post the member can see: (the post, the reply)."""
    parent = await _target(conn, site, member, post_id)
    return parent, await compose(conn, site, member, text, summary, visibility_value, parent,
                                 sensitive=sensitive, language=language, on_written=on_written,
                                 with_media=with_media)


async def _audience(
    conn: Any, member: Member, visibility: Visibility, mentioned: list[str | None]
) -> list[str | None]:
    """The inboxes a post of this visibility goes to (RELIABILITY.md 25:
    followers means accepted followers only)."""
    if visibility is Visibility.COMMUNITY:
        return []
    if visibility is Visibility.DIRECT:
        return mentioned
    return [*await follows.remote_follower_inboxes(conn, member), *mentioned]


async def _mentions(
    conn: Any, site: Site, member: Member, text: str, visibility: Visibility,
    parent: Post | None,
) -> _Mentioned:
    """Everyone the text mentions, and the author of the post replied to.
    A community-only post never looks anyone up elsewhere (a remote mention
    in it stays text)."""
    found = _Mentioned()
    federated = visibility is not Visibility.COMMUNITY
    for username, host in find_mentions(text):
        if host is None or host.lower() == site.domain.lower():
            local = await member_named(conn, username)
            if local is None:
                raise InvalidInput("text", f"There is no member @{username} here.")
            found.link(username, host, uris.member_url(site.base, local.username))
            if local.id != member.id:
                found.add(site.actor(local), f"@{local.username}@{site.domain}")
        elif federated:
            remote = await _mentioned_remote(conn, site, username, host)
            found.link(username, host, _profile_of(remote))
            found.add(remote.uri, remote.handle, remote.delivery_inbox)
    if parent is not None and parent.author.member_id != member.id:
        if parent.author.uri is None:
            found.add(activities.author_uri(site.base, parent),
                      f"@{parent.author.username}@{site.domain}")
        elif federated and (author := await peers.by_uri(conn, parent.author.uri)):
            found.add(author.uri, author.handle, author.delivery_inbox)
    return found


def _profile_of(remote: RemoteActor) -> str:
    """Where a mention of a remote actor links: its profile page if it has
    an http(s) one, else its actor id."""
    url = remote.url or ""
    return url if url.lower().startswith(("https://", "http://")) else remote.uri


async def _known_links(conn: Any, site: Site, text: str, visibility: Visibility) -> _Mentioned:
    """The links of the mentions in an edited text, found without a network
    look-up (the edit runs in a transaction, and changes no one's
    addressing): members here, and remote actors already known; any other
    mention stays text."""
    found = _Mentioned()
    for username, host in find_mentions(text):
        if host is None or host.lower() == site.domain.lower():
            if (local := await member_named(conn, username)) is not None:
                found.link(username, host, uris.member_url(site.base, local.username))
        elif visibility is not Visibility.COMMUNITY:
            try:
                name, domain = parse_handle(f"@{username}@{host}")
            except InvalidDocument:
                continue
            known = await peers.by_handle(conn, name, domain)
            if known is not None and not known.gone:
                found.link(username, host, _profile_of(known))
    return found


async def hashtags_of(conn: Any, post: Post) -> list[str]:
    """The post's stored hashtags, for its Create or Update."""
    return (await posts.tags_of(conn, [post.id])).get(post.id, [])


async def _mentioned_remote(conn: Any, site: Site, username: str, host: str) -> RemoteActor:
    handle = f"@{username}@{host}"
    try:
        username, host = parse_handle(handle)
    except InvalidDocument:
        raise InvalidInput("text", f"{handle} is not an account name.") from None
    known = await peers.by_handle(conn, username, host)
    if known is not None and not known.gone:
        return known
    try:
        return await lookup(conn, site, username, host)
    except LookupFailed as exc:
        raise InvalidInput("text", f"Could not mention {handle}. {exc}") from exc


async def editable(conn: Any, site: Site, member: Member, post_id: int) -> Post:
    """The member's own post, to be edited: NotFound when they cannot see
    it, PermissionDenied when it is someone else's."""
    post = await visible_post(conn, site, member, post_id)
    if post.author.member_id != member.id:
        raise PermissionDenied("Only its author can change a post.")
    return post


def text_of(post: Post) -> str:
    """A post's text as its author wrote it, for the edit form."""
    return html_to_text(post.content_html)


async def edit(
    conn: Any, site: Site, member: Member, post_id: int, text: str, summary: str,
    *, sensitive: bool = False,
) -> Post:
    """Change the text and content warning of the member's own post and
    send an Update to the audience its Create went to (who it mentioned and
    its visibility stay as they were). Run it in a transaction."""
    post = await editable(conn, site, member, post_id)
    linked = await _known_links(conn, site, text, post.visibility)
    edited = await posts.edit(conn, member, post.id, text, summary, sensitive=sensitive,
                              mentions=linked.links, tag_base=uris.tags_base(site.base))
    if edited.visibility is not Visibility.COMMUNITY:
        sent_to = await _stored_mentions(conn, site, edited)
        activity = activities.update(
            site.base, member, edited, sent_to.uris, mentions=sent_to.tags,
            attachments=await media.federated(conn, site.base, edited.id),
            hashtags=await hashtags_of(conn, edited))
        activity = with_question(activity, await polls.federated(conn, edited.id))
        await publish(conn, activity, member,
                      await _audience(conn, member, edited.visibility, sent_to.inboxes))
    return edited


async def send_poll_update(conn: Any, site: Site, member: Member, post: Post) -> None:
    """The member's post with a poll, sent again as an Update of its Question
    (new counts, or its end) to the audience its Create went to."""
    poll = await polls.federated(conn, post.id)
    if poll is None or post.visibility is Visibility.COMMUNITY:
        return
    sent_to = await _stored_mentions(conn, site, post)
    activity = activities.update(
        site.base, member, post, sent_to.uris, mentions=sent_to.tags,
        attachments=await media.federated(conn, site.base, post.id),
        hashtags=await hashtags_of(conn, post))
    activity = with_question(activity, poll)
    activity["id"] = f"{activity['object']['id']}#updates/poll-{uuid.uuid4()}"
    await publish(conn, activity, member,
                  await _audience(conn, member, post.visibility, sent_to.inboxes))


async def delete(conn: Any, site: Site, member: Member, post_id: int) -> Post:
    """Delete the member's own post and tell the audience it had."""
    post = await visible_post(conn, site, member, post_id)
    gone = await posts.delete(conn, member, post.id)
    if gone.visibility is not Visibility.COMMUNITY:
        sent_to = await _stored_mentions(conn, site, gone)
        await publish(conn, activities.delete(site.base, member, gone, sent_to.uris),
                      member, await _audience(conn, member, gone.visibility, sent_to.inboxes))
    return gone


async def _stored_mentions(conn: Any, site: Site, post: Post) -> _Mentioned:
    """Whom a post's Create was addressed to besides followers, found again
    from its stored recipients: nothing is looked up over the network, and a
    remote actor no longer known here is addressed but has no inbox."""
    found = _Mentioned()
    for uri in post.recipients:
        username = uris.local_username(site.base, uri)
        if username is not None:
            found.add(uri, f"@{username}@{site.domain}")
        elif (remote := await peers.by_uri(conn, uri)) is not None:
            found.add(uri, remote.handle, remote.delivery_inbox)
        else:
            found.add(uri, None)
    return found


# -- likes and boosts ---------------------------------------------------------------


async def react(conn: Any, site: Site, member: Member, post_id: int, kind: str,
                boost_visibility: Visibility | None = None) -> Post:
    """Like or boost a post the member can see (for a boost shown on a page,
    the post it boosts). Liking a post from here stays here; a remote author
    is sent the Like. A boost (public and unlisted posts only) is a post of
    the member's own; its Announce goes to the author and to the member's
    followers."""
    post = await _target(conn, site, member, post_id)
    if kind == "boost":
        boosted = await posts.boost(conn, member, post, boost_visibility)
        if boosted is not None:
            await publish(conn, activities.boost(site.base, member, boosted), member,
                          await _boost_audience(conn, member, post))
        return post
    uri = uris.new_activity_uri(site.base)
    if await posts.react(conn, kind, uri, post, member=member):
        like, author_inbox = await _like(conn, site, member, post, uri)
        if like:
            await publish(conn, like, member, author_inbox)
    return post


async def unreact(conn: Any, site: Site, member: Member, post_id: int, kind: str) -> Post:
    """Take a like or boost back; whoever was told of it is sent an Undo."""
    post = await _target(conn, site, member, post_id)
    if kind == "boost":
        boosted = await posts.unboost(conn, member, post)
        if boosted is not None:
            announce = activities.boost(site.base, member, boosted)
            await publish(conn, activities.undo(site.base, member, announce, announce["to"]),
                          member, await _boost_audience(conn, member, post))
        return post
    uri = await posts.reaction_of(conn, kind, post, member)
    if uri is not None and await posts.unreact(conn, uri):
        like, author_inbox = await _like(conn, site, member, post, uri)
        if like:
            await publish(conn, activities.undo(site.base, member, like, like["to"]),
                          member, author_inbox)
    return post


async def _target(conn: Any, site: Site, member: Member, post_id: int) -> Post:
    """The post a button acts on: a boost stands for the post it boosts."""
    post = await visible_post(conn, site, member, post_id)
    if post.reblog_of_id is not None:
        post = await visible_post(conn, site, member, post.reblog_of_id)
    return post


async def _author_inbox(conn: Any, post: Post) -> list[str | None]:
    author = await peers.by_uri(conn, post.author.uri) if post.author.uri else None
    return [author.inbox or author.shared_inbox] if author else []


async def _like(
    conn: Any, site: Site, member: Member, post: Post, uri: str
) -> tuple[dict[str, Any] | None, list[str | None]]:
    """The Like to send, and where; None for a post from here."""
    if post.author.uri is None:
        return None, []
    return activities.like(site.base, member, post, uri), await _author_inbox(conn, post)


async def _boost_audience(conn: Any, member: Member, post: Post) -> list[str | None]:
    """A boost's Announce goes to the boosted post's author and the member's followers."""
    followers: list[str | None] = list(await follows.remote_follower_inboxes(conn, member))
    return [*await _author_inbox(conn, post), *followers]
