"""SQL for members, sessions, recovery codes, login limits, invites and keys."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recovery.models import Credentials, Invite, KeyPair, Member, Role, Status

_MEMBER_COLUMNS = (
    "id, username, display_name, bio, role, status, created_at, "
    "manually_approves_followers, discoverable, avatar_file, header_file"
)


def _member(row: Any) -> Member:
    return Member(
        id=row["id"],
        username=row["username"],
        display_name=row["display_name"],
        bio=row["bio"],
        role=Role(row["role"]),
        status=Status(row["status"]),
        created_at=row["created_at"],
        manually_approves_followers=row["manually_approves_followers"],
        discoverable=row["discoverable"],
        avatar_file=row.get("avatar_file"),
        header_file=row.get("header_file"),
    )


# -- instance -----------------------------------------------------------------

async def get_or_create_signing_key(conn: Any, candidate: bytes) -> bytes:
    """Store ``candidate`` unless a key exists; return the key in force."""
    await conn.execute(
        "INSERT INTO instance_secret (signing_key) VALUES ($1) ON CONFLICT DO NOTHING",
        candidate,
    )
    key: bytes = await conn.fetchval("SELECT signing_key FROM instance_secret")
    return key


# -- members ------------------------------------------------------------------

async def insert_member(
    conn: Any, username: str, password_hash: str, role: Role, status: Status
) -> Member | None:
    """Insert a member; None when the username (case-insensitively) is taken."""
    row = await conn.fetchrow(
        f"""INSERT INTO members (username, password_hash, role, status, guidelines_accepted_at)
            VALUES ($1, $2, $3, $4, now())
            ON CONFLICT ((lower(username))) DO NOTHING
            RETURNING {_MEMBER_COLUMNS}""",
        username, password_hash, role.value, status.value,
    )
    return _member(row) if row else None


async def username_is_retired(conn: Any, username: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM retired_usernames WHERE username_lower = lower($1))",
        username,
    ))


async def get_member_by_username(conn: Any, username: str) -> Member | None:
    row = await conn.fetchrow(
        f"""SELECT {_MEMBER_COLUMNS} FROM members
            WHERE lower(username) = lower($1) AND deleted_at IS NULL""",
        username,
    )
    return _member(row) if row else None


async def get_credentials(conn: Any, username: str) -> Credentials | None:
    row = await conn.fetchrow(
        f"""SELECT {_MEMBER_COLUMNS}, password_hash FROM members
            WHERE lower(username) = lower($1) AND deleted_at IS NULL""",
        username,
    )
    return Credentials(_member(row), row["password_hash"]) if row else None


async def get_credentials_by_id(conn: Any, member_id: int) -> Credentials | None:
    row = await conn.fetchrow(
        f"""SELECT {_MEMBER_COLUMNS}, password_hash FROM members
            WHERE id = $1 AND deleted_at IS NULL""",
        member_id,
    )
    return Credentials(_member(row), row["password_hash"]) if row else None


async def list_members(conn: Any, status: Status | None = None) -> list[Member]:
    rows = await conn.fetch(
        f"""SELECT {_MEMBER_COLUMNS} FROM members
            WHERE ($1::text IS NULL OR status = $1) AND deleted_at IS NULL
            ORDER BY created_at, id""",
        status.value if status else None,
    )
    return [_member(r) for r in rows]


async def count_members(conn: Any) -> int:
    count: int = await conn.fetchval("SELECT count(*) FROM members WHERE status = 'active'")
    return count


async def set_role(conn: Any, member_id: int, role: Role) -> None:
    await conn.execute("UPDATE members SET role = $2 WHERE id = $1", member_id, role.value)


async def set_status(conn: Any, member_id: int, status: Status) -> None:
    await conn.execute("UPDATE members SET status = $2 WHERE id = $1", member_id, status.value)


async def update_profile(
    conn: Any, member_id: int, display_name: str, bio: str,
    manually_approves_followers: bool, discoverable: bool,
) -> Member:
    row = await conn.fetchrow(
        f"""UPDATE members SET display_name = $2, bio = $3,
                   manually_approves_followers = $4, discoverable = $5
            WHERE id = $1
            RETURNING {_MEMBER_COLUMNS}""",
        member_id, display_name, bio, manually_approves_followers, discoverable,
    )
    return _member(row)


async def set_password_hash(conn: Any, member_id: int, password_hash: str) -> None:
    await conn.execute(
        "UPDATE members SET password_hash = $2 WHERE id = $1", member_id, password_hash
    )


async def delete_member(conn: Any, member_id: int) -> None:
    """Delete the member; their sessions, codes and failures go by cascade."""
    await conn.execute("DELETE FROM members WHERE id = $1", member_id)


# Every row that would go with a member by ON DELETE CASCADE, whichever
# table holds it (new tables included), except their key and their queued
# deliveries: the Delete of their actor is still to be signed with that key.
_DELETE_ALL_BUT_KEY = """
DO $$
DECLARE
    departing bigint := current_setting('hearth.departing_member')::bigint;
    fk record;
