"""SQL for the apps a member has authorised: their live tokens, per app."""

from __future__ import annotations

from typing import Any

from recovery.oauth_models import AuthorisedApp


async def list_authorised_apps(conn: Any, member_id: int) -> list[AuthorisedApp]:
    """Apps with a live token of the member's, most recently authorised first."""
    rows = await conn.fetch(
        """SELECT a.id, a.name, a.website,
                  array(SELECT DISTINCT s FROM oauth_tokens t2, unnest(t2.scopes) AS s
                        WHERE t2.app_id = a.id AND t2.member_id = $1
                          AND t2.revoked_at IS NULL ORDER BY s) AS scopes,
                  min(t.created_at) AS authorised_at, max(t.last_used_at) AS last_used_at
           FROM oauth_tokens t
           JOIN oauth_apps a ON a.id = t.app_id
           WHERE t.member_id = $1 AND t.revoked_at IS NULL
           GROUP BY a.id
           ORDER BY min(t.created_at) DESC, a.id DESC""",
        member_id,
    )
    return [AuthorisedApp(app_id=r["id"], name=r["name"], website=r["website"],
                          scopes=tuple(r["scopes"]), authorised_at=r["authorised_at"],
                          last_used_at=r["last_used_at"]) for r in rows]


async def revoke_app_tokens(conn: Any, member_id: int, app_id: int) -> int:
    """Revoke every live token of the member's for one app; how many."""
    result: str = await conn.execute(
        """UPDATE oauth_tokens SET revoked_at = now()
           WHERE member_id = $1 AND app_id = $2 AND revoked_at IS NULL""",
        member_id, app_id,
    )
    return int(result.split()[-1])


async def delete_app_codes(conn: Any, member_id: int, app_id: int) -> None:
    """Unused authorization codes go too: none may become a token later."""
    await conn.execute(
        "DELETE FROM oauth_codes WHERE member_id = $1 AND app_id = $2", member_id, app_id,
    )
