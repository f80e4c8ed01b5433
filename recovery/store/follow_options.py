"""SQL for what a follower chose (boosts shown, told of new posts, the
languages shown; the ``show_reblogs``, ``notify`` and ``languages`` columns
of ``follows``), who is to be told of
an author's new post, and the follow request notifications taken back once
the request is answered or withdrawn. The home feed keeps itself right when
boosts are hidden or shown again (triggers in schema.sql)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery.follow_models import FollowOptions
from recovery.models import Party

__all__ = ["choose", "options_toward", "subscribers", "withdraw_notices"]


def _options(row: Any) -> FollowOptions:
    languages = row["languages"]
    return FollowOptions(reblogs=row["show_reblogs"], notify=row["notify"],
                         languages=tuple(languages) if languages is not None else None)


async def choose(conn: Any, follow_id: int, reblogs: bool | None, notify: bool | None,
                 languages: tuple[str, ...] | None = None) -> FollowOptions | None:
    """Set the follow's options (None leaves one as it is; an empty
    ``languages`` means all again); None when the follow is gone."""
    row = await conn.fetchrow(
        """UPDATE follows SET show_reblogs = coalesce($2, show_reblogs),
                              notify = coalesce($3, notify),
                              languages = CASE WHEN $4::text[] IS NULL THEN languages
                                               ELSE nullif($4::text[], '{}') END
           WHERE id = $1 RETURNING show_reblogs, notify, languages""",
        follow_id, reblogs, notify, list(languages) if languages is not None else None)
    return _options(row) if row else None


async def options_toward(conn: Any, member_id: int,
                         targets: Sequence[Party]) -> dict[Party, FollowOptions]:
    """The member's options for each target they follow or asked to follow."""
    rows = await conn.fetch(
        """SELECT f.followed_member_id, f.followed_remote_id, f.show_reblogs, f.notify,
                  f.languages
           FROM follows f
           WHERE f.follower_member_id = $1
             AND (f.followed_member_id = ANY($2::bigint[])
                  OR f.followed_remote_id = ANY($3::bigint[]))""",
        member_id, [t.member_id for t in targets if t.member_id is not None],
        [t.remote_id for t in targets if t.remote_id is not None])
    return {Party(r["followed_member_id"], r["followed_remote_id"]): _options(r) for r in rows}


async def subscribers(conn: Any, author: Party) -> list[int]:
    """Active members here whose accepted follow of ``author`` asks to be
    told of their new posts, in id order."""
    rows = await conn.fetch(
        """SELECT m.id FROM follows f JOIN members m ON m.id = f.follower_member_id
           WHERE f.notify AND f.state = 'accepted' AND m.status = 'active'
             AND (f.followed_member_id = $1 OR f.followed_remote_id = $2)
           ORDER BY m.id""",
        author.member_id, author.remote_id)
    return [r["id"] for r in rows]


async def withdraw_notices(conn: Any, member_id: int, kind: str, sender: Party) -> int:
    """Delete the member's notifications of ``kind`` from ``sender`` (those
    still shown: dismissed ones are never listed again); how many."""
    deleted: str = await conn.execute(
        """DELETE FROM notifications
           WHERE member_id = $1 AND NOT dismissed AND kind = $2
             AND from_member_id IS NOT DISTINCT FROM $3
             AND from_remote_id IS NOT DISTINCT FROM $4""",
        member_id, kind, sender.member_id, sender.remote_id)
    return int(deleted.split()[-1])
