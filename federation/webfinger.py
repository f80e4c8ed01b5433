"""WebFinger as a client: from `@name@host` to the actor's URL (RFC 7033)."""

from __future__ import annotations

import re
from typing import Any
from urllib.parse import quote

from federation.addresses import normalise_host
from federation.errors import InvalidDocument

_HANDLE = re.compile(r"@?([A-Za-z0-9_.~+-]{1,64})@([^@\s/]{1,253})")
_SELF_TYPES = ("application/activity+json", "application/ld+json")


def parse_handle(text: str) -> tuple[str, str]:
    """(username, host) from `@name@host` or `name@host`; InvalidDocument else."""
    match = _HANDLE.fullmatch(text.strip())
    name, _, port = (match.group(2) if match else "").partition(":")
    try:
        if not match or (port and not port.isdigit()):
            raise InvalidDocument("not a handle")
        host = normalise_host(name) + (f":{port}" if port else "")
    except InvalidDocument:
        raise InvalidDocument(
            "write the account as @name@server, e.g. @sam@recovery.example") from None
    return match.group(1), host


def webfinger_url(username: str, host: str, scheme: str = "https") -> str:
    resource = quote(f"acct:{username}@{host}", safe=":@")
    return f"{scheme}://{host}/.well-known/webfinger?resource={resource}"


def actor_url_of(jrd: dict[str, Any]) -> str:
    """The ActivityPub actor a JRD's `self` link names."""
    for link in jrd.get("links") or []:
        if not isinstance(link, dict) or link.get("rel") != "self":
            continue
        media = str(link.get("type", "")).partition(";")[0].strip().lower()
        href = link.get("href")
        if media in _SELF_TYPES and isinstance(href, str) and href.startswith("http"):
            return href
    raise InvalidDocument("the WebFinger answer names no ActivityPub actor")
