"""SQL behind the client API's account pages: an account's posts as a viewer
may see them, its followers and follows, follow requests, account search,
familiar followers, and the settings a member makes from a client."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from recovery.account_models import AccountSettings, Listed, ProfileField
from recovery.models import Party, Post
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _with_reblogs

# A row of ``follows`` whose far side (alias ``x``, the side named by the
# column prefix) is an active member or a remote actor that is not gone.
_ALIVE = """(EXISTS (SELECT 1 FROM members am WHERE am.id = x.{side}_member_id
                     AND am.status = 'active')
           OR EXISTS (SELECT 1 FROM remote_actors ar WHERE ar.id = x.{side}_remote_id
                      AND ar.gone_at IS NULL))"""


def _order(min_id: int | None) -> str:
    """Newest first; with ``min_id``, the page just above it (read upwards,
    then turned round by the caller)."""
    return "ASC" if min_id is not None else "DESC"


async def account_posts(
    conn: Any, author: Party, viewer_id: int | None, viewer_uri: str | None, *,
    limit: int, max_id: int | None, since_id: int | None, min_id: int | None,
    exclude_replies: bool, exclude_reblogs: bool, tagged: str | None,
    only_media: bool = False,
) -> list[Post]:
    """The account's posts and boosts the viewer may see (never direct ones,
    as on the profile page), newest first; with ``only_media``, only posts
    with media attached."""
    column = "p.author_member_id" if author.member_id is not None else "p.author_remote_id"
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE {column} = $3 AND {_VISIBLE_TO} AND p.visibility <> 'direct'
          AND ($4::bigint IS NULL OR p.id < $4) AND ($5::bigint IS NULL OR p.id > $5)
          AND ($6::bigint IS NULL OR p.id > $6)
          AND (NOT $7::boolean OR p.reblog_of_id IS NOT NULL
               OR (p.in_reply_to_id IS NULL AND p.in_reply_to_uri IS NULL)
               OR EXISTS (SELECT 1 FROM posts q WHERE q.id = p.in_reply_to_id
                          AND q.author_member_id IS NOT DISTINCT FROM p.author_member_id
                          AND q.author_remote_id IS NOT DISTINCT FROM p.author_remote_id))
          AND (NOT $8::boolean OR p.reblog_of_id IS NULL)
          AND ($9::text IS NULL OR (p.reblog_of_id IS NULL AND p.content_html
               ~* ('#(<span>)?' || $9::text || '([^A-Za-z0-9_]|$)')))
          AND (NOT $11::boolean
               OR EXISTS (SELECT 1 FROM media_attachments a WHERE a.post_id = p.id))
        ORDER BY p.id {_order(min_id)} LIMIT $10""",
        viewer_id, viewer_uri, author.member_id or author.remote_id, max_id, since_id, min_id,
        exclude_replies, exclude_reblogs, tagged, limit, only_media)
    shown = await _with_reblogs(conn, rows)
    return shown[::-1] if min_id is not None else shown


async def _follow_page(conn: Any, where: str, side: str, party_id: int, limit: int,
                       max_id: int | None, since_id: int | None,
                       min_id: int | None) -> list[Listed]:
    rows = await conn.fetch(
        f"""SELECT x.id, x.{side}_member_id AS member_id, x.{side}_remote_id AS remote_id
            FROM follows x
            WHERE {where} AND {_ALIVE.format(side=side)}
              AND ($2::bigint IS NULL OR x.id < $2) AND ($3::bigint IS NULL OR x.id > $3)
              AND ($4::bigint IS NULL OR x.id > $4)
            ORDER BY x.id {_order(min_id)} LIMIT $5""",
        party_id, max_id, since_id, min_id, limit)
    found = [Listed(r["id"], Party(r["member_id"], r["remote_id"])) for r in rows]
    return found[::-1] if min_id is not None else found


async def followers_of(conn: Any, party: Party, limit: int, max_id: int | None,
                       since_id: int | None, min_id: int | None) -> list[Listed]:
    """Accepted followers of the account known here, newest follow first."""
    column = "followed_member_id" if party.member_id is not None else "followed_remote_id"
    return await _follow_page(conn, f"x.{column} = $1 AND x.state = 'accepted'", "follower",
                              party.member_id or party.remote_id or 0,
                              limit, max_id, since_id, min_id)


async def following_of(conn: Any, party: Party, limit: int, max_id: int | None,
                       since_id: int | None, min_id: int | None) -> list[Listed]:
    """Accounts the account follows (accepted), as known here."""
    column = "follower_member_id" if party.member_id is not None else "follower_remote_id"
    return await _follow_page(conn, f"x.{column} = $1 AND x.state = 'accepted'", "followed",
                              party.member_id or party.remote_id or 0,
                              limit, max_id, since_id, min_id)


