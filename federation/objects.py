"""Posts: ActivityStreams objects (Note, Page, Article, Question, Event...) to
plain frozen dataclasses, and Hearth's own posts back to ActivityStreams.

Caps on tags, attachments and poll options follow RELIABILITY 37. Remote
HTML (`content_html`, `summary`) is passed through untouched: it must go
through the sanitiser before anyone sees it (RELIABILITY 39).
"""

from __future__ import annotations

import copy
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from federation import vocab
from federation.convert import (
    Document,
    addressing,
    as_datetime,
    as_id,
    as_int,
    as_iri,
    as_text,
    as_type,
    as_url,
    format_datetime,
    http_url,
    localized,
    require_document,
    require_id,
    require_type,
)

MAX_TAGS = 100
MAX_ATTACHMENTS = 100
MAX_POLL_OPTIONS = 100
MAX_MILESTONE_DAYS = 100 * 366
_MAX_AUTHORS = 100  # entries of an attributedTo list looked at


# -- plain data ------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Mention:
    href: str | None  # the mentioned actor's id (some servers give a web URL)
    name: str | None = None  # "@someone@example.org", or "@someone" (Misskey, local)


@dataclass(frozen=True, slots=True)
class Hashtag:
    name: str  # without the leading "#"
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Label:
    """A content-warning label (FEP-4c96 draft): its name and the IRI of the
    LabelDefinition it comes from."""

    name: str | None
    href: str | None = None


@dataclass(frozen=True, slots=True)
class Emoji:
    name: str  # ":blobcat:"
    icon_url: str | None = None


@dataclass(frozen=True, slots=True)
class Attachment:
    url: str
    type: str = "Document"
    media_type: str | None = None
    name: str | None = None  # the alt text
    width: int | None = None
    height: int | None = None
    blurhash: str | None = None
    focal_point: tuple[float, float] | None = None


@dataclass(frozen=True, slots=True)
class PollOption:
    name: str
    votes: int | None = None


@dataclass(frozen=True, slots=True)
class Milestone:
    """Hearth's `hearth:milestone` extension: {"days": 90, "name": "90 days"}."""

    days: int
    name: str


@dataclass(frozen=True, slots=True)
class Post:
    """Any object with content: Note, Page, Article, Question (a Note with
    `options`), Event (with `start_time`, `end_time`, `location_name`), Video,
    ChatMessage, Tombstone, or a type Hearth does not know, kept as sent."""

    id: str
    type: str
    attributed_to: str | None = None
    content_html: str | None = None  # unsanitised
    media_type: str | None = None  # as sent; "text/markdown" from PeerTube
    summary: str | None = None
    sensitive: bool = False
    in_reply_to: str | None = None
    context: str | None = None  # FEP-7888 thread; Mastodon's `conversation` if absent
    audience: str | None = None  # FEP-1b12 group
    to: tuple[str, ...] = ()
    cc: tuple[str, ...] = ()
    published: datetime | None = None
    updated: datetime | None = None
    url: str | None = None
    name: str | None = None  # the title of a Page, Article or Event; a poll vote's choice
    mentions: tuple[Mention, ...] = ()
    hashtags: tuple[Hashtag, ...] = ()
    labels: tuple[Label, ...] = ()
    emojis: tuple[Emoji, ...] = ()
    attachments: tuple[Attachment, ...] = ()
    milestone: Milestone | None = None
    quote: str | None = None  # the quoted post (quoteUrl, _misskey_quote, quote)
    options: tuple[PollOption, ...] = ()
    multiple_choice: bool = False
    voters_count: int | None = None  # a Question's votersCount (toot:)
    start_time: datetime | None = None
    end_time: datetime | None = None  # when an Event ends or a Question closes
    location_name: str | None = None
    truncated: tuple[str, ...] = ()  # the properties cut to a cap: "to/cc", "tag"...
    language: str | None = None  # the first contentMap key that is a language tag


# -- AS2 -> Post -------------------------------------------------------------------

_LANGUAGES_SCAN = 20  # keys of a contentMap looked at
_LANGUAGE_TAG = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{1,8}){0,3}")


def _language(content_map: object) -> str | None:
    """The language of a post from its ``contentMap`` keys (Mastodon sends
    ``{"en": "<p>...</p>"}``): the first key that is a BCP 47 tag, as
    ``en`` or ``pt-BR``; None when there is no such key."""
    if not isinstance(content_map, Mapping):
        return None
    for key in list(content_map)[:_LANGUAGES_SCAN]:
        if isinstance(key, str) and _LANGUAGE_TAG.fullmatch(key) and key.lower() != "und":
            primary, _, region = key.partition("-")
            return primary.lower() + (f"-{region}" if region else "")
    return None


