"""SQL for search: posts whose text has every word asked for and that meet
every operator's condition (recovery/search_query.py), among those the
member may see (the one visibility rule) and not from accounts they
silenced; hashtags used here by the start of their name."""

from __future__ import annotations

from typing import Any

from recovery.models import Post
from recovery.search_query import PostSearch
from recovery.status_models import ListPage
from recovery.store import paging
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _with_reblogs
from recovery.store.timelines import _UNSILENCED

__all__ = ["search_posts", "search_tags"]


def like_pattern(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# Whether post p has the has:/is: property w.prop (media, image, video,
# audio, poll, reply, sensitive); any other property: no.
_HOLDS = """CASE w.prop
    WHEN 'media' THEN EXISTS (SELECT 1 FROM media_attachments a WHERE a.post_id = p.id)
    WHEN 'image' THEN EXISTS (SELECT 1 FROM media_attachments a WHERE a.post_id = p.id
                              AND a.media_type LIKE 'image/%')
    WHEN 'video' THEN EXISTS (SELECT 1 FROM media_attachments a WHERE a.post_id = p.id
                              AND a.media_type LIKE 'video/%')
    WHEN 'audio' THEN EXISTS (SELECT 1 FROM media_attachments a WHERE a.post_id = p.id
                              AND a.media_type LIKE 'audio/%')
    WHEN 'poll' THEN EXISTS (SELECT 1 FROM polls pl WHERE pl.post_id = p.id)
    WHEN 'reply' THEN p.in_reply_to_id IS NOT NULL OR p.in_reply_to_uri IS NOT NULL
    WHEN 'sensitive' THEN p.sensitive
    ELSE false END"""

# The text a word is looked for in: the content without its markup, and the
# content warning.
_HAS_WORD = """(regexp_replace(p.content_html, '<[^>]*>', ' ', 'g') ILIKE w.pattern
                OR p.summary ILIKE w.pattern)"""

# Posts the member ($1, actor $2) wrote, liked, boosted, bookmarked or was
# addressed in (Mastodon's in:library).
_IN_LIBRARY = """(p.author_member_id = $1
    OR EXISTS (SELECT 1 FROM reactions x WHERE x.post_id = p.id AND x.actor_member_id = $1)
    OR EXISTS (SELECT 1 FROM bookmarks b WHERE b.post_id = p.id AND b.member_id = $1)
    OR $2 = ANY (p.recipients))"""


async def search_posts(
    conn: Any, member_id: int, member_uri: str, asked: PostSearch, page: ListPage,
    offset: int,
) -> list[Post]:
    """Posts (not boosts) with every word asked for and none of the words
    refused, in their text or content warning, and every operator's
    condition, newest first. (A scan of the posts the rest allows: no text
    index yet.)"""
    author = asked.author
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE p.reblog_of_id IS NULL
          AND NOT EXISTS (SELECT 1 FROM unnest($3::text[]) AS w (pattern)
                          WHERE NOT {_HAS_WORD})
          AND NOT EXISTS (SELECT 1 FROM unnest($11::text[]) AS w (pattern) WHERE {_HAS_WORD})
          AND ($4::bigint IS NULL OR p.author_member_id = $4)
          AND ($5::bigint IS NULL OR p.author_remote_id = $5)
          AND NOT coalesce(p.author_member_id = ANY ($12::bigint[]), false)
          AND NOT coalesce(p.author_remote_id = ANY ($13::bigint[]), false)
          AND NOT EXISTS (SELECT 1 FROM unnest($14::text[]) AS w (prop) WHERE NOT ({_HOLDS}))
          AND NOT EXISTS (SELECT 1 FROM unnest($15::text[]) AS w (prop) WHERE {_HOLDS})
          AND (cardinality($16::text[]) = 0
               OR split_part(p.language, '-', 1) = ANY ($16::text[]))
          AND NOT coalesce(split_part(p.language, '-', 1) = ANY ($17::text[]), false)
          AND ($18::timestamptz IS NULL OR p.published_at >= $18)
          AND ($19::timestamptz IS NULL OR p.published_at < $19)
          AND (NOT $20::boolean OR {_IN_LIBRARY})
          AND {_VISIBLE_TO} AND {_UNSILENCED}"""
        + paging.bounds("p.id", 8) + paging.order("p.id", page) + " LIMIT $6 OFFSET $7",
        member_id, member_uri, [like_pattern(w) for w in asked.words],
        author.member_id if author else None, author.remote_id if author else None,
        page.limit, offset, *paging.values(page),
        [like_pattern(w) for w in asked.without], list(asked.not_member_ids),
        list(asked.not_remote_ids), list(asked.required), list(asked.excluded),
        list(asked.languages), list(asked.not_languages), asked.since, asked.until,
        asked.library)
    return await _with_reblogs(conn, paging.newest_first(rows, page))


async def search_tags(conn: Any, prefix: str, limit: int, offset: int) -> list[str]:
    """Hashtags used here whose name starts with ``prefix`` (case-folded)."""
    rows = await conn.fetch(
        r"""SELECT DISTINCT name FROM post_tags WHERE name LIKE $1 || '%'
            ORDER BY name LIMIT $2 OFFSET $3""",
        like_pattern(prefix)[1:-1], limit, offset)
    return [r["name"] for r in rows]
