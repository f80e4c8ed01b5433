"""What an ActivityPub address answers for a request's Accept header
(RELIABILITY.md 35): ActivityStreams JSON, its HTML page (a redirect), or 406.

Two kinds of address:

- with a page of its own (a member's actor, a post): ActivityStreams when
  the client names an ActivityStreams or JSON type at least as high as it
  names HTML; otherwise the page whenever HTML is acceptable, through
  ``*/*`` or ``text/*`` too, or with no Accept at all (browsers, curl);
  otherwise ActivityStreams if a wildcard allows it (``application/*``);
- ActivityPub only (collections, the instance actor): ActivityStreams
  whenever it is acceptable, wildcards and a missing Accept included; a
  client that accepts HTML alone is sent to the nearest page (the profile,
  the about page).

Anything else (``Accept: image/png``, or every type refused with ``q=0``)
gets 406 with a reason. A type's quality comes from the most specific range
that matches it (``text/html`` over ``text/*`` over ``*/*``, RFC 9110 12.5.1).
"""

from __future__ import annotations

from enum import Enum

from starlette.requests import Request
from starlette.responses import JSONResponse, RedirectResponse, Response

ACTIVITY_TYPES = ("application/activity+json", "application/ld+json", "application/json")
HTML_TYPES = ("text/html", "application/xhtml+xml")


class Wanted(Enum):
    ACTIVITY = "activity"
    HTML = "html"


def wanted(request: Request, *, page_first: bool) -> Wanted | None:
    """What to answer; None for 406. ``page_first``: the address has an HTML
    page of its own, shown unless ActivityStreams is named as high."""
    ranges = _ranges(request.headers.get("accept", ""))
    as_any = _best(ranges, ACTIVITY_TYPES)
    # Pages are text/html; application/* (which matches XHTML) does not ask for one.
    html_any = max(_best(ranges, ("text/html",)), _best(ranges, HTML_TYPES, named_only=True))
    if page_first:
        as_named = _best(ranges, ACTIVITY_TYPES, named_only=True)
        if as_named > 0 and as_named >= _best(ranges, HTML_TYPES, named_only=True):
            return Wanted.ACTIVITY
    elif as_any > 0:
        return Wanted.ACTIVITY
    if html_any > 0:
        return Wanted.HTML
    return Wanted.ACTIVITY if as_any > 0 else None


def negotiated(request: Request, page: str, *, page_first: bool) -> Response | None:
    """None when ActivityStreams is the answer; else the redirect to ``page``
    (an HTML client) or the 406."""
    choice = wanted(request, page_first=page_first)
    if choice is Wanted.ACTIVITY:
        return None
    if choice is Wanted.HTML:
        return RedirectResponse(page, status_code=303, headers={"vary": "Accept"})
    return JSONResponse(
        {"error": "This address serves application/activity+json (and sends browsers to "
                  "its page); the Accept header allows neither."},
        status_code=406, headers={"vary": "Accept"})


def _ranges(header: str) -> dict[str, float]:
    """Media range -> quality; no header (or an empty one) accepts anything."""
    ranges: dict[str, float] = {}
    for part in header.split(","):
        media, _, params = part.partition(";")
        media = media.strip().lower()
        if media:
            ranges[media] = max(ranges.get(media, 0.0), _quality(params))
    return ranges or {"*/*": 1.0}


def _quality(params: str) -> float:
    for param in params.split(";"):
        name, _, value = param.partition("=")
        if name.strip().lower() == "q":
            try:
                return min(max(float(value.strip()), 0.0), 1.0)
            except ValueError:
                return 0.0
    return 1.0


def _best(ranges: dict[str, float], types: tuple[str, ...], *, named_only: bool = False) -> float:
    return max(_quality_of(ranges, media, named_only) for media in types)


def _quality_of(ranges: dict[str, float], media: str, named_only: bool) -> float:
    candidates = (media,) if named_only else (media, f"{media.split('/')[0]}/*", "*/*")
    for candidate in candidates:  # the most specific range that matches decides
        if candidate in ranges:
            return ranges[candidate]
    return 0.0
