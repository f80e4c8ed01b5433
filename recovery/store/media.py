"""SQL for media attachments and members' avatar and header files."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from recovery.media_models import MediaAttachment, RemoteMedia

__all__ = [
    "attach", "delete_expired", "get_attachment", "hold", "insert_local", "insert_remote",
    "of_posts", "of_scheduled", "release", "set_member_image", "update_attachment",
]

_COLUMNS = (
    "id, member_id, post_id, media_type, file_name, preview_name, remote_url, "
    "description, focus_x, focus_y, meta, blurhash, created_at, attached_at"
)


def _attachment(row: Any) -> MediaAttachment:
    return MediaAttachment(
        id=row["id"], member_id=row["member_id"], post_id=row["post_id"],
        media_type=row["media_type"], file_name=row["file_name"],
        preview_name=row["preview_name"], remote_url=row["remote_url"],
        description=row["description"], focus_x=row["focus_x"], focus_y=row["focus_y"],
        meta=json.loads(row["meta"]) if row["meta"] else {}, blurhash=row["blurhash"],
        created_at=row["created_at"], attached_at=row["attached_at"],
    )


async def insert_local(
    conn: Any, member_id: int, media_type: str, file_name: str, preview_name: str | None,
    description: str, focus: tuple[float, float], meta: dict[str, Any], blurhash: str | None,
) -> MediaAttachment:
    row = await conn.fetchrow(
        f"""INSERT INTO media_attachments (member_id, media_type, file_name, preview_name,
               description, focus_x, focus_y, meta, blurhash)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8::jsonb, $9) RETURNING {_COLUMNS}""",
        member_id, media_type, file_name, preview_name, description, focus[0], focus[1],
        json.dumps(meta), blurhash)
    return _attachment(row)


async def insert_remote(conn: Any, post_id: int, media: Sequence[RemoteMedia]) -> int:
    """A remote post's attachments, in order; its earlier ones are replaced."""
    await conn.execute("DELETE FROM media_attachments WHERE post_id = $1 "
                       "AND remote_url IS NOT NULL", post_id)
    for position, item in enumerate(media):
        await conn.execute(
            """INSERT INTO media_attachments (post_id, position, media_type, remote_url,
                   description, attached_at) VALUES ($1, $2, $3, $4, $5, now())""",
            post_id, position, item.media_type or "application/octet-stream", item.url,
            item.description or "")
    return len(media)


async def get_attachment(conn: Any, media_id: int) -> MediaAttachment | None:
    row = await conn.fetchrow(
        f"SELECT {_COLUMNS} FROM media_attachments WHERE id = $1", media_id)
    return _attachment(row) if row else None


async def update_attachment(conn: Any, media_id: int, description: str | None,
                            focus: tuple[float, float] | None) -> MediaAttachment | None:
    row = await conn.fetchrow(
        f"""UPDATE media_attachments SET description = coalesce($2, description),
               focus_x = coalesce($3, focus_x), focus_y = coalesce($4, focus_y)
            WHERE id = $1 RETURNING {_COLUMNS}""",
        media_id, description, focus[0] if focus else None, focus[1] if focus else None)
    return _attachment(row) if row else None


async def attach(conn: Any, member_id: int, post_id: int, media_ids: Sequence[int],
                 scheduled_id: int | None = None) -> int:
    """Attach the member's unattached uploads to the post, in the given
    order; how many were attached. Uploads a scheduled post holds are
    attached only to that post when it is written (``scheduled_id``)."""
    attached = 0
    for position, media_id in enumerate(media_ids):
        result = await conn.execute(
            """UPDATE media_attachments SET post_id = $3, position = $4, attached_at = now(),
                                            scheduled_post_id = NULL
               WHERE id = $1 AND member_id = $2 AND attached_at IS NULL
                 AND scheduled_post_id IS NOT DISTINCT FROM $5""",
            media_id, member_id, post_id, position, scheduled_id)
        attached += int(result.split()[-1])
    return attached


async def hold(conn: Any, member_id: int, scheduled_id: int, media_ids: Sequence[int]) -> int:
    """Have the member's scheduled post hold their unattached uploads, in the
    given order (none another scheduled post holds); how many it took."""
    held = 0
    for position, media_id in enumerate(media_ids):
        result = await conn.execute(
            """UPDATE media_attachments SET scheduled_post_id = $3, position = $4
               WHERE id = $1 AND member_id = $2 AND post_id IS NULL AND attached_at IS NULL
                 AND scheduled_post_id IS NULL""",
            media_id, member_id, scheduled_id, position)
        held += int(result.split()[-1])
    return held


async def of_scheduled(conn: Any,
                       scheduled_ids: Sequence[int]) -> dict[int, list[MediaAttachment]]:
    """The uploads each scheduled post holds, in order."""
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS}, scheduled_post_id FROM media_attachments
            WHERE scheduled_post_id = ANY($1::bigint[])
            ORDER BY scheduled_post_id, position, id""", list(scheduled_ids))
    found: dict[int, list[MediaAttachment]] = {}
    for row in rows:
        found.setdefault(row["scheduled_post_id"], []).append(_attachment(row))
    return found


async def of_posts(conn: Any, post_ids: Sequence[int]) -> dict[int, list[MediaAttachment]]:
    rows = await conn.fetch(
        f"""SELECT {_COLUMNS} FROM media_attachments WHERE post_id = ANY($1::bigint[])
            ORDER BY post_id, position, id""", list(post_ids))
    found: dict[int, list[MediaAttachment]] = {}
    for row in rows:
        found.setdefault(row["post_id"], []).append(_attachment(row))
    return found


async def release(conn: Any, post_id: int) -> int:
    """Detach the post's uploads and count them as uploaded now, never
    attached; how many."""
    result: str = await conn.execute(
        """UPDATE media_attachments SET post_id = NULL, attached_at = NULL, created_at = now()
           WHERE post_id = $1 AND file_name IS NOT NULL""", post_id)
    return int(result.split()[-1])


async def delete_expired(conn: Any, max_age_seconds: float) -> list[tuple[str | None,
                                                                         str | None]]:
    """Delete uploads never attached within ``max_age_seconds`` (but those a
    scheduled post holds) and attachments whose post is gone; their (file,
    preview) names."""
    rows = await conn.fetch(
        """DELETE FROM media_attachments WHERE post_id IS NULL AND (attached_at IS NOT NULL
               OR (created_at < now() - make_interval(secs => $1)
                   AND scheduled_post_id IS NULL))
           RETURNING file_name, preview_name""", max_age_seconds)
    return [(row["file_name"], row["preview_name"]) for row in rows]


async def set_member_image(conn: Any, member_id: int, which: str,
                           file_name: str | None) -> str | None:
    """Set the member's avatar or header file; the file it replaces."""
    column = {"avatar": "avatar_file", "header": "header_file"}[which]
    return await conn.fetchval(
        f"""UPDATE members SET {column} = $2 FROM (SELECT {column} AS old FROM members
               WHERE id = $1 FOR UPDATE) AS before
            WHERE members.id = $1 RETURNING before.old""", member_id, file_name)
