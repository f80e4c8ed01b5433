"""SQL for what a member does about other accounts: blocks, mutes and private
notes, and the Relationship rows built from them and from follows."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recovery.account_models import Block, Listed, Mute, Relationship
from recovery.models import Follow, Party
from recovery.store.follows import _FOLLOW_COLUMNS, _follow


def silenced_sender(alias: str, member: str = "$1") -> str:
    """SQL true when notification ``alias`` comes from an account the member
    blocks, or mutes with its notifications."""
    return f"""(EXISTS (SELECT 1 FROM blocks sb WHERE sb.member_id = {member}::bigint
                  AND (sb.blocked_member_id = {alias}.from_member_id
                       OR sb.blocked_remote_id = {alias}.from_remote_id))
             OR EXISTS (SELECT 1 FROM mutes sm WHERE sm.member_id = {member}::bigint
                  AND sm.notifications
                  AND (sm.expires_at IS NULL OR sm.expires_at > now())
                  AND (sm.muted_member_id = {alias}.from_member_id
                       OR sm.muted_remote_id = {alias}.from_remote_id)))"""


def _block(row: Any) -> Block:
    return Block(row["id"], row["uri"], row["member_id"],
                 Party(row["blocked_member_id"], row["blocked_remote_id"]), row["created_at"])


def _mute(row: Any) -> Mute:
    return Mute(row["id"], row["member_id"], Party(row["muted_member_id"], row["muted_remote_id"]),
                row["notifications"], row["expires_at"])


_BLOCK_COLUMNS = "id, uri, member_id, blocked_member_id, blocked_remote_id, created_at"
_MUTE_COLUMNS = "id, member_id, muted_member_id, muted_remote_id, notifications, expires_at"
_BLOCK_PAIR = ("member_id = $1 AND coalesce(blocked_member_id, 0) = coalesce($2, 0) "
               "AND coalesce(blocked_remote_id, 0) = coalesce($3, 0)")
_MUTE_PAIR = ("member_id = $1 AND coalesce(muted_member_id, 0) = coalesce($2, 0) "
              "AND coalesce(muted_remote_id, 0) = coalesce($3, 0)")


async def insert_block(conn: Any, uri: str, member_id: int, target: Party) -> Block | None:
    """The new block, or None when the member blocked the account already."""
    row = await conn.fetchrow(
        f"""INSERT INTO blocks (uri, member_id, blocked_member_id, blocked_remote_id)
            VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING RETURNING {_BLOCK_COLUMNS}""",
        uri, member_id, target.member_id, target.remote_id)
    return _block(row) if row else None


async def delete_block(conn: Any, member_id: int, target: Party) -> Block | None:
    row = await conn.fetchrow(
        f"DELETE FROM blocks WHERE {_BLOCK_PAIR} RETURNING {_BLOCK_COLUMNS}",
        member_id, target.member_id, target.remote_id)
    return _block(row) if row else None


async def blocked_either_way(conn: Any, member_id: int, target: Party) -> bool:
    """Whether the member blocks the account, or it blocks the member (a
    member here through ``blocks``, a remote actor through ``remote_blocks``)."""
    return bool(await conn.fetchval(
        f"""SELECT EXISTS (SELECT 1 FROM blocks WHERE {_BLOCK_PAIR})
              OR EXISTS (SELECT 1 FROM blocks WHERE member_id = $2 AND blocked_member_id = $1)
              OR EXISTS (SELECT 1 FROM remote_blocks WHERE remote_id = $3 AND member_id = $1)""",
        member_id, target.member_id, target.remote_id))


async def upsert_mute(conn: Any, member_id: int, target: Party, notifications: bool,
                      expires_at: datetime | None) -> Mute:
    row = await conn.fetchrow(
        f"""INSERT INTO mutes (member_id, muted_member_id, muted_remote_id, notifications,
                               expires_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (member_id, coalesce(muted_member_id, 0), coalesce(muted_remote_id, 0))
            DO UPDATE SET notifications = EXCLUDED.notifications,
                          expires_at = EXCLUDED.expires_at, created_at = now()
            RETURNING {_MUTE_COLUMNS}""",
        member_id, target.member_id, target.remote_id, notifications, expires_at)
    return _mute(row)


async def delete_mute(conn: Any, member_id: int, target: Party) -> bool:
    result: str = await conn.execute(
        f"DELETE FROM mutes WHERE {_MUTE_PAIR}", member_id, target.member_id, target.remote_id)
    return result != "DELETE 0"


def _page_sql(order_desc: bool) -> str:
    return ("AND ($2::bigint IS NULL OR x.id < $2) AND ($3::bigint IS NULL OR x.id > $3) "
            "AND ($4::bigint IS NULL OR x.id > $4) "
            + ("ORDER BY x.id DESC" if order_desc else "ORDER BY x.id ASC") + " LIMIT $5")


async def blocks_of(conn: Any, member_id: int, limit: int, max_id: int | None,
                    since_id: int | None, min_id: int | None) -> list[Listed]:
    """The accounts the member blocks (still here), newest block first."""
    rows = await conn.fetch(
        """SELECT x.id, x.blocked_member_id AS member_id, x.blocked_remote_id AS remote_id,
                  NULL::timestamptz AS expires_at
           FROM blocks x LEFT JOIN members m ON m.id = x.blocked_member_id
           LEFT JOIN remote_actors r ON r.id = x.blocked_remote_id
           WHERE x.member_id = $1 AND (m.status = 'active' OR r.gone_at IS NULL
                                       AND r.id IS NOT NULL) """
        + _page_sql(min_id is None), member_id, max_id, since_id, min_id, limit)
    return _listed(rows, min_id)


async def mutes_of(conn: Any, member_id: int, limit: int, max_id: int | None,
                   since_id: int | None, min_id: int | None) -> list[Listed]:
    """The accounts the member mutes now, newest mute first."""
    rows = await conn.fetch(
        """SELECT x.id, x.muted_member_id AS member_id, x.muted_remote_id AS remote_id,
                  x.expires_at
           FROM mutes x LEFT JOIN members m ON m.id = x.muted_member_id
           LEFT JOIN remote_actors r ON r.id = x.muted_remote_id
           WHERE x.member_id = $1 AND (x.expires_at IS NULL OR x.expires_at > now())
             AND (m.status = 'active' OR r.gone_at IS NULL AND r.id IS NOT NULL) """
        + _page_sql(min_id is None), member_id, max_id, since_id, min_id, limit)
    return _listed(rows, min_id)


def _listed(rows: Sequence[Any], min_id: int | None) -> list[Listed]:
    found = [Listed(r["id"], Party(r["member_id"], r["remote_id"]), r["expires_at"])
             for r in rows]
    return found[::-1] if min_id is not None else found


async def set_note(conn: Any, member_id: int, target: Party, note: str) -> None:
    """The member's private note on the account; an empty one removes it."""
    await conn.execute(
        """DELETE FROM account_notes WHERE member_id = $1
             AND coalesce(target_member_id, 0) = coalesce($2, 0)
             AND coalesce(target_remote_id, 0) = coalesce($3, 0)""",
        member_id, target.member_id, target.remote_id)
    if note:
        await conn.execute(
            """INSERT INTO account_notes (member_id, target_member_id, target_remote_id, note)
               VALUES ($1, $2, $3, $4)""",
            member_id, target.member_id, target.remote_id, note)


async def relationships(conn: Any, member_id: int, targets: Sequence[Party],
                        ) -> list[Relationship]:
    """The member's relationship with each of ``targets``, in their order,
    in one query."""
    mids = [t.member_id or 0 for t in targets]
    rids = [t.remote_id or 0 for t in targets]
    rows = await conn.fetch(
        """SELECT t.mid, t.rid,
             (SELECT state FROM follows f WHERE f.follower_member_id = $1
                AND coalesce(f.followed_member_id, 0) = t.mid
                AND coalesce(f.followed_remote_id, 0) = t.rid) AS out_state,
             (SELECT state FROM follows f WHERE f.followed_member_id = $1
                AND coalesce(f.follower_member_id, 0) = t.mid
                AND coalesce(f.follower_remote_id, 0) = t.rid) AS in_state,
             EXISTS (SELECT 1 FROM blocks b WHERE b.member_id = $1
                AND coalesce(b.blocked_member_id, 0) = t.mid
                AND coalesce(b.blocked_remote_id, 0) = t.rid) AS blocking,
             (EXISTS (SELECT 1 FROM blocks b WHERE b.member_id = t.mid
                        AND b.blocked_member_id = $1)
              OR EXISTS (SELECT 1 FROM remote_blocks rb WHERE rb.remote_id = t.rid
                        AND rb.member_id = $1)) AS blocked_by,
             (SELECT notifications FROM mutes u WHERE u.member_id = $1
                AND coalesce(u.muted_member_id, 0) = t.mid
                AND coalesce(u.muted_remote_id, 0) = t.rid
                AND (u.expires_at IS NULL OR u.expires_at > now())) AS mute_notifications,
             (SELECT note FROM account_notes n WHERE n.member_id = $1
                AND coalesce(n.target_member_id, 0) = t.mid
                AND coalesce(n.target_remote_id, 0) = t.rid) AS note
           FROM unnest($2::bigint[], $3::bigint[]) WITH ORDINALITY AS t(mid, rid, n)
           ORDER BY t.n""",
        member_id, mids, rids)
    return [Relationship(
        target=target, following=r["out_state"] == "accepted",
        requested=r["out_state"] == "pending", followed_by=r["in_state"] == "accepted",
        requested_by=r["in_state"] == "pending", blocking=r["blocking"],
        blocked_by=r["blocked_by"], muting=r["mute_notifications"] is not None,
        muting_notifications=bool(r["mute_notifications"]), note=r["note"] or "",
    ) for target, r in zip(targets, rows, strict=True)]


async def end_follows_between(conn: Any, member_id: int, target: Party) -> list[Follow]:
    """Remove the follows (and requests) between the member and the account,
    both ways; the follows that ended."""
    rows = await conn.fetch(
        f"""DELETE FROM follows
            WHERE (follower_member_id = $1 AND coalesce(followed_member_id, 0) = coalesce($2, 0)
                   AND coalesce(followed_remote_id, 0) = coalesce($3, 0))
               OR (followed_member_id = $1 AND coalesce(follower_member_id, 0) = coalesce($2, 0)
                   AND coalesce(follower_remote_id, 0) = coalesce($3, 0))
            RETURNING {_FOLLOW_COLUMNS}""",
        member_id, target.member_id, target.remote_id)
    return [_follow(r) for r in rows]
