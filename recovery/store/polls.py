"""SQL for polls and their votes (schema.sql ``polls``, ``poll_votes``)."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recovery.models import Party
from recovery.poll_models import Poll

__all__ = [
    "add_vote", "author_of", "count_remote_vote", "due_to_end", "insert", "lock", "mark_ended",
    "of_posts", "set_remote", "take_changed", "touch", "voters_of", "votes_of",
]

# Counts per option: a remote poll's as its server reported them, a local
# poll's counted from its votes; the viewer's own choices (member $2).
_SELECT = """
SELECT p.post_id, p.options, p.multiple, p.hide_totals, p.expires_at, p.ended_at,
       p.remote_counts IS NOT NULL AS remote,
       CASE WHEN p.remote_counts IS NOT NULL THEN p.remote_counts
            ELSE ARRAY(SELECT (SELECT count(*) FROM poll_votes v
                                WHERE v.post_id = p.post_id AND v.choice = i - 1)::int
                         FROM generate_subscripts(p.options, 1) AS i ORDER BY i) END
           AS counts,
       CASE WHEN p.remote_counts IS NOT NULL THEN coalesce(p.remote_voters, 0)
            ELSE (SELECT count(DISTINCT (v.member_id, v.remote_id)) FROM poll_votes v
                   WHERE v.post_id = p.post_id)::int END AS voters,
       ARRAY(SELECT v.choice FROM poll_votes v
              WHERE v.post_id = p.post_id AND v.member_id = $2 ORDER BY v.choice) AS own
  FROM polls p
"""


def _poll(row: Any) -> Poll:
    options = tuple(row["options"])
    counts = list(row["counts"] or [])[:len(options)]
    counts += [0] * (len(options) - len(counts))
    return Poll(
        post_id=row["post_id"], options=options, multiple=row["multiple"],
        hide_totals=row["hide_totals"], expires_at=row["expires_at"],
        counts=tuple(max(c or 0, 0) for c in counts), voters=row["voters"],
        own_votes=tuple(row["own"]), remote=row["remote"], ended_at=row["ended_at"])


async def insert(conn: Any, post_id: int, options: Sequence[str], multiple: bool,
                 hide_totals: bool, expires_at: datetime | None) -> None:
    await conn.execute(
        """INSERT INTO polls (post_id, options, multiple, hide_totals, expires_at)
           VALUES ($1, $2, $3, $4, $5)""",
        post_id, list(options), multiple, hide_totals, expires_at)


async def set_remote(conn: Any, post_id: int, options: Sequence[str], counts: Sequence[int],
                     multiple: bool, expires_at: datetime | None, voters: int | None,
                     closed: bool) -> None:
    """A remote Question's poll, stored or refreshed (an Update). When the
    options change, the votes sent from here no longer mean anything."""
    changed = await conn.fetchval(
        """SELECT options <> $2::text[] FROM polls WHERE post_id = $1""",
        post_id, list(options))
    if changed:
        await conn.execute("DELETE FROM poll_votes WHERE post_id = $1", post_id)
    await conn.execute(
        """INSERT INTO polls (post_id, options, multiple, expires_at, remote_counts,
                              remote_voters, ended_at)
           VALUES ($1, $2, $3, $4, $5, $6, CASE WHEN $7 THEN now() END)
           ON CONFLICT (post_id) DO UPDATE SET
               options = EXCLUDED.options, multiple = EXCLUDED.multiple,
               expires_at = EXCLUDED.expires_at, remote_counts = EXCLUDED.remote_counts,
               remote_voters = EXCLUDED.remote_voters,
               ended_at = coalesce(polls.ended_at, EXCLUDED.ended_at)""",
        post_id, list(options), multiple, expires_at, list(counts), voters, closed)


async def of_posts(conn: Any, post_ids: Sequence[int], member_id: int | None) -> dict[int, Poll]:
    """The polls of these posts, with ``member_id``'s own votes: one query."""
    if not post_ids:
        return {}
    rows = await conn.fetch(_SELECT + " WHERE p.post_id = ANY($1::bigint[])",
                            list(post_ids), member_id)
    return {row["post_id"]: _poll(row) for row in rows}