def parse_object(doc: object) -> Post:
    """A Post from an ActivityStreams object. Raises InvalidDocument when it is
    not a JSON object or has no id or type; an unknown type is kept as sent."""
    data = require_document(doc)
    return post_from(data, require_id(data, "object"), require_type(data, "object"))


def post_from(data: Document, object_id: str, kind: str) -> Post:
    to, cc, recipients_cut = addressing(data)
    tags, tags_cut = _entries(data.get("tag"), MAX_TAGS)
    attachments, attachments_cut = _attachments(data.get("attachment"))
    options, multiple, options_cut = _poll(data)
    cut = {
        "to/cc": recipients_cut,
        "tag": tags_cut,
        "attachment": attachments_cut,
        "oneOf/anyOf": options_cut,
    }
    return Post(
        id=object_id,
        type=kind,
        attributed_to=_attribution(data.get("attributedTo")) or http_url(as_id(data.get("actor"))),
        content_html=localized(data, "content"),
        media_type=as_text(data.get("mediaType")),
        summary=_summary(data),
        sensitive=data.get("sensitive") is True,
        in_reply_to=http_url(as_id(data.get("inReplyTo"))),
        context=as_iri(data.get("context")) or as_iri(data.get("conversation")),
        audience=http_url(as_id(data.get("audience"))),
        to=to,
        cc=cc,
        published=as_datetime(data.get("published")),
        updated=as_datetime(data.get("updated")),
        url=as_url(data.get("url")),
        name=localized(data, "name"),
        mentions=tuple(m for t in tags if as_type(t) == "Mention" and (m := _mention(t))),
        hashtags=tuple(h for t in tags if as_type(t) == "Hashtag" and (h := _hashtag(t))),
        labels=tuple(lb for t in tags if as_type(t) in _LABEL_TYPES and (lb := _label(t))),
        emojis=tuple(e for t in tags if as_type(t) == "Emoji" and (e := _emoji(t))),
        attachments=attachments,
        milestone=_milestone(data.get(vocab.MILESTONE, data.get(vocab.HEARTH_NS + "milestone"))),
        quote=_quote(data),
        options=options,
        multiple_choice=multiple,
        voters_count=as_int(data.get("votersCount")),
        start_time=as_datetime(data.get("startTime")),
        end_time=as_datetime(data.get("endTime")) or as_datetime(data.get("closed")),
        location_name=_location_name(data.get("location")),
        language=_language(data.get("contentMap")),
        truncated=tuple(name for name, was_cut in cut.items() if was_cut),
    )


_LABEL_TYPES = frozenset({"Label", "hearth:Label"})


def _entries(value: object, limit: int) -> tuple[list[Document], bool]:
    """The objects in a property that holds one object or a list of them."""
    items = value if isinstance(value, list) else [value]
    objects = [item for item in items if isinstance(item, Mapping)]
    return objects[:limit], len(objects) > limit


def _attribution(value: object) -> str | None:
    """attributedTo: a string, an object, or a list. From a list (PeerTube
    sends its Person and Group), the first Person, else the first other
    actor but a Group, else the first bare id, else the first id at all."""
    if not isinstance(value, list):
        return http_url(as_id(value))
    ranked = []
    for index, item in enumerate(value[:_MAX_AUTHORS]):
        if isinstance(item, str | Mapping) and (iri := http_url(as_id(item))):
            ranked.append((_attribution_rank(as_type(item)), index, iri))
    return min(ranked)[2] if ranked else None


def _attribution_rank(kind: str | None) -> int:
    if kind == "Person":
        return 0
    if kind in vocab.ACTOR_TYPES - {"Group"}:
        return 1
    return 2 if kind is None else 3


def _summary(data: Document) -> str | None:
    # Misskey sends a zero-width space for a content warning with no text.
    summary = localized(data, "summary")
    return summary if summary and summary.strip().strip("\u200b") else None


def _mention(tag: Document) -> Mention | None:
    href, name = http_url(tag.get("href")), as_text(tag.get("name"))
    return Mention(href, name) if href or name else None


def _hashtag(tag: Document) -> Hashtag | None:
    name = as_text(tag.get("name"))
    name = name.lstrip("#") if name else None
    return Hashtag(name, http_url(tag.get("href"))) if name else None


def _label(tag: Document) -> Label | None:
    name, href = as_text(tag.get("name")), http_url(as_id(tag.get("href")))
    return Label(name, href) if name or href else None


def _emoji(tag: Document) -> Emoji | None:
    name = as_text(tag.get("name"))
    icon = tag.get("icon")
    icon_url = as_url(icon.get("url")) if isinstance(icon, Mapping) else None
    return Emoji(name, icon_url) if name else None