async def follow_requests_to(conn: Any, member_id: int, limit: int, max_id: int | None,
                             since_id: int | None, min_id: int | None) -> list[Listed]:
    """Who waits for the member's answer to a follow request, newest first."""
    return await _follow_page(conn, "x.followed_member_id = $1 AND x.state = 'pending'",
                              "follower", member_id, limit, max_id, since_id, min_id)


async def search(conn: Any, username: str, host: str | None, limit: int, offset: int,
                 following_of_member: int | None) -> list[Party]:
    """Active members whose username or display name starts with
    ``username`` (when ``host`` is None) and remote actors known here whose
    username does (on ``host`` when given); with ``following_of_member``,
    only accounts that member follows. Exact usernames first."""
    rows = await conn.fetch(
        r"""WITH found AS (
              SELECT m.id AS member_id, NULL::bigint AS remote_id,
                     lower(m.username) = lower($1) AS exact, m.username AS name
              FROM members m
              WHERE $2::text IS NULL AND m.status = 'active'
                AND (lower(m.username) LIKE lower($1) || '%'
                     OR lower(m.display_name) LIKE lower($1) || '%')
              UNION ALL
              SELECT NULL, r.id, lower(r.preferred_username) = lower($1), r.preferred_username
              FROM remote_actors r
              WHERE r.gone_at IS NULL AND r.preferred_username IS NOT NULL
                AND lower(r.preferred_username) LIKE lower($1) || '%'
                AND ($2::text IS NULL OR lower(r.host) = lower($2)))
            SELECT member_id, remote_id FROM found
            WHERE $5::bigint IS NULL OR EXISTS (
                SELECT 1 FROM follows f WHERE f.follower_member_id = $5 AND f.state = 'accepted'
                  AND (f.followed_member_id = found.member_id
                       OR f.followed_remote_id = found.remote_id))
            ORDER BY exact DESC, member_id IS NULL, lower(name), remote_id
            LIMIT $3 OFFSET $4""",
        _like_safe(username), host, limit, offset, following_of_member)
    return [Party(r["member_id"], r["remote_id"]) for r in rows]


def _like_safe(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


async def familiar_followers(conn: Any, viewer_id: int, target: Party) -> list[Party]:
    """Members the viewer follows who follow the account too."""
    rows = await conn.fetch(
        """SELECT f.follower_member_id FROM follows f
           JOIN members m ON m.id = f.follower_member_id AND m.status = 'active'
           WHERE coalesce(f.followed_member_id, 0) = coalesce($2, 0)
             AND coalesce(f.followed_remote_id, 0) = coalesce($3, 0)
             AND f.state = 'accepted' AND f.follower_member_id <> $1
             AND EXISTS (SELECT 1 FROM follows v WHERE v.follower_member_id = $1
                         AND v.followed_member_id = f.follower_member_id
                         AND v.state = 'accepted')
           ORDER BY f.id DESC LIMIT 40""",
        viewer_id, target.member_id, target.remote_id)
    return [Party(member_id=r["follower_member_id"]) for r in rows]


def _settings(row: Any) -> AccountSettings:
    fields = tuple(ProfileField(str(f["name"]), str(f["value"]))
                   for f in json.loads(row["fields"]))
    return AccountSettings(row["member_id"], row["hide_collections"], row["bot"], fields,
                           row["default_privacy"], row["default_sensitive"],
                           row["default_language"])


_SETTINGS_COLUMNS = ("member_id, hide_collections, bot, fields, default_privacy, "
                     "default_sensitive, default_language")


async def settings_of(conn: Any, member_ids: Sequence[int]) -> dict[int, AccountSettings]:
    rows = await conn.fetch(
        f"SELECT {_SETTINGS_COLUMNS} FROM account_settings WHERE member_id = ANY($1::bigint[])",
        list(member_ids))
    return {r["member_id"]: _settings(r) for r in rows}


async def save_settings(conn: Any, settings: AccountSettings) -> AccountSettings:
    row = await conn.fetchrow(
        f"""INSERT INTO account_settings ({_SETTINGS_COLUMNS})
            VALUES ($1, $2, $3, $4::jsonb, $5, $6, $7)
            ON CONFLICT (member_id) DO UPDATE SET
              hide_collections = EXCLUDED.hide_collections, bot = EXCLUDED.bot,
              fields = EXCLUDED.fields, default_privacy = EXCLUDED.default_privacy,
              default_sensitive = EXCLUDED.default_sensitive,
              default_language = EXCLUDED.default_language, updated_at = now()
            RETURNING {_SETTINGS_COLUMNS}""",
        settings.member_id, settings.hide_collections, settings.bot,
        json.dumps([{"name": f.name, "value": f.value} for f in settings.fields]),
        settings.default_privacy, settings.default_sensitive, settings.default_language)
    return _settings(row)
