"""Activities to plain data; who may see them; whether they come from the
origin of what they carry (RELIABILITY 16-24); and `parse_document` for a
document of any kind.

`parse_activity` keeps an unknown type as sent, so the inbox can log and drop
it. An embedded object becomes a Post, an Actor or (to a small depth) an
Activity; its content is only as trustworthy as `origin_ok` and
`needs_refetch` say.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Literal
from urllib.parse import urlsplit

from federation import vocab
from federation.actors import Actor, actor_from
from federation.convert import (
    Collection,
    Document,
    addressing,
    as_datetime,
    as_id,
    as_ids,
    as_type,
    http_url,
    localized,
    parse_collection,
    require_document,
    require_id,
    require_type,
)
from federation.errors import InvalidDocument
from federation.objects import Post, post_from

MAX_OBJECTS = 100  # a Flag's reported objects, a Create's poll votes
MAX_DEPTH = 3  # Announce { Create { Note } } is 2

# Activities that mean nothing without an object.
_NEEDS_OBJECT = frozenset(
    {
        "Accept", "Add", "Announce", "Block", "Create", "Delete", "Dislike",
        "EmojiReact", "Flag", "Follow", "Like", "Move", "Reject", "Remove",
        "Undo", "Update",
    }
)  # fmt: skip

Visibility = Literal["public", "unlisted", "followers", "direct"]


@dataclass(frozen=True, slots=True)
class Activity:
    """Any activity, its type kept as sent. `object` is what was embedded
    (trust it only as far as `origin_ok` and `needs_refetch` allow)."""

    id: str
    type: str
    actor: str
    object_id: str | None = None  # the first object's id
    object: Post | Actor | Activity | None = None  # when embedded and readable
    object_ids: tuple[str, ...] = ()  # all of them (a Flag's account and posts)
    raw_type_of_object: str | None = None  # the embedded object's type, as sent
    target: str | None = None
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    audience: str | None = None
    published: datetime | None = None
    content: str | None = None  # a Flag's comment, a reaction's emoji
    summary: str | None = None  # Lemmy's reason for a removal, a lock, a report
    truncated: tuple[str, ...] = ()


def parse_activity(doc: object) -> Activity:
    """An Activity from an activity document. Raises InvalidDocument when it is
    not a JSON object, lacks id, type or actor, or lacks the object its type
    needs; an unknown type is kept as sent."""
    return _activity(require_document(doc), depth=0)


def _activity(data: Document, depth: int) -> Activity:
    activity_id = require_id(data, "activity")
    kind = require_type(data, "activity")
    if data.get("actor") is None:
        raise InvalidDocument(f"{kind} activity has no actor")
    actor = http_url(as_id(data.get("actor")))
    if actor is None:
        raise InvalidDocument(f"{kind} activity's actor is not an http(s) URL")
    raw = data.get("object")
    object_ids, objects_cut = as_ids(raw, MAX_OBJECTS)
    if kind in _NEEDS_OBJECT and not object_ids:
        raise InvalidDocument(f"{kind} activity has no object id")
    first = raw[0] if isinstance(raw, list) and raw else raw
    embedded = first if isinstance(first, Mapping) else None
    to, cc, recipients_cut = addressing(data)
    cut = {"object": objects_cut, "to/cc": recipients_cut}
    return Activity(
        id=activity_id,
        type=kind,
        actor=actor,
        object_id=object_ids[0] if object_ids else None,
        object=_embedded(embedded, depth + 1) if embedded is not None else None,
        object_ids=object_ids,
        raw_type_of_object=as_type(embedded),
        target=http_url(as_id(data.get("target"))),
        to=to,
        cc=cc,
        audience=http_url(as_id(data.get("audience"))),
        published=as_datetime(data.get("published")),
        content=localized(data, "content"),
        summary=localized(data, "summary"),
        truncated=tuple(name for name, was_cut in cut.items() if was_cut),
    )


def _embedded(data: Document, depth: int) -> Post | Actor | Activity | None:
    """An embedded object as plain data; None when too deep or unreadable
    (the activity keeps its id in `object_id`)."""
    kind, object_id = as_type(data), http_url(as_id(data))
    if depth > MAX_DEPTH or kind is None or object_id is None:
        return None
    if kind in vocab.ACTOR_TYPES:
        return actor_from(data, object_id, kind)
    if is_activity(data):
        try:
            return _activity(data, depth)
        except InvalidDocument:
            return None
    return post_from(data, object_id, kind)


def is_activity(data: Document) -> bool:
    """A known activity type, or an unknown type with an actor and an object
    (Lemmy's Lock, Warn, Resolve...)."""
    kind = as_type(data)
    if kind in vocab.ACTIVITY_TYPES:
        return True
    known = vocab.OBJECT_TYPES | vocab.ACTOR_TYPES | vocab.COLLECTION_TYPES
    return kind not in known and "actor" in data and "object" in data


def parse_document(doc: object) -> Activity | Actor | Collection | Post:
    """Any document, sorted by its type: an activity, an actor, a collection
    or (anything else, unknown types included) a Post."""
    data = require_document(doc)
    kind = require_type(data)
    if kind in vocab.COLLECTION_TYPES:
        return parse_collection(data)
    if is_activity(data):
        return parse_activity(data)
    object_id = require_id(data, kind)
    if kind in vocab.ACTOR_TYPES:
        return actor_from(data, object_id, kind)
    return post_from(data, object_id, kind)


# -- audience ---------------------------------------------------------------------


def visibility_of(item: Post | Activity, actor_followers_url: str | None) -> Visibility:
    """Who a post or activity is for, read from `to`/`cc` as Mastodon does:
    public in `to` -> public; public in `cc` -> unlisted; the author's
    followers collection addressed -> followers; anything else -> direct."""
    if any(iri in vocab.PUBLIC_ALIASES for iri in item.to):
        return "public"
    if any(iri in vocab.PUBLIC_ALIASES for iri in item.cc):
        return "unlisted"
    if actor_followers_url and actor_followers_url in (*item.to, *item.cc):
        return "followers"
    return "direct"


# -- origin (RELIABILITY 17-22) -------------------------------------------------------


def origin_ok(activity: Activity) -> bool:
    """Whether `activity` comes from the origin of what it changes: its id is
    on the actor's host, and so are the objects it creates, updates or
    deletes (and their attributedTo), the activity it undoes (which must be
    the same actor's), and the collection it adds to or removes from.
    Objects it only points at (Like, Announce, Follow, Flag...) may be anywhere."""
    origin = _host_of(activity.actor)
    if origin is None or _host_of(activity.id) != origin:
        return False
    if activity.type in {"Create", "Update", "Delete"}:
        return _owns_objects(activity, origin)
    if activity.type == "Undo":
        undone = activity.object
        if isinstance(undone, Activity) and undone.actor != activity.actor:
            return False
        return _owns_objects(activity, origin)
    if activity.type in {"Add", "Remove"} and activity.target:
        return _host_of(activity.target) == origin
    return True


def needs_refetch(activity: Activity) -> bool:
    """Whether the embedded object comes from another host than the actor's
    (an Announce of a third host's post, RELIABILITY 20): then it must be
    fetched from its origin rather than believed."""
    embedded = activity.object
    if embedded is None:
        return False
    origin = _host_of(activity.actor)
    return origin is None or not _from_origin(embedded, origin)


def _owns_objects(activity: Activity, origin: str) -> bool:
    if not activity.object_ids:
        return False
    if any(_host_of(iri) != origin for iri in activity.object_ids):
        return False
    return activity.object is None or _from_origin(activity.object, origin)


def _from_origin(embedded: Post | Actor | Activity, origin: str) -> bool:
    if _host_of(embedded.id) != origin:
        return False
    if isinstance(embedded, Post) and embedded.attributed_to:
        return _host_of(embedded.attributed_to) == origin
    if isinstance(embedded, Activity):
        return _host_of(embedded.actor) == origin
    return True


_DEFAULT_PORTS = {"http": 80, "https": 443}


def _host_of(url: str | None) -> str | None:
    """`scheme://host:port` of an http(s) URL, normalised so that variants of
    one origin compare equal (RELIABILITY 22): lower case, no trailing dot,
    internationalised names in punycode, the default port written out.
    None when there is no such origin."""
    if not url:
        return None
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return None
    scheme, host = parts.scheme.lower(), (parts.hostname or "").rstrip(".")
    if scheme not in _DEFAULT_PORTS or not host:
        return None
    if ":" in host:  # an IPv6 literal
        host = f"[{host}]"
    else:
        try:
            host = host.encode("idna").decode("ascii").lower()
        except UnicodeError:
            return None
    return f"{scheme}://{host}:{port or _DEFAULT_PORTS[scheme]}"
