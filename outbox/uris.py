"""The addresses of this instance's own ActivityPub objects."""

from __future__ import annotations

import re
import uuid
from urllib.parse import quote

_LOCAL_POST = re.compile(r"/users/([A-Za-z0-9_]{1,30})/posts/(\d{1,18})")


def actor_uri(base: str, username: str) -> str:
    return f"{base}/users/{username}"


def followers_uri(base: str, username: str) -> str:
    return f"{actor_uri(base, username)}/followers"


def post_uri(base: str, username: str, post_id: int) -> str:
    return f"{actor_uri(base, username)}/posts/{post_id}"


def tags_base(base: str) -> str:
    """Where the hashtag pages are: ``tags_base(base)/NAME``."""
    return f"{base}/tags"


def tag_url(base: str, name: str) -> str:
    """The page of the posts with hashtag ``name`` (stored case-folded)."""
    return f"{tags_base(base)}/{quote(name)}"


def member_url(base: str, username: str) -> str:
    """A member's profile page (their actor's ``url``)."""
    return f"{base}/@{username}"


def new_activity_uri(base: str) -> str:
    return f"{base}/activities/{uuid.uuid4()}"


def local_post_id(base: str, uri: str) -> int | None:
    """The id of one of our posts from its URI, or None if it is not ours."""
    if not uri.startswith(base + "/"):
        return None
    match = _LOCAL_POST.fullmatch(uri[len(base):])
    return int(match.group(2)) if match else None


def local_username(base: str, uri: str) -> str | None:
    """The username of one of our members from their actor URI."""
    prefix = f"{base}/users/"
    if not uri.startswith(prefix):
        return None
    name = uri[len(prefix):]
    return name if re.fullmatch(r"[A-Za-z0-9_]{1,30}", name) else None