BEGIN
    FOR fk IN
        SELECT c.conrelid::regclass AS tbl, a.attname AS col
        FROM pg_constraint c
        JOIN pg_attribute a ON a.attrelid = c.conrelid AND a.attnum = c.conkey[1]
        WHERE c.contype = 'f' AND c.confrelid = 'members'::regclass
          AND c.confdeltype = 'c' AND cardinality(c.conkey) = 1
          AND c.conrelid NOT IN ('members'::regclass, 'member_keys'::regclass,
                                 'deliveries'::regclass)
    LOOP
        EXECUTE format('DELETE FROM %s WHERE %I = $1', fk.tbl, fk.col) USING departing;
    END LOOP;
END $$
"""


async def retire_member(conn: Any, member_id: int) -> None:
    """Delete everything of a member but their key and their deliveries,
    and keep of their row only what signs those: the username and the id.
    Nobody can find or log in to it any more; ``purge_retired_members``
    removes it once its deliveries are done."""
    async with conn.transaction():
        await conn.execute(
            "SELECT set_config('hearth.departing_member', $1::bigint::text, true)", member_id)
        await conn.execute(_DELETE_ALL_BUT_KEY)
        await conn.execute(
            """UPDATE members SET display_name = '', bio = '', password_hash = '!',
                      status = 'suspended', deleted_at = now()
               WHERE id = $1""",
            member_id,
        )


async def purge_retired_members(conn: Any) -> int:
    """Remove deleted members whose last deliveries were delivered or failed."""
    result: str = await conn.execute(
        """DELETE FROM members m WHERE m.deleted_at IS NOT NULL
             AND NOT EXISTS (SELECT 1 FROM deliveries d
                             WHERE d.signer_member_id = m.id
                               AND d.delivered_at IS NULL AND d.failed_at IS NULL)"""
    )
    return int(result.split()[-1])


async def retire_username(conn: Any, username: str) -> None:
    await conn.execute(
        "INSERT INTO retired_usernames (username_lower) VALUES (lower($1)) ON CONFLICT DO NOTHING",
        username,
    )


# -- actor keys ------------------------------------------------------------------

async def insert_member_keys(conn: Any, member_id: int, keys: KeyPair) -> None:
    await conn.execute(
        """INSERT INTO member_keys (member_id, public_key_pem, private_key_pem)
           VALUES ($1, $2, $3) ON CONFLICT (member_id) DO NOTHING""",
        member_id, keys.public_key_pem, keys.private_key_pem,
    )


async def get_public_key(conn: Any, member_id: int) -> str | None:
    pem: str | None = await conn.fetchval(
        "SELECT public_key_pem FROM member_keys WHERE member_id = $1", member_id
    )
    return pem


async def get_member_keys(conn: Any, member_id: int) -> KeyPair | None:
    row = await conn.fetchrow(
        "SELECT public_key_pem, private_key_pem FROM member_keys WHERE member_id = $1",
        member_id,
    )
    return KeyPair(row["public_key_pem"], row["private_key_pem"]) if row else None


async def get_or_create_instance_keys(conn: Any, candidate: KeyPair | None) -> KeyPair | None:
    """The instance actor's keys; stores ``candidate`` when there are none."""
    if candidate is not None:
        await conn.execute(
            """INSERT INTO instance_actor (public_key_pem, private_key_pem)
               VALUES ($1, $2) ON CONFLICT DO NOTHING""",
            candidate.public_key_pem, candidate.private_key_pem,
        )
    row = await conn.fetchrow("SELECT public_key_pem, private_key_pem FROM instance_actor")
    return KeyPair(row["public_key_pem"], row["private_key_pem"]) if row else None


# -- recovery codes -------------------------------------------------------------

async def replace_recovery_codes(conn: Any, member_id: int, hashes: Sequence[bytes]) -> None:
    await conn.execute("DELETE FROM recovery_codes WHERE member_id = $1", member_id)
    await conn.executemany(
        "INSERT INTO recovery_codes (member_id, code_hash) VALUES ($1, $2)",
        [(member_id, h) for h in hashes],
    )


async def use_recovery_code(conn: Any, member_id: int, code_hash: bytes) -> bool:
    """Mark an unused code used; False when there is no such unused code."""
    used = await conn.fetchval(
        """UPDATE recovery_codes SET used_at = now()
           WHERE member_id = $1 AND code_hash = $2 AND used_at IS NULL
           RETURNING true""",
        member_id, code_hash,
    )
    return bool(used)


async def count_unused_recovery_codes(conn: Any, member_id: int) -> int:
    count: int = await conn.fetchval(
        "SELECT count(*) FROM recovery_codes WHERE member_id = $1 AND used_at IS NULL",
        member_id,
    )
    return count


# -- sessions ------------------------------------------------------------------

