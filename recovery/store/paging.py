"""The id bounds of a page of a list (Mastodon's max_id, since_id, min_id),
as a SQL fragment over parameters the caller numbers."""

from __future__ import annotations

from typing import Any

from recovery.status_models import ListPage


def bounds(column: str, first: int) -> str:
    """``column`` below max_id and above since_id and min_id; the three are
    parameters ``$first`` .. ``$first+2``."""
    return (f" AND (${first}::bigint IS NULL OR {column} < ${first})"
            f" AND (${first + 1}::bigint IS NULL OR {column} > ${first + 1})"
            f" AND (${first + 2}::bigint IS NULL OR {column} > ${first + 2})")


def order(column: str, page: ListPage) -> str:
    """Newest first; with min_id, oldest first (the caller reverses the rows)."""
    return f" ORDER BY {column} {'ASC' if page.min_id is not None else 'DESC'}"


def values(page: ListPage) -> list[Any]:
    return [page.max_id, page.since_id, page.min_id]


def newest_first(rows: list[Any], page: ListPage) -> list[Any]:
    return list(reversed(rows)) if page.min_id is not None else rows
