"""SQL for a member's filters, their keywords and their posts. Every
function that names a filter, keyword or post of one checks it is the
member's: another member's is as if it did not exist."""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recovery.filter_models import Filter, FilterKeyword, FilterStatus

__all__ = [
    "add_filter_status", "add_keyword", "count_filters", "delete_filter", "delete_filter_status",
    "delete_keyword", "filter_status_of", "filters_of", "insert_filter", "keyword_of",
    "update_filter", "update_keyword",
]

_FILTER = "f.id, f.member_id, f.title, f.context, f.action, f.expires_at"
_OWNED_KEYWORD = """FROM filter_keywords k JOIN filters f ON f.id = k.filter_id
                    WHERE f.member_id = $1 AND k.id = $2"""
_OWNED_STATUS = """FROM filter_statuses s JOIN filters f ON f.id = s.filter_id
                   WHERE f.member_id = $1 AND s.id = $2"""


def _keyword(row: Any) -> FilterKeyword:
    return FilterKeyword(row["id"], row["filter_id"], row["keyword"], row["whole_word"])


def _status(row: Any) -> FilterStatus:
    return FilterStatus(row["id"], row["filter_id"], row["post_id"])


async def filters_of(conn: Any, member_id: int, *, active: bool = False,
                     filter_id: int | None = None) -> list[Filter]:
    """The member's filters (only those not expired when ``active``; only
    ``filter_id`` when given), oldest first, with keywords and posts: one
    query (statuses ask for the viewer's filters on every page)."""
    rows = await conn.fetch(
        f"""SELECT {_FILTER},
                   (SELECT coalesce(json_agg(json_build_array(k.id, k.keyword, k.whole_word)
                                             ORDER BY k.id), '[]')
                    FROM filter_keywords k WHERE k.filter_id = f.id) AS keywords,
                   (SELECT coalesce(json_agg(json_build_array(s.id, s.post_id)
                                             ORDER BY s.id), '[]')
                    FROM filter_statuses s WHERE s.filter_id = f.id) AS statuses
            FROM filters f
            WHERE f.member_id = $1 AND ($2::bigint IS NULL OR f.id = $2)
              AND (NOT $3 OR f.expires_at IS NULL OR f.expires_at > now())
            ORDER BY f.id""", member_id, filter_id, active)
    return [Filter(r["id"], r["member_id"], r["title"], tuple(r["context"]), r["action"],
                   r["expires_at"],
                   tuple(FilterKeyword(k[0], r["id"], k[1], k[2])
                         for k in json.loads(r["keywords"])),
                   tuple(FilterStatus(x[0], r["id"], x[1]) for x in json.loads(r["statuses"])))
            for r in rows]


async def count_filters(conn: Any, member_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM filters WHERE member_id = $1", member_id)
    return count


async def insert_filter(conn: Any, member_id: int, title: str, context: Sequence[str],
                        action: str, expires_at: datetime | None) -> int:
    filter_id: int = await conn.fetchval(
        """INSERT INTO filters (member_id, title, context, action, expires_at)
           VALUES ($1, $2, $3, $4, $5) RETURNING id""",
        member_id, title, list(context), action, expires_at)
    return filter_id


async def update_filter(conn: Any, member_id: int, filter_id: int, title: str,
                        context: Sequence[str], action: str,
                        expires_at: datetime | None) -> bool:
    result: str = await conn.execute(
        """UPDATE filters SET title = $3, context = $4, action = $5, expires_at = $6
           WHERE member_id = $1 AND id = $2""",
        member_id, filter_id, title, list(context), action, expires_at)
    return result != "UPDATE 0"


async def delete_filter(conn: Any, member_id: int, filter_id: int) -> bool:
    result: str = await conn.execute(
        "DELETE FROM filters WHERE member_id = $1 AND id = $2", member_id, filter_id)
    return result != "DELETE 0"


async def add_keyword(conn: Any, filter_id: int, keyword: str, whole_word: bool) -> FilterKeyword:
    row = await conn.fetchrow(
        """INSERT INTO filter_keywords (filter_id, keyword, whole_word) VALUES ($1, $2, $3)
           RETURNING id, filter_id, keyword, whole_word""", filter_id, keyword, whole_word)
    return _keyword(row)


async def keyword_of(conn: Any, member_id: int, keyword_id: int) -> FilterKeyword | None:
    row = await conn.fetchrow(
        "SELECT k.id, k.filter_id, k.keyword, k.whole_word " + _OWNED_KEYWORD,
        member_id, keyword_id)
    return _keyword(row) if row else None


async def update_keyword(conn: Any, member_id: int, keyword_id: int, keyword: str,
                         whole_word: bool) -> FilterKeyword | None:
    row = await conn.fetchrow(
        """UPDATE filter_keywords k SET keyword = $3, whole_word = $4 FROM filters f
           WHERE f.id = k.filter_id AND f.member_id = $1 AND k.id = $2
           RETURNING k.id, k.filter_id, k.keyword, k.whole_word""",
        member_id, keyword_id, keyword, whole_word)
    return _keyword(row) if row else None


async def delete_keyword(conn: Any, member_id: int, keyword_id: int) -> bool:
    result: str = await conn.execute(
        """DELETE FROM filter_keywords k USING filters f
           WHERE f.id = k.filter_id AND f.member_id = $1 AND k.id = $2""",
        member_id, keyword_id)
    return result != "DELETE 0"


async def add_filter_status(conn: Any, filter_id: int, post_id: int) -> FilterStatus:
    row = await conn.fetchrow(
        """INSERT INTO filter_statuses (filter_id, post_id) VALUES ($1, $2)
           ON CONFLICT (filter_id, post_id) DO UPDATE SET post_id = EXCLUDED.post_id
           RETURNING id, filter_id, post_id""", filter_id, post_id)
    return _status(row)


async def filter_status_of(conn: Any, member_id: int, status_id: int) -> FilterStatus | None:
    row = await conn.fetchrow(
        "SELECT s.id, s.filter_id, s.post_id " + _OWNED_STATUS, member_id, status_id)
    return _status(row) if row else None


async def delete_filter_status(conn: Any, member_id: int, status_id: int) -> bool:
    result: str = await conn.execute(
        """DELETE FROM filter_statuses s USING filters f
           WHERE f.id = s.filter_id AND f.member_id = $1 AND s.id = $2""",
        member_id, status_id)
    return result != "DELETE 0"
