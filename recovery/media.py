"""Media: members' uploads (decoded and encoded again by recovery.images,
written under generated names in the media directory), their attachment to
posts, remote posts' attachments (addresses only), and members' avatars and
headers. Files are written before their row and removed again if the row
is not, so nothing is half-stored."""

from __future__ import annotations

import asyncio
import logging
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from federation.objects import Attachment
from recovery import images
from recovery.errors import InvalidInput, NotFound
from recovery.media_models import MediaAttachment, ProcessedImage, RemoteMedia
from recovery.store import media as store

log = logging.getLogger(__name__)

DESCRIPTION_MAX = 1500  # web/api/instance.py MEDIA_DESCRIPTION_LIMIT
MAX_ATTACHMENTS = 4  # web/api/instance.py MAX_MEDIA_ATTACHMENTS
UNATTACHED_MAX_AGE = 24 * 3600.0
# Every name Hearth gives a file: 32 hex digits, "_small" for a preview.
FILE_NAME = re.compile(r"^[0-9a-f]{32}(?:_small)?\.(?:jpg|png|webp)$")
MEDIA_TYPES = {"jpg": "image/jpeg", "png": "image/png", "webp": "image/webp"}


@dataclass(frozen=True)
class MediaStore:
    """Where files go and how large images may stay (from the settings)."""

    directory: Path
    max_side: int = images.MAX_SIDE

    def path(self, name: str) -> Path | None:
        """The file's path, only for a name Hearth generates (never a path
        outside the directory)."""
        return self.directory / name if FILE_NAME.fullmatch(name) else None


def check_description(description: str | None) -> str | None:
    if description is not None and len(description) > DESCRIPTION_MAX:
        raise InvalidInput("description",
                           f"The description is longer than {DESCRIPTION_MAX} characters.")
    return description


def parse_focus(raw: str | None) -> tuple[float, float] | None:
    """Mastodon's focal point "x,y", each from -1.0 to 1.0."""
    if raw is None or raw == "":
        return None
    parts = raw.split(",")
    try:
        x, y = (float(p) for p in parts) if len(parts) == 2 else (None, None)
    except ValueError:
        x = y = None
    if x is None or y is None or not (-1 <= x <= 1 and -1 <= y <= 1):
        raise InvalidInput("focus", "focus must be two numbers from -1.0 to 1.0, as x,y.")
    return x, y


async def upload(conn: Any, files: MediaStore, member_id: int, raw: bytes, *,
                 description: str | None = None, focus: str | None = None) -> MediaAttachment:
    """Store an image the member uploaded, unattached. InvalidInput for a
    file that is not an accepted image, a description too long, a bad focus."""
    text = check_description(description) or ""
    point = parse_focus(focus) or (0.0, 0.0)
    image = await asyncio.to_thread(images.process, raw, files.max_side)
    name, preview = await asyncio.to_thread(_write, files, image)
    try:
        return await store.insert_local(conn, member_id, image.media_type, name, preview,
                                        text, point, _meta(image), image.blurhash)
    except BaseException:
        _remove(files, name, preview)
        raise


async def own(conn: Any, member_id: int, media_id: int) -> MediaAttachment:
    """The member's own upload; NotFound for anyone else's."""
    found = await store.get_attachment(conn, media_id)
    if found is None or found.member_id != member_id:
        raise NotFound("No such media.")
    return found


async def describe(conn: Any, member_id: int, media_id: int, description: str | None,
                   focus: str | None) -> MediaAttachment:
    """Change an upload's description and focal point."""
    await own(conn, member_id, media_id)
    changed = await store.update_attachment(conn, media_id, check_description(description),
                                            parse_focus(focus))
    if changed is None:
        raise NotFound("No such media.")
    return changed


def _checked_ids(media_ids: Sequence[int]) -> list[int]:
    ids = list(media_ids)
    if len(ids) > MAX_ATTACHMENTS:
        raise InvalidInput("media_ids", f"A post can have at most {MAX_ATTACHMENTS} images.")
    if len(set(ids)) != len(ids):
        raise InvalidInput("media_ids", "The same image is attached twice.")
    return ids


async def attach_media(conn: Any, member_id: int, post_id: int, media_ids: Sequence[int],
                       scheduled_id: int | None = None) -> list[MediaAttachment]:
    """Attach the member's uploads to their new post, in the order given.

    Contract (for POST /api/v1/statuses ``media_ids[]``): call it in the
    transaction that writes the post, before the post's Create is built
    (``web.posting.compose``'s ``on_written`` hook is that place): the Create
    then carries the attachments. Every id must be an upload of this member
    that no post has taken yet; at most MAX_ATTACHMENTS, no repeats.
    Otherwise InvalidInput("media_ids", reason) is raised and nothing is
    attached (roll the transaction back: the post must not be kept either).
    A scheduled post's uploads (``hold_media``) are attached when it is
    written, with its ``scheduled_id``; no other post may take them.
    Returns the attachments in order; an empty ``media_ids`` attaches none."""
    ids = _checked_ids(media_ids)
    if not ids:
        return []
    if await store.attach(conn, member_id, post_id, ids, scheduled_id) != len(ids):
        raise InvalidInput("media_ids", "An image is not yours, is already attached to a "
                           "post, or no longer exists.")
    return (await store.of_posts(conn, [post_id])).get(post_id, [])


