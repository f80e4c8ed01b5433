"""Pure converters at the edge, the shared part: reading one value of a
compact ActivityStreams document in any of the shapes real servers send (a
string, an object with an `id`, a Link, a list of those, or nothing), and
collections.

The converters themselves are split by noun: `objects` (posts), `actors`,
`activities` (plus audience and origin checks, and `parse_document` for a
document of any kind). Nothing is JSON-LD expanded: documents are read the
way Mastodon-family servers write them. Readers never raise; the `require_*`
functions raise InvalidDocument with a reason that can be shown to the peer.
Caps on lists follow RELIABILITY 37.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlsplit

from federation import vocab
from federation.errors import InvalidDocument

MAX_RECIPIENTS = 1000
MAX_COLLECTION_ITEMS = 1000
# Longer ids are refused: PostgreSQL cannot index a value of more than about
# 2700 bytes, and no real server sends one.
MAX_URL_LENGTH = 2048
_SCAN = 1000  # how far into a list a reader looks for one value

Document = Mapping[str, Any]


# -- readers -------------------------------------------------------------------


def http_url(value: object) -> str | None:
    """`value` if it is an absolute http(s) URL with a host, no whitespace or
    control characters and at most MAX_URL_LENGTH long, else None (so a
    `javascript:` or `data:` link never reaches a page)."""
    if not isinstance(value, str) or len(value) > MAX_URL_LENGTH:
        return None
    if any(char.isspace() or not char.isprintable() for char in value):
        return None
    try:
        parts = urlsplit(value)
        port_ok = parts.port != 0  # .port raises ValueError when out of range
    except ValueError:
        return None
    if not port_ok or parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
        return None
    return value


def as_id(value: object) -> str | None:
    """The IRI in `value`: a string, an object's `id`, or the first of a list."""
    if isinstance(value, str):
        return value or None
    if isinstance(value, Mapping):
        found = value.get("id")
        return found if isinstance(found, str) and found else None
    if isinstance(value, list):
        for item in value[:_SCAN]:
            if isinstance(item, str | Mapping) and (found := as_id(item)):
                return found
    return None


def as_iri(value: object) -> str | None:
    """An absolute IRI of any scheme (a thread's `context` may be a `tag:` URI),
    kept only as a key: no whitespace, at most MAX_URL_LENGTH long."""
    iri = as_id(value)
    if iri is None or len(iri) > MAX_URL_LENGTH or ":" not in iri:
        return None
    return None if any(c.isspace() or not c.isprintable() for c in iri) else iri


def as_ids(value: object, limit: int) -> tuple[tuple[str, ...], bool]:
    """Every http(s) IRI in `value` (one or a list), without duplicates, at most
    `limit` of them; and whether some were left out."""
    items = value if isinstance(value, list) else [value]
    found: dict[str, None] = {}
    for index, item in enumerate(items):
        if len(found) == limit:
            return tuple(found), index < len(items)
        iri = http_url(as_id(item)) if isinstance(item, str | Mapping) else None
        if iri:
            found[iri] = None
    return tuple(found), False


def as_type(value: object) -> str | None:
    """The `type` of a document; of a list of types, the first string."""
    kind = value.get("type") if isinstance(value, Mapping) else None
    if isinstance(kind, list):
        kind = next((k for k in kind[:_SCAN] if isinstance(k, str)), None)
    return kind if isinstance(kind, str) and kind else None


def as_text(value: object) -> str | None:
    """A non-empty string, else None."""
    return value if isinstance(value, str) and value else None


def localized(doc: Document, key: str) -> str | None:
    """`doc[key]`, else the first value of `doc[key + "Map"]` (`contentMap`...)."""
    if text := as_text(doc.get(key)):
        return text
    language_map = doc.get(key + "Map")
    if isinstance(language_map, Mapping):
        return next((v for v in language_map.values() if as_text(v)), None)
    return None


def as_datetime(value: object) -> datetime | None:
    """An ISO 8601 date-time as an aware datetime (UTC when no offset is
    given); None when missing or unparsable."""
    if not isinstance(value, str) or not 10 <= len(value) <= 64:
        return None
    try:
        parsed = datetime.fromisoformat(value)
    except ValueError:
        return None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=UTC)