async def lock(conn: Any, post_id: int, member_id: int | None) -> Poll | None:
    """The poll, its row locked until the transaction ends (votes go one at a time)."""
    await conn.execute("SELECT 1 FROM polls WHERE post_id = $1 FOR UPDATE", post_id)
    found = await of_posts(conn, [post_id], member_id)
    return found.get(post_id)


async def votes_of(conn: Any, post_id: int, member_id: int | None,
                   remote_id: int | None) -> list[int]:
    rows = await conn.fetch(
        """SELECT choice FROM poll_votes WHERE post_id = $1
             AND coalesce(member_id, 0) = coalesce($2, 0)
             AND coalesce(remote_id, 0) = coalesce($3, 0) ORDER BY choice""",
        post_id, member_id, remote_id)
    return [r["choice"] for r in rows]


async def add_vote(conn: Any, post_id: int, choice: int, *, member_id: int | None = None,
                   remote_id: int | None = None, uri: str | None = None) -> bool:
    """One choice of one voter; False when it was counted already."""
    added = await conn.fetchval(
        """INSERT INTO poll_votes (post_id, choice, member_id, remote_id, uri)
           VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING RETURNING true""",
        post_id, choice, member_id, remote_id, uri)
    return bool(added)


async def count_remote_vote(conn: Any, post_id: int, choices: Sequence[int],
                            new_voter: bool) -> None:
    """A vote sent from here to a remote poll, counted until its server's
    next Update brings counts that include it."""
    await conn.execute(
        """UPDATE polls SET
               remote_counts = ARRAY(
                   SELECT coalesce(remote_counts[i], 0)
                          + CASE WHEN (i - 1) = ANY($2::int[]) THEN 1 ELSE 0 END
                     FROM generate_subscripts(options, 1) AS i ORDER BY i),
               remote_voters = coalesce(remote_voters, 0) + CASE WHEN $3 THEN 1 ELSE 0 END
            WHERE post_id = $1""",
        post_id, list(choices), new_voter)


async def touch(conn: Any, post_id: int) -> None:
    """A local poll's counts changed: its Update is due (debounced)."""
    await conn.execute(
        "UPDATE polls SET changed_at = coalesce(changed_at, now()) WHERE post_id = $1",
        post_id)


async def take_changed(conn: Any, older_than: datetime, limit: int) -> list[int]:
    """Local polls whose counts changed before ``older_than`` and whose
    Update is not sent yet; claimed and cleared."""
    rows = await conn.fetch(
        """UPDATE polls SET changed_at = NULL WHERE post_id IN (
               SELECT post_id FROM polls WHERE changed_at IS NOT NULL
                  AND changed_at <= $1 ORDER BY changed_at LIMIT $2
                  FOR UPDATE SKIP LOCKED) RETURNING post_id""",
        older_than, limit)
    return [r["post_id"] for r in rows]


async def due_to_end(conn: Any, now: datetime, limit: int) -> list[int]:
    """Polls whose time is up and whose end is not handled yet; claimed."""
    rows = await conn.fetch(
        """SELECT post_id FROM polls WHERE ended_at IS NULL AND expires_at <= $1
            ORDER BY expires_at LIMIT $2 FOR UPDATE SKIP LOCKED""",
        now, limit)
    return [r["post_id"] for r in rows]


async def mark_ended(conn: Any, post_id: int) -> None:
    await conn.execute(
        """UPDATE polls SET ended_at = coalesce(ended_at, now()), changed_at = NULL
            WHERE post_id = $1""", post_id)


async def voters_of(conn: Any, post_id: int) -> list[int]:
    """The local members who voted."""
    rows = await conn.fetch(
        """SELECT DISTINCT member_id FROM poll_votes
            WHERE post_id = $1 AND member_id IS NOT NULL ORDER BY member_id""",
        post_id)
    return [r["member_id"] for r in rows]


async def author_of(conn: Any, post_id: int) -> Party:
    """The poll's post's author (the poll goes with its post, so it exists)."""
    row = await conn.fetchrow(
        "SELECT author_member_id, author_remote_id FROM posts WHERE id = $1", post_id)
    return Party(row["author_member_id"], row["author_remote_id"])