async def hold_media(conn: Any, member_id: int, scheduled_id: int,
                     media_ids: Sequence[int]) -> None:
    """Have the member's new scheduled post hold their uploads until it is
    written (``attach_media`` with its ``scheduled_id`` then): held uploads
    do not expire and no other post takes them. The same checks as
    ``attach_media``; InvalidInput and nothing held otherwise (roll back)."""
    ids = _checked_ids(media_ids)
    if ids and await store.hold(conn, member_id, scheduled_id, ids) != len(ids):
        raise InvalidInput("media_ids", "An image is not yours, is already attached to a "
                           "post, or no longer exists.")


async def of_scheduled(conn: Any,
                       scheduled_ids: Sequence[int]) -> dict[int, list[MediaAttachment]]:
    """The uploads each scheduled post holds, in order (those without any left out)."""
    return await store.of_scheduled(conn, sorted(set(scheduled_ids))) if scheduled_ids else {}


async def keep_for_redraft(conn: Any, post_id: int) -> None:
    """Call it before the member deletes their own post: its uploads go back
    to being the member's unattached uploads, so an app can write the post
    again with them ("delete and re-draft", as Mastodon keeps them). Unused,
    they expire after UNATTACHED_MAX_AGE like any upload."""
    await store.release(conn, post_id)


async def of_posts(conn: Any, post_ids: Sequence[int]) -> dict[int, list[MediaAttachment]]:
    """Each post's attachments, in order (posts without any are left out)."""
    return await store.of_posts(conn, sorted(set(post_ids))) if post_ids else {}


async def federated(conn: Any, base_url: str, post_id: int) -> list[Attachment]:
    """A local post's attachments as its Note carries them (AS2 ``attachment``)."""
    found = (await store.of_posts(conn, [post_id])).get(post_id, [])
    return [_as2(base_url, m) for m in found if m.file_name is not None]


def _as2(base_url: str, media: MediaAttachment) -> Attachment:
    size = media.meta.get("original", {})
    return Attachment(
        url=f"{base_url}/media/{media.file_name}", type="Image", media_type=media.media_type,
        name=media.description or None, width=size.get("width"), height=size.get("height"),
        blurhash=media.blurhash, focal_point=(media.focus_x, media.focus_y))


async def received(conn: Any, post_id: int, media: Sequence[RemoteMedia]) -> int:
    """A remote post's attachments: their addresses and alt text (cut to the
    description limit), shown as links to their server, never fetched here."""
    kept = [RemoteMedia(m.url, m.media_type, (m.description or "")[:DESCRIPTION_MAX])
            for m in media[:MAX_ATTACHMENTS]]
    return await store.insert_remote(conn, post_id, kept)


async def expire(conn: Any, files: MediaStore, max_age: float = UNATTACHED_MAX_AGE) -> int:
    """Delete uploads left unattached past ``max_age`` seconds and those whose
    post is gone, with their files; how many."""
    gone = await store.delete_expired(conn, max_age)
    for name, preview in gone:
        _remove(files, name, preview)
    return len(gone)


async def set_avatar(conn: Any, files: MediaStore, member_id: int,
                     raw: bytes) -> tuple[str, str | None]:
    """Set the member's avatar from an uploaded image (cropped and scaled to
    400x400, without metadata): (its file name, the file it replaces).
    Run it in a transaction; once that commits, ``remove_files`` the replaced
    one. InvalidInput("file", reason) for anything but an accepted image."""
    return await _set_image(conn, files, member_id, raw, "avatar", images.AVATAR_SIZE)


async def set_header(conn: Any, files: MediaStore, member_id: int,
                     raw: bytes) -> tuple[str, str | None]:
    """As ``set_avatar``, for the header (cropped and scaled to 1500x500)."""
    return await _set_image(conn, files, member_id, raw, "header", images.HEADER_SIZE)


def remove_files(files: MediaStore, *names: str | None) -> None:
    """Remove files no row names any more (what set_avatar replaced)."""
    _remove(files, *names)


async def _set_image(conn: Any, files: MediaStore, member_id: int, raw: bytes, which: str,
                     size: tuple[int, int]) -> tuple[str, str | None]:
    image = await asyncio.to_thread(images.process, raw, fit=size)
    image = ProcessedImage(image.data, image.media_type, image.extension, image.width,
                           image.height)  # no preview for avatars and headers
    name, _ = await asyncio.to_thread(_write, files, image)
    try:
        old = await store.set_member_image(conn, member_id, which, name)
    except BaseException:
        _remove(files, name, None)
        raise
    return name, old


def media_type_of(name: str) -> str:
    return MEDIA_TYPES[name.rsplit(".", 1)[-1]]


def _meta(image: ProcessedImage) -> dict[str, Any]:
    def size(width: int, height: int) -> dict[str, Any]:
        return {"width": width, "height": height, "size": f"{width}x{height}",
                "aspect": round(width / height, 6) if height else 0}
    return {"original": size(image.width, image.height),
            "small": size(image.preview_width, image.preview_height)}


def _write(files: MediaStore, image: ProcessedImage) -> tuple[str, str | None]:
    files.directory.mkdir(parents=True, exist_ok=True)
    stem = secrets.token_hex(16)
    name = f"{stem}.{image.extension}"
    (files.directory / name).write_bytes(image.data)
    if image.preview is None:
        return name, None
    preview = f"{stem}_small.{image.extension}"
    (files.directory / preview).write_bytes(image.preview)
    return name, preview


def _remove(files: MediaStore, *names: str | None) -> None:
    for name in names:
        path = files.path(name) if name else None
        if path is not None:
            try:
                path.unlink(missing_ok=True)
            except OSError as exc:
                log.warning("could not remove media file %s: %r", name, exc)