def as_url(value: object) -> str | None:
    """The http(s) link in a `url`: a string, a Link's `href` or an Image's
    `url`; from a list, the first text/html Link, else the first link."""
    if isinstance(value, Mapping) and isinstance(value.get("url"), list):
        value = value["url"]  # an Image whose url is a list of Links
    if isinstance(value, list):
        links = [item for item in value[:_SCAN] if isinstance(item, str | Mapping)]
        html = [link for link in links if _media_type(link) == "text/html"]
        return next((url for link in html + links if (url := _link(link))), None)
    return _link(value)


def _media_type(value: object) -> object:
    return value.get("mediaType") if isinstance(value, Mapping) else None


def _link(value: object) -> str | None:
    if isinstance(value, Mapping):
        return http_url(value.get("href")) or http_url(value.get("url"))
    return http_url(value)


def as_int(value: object) -> int | None:
    """An integer that is not a bool, else None."""
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def addressing(doc: Document) -> tuple[tuple[str, ...], tuple[str, ...], bool]:
    """`to` and `cc` as tuples of IRIs, the public collection's aliases written
    as `vocab.PUBLIC`, at most MAX_RECIPIENTS in all (`to` first); and whether
    some were cut."""
    to, to_cut = _recipients(doc.get("to"), MAX_RECIPIENTS)
    cc, cc_cut = _recipients(doc.get("cc"), MAX_RECIPIENTS - len(to))
    return to, cc, to_cut or cc_cut


def _recipients(value: object, limit: int) -> tuple[tuple[str, ...], bool]:
    items = value if isinstance(value, list) else [value]
    public = vocab.PUBLIC_ALIASES
    return as_ids([vocab.PUBLIC if _is_in(item, public) else item for item in items], limit)


def _is_in(value: object, names: frozenset[str]) -> bool:
    return isinstance(value, str) and value in names


def require_document(doc: object) -> Document:
    if not isinstance(doc, Mapping):
        raise InvalidDocument(f"expected a JSON object, got {type(doc).__name__}")
    return doc


def require_id(doc: Document, what: str = "document") -> str:
    raw = doc.get("id")
    if raw is None:
        raise InvalidDocument(f"{what} has no id")
    if isinstance(raw, str) and len(raw) > MAX_URL_LENGTH:
        raise InvalidDocument(f"{what} id is longer than {MAX_URL_LENGTH} characters")
    iri = http_url(raw)
    if iri is None:
        raise InvalidDocument(f"{what} id is not an http(s) URL")
    return iri


def require_type(doc: Document, what: str = "document") -> str:
    kind = as_type(doc)
    if kind is None:
        raise InvalidDocument(f"{what} has no type")
    return kind


def format_datetime(moment: datetime | None) -> str | None:
    """ISO 8601 in UTC with a `Z`, as Mastodon writes it; naive means UTC."""
    if moment is None:
        return None
    moment = moment if moment.tzinfo else moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat().replace("+00:00", "Z")


# -- collections ---------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Collection:
    """A (page of a) Collection or OrderedCollection: the ids of its items
    (embedded items are not trusted, fetch them), and where to go next."""

    id: str
    type: str
    total_items: int | None = None
    items: tuple[str, ...] = ()
    first: str | None = None
    next: str | None = None
    part_of: str | None = None
    truncated: bool = False


def parse_collection(doc: object) -> Collection:
    data = require_document(doc)
    collection_id = require_id(data, "collection")
    kind = require_type(data, "collection")
    items = data.get("orderedItems", data.get("items"))
    ids, cut = as_ids(items if isinstance(items, list) else [], MAX_COLLECTION_ITEMS)
    return Collection(
        id=collection_id,
        type=kind,
        total_items=as_int(data.get("totalItems")),
        items=ids,
        first=http_url(as_id(data.get("first"))),
        next=http_url(as_id(data.get("next"))),
        part_of=http_url(as_id(data.get("partOf"))),
        truncated=cut,
    )