async def insert_session(
    conn: Any, token_hash: bytes, member_id: int, expires_at: datetime
) -> None:
    await conn.execute(
        "INSERT INTO sessions (token_hash, member_id, expires_at) VALUES ($1, $2, $3)",
        token_hash, member_id, expires_at,
    )


async def get_session_member(conn: Any, token_hash: bytes) -> Member | None:
    """The active member a live session belongs to, if any."""
    row = await conn.fetchrow(
        f"""SELECT {', '.join('m.' + c.strip() for c in _MEMBER_COLUMNS.split(','))}
            FROM sessions s JOIN members m ON m.id = s.member_id
            WHERE s.token_hash = $1 AND s.expires_at > now() AND m.status = 'active'""",
        token_hash,
    )
    return _member(row) if row else None


async def delete_session(conn: Any, token_hash: bytes) -> None:
    await conn.execute("DELETE FROM sessions WHERE token_hash = $1", token_hash)


async def delete_member_sessions(
    conn: Any, member_id: int, keep: bytes | None = None
) -> None:
    await conn.execute(
        """DELETE FROM sessions
           WHERE member_id = $1 AND ($2::bytea IS NULL OR token_hash <> $2)""",
        member_id, keep,
    )


async def delete_expired_sessions(conn: Any) -> int:
    result: str = await conn.execute("DELETE FROM sessions WHERE expires_at <= now()")
    return int(result.split()[-1])


# -- login rate limiting -----------------------------------------------------------

async def login_lock_seconds(conn: Any, member_id: int, limit: int, window_s: int) -> int:
    """Seconds until the account may try again; 0 when it may try now."""
    seconds = await conn.fetchval(
        """SELECT ceil(extract(epoch FROM window_started_at
                                 + make_interval(secs => $3) - now()))::int
           FROM login_failures
           WHERE member_id = $1 AND failures >= $2
             AND window_started_at + make_interval(secs => $3) > now()""",
        member_id, limit, window_s,
    )
    return max(int(seconds or 0), 0)


async def record_login_failure(conn: Any, member_id: int, window_s: int) -> None:
    """Count a failure; an expired window starts again at this failure."""
    await conn.execute(
        """INSERT INTO login_failures (member_id, failures, window_started_at)
           VALUES ($1, 1, now())
           ON CONFLICT (member_id) DO UPDATE SET
             failures = CASE WHEN login_failures.window_started_at
                                  + make_interval(secs => $2) > now()
                             THEN login_failures.failures + 1 ELSE 1 END,
             window_started_at = CASE WHEN login_failures.window_started_at
                                           + make_interval(secs => $2) > now()
                                      THEN login_failures.window_started_at ELSE now() END""",
        member_id, window_s,
    )


async def clear_login_failures(conn: Any, member_id: int) -> None:
    await conn.execute("DELETE FROM login_failures WHERE member_id = $1", member_id)


# -- invites -------------------------------------------------------------------

def _invite(row: Any) -> Invite:
    return Invite(
        code=row["code"], max_uses=row["max_uses"], uses=row["uses"],
        expires_at=row["expires_at"], created_at=row["created_at"],
        created_by=row["created_by_username"],
    )


async def insert_invite(
    conn: Any, code: str, created_by: int | None, max_uses: int, expires_at: datetime | None
) -> Invite:
    row = await conn.fetchrow(
        """WITH i AS (
             INSERT INTO invites (code, created_by, max_uses, expires_at)
             VALUES ($1, $2, $3, $4) RETURNING *)
           SELECT i.*, m.username AS created_by_username
           FROM i LEFT JOIN members m ON m.id = i.created_by""",
        code, created_by, max_uses, expires_at,
    )
    return _invite(row)


async def claim_invite(conn: Any, code: str) -> bool:
    """Use one of an invite's uses; False when it is unknown, used up or expired."""
    claimed = await conn.fetchval(
        """UPDATE invites SET uses = uses + 1
           WHERE code = $1 AND uses < max_uses AND (expires_at IS NULL OR expires_at > now())
           RETURNING true""",
        code,
    )
    return bool(claimed)


async def invite_is_usable(conn: Any, code: str) -> bool:
    return bool(await conn.fetchval(
        """SELECT EXISTS (SELECT 1 FROM invites WHERE code = $1 AND uses < max_uses
                          AND (expires_at IS NULL OR expires_at > now()))""",
        code,
    ))


async def list_usable_invites(conn: Any) -> list[Invite]:
    rows = await conn.fetch(
        """SELECT i.*, m.username AS created_by_username
           FROM invites i LEFT JOIN members m ON m.id = i.created_by
           WHERE i.uses < i.max_uses AND (i.expires_at IS NULL OR i.expires_at > now())
           ORDER BY i.created_at DESC"""
    )
    return [_invite(r) for r in rows]


async def delete_invite(conn: Any, code: str) -> bool:
    return (await conn.execute("DELETE FROM invites WHERE code = $1", code)) == "DELETE 1"
