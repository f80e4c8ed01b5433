"""SQL for OAuth 2 applications, authorization codes and access tokens.
Client secrets, codes and tokens are stored as SHA-256 hashes only."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from recovery.models import Member, OAuthApp, OAuthCode, OAuthToken, Role, Status

__all__ = [
    "consume_oauth_code", "get_oauth_app", "get_oauth_token", "insert_oauth_app",
    "insert_oauth_code", "insert_oauth_token", "oauth_client_secret_ok",
    "revoke_member_tokens", "revoke_oauth_token", "touch_oauth_token",
]

_APP_COLUMNS = "a.id, a.client_id, a.name, a.website, a.redirect_uris, a.scopes, a.created_at"


def _app(row: Any) -> OAuthApp:
    return OAuthApp(
        id=row["id"], client_id=row["client_id"], name=row["name"], website=row["website"],
        redirect_uris=tuple(row["redirect_uris"]), scopes=tuple(row["scopes"]),
        created_at=row["created_at"],
    )


async def insert_oauth_app(
    conn: Any, client_id: str, secret_hash: bytes, name: str, website: str | None,
    redirect_uris: Sequence[str], scopes: Sequence[str],
) -> OAuthApp:
    row = await conn.fetchrow(
        f"""INSERT INTO oauth_apps AS a
                   (client_id, secret_hash, name, website, redirect_uris, scopes)
            VALUES ($1, $2, $3, $4, $5, $6)
            RETURNING {_APP_COLUMNS}""",
        client_id, secret_hash, name, website, list(redirect_uris), list(scopes),
    )
    return _app(row)


async def get_oauth_app(conn: Any, client_id: str) -> OAuthApp | None:
    row = await conn.fetchrow(
        f"SELECT {_APP_COLUMNS} FROM oauth_apps a WHERE a.client_id = $1", client_id
    )
    return _app(row) if row else None


async def oauth_client_secret_ok(conn: Any, client_id: str, secret_hash: bytes) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM oauth_apps WHERE client_id = $1 AND secret_hash = $2)",
        client_id, secret_hash,
    ))


async def insert_oauth_code(
    conn: Any, code_hash: bytes, code: OAuthCode, expires_at: datetime
) -> None:
    await conn.execute(
        """INSERT INTO oauth_codes
                  (code_hash, app_id, member_id, redirect_uri, scopes, code_challenge, expires_at)
           VALUES ($1, $2, $3, $4, $5, $6, $7)""",
        code_hash, code.app_id, code.member_id, code.redirect_uri, list(code.scopes),
        code.code_challenge, expires_at,
    )


async def consume_oauth_code(conn: Any, code_hash: bytes) -> OAuthCode | None:
    """The code, deleted in the same statement so it can be used once; None when
    unknown or expired."""
    row = await conn.fetchrow(
        """DELETE FROM oauth_codes WHERE code_hash = $1
           RETURNING app_id, member_id, redirect_uri, scopes, code_challenge,
                     expires_at > now() AS live""",
        code_hash,
    )
    if row is None or not row["live"]:
        return None
    return OAuthCode(row["app_id"], row["member_id"], row["redirect_uri"],
                     tuple(row["scopes"]), row["code_challenge"])


async def insert_oauth_token(
    conn: Any, token_hash: bytes, app_id: int, member_id: int | None, scopes: Sequence[str]
) -> datetime:
    created: datetime = await conn.fetchval(
        """INSERT INTO oauth_tokens (token_hash, app_id, member_id, scopes)
           VALUES ($1, $2, $3, $4) RETURNING created_at""",
        token_hash, app_id, member_id, list(scopes),
    )
    return created


async def get_oauth_token(conn: Any, token_hash: bytes) -> OAuthToken | None:
    """A live token: not revoked, and its member (if any) still active."""
    row = await conn.fetchrow(
        f"""SELECT t.id AS token_id, t.scopes AS token_scopes, t.created_at AS token_created,
                   t.last_used_at, {_APP_COLUMNS},
                   m.id AS m_id, m.username, m.display_name, m.bio, m.role, m.status,
                   m.created_at AS m_created, m.manually_approves_followers, m.discoverable,
                   m.avatar_file, m.header_file,
                   (SELECT v.version FROM home_versions v WHERE v.member_id = m.id)
                       AS home_version
            FROM oauth_tokens t
            JOIN oauth_apps a ON a.id = t.app_id
            LEFT JOIN members m ON m.id = t.member_id
            WHERE t.token_hash = $1 AND t.revoked_at IS NULL
              AND (t.member_id IS NULL OR m.status = 'active')""",
        token_hash,
    )
    if row is None:
        return None
    member = None
    if row["m_id"] is not None:
        member = Member(
            id=row["m_id"], username=row["username"], display_name=row["display_name"],
            bio=row["bio"], role=Role(row["role"]), status=Status(row["status"]),
            created_at=row["m_created"],
            manually_approves_followers=row["manually_approves_followers"],
            discoverable=row["discoverable"],
            avatar_file=row["avatar_file"], header_file=row["header_file"],
        )
    return OAuthToken(row["token_id"], _app(row), member, tuple(row["token_scopes"]),
                      row["token_created"], row["last_used_at"], row["home_version"] or 0)


async def touch_oauth_token(conn: Any, token_id: int) -> None:
    """Record use, at most once a minute per token."""
    await conn.execute(
        """UPDATE oauth_tokens SET last_used_at = now()
           WHERE id = $1
             AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')""",
        token_id,
    )


async def revoke_oauth_token(conn: Any, token_hash: bytes, client_id: str) -> bool:
    result: str = await conn.execute(
        """UPDATE oauth_tokens t SET revoked_at = now()
           FROM oauth_apps a
           WHERE a.id = t.app_id AND t.token_hash = $1 AND a.client_id = $2
             AND t.revoked_at IS NULL""",
        token_hash, client_id,
    )
    return result.split()[-1] != "0"


async def revoke_member_tokens(conn: Any, member_id: int) -> int:
    result: str = await conn.execute(
        "UPDATE oauth_tokens SET revoked_at = now() WHERE member_id = $1 AND revoked_at IS NULL",
        member_id,
    )
    return int(result.split()[-1])