def _attachments(value: object) -> tuple[tuple[Attachment, ...], bool]:
    entries, cut = _entries(value, MAX_ATTACHMENTS)
    found = []
    for entry in entries:
        url = as_url(entry.get("url")) or http_url(entry.get("href"))
        if url:
            kind = as_type(entry) or "Document"
            found.append(
                Attachment(url, kind, as_text(entry.get("mediaType")), as_text(entry.get("name")))
            )
    return tuple(found), cut


def _poll(data: Document) -> tuple[tuple[PollOption, ...], bool, bool]:
    """A Question's choices: (options, multiple choice, cut)."""
    multiple = isinstance(data.get("anyOf"), list)
    entries, cut = _entries(data.get("anyOf" if multiple else "oneOf"), MAX_POLL_OPTIONS)
    options = []
    for entry in entries:
        if name := as_text(entry.get("name")):
            replies = entry.get("replies")
            votes = as_int(replies.get("totalItems")) if isinstance(replies, Mapping) else None
            options.append(PollOption(name, votes))
    return tuple(options), multiple, cut


def _milestone(value: object) -> Milestone | None:
    if not isinstance(value, Mapping):
        return None
    days, name = as_int(value.get("days")), as_text(value.get("name"))
    if days is None or not 0 <= days <= MAX_MILESTONE_DAYS or name is None:
        return None
    return Milestone(days, name)


def _quote(data: Document) -> str | None:
    for key in ("quote", "quoteUrl", "quoteUri", "_misskey_quote"):
        if iri := http_url(as_id(data.get(key))):
            return iri
    return None


def _location_name(value: object) -> str | None:
    place = value[0] if isinstance(value, list) and value else value
    if isinstance(place, Mapping):
        return as_text(place.get("name")) or as_text(place.get("address"))
    return as_text(place)


# -- Hearth -> AS2 -------------------------------------------------------------------


def note_to_as2(
    *,
    id: str,
    attributed_to: str,
    content_html: str,
    to: Sequence[str],
    cc: Sequence[str] = (),
    published: datetime | None = None,
    kind: str = "Note",
    name: str | None = None,
    summary: str | None = None,
    sensitive: bool = False,
    in_reply_to: str | None = None,
    context: str | None = None,
    audience: str | None = None,
    url: str | None = None,
    updated: datetime | None = None,
    language: str | None = None,
    mentions: Sequence[Mention] = (),
    hashtags: Sequence[Hashtag] = (),
    labels: Sequence[Label] = (),
    attachments: Sequence[Attachment] = (),
    milestone: Milestone | None = None,
) -> dict[str, Any]:
    """A Note (or `kind`: Article...) as Hearth sends it, with `@context`
    = vocab.CONTEXT. Labels ride in `tag`; Mastodon's content warning
    (`summary` + `sensitive`) is kept, made from the label names when no
    summary is given. A milestone is the plain Note plus `hearth:milestone`."""
    if labels:
        sensitive = True
        summary = summary or ", ".join(label.name for label in labels if label.name) or None
    note: dict[str, Any] = {
        "@context": copy.deepcopy(vocab.CONTEXT),
        "id": id,
        "type": kind,
        "attributedTo": attributed_to,
        "content": content_html,
        "to": list(to),
        "cc": list(cc),
        "sensitive": sensitive,
    }
    optional = {
        "contentMap": {language: content_html} if language else None,
        "name": name,
        "summary": summary,
        "inReplyTo": in_reply_to,
        "context": context,
        "audience": audience,
        "url": url,
        "published": format_datetime(published),
        "updated": format_datetime(updated),
        "tag": _tags_to_as2(mentions, hashtags, labels) or None,
        "attachment": [_attachment_to_as2(a) for a in attachments] or None,
        vocab.MILESTONE: {"days": milestone.days, "name": milestone.name} if milestone else None,
    }
    note.update({key: value for key, value in optional.items() if value is not None})
    return note


def _tags_to_as2(
    mentions: Sequence[Mention], hashtags: Sequence[Hashtag], labels: Sequence[Label]
) -> list[dict[str, str]]:
    tags = [_without_none(type="Mention", href=m.href, name=m.name) for m in mentions]
    tags += [_without_none(type="Hashtag", href=h.href, name=f"#{h.name}") for h in hashtags]
    tags += [_without_none(type="Label", href=lb.href, name=lb.name) for lb in labels]
    return tags


def _attachment_to_as2(attachment: Attachment) -> dict[str, Any]:
    sent: dict[str, Any] = _without_none(
        type=attachment.type,
        mediaType=attachment.media_type,
        url=attachment.url,
        name=attachment.name,
        blurhash=attachment.blurhash,
    )
    if attachment.width and attachment.height:
        sent.update(width=attachment.width, height=attachment.height)
    if attachment.focal_point is not None:
        sent["focalPoint"] = list(attachment.focal_point)
    return sent


def _without_none(**values: str | None) -> dict[str, str]:
    return {key: value for key, value in values.items() if value is not None}
