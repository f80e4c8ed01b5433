"""What each streaming channel shows (docs.joinmastodon.org/methods/streaming/#streams),
once the hub (web/streams.py) has checked that the stream's owner may see
the post at all. The channels follow the timelines: ``user`` is the home
feed, the public channels the public timeline (public and community posts,
no boosts, no replies to others), the hashtag channels the tag timeline."""

from __future__ import annotations

from dataclasses import dataclass

from recovery import events
from recovery.events import Event
from recovery.models import Party, Post, Visibility

PUBLIC_STREAMS = frozenset({
    "public", "public:media", "public:local", "public:local:media",
    "public:remote", "public:remote:media"})
HASHTAG_STREAMS = frozenset({"hashtag", "hashtag:local"})
STREAMS = PUBLIC_STREAMS | HASHTAG_STREAMS | {"user", "user:notification", "list", "direct"}
# The filter context each channel's posts are shown in (its hide filters apply).
FILTER_CONTEXT = ({"user": "home", "list": "home", "direct": "thread"}
                  | dict.fromkeys(PUBLIC_STREAMS | HASHTAG_STREAMS, "public"))
_LISTED = (Visibility.PUBLIC, Visibility.COMMUNITY)  # what the public timelines show


@dataclass(frozen=True, slots=True)
class Channel:
    """One subscription: a stream name and its tag (case-folded) or list id."""

    name: str
    param: str | None = None

    @property
    def names(self) -> list[str]:
        """The ``stream`` array of events on this channel."""
        return [self.name, self.param] if self.param is not None else [self.name]


@dataclass(frozen=True, slots=True)
class Facts:
    """What the channels need to know about one post."""

    post: Post
    reply_to_others: bool
    media: bool
    tags: set[str]


def wants(names: set[str], owner_id: int, event: Event) -> bool:
    """Whether a stream subscribed to ``names`` could show this kind of event."""
    if event.kind == events.NOTIFICATION:
        return owner_id == event.member_id and bool(names & {"user", "user:notification"})
    if event.kind == events.FILTERS:
        return owner_id == event.member_id and "user" in names
    return bool(names - {"user:notification"})


def reply_to_others(post: Post, parents: dict[int, Party]) -> bool:
    """A reply to someone else's post (``parents``: the authors of the posts
    replied to, by id)."""
    if post.in_reply_to_id is None:
        return post.in_reply_to_uri is not None
    parent = parents.get(post.in_reply_to_id)
    return parent is None or (parent.member_id, parent.remote_id) != (
        post.author.member_id, post.author.remote_id)


def shows(channel: Channel, facts: Facts, home: bool,
          lists: frozenset[str] = frozenset()) -> bool:
    """Whether a post the owner may see belongs on the channel (``home``: it
    is in the owner's home feed; ``lists``: the ids of the owner's lists
    whose timeline it is in, as recovery/lists.py decides)."""
    post = facts.post
    if channel.name == "user":
        return home
    if channel.name == "list":
        return channel.param in lists
    if channel.name == "direct":
        return post.visibility is Visibility.DIRECT and not post.is_boost
    if post.visibility not in _LISTED or post.is_boost or not _origin_ok(channel.name, post):
        return False
    if channel.name in PUBLIC_STREAMS:  # as the public timeline: no replies to others
        return not facts.reply_to_others and (facts.media or ":media" not in channel.name)
    if channel.name in HASHTAG_STREAMS:  # as the tag timeline: replies too
        return channel.param in facts.tags
    return False


def _origin_ok(name: str, post: Post) -> bool:
    if ":local" in name:
        return post.author.member_id is not None
    if ":remote" in name:
        return post.author.remote_id is not None
    return True


def deletion_shown(channel: Channel, owner_id: int, owner_uri: str, event: Event,
                   followers: set[int], lists: frozenset[str] = frozenset()) -> bool:
    """Whether the channel may have shown the deleted post: only its id is
    sent, as nothing of the post is left to check. ``followers``: the
    owners whose home timeline may have held it (they follow its author or,
    for a public or community post, a hashtag); ``lists``: the ids of lists
    holding its author."""
    author = event.author
    assert author is not None
    own = author.member_id == owner_id
    if event.visibility is Visibility.DIRECT:
        return channel.name in ("user", "direct") and (own or owner_uri in event.recipients)
    if channel.name == "user":
        return own or owner_id in followers
    if channel.name == "list":
        return channel.param in lists
    if event.visibility not in _LISTED or event.boost:
        return False
    if channel.name in PUBLIC_STREAMS:
        return ((":local" not in channel.name or author.member_id is not None)
                and (":remote" not in channel.name or author.remote_id is not None))
    return channel.name in HASHTAG_STREAMS
