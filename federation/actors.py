"""Actors (Person, Group, Application, Service, Organization) to plain data,
and Hearth's own actors back to ActivityStreams."""

from __future__ import annotations

import copy
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation import vocab
from federation.convert import (
    Document,
    as_datetime,
    as_id,
    as_int,
    as_text,
    as_url,
    format_datetime,
    http_url,
    localized,
    require_document,
    require_id,
    require_type,
)
from federation.errors import InvalidDocument


@dataclass(frozen=True, slots=True)
class Actor:
    """A Person, Group, Application, Service or Organization (or an actor of a
    type Hearth does not know, kept as sent)."""

    id: str
    type: str
    preferred_username: str | None = None
    name: str | None = None
    summary: str | None = None  # unsanitised HTML
    inbox: str | None = None
    shared_inbox: str | None = None
    outbox: str | None = None
    followers: str | None = None
    following: str | None = None
    featured: str | None = None
    url: str | None = None
    public_key_id: str | None = None
    public_key_pem: str | None = None
    manually_approves_followers: bool = False
    discoverable: bool = False
    icon_url: str | None = None
    published: datetime | None = None
    moved_to: str | None = None


def parse_actor(doc: object) -> Actor:
    """An Actor from an actor document. Raises InvalidDocument when it is not
    a JSON object, has no id or type, or is a known non-actor type (a Note,
    a Create...); an unknown type is kept as sent."""
    data = require_document(doc)
    actor_id = require_id(data, "actor")
    kind = require_type(data, "actor")
    if kind in vocab.OBJECT_TYPES | vocab.ACTIVITY_TYPES | vocab.COLLECTION_TYPES:
        raise InvalidDocument(f"expected an actor, got a {kind}")
    return actor_from(data, actor_id, kind)


def actor_from(data: Document, actor_id: str, kind: str) -> Actor:
    key_id, key_pem = _public_key(data.get("publicKey"), actor_id)
    return Actor(
        id=actor_id,
        type=kind,
        preferred_username=as_text(data.get("preferredUsername")),
        name=localized(data, "name"),
        summary=localized(data, "summary"),
        inbox=_link(data.get("inbox")),
        shared_inbox=_shared_inbox(data),
        outbox=_link(data.get("outbox")),
        followers=_link(data.get("followers")),
        following=_link(data.get("following")),
        featured=_link(data.get("featured")),
        url=as_url(data.get("url")),
        public_key_id=key_id,
        public_key_pem=key_pem,
        manually_approves_followers=data.get("manuallyApprovesFollowers") is True,
        discoverable=data.get("discoverable") is True,
        icon_url=_icon_url(data.get("icon")),
        published=as_datetime(data.get("published")),
        moved_to=_link(data.get("movedTo")),
    )


def _link(value: object) -> str | None:
    return http_url(as_id(value))


def _shared_inbox(data: Document) -> str | None:
    # Mastodon: endpoints.sharedInbox; Misskey also sends it at the top level.
    endpoints = data.get("endpoints")
    inside = endpoints.get("sharedInbox") if isinstance(endpoints, Mapping) else None
    return _link(inside) or _link(data.get("sharedInbox"))


def _public_key(value: object, actor_id: str) -> tuple[str | None, str | None]:
    """(key id, PEM) of the actor's key; from a list, the one the actor owns."""
    keys = [k for k in (value if isinstance(value, list) else [value]) if isinstance(k, Mapping)]
    owned = [k for k in keys if as_id(k.get("owner")) == actor_id]
    key = owned[0] if owned else keys[0] if keys else None
    if key is None:
        return None, None
    return _link(key.get("id")), as_text(key.get("publicKeyPem"))


def _icon_url(value: object) -> str | None:
    """The avatar; from a list (PeerTube sends several sizes), the widest."""
    icons = [i for i in (value if isinstance(value, list) else [value]) if isinstance(i, Mapping)]
    icons.sort(key=lambda icon: as_int(icon.get("width")) or 0, reverse=True)
    return next((url for icon in icons if (url := as_url(icon.get("url")))), None)


def person_to_as2(
    *,
    id: str,
    preferred_username: str,
    inbox: str,
    outbox: str,
    followers: str,
    following: str,
    public_key_pem: str,
    kind: str = "Person",
    public_key_id: str | None = None,
    name: str | None = None,
    summary: str | None = None,
    url: str | None = None,
    shared_inbox: str | None = None,
    featured: str | None = None,
    manually_approves_followers: bool = False,
    discoverable: bool = False,
    icon_url: str | None = None,
    icon_media_type: str | None = None,
    published: datetime | None = None,
    image_url: str | None = None,
    image_media_type: str | None = None,
) -> dict[str, Any]:
    """An actor document (Person, or `kind`: Group, Application) as Hearth
    serves it, with `@context` = vocab.CONTEXT and the key at `#main-key`."""
    person: dict[str, Any] = {
        "@context": copy.deepcopy(vocab.CONTEXT),
        "id": id,
        "type": kind,
        "preferredUsername": preferred_username,
        "inbox": inbox,
        "outbox": outbox,
        "followers": followers,
        "following": following,
        "manuallyApprovesFollowers": manually_approves_followers,
        "discoverable": discoverable,
        "publicKey": {
            "id": public_key_id or f"{id}#main-key",
            "owner": id,
            "publicKeyPem": public_key_pem,
        },
    }
    icon = {"type": "Image", "url": icon_url} if icon_url else None
    if icon and icon_media_type:
        icon["mediaType"] = icon_media_type
    image = {"type": "Image", "url": image_url} if image_url else None
    if image and image_media_type:
        image["mediaType"] = image_media_type
    optional = {
        "name": name,
        "summary": summary,
        "url": url,
        "featured": featured,
        "endpoints": {"sharedInbox": shared_inbox} if shared_inbox else None,
        "icon": icon,
        "image": image,
        "published": format_datetime(published),
    }
    person.update({key: value for key, value in optional.items() if value is not None})
    return person
