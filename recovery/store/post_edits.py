"""SQL for the earlier versions of edited posts."""

from __future__ import annotations

from typing import Any

from recovery.models import Post
from recovery.status_models import PostVersion

__all__ = ["earlier_versions", "keep_version"]


async def keep_version(conn: Any, post: Post) -> None:
    """Keep ``post`` as it reads now, before an edit replaces it."""
    await conn.execute(
        """INSERT INTO post_edits (post_id, content_html, summary, sensitive, created_at)
           VALUES ($1, $2, $3, $4, $5)""",
        post.id, post.content_html, post.summary, post.sensitive,
        post.edited_at or post.published_at)


async def earlier_versions(conn: Any, post_id: int) -> list[PostVersion]:
    rows = await conn.fetch(
        """SELECT content_html, summary, sensitive, created_at FROM post_edits
           WHERE post_id = $1 ORDER BY id""", post_id)
    return [PostVersion(r["content_html"], r["summary"], r["sensitive"], r["created_at"])
            for r in rows]
