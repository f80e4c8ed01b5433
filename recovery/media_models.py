"""Media attachments: images members upload (re-encoded, stored under
generated names in the media directory) and remote posts' attachments (kept
as their remote addresses, never fetched)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any


@dataclass(frozen=True, slots=True)
class MediaAttachment:
    id: int
    member_id: int | None  # the uploader; None for a remote post's attachment
    post_id: int | None  # None until attached to a post
    media_type: str  # image/jpeg, image/png, image/webp; as sent for remote ones
    file_name: str | None  # in the media directory; None for remote attachments
    preview_name: str | None
    remote_url: str | None
    description: str
    focus_x: float
    focus_y: float
    meta: dict[str, Any] = field(default_factory=dict)
    blurhash: str | None = None
    created_at: datetime | None = None
    attached_at: datetime | None = None

    @property
    def is_remote(self) -> bool:
        return self.remote_url is not None


@dataclass(frozen=True, slots=True)
class RemoteMedia:
    """A remote post's attachment as its server described it."""

    url: str
    media_type: str | None = None
    description: str | None = None


@dataclass(frozen=True, slots=True)
class ProcessedImage:
    """An image decoded and encoded again, without its metadata, with its
    preview; what is written to the media directory."""

    data: bytes
    media_type: str
    extension: str
    width: int
    height: int
    preview: bytes | None = None
    preview_width: int = 0
    preview_height: int = 0
    blurhash: str | None = None
