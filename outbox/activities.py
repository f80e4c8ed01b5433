"""The activities Hearth sends, built from domain objects (AS2 shapes as
Mastodon sends them, so every Mastodon-compatible server reads them)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from federation import vocab
from federation.convert import format_datetime
from federation.objects import Attachment, Hashtag, Mention, Milestone, note_to_as2
from outbox import uris
from recovery.models import Follow, Member, Post, RemoteActor, Visibility

PUBLIC = vocab.PUBLIC


def _activity(kind: str, activity_id: str, actor: str, obj: Any, **extra: Any) -> dict[str, Any]:
    return {"@context": vocab.CONTEXT, "id": activity_id, "type": kind, "actor": actor,
            "object": obj, **extra}


def follow(base: str, member: Member, remote: RemoteActor, follow_uri: str) -> dict[str, Any]:
    return _activity("Follow", follow_uri, uris.actor_uri(base, member.username), remote.uri,
                     to=[remote.uri])


def answer_follow(
    base: str, member: Member, follow_: Follow, follower: RemoteActor, accept: bool
) -> dict[str, Any]:
    """Accept or Reject of a remote actor's Follow, naming the Follow's id."""
    me = uris.actor_uri(base, member.username)
    original = {"id": follow_.uri, "type": "Follow", "actor": follower.uri, "object": me}
    kind = "Accept" if accept else "Reject"
    return _activity(kind, f"{me}#{kind.lower()}s/{follow_.id}", me, original,
                     to=[follower.uri])


def undo(base: str, member: Member, undone: dict[str, Any], to: list[str]) -> dict[str, Any]:
    me = uris.actor_uri(base, member.username)
    inner = {key: value for key, value in undone.items() if key != "@context"}
    return _activity("Undo", f"{undone['id']}/undo", me, inner, to=to)


def addressing(
    visibility: Visibility, base: str, member: Member, mentioned: list[str]
) -> tuple[list[str], list[str]]:
    """(to, cc) for a post, as Mastodon addresses each visibility."""
    followers = uris.followers_uri(base, member.username)
    if visibility is Visibility.PUBLIC:
        return [PUBLIC], [followers, *mentioned]
    if visibility is Visibility.UNLISTED:
        return [followers], [PUBLIC, *mentioned]
    if visibility is Visibility.FOLLOWERS:
        return [followers], list(mentioned)
    if visibility is Visibility.DIRECT:
        return list(mentioned), []
    raise ValueError("community posts are never federated")


def note(
    base: str, member: Member, post: Post, mentioned: list[str], *,
    mentions: Sequence[Mention] = (), attachments: Sequence[Attachment] = (),
    hashtags: Sequence[str] = (),
) -> dict[str, Any]:
    """The post as a Note; ``mentions`` become its Mention tags, the names
    in ``hashtags`` (its stored hashtags) its Hashtag tags, pointing at their
    pages here, and ``attachments`` (web.posting loads them) its images."""
    to, cc = addressing(post.visibility, base, member, mentioned)
    uri = uris.post_uri(base, member.username, post.id)
    return note_to_as2(
        id=uri, attributed_to=uris.actor_uri(base, member.username),
        content_html=post.content_html, to=to, cc=cc, published=post.published_at,
        summary=post.summary or None, sensitive=post.sensitive,
        in_reply_to=post.in_reply_to_uri, context=post.context_uri or uri,
        url=f"{base}/@{member.username}/{post.id}", updated=post.edited_at,
        mentions=mentions, attachments=attachments,
        hashtags=[Hashtag(name, uris.tag_url(base, name)) for name in hashtags],
        milestone=Milestone(post.milestone.days, post.milestone.name) if post.milestone else None,
    )


def create(
    base: str, member: Member, post: Post, mentioned: list[str], *,
    mentions: Sequence[Mention] = (), attachments: Sequence[Attachment] = (),
    hashtags: Sequence[str] = (),
) -> dict[str, Any]:
    obj = note(base, member, post, mentioned, mentions=mentions, attachments=attachments,
               hashtags=hashtags)
    obj.pop("@context", None)
    return _activity("Create", f"{obj['id']}/activity", obj["attributedTo"], obj,
                     to=obj["to"], cc=obj.get("cc", []), published=obj.get("published"))


def update(
    base: str, member: Member, post: Post, mentioned: list[str], *,
    mentions: Sequence[Mention] = (), attachments: Sequence[Attachment] = (),
    hashtags: Sequence[str] = (),
) -> dict[str, Any]:
    obj = note(base, member, post, mentioned, mentions=mentions, attachments=attachments,
               hashtags=hashtags)
    obj.pop("@context", None)
    stamp = (post.edited_at or post.published_at).strftime("%Y%m%d%H%M%S%f")
    return _activity("Update", f"{obj['id']}#updates/{stamp}", obj["attributedTo"], obj,
                     to=obj["to"], cc=obj.get("cc", []))


def delete(base: str, member: Member, post: Post, mentioned: list[str]) -> dict[str, Any]:
    to, cc = addressing(post.visibility, base, member, mentioned)
    uri = uris.post_uri(base, member.username, post.id)
    tombstone = {"id": uri, "type": "Tombstone"}
    return _activity("Delete", f"{uri}#delete", uris.actor_uri(base, member.username),
                     tombstone, to=to, cc=cc)


def delete_actor(base: str, member: Member) -> dict[str, Any]:
    """A member's account is gone, as Mastodon says it: a Delete whose object
    is the actor itself, to the public."""
    me = uris.actor_uri(base, member.username)
    return _activity("Delete", f"{me}#delete", me, me, to=[PUBLIC])


def update_actor(base: str, member: Member, person: dict[str, Any],
                 stamp: datetime) -> dict[str, Any]:
    """A member's new profile, as Mastodon sends it: an Update, to the public,
    of their whole actor document (``person``), under the document's own
    ``@context``. ``stamp`` (the change's time) makes each Update's id new."""
    me = uris.actor_uri(base, member.username)
    inner = {key: value for key, value in person.items() if key != "@context"}
    activity = _activity("Update", f"{me}#updates/{stamp.strftime('%Y%m%d%H%M%S%f')}", me,
                         inner, to=[PUBLIC], cc=[uris.followers_uri(base, member.username)])
    activity["@context"] = person.get("@context", vocab.CONTEXT)
    return activity


def like(base: str, member: Member, post: Post, like_uri: str) -> dict[str, Any]:
    assert post.uri is not None and post.author.uri is not None
    return _activity("Like", like_uri, uris.actor_uri(base, member.username), post.uri,
                     to=[post.author.uri])


def announce(base: str, member: Member, post: Post, announce_uri: str) -> dict[str, Any]:
    assert post.uri is not None and post.author.uri is not None
    me = uris.actor_uri(base, member.username)
    return _activity("Announce", announce_uri, me, post.uri, to=[PUBLIC],
                     cc=[post.author.uri, uris.followers_uri(base, member.username)])


def object_uri(base: str, post: Post) -> str:
    """The ActivityPub id of any post: a remote one's own, or ours."""
    return post.uri or uris.post_uri(base, post.author.username, post.id)


def author_uri(base: str, post: Post) -> str:
    return post.author.uri or uris.actor_uri(base, post.author.username)


def boost(base: str, member: Member, boosted: Post) -> dict[str, Any]:
    """The Announce a member's boost is (``boosted`` is the boost's own post,
    with the post it boosts loaded): its id is the boost's URI, made from its
    id like any post of ours, and it is addressed as Mastodon addresses a
    public or unlisted boost."""
    original = boosted.reblog
    assert original is not None
    me = uris.actor_uri(base, member.username)
    followers = uris.followers_uri(base, member.username)
    to, cc = ([PUBLIC], [author_uri(base, original), followers]) \
        if boosted.visibility is Visibility.PUBLIC \
        else ([followers], [PUBLIC, author_uri(base, original)])
    return _activity("Announce", uris.post_uri(base, member.username, boosted.id), me,
                     object_uri(base, original), to=to, cc=cc,
                     published=format_datetime(boosted.published_at))


def as_object(base: str, member: Member, post: Post, mentioned: list[str],
              attachments: Sequence[Attachment] = (),
              hashtags: Sequence[str] = ()) -> dict[str, Any]:
    """What a post's address serves: its Note, or for a boost its Announce."""
    return boost(base, member, post) if post.is_boost else note(
        base, member, post, mentioned, attachments=attachments, hashtags=hashtags)


def as_activity(base: str, member: Member, post: Post, mentioned: list[str],
                attachments: Sequence[Attachment] = (),
                hashtags: Sequence[str] = ()) -> dict[str, Any]:
    """What carried a post: its Create, or for a boost its Announce."""
    return boost(base, member, post) if post.is_boost else create(
        base, member, post, mentioned, attachments=attachments, hashtags=hashtags)
