"""SQL for timelines: the home feed (precomputed on write, see ``home_feed``
in schema.sql), this community's public posts, posts with a hashtag, and a
member's direct conversations. Every query applies the one visibility rule
(``_VISIBLE_TO`` of store/posts.py) and leaves out accounts the member
blocked or muted and members who blocked them."""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import date
from typing import Any

from recovery.models import AccountStats, Party, Post, PostState
from recovery.status_models import ListPage
from recovery.store import paging
from recovery.store.bookmarks import MUTED_WALK
from recovery.store.posts import _POST_SELECT, _VISIBLE_TO, _post, _with_reblogs

__all__ = [
    "conversation_threads", "home_posts", "mark_conversation", "parties_by_uris", "post_states",
    "posts_by_ids",
    "public_posts", "tag_exists", "tag_posts", "tag_uses", "thread_of_direct",
]


_NO_ID = 2**63 - 1  # above every id


def _unsilenced(alias: str) -> str:
    """Post ``alias`` is by nobody the member ($1) blocked or muted (a mute
    that has not expired), nor by a member who blocked them. (One scalar
    subquery: as NOT EXISTS anti-joins, planning the home query took 2 ms,
    several times its execution.)"""
    return f"""NOT (SELECT
        EXISTS (SELECT 1 FROM blocks b WHERE b.member_id = $1::bigint
                AND (b.blocked_member_id = {alias}.author_member_id
                     OR b.blocked_remote_id = {alias}.author_remote_id))
        OR EXISTS (SELECT 1 FROM blocks b WHERE b.blocked_member_id = $1::bigint
                   AND b.member_id = {alias}.author_member_id)
        OR EXISTS (SELECT 1 FROM mutes u WHERE u.member_id = $1::bigint
                   AND (u.muted_member_id = {alias}.author_member_id
                        OR u.muted_remote_id = {alias}.author_remote_id)
                   AND (u.expires_at IS NULL OR u.expires_at > now())))"""


# The post and, for a boost, the boosted post's author too.
_UNSILENCED = f"""({_unsilenced("p")}
    AND (p.reblog_of_id IS NULL OR (
            SELECT {_unsilenced("o")} FROM posts o WHERE o.id = p.reblog_of_id)))"""


# Not by an account the member ($1) put in one of their exclusive lists
# (Mastodon: such accounts' posts show in that list only, not at home).
_NOT_IN_EXCLUSIVE_LIST = """NOT (SELECT EXISTS (
        SELECT 1 FROM lists l
        JOIN list_accounts la ON la.list_id = l.id
        JOIN follows f ON f.id = la.follow_id
        WHERE l.member_id = $1::bigint AND l.exclusive
          AND (f.followed_member_id = p.author_member_id
               OR f.followed_remote_id = p.author_remote_id)))"""


# Not a post of an account the member ($1) follows with languages chosen
# (follow's languages[]) in a language outside them (``pt-BR`` is ``pt``);
# posts with no language (boosts among them) pass, as on Mastodon. The
# partial index follows_languages_idx makes this a probe of an index that is
# mostly empty (measured: no change in the home query's time, +3% buffers).
_IN_CHOSEN_LANGUAGE = """(p.language IS NULL OR NOT EXISTS (
        SELECT 1 FROM follows f
        WHERE f.follower_member_id = $1::bigint AND f.languages IS NOT NULL
          AND (f.followed_member_id = p.author_member_id
               OR f.followed_remote_id = p.author_remote_id)
          AND split_part(p.language, '-', 1) <> ALL (f.languages)))"""


async def home_posts(
    conn: Any, member_id: int, member_uri: str, page: ListPage,
) -> list[Post]:
    """The member's home timeline: their own posts and boosts, what those they
    follow wrote (in the languages chosen for them) or boosted, and direct
    posts that name them; newest first (a boost at the time of the boost).
    The posts boosted come in the same query (rows with ``listed`` false): a
    second round trip cost more than the lookup."""
    rows = await conn.fetch(
        f"""WITH page AS MATERIALIZED ({_POST_SELECT} JOIN home_feed h ON h.post_id = p.id
            WHERE h.member_id = $1 AND h.post_id < $4 AND h.post_id > $5
              AND {_VISIBLE_TO} AND {_UNSILENCED} AND {_NOT_IN_EXCLUSIVE_LIST}
              AND {_IN_CHOSEN_LANGUAGE}
            {paging.order("h.post_id", page)} LIMIT $3)
        SELECT true AS listed, page.* FROM page
        UNION ALL
        SELECT false, boosted.* FROM ({_POST_SELECT}
            WHERE p.id IN (SELECT reblog_of_id FROM page)) boosted""",
        member_id, member_uri, page.limit, *_range(page))
    listed = sorted((r for r in rows if r["listed"]), key=lambda r: r["id"], reverse=True)
    originals = {r["id"]: _post(r) for r in rows if not r["listed"]}
    return [_boosting(_post(r), originals) for r in listed]


async def post_states(conn: Any, member_id: int, post_ids: Sequence[int],
                      token_digest: bytes | None = None,
                      ) -> tuple[dict[int, PostState], set[tuple[str, int]], int | None]:
    """The current versions and counts of these posts (those that still
    exist), by id, the member's marks on them as ``bookmarks.marks_among``
    gives them, and the member's home version when ``token_digest`` is the
    hash of one of their live tokens (as ``oauth.get_oauth_token`` checks
    it; None otherwise): one light query to check a page kept in memory."""
    rows = await conn.fetch(
        MUTED_WALK + """
           SELECT (SELECT coalesce(v.version, 0) FROM oauth_tokens t
                   JOIN oauth_apps a ON a.id = t.app_id
                   JOIN members tm ON tm.id = t.member_id
                   LEFT JOIN home_versions v ON v.member_id = tm.id
                   WHERE t.token_hash = $3 AND t.revoked_at IS NULL
                     AND tm.id = $1 AND tm.status = 'active') AS home_version,
                  p.id, p.xmin AS version, coalesce(m.xmin, r.xmin) AS author_version,
                  coalesce(pc.likes, 0) AS likes, coalesce(pc.boosts, 0) AS boosts,
                  coalesce(pc.replies, 0) AS replies,
                  coalesce(mc.followers, rc.followers, 0) AS followers,
                  coalesce(mc.following, rc.following, 0) AS following,
                  coalesce(mc.statuses, rc.statuses, 0) AS statuses,
                  coalesce(mc.last_status_at, rc.last_status_at) AS last_status_at,
                  ARRAY(SELECT x.kind FROM reactions x
                        WHERE x.post_id = p.id AND x.actor_member_id = $1) AS reacted,
                  EXISTS (SELECT 1 FROM posts b WHERE b.reblog_of_id = p.id
                          AND b.author_member_id = $1) AS boosted,
                  EXISTS (SELECT 1 FROM bookmarks k
                          WHERE k.member_id = $1 AND k.post_id = p.id) AS bookmarked,
                  EXISTS (SELECT 1 FROM status_pins s
                          WHERE s.member_id = $1 AND s.post_id = p.id) AS pinned,
                  EXISTS (SELECT 1 FROM up JOIN conversation_mutes c
                          ON c.root_post_id = up.id AND c.member_id = $1
                          WHERE up.start = p.id AND up.parent IS NULL) AS muted
           FROM unnest($2::bigint[]) AS wanted (id)
           JOIN posts p ON p.id = wanted.id
           LEFT JOIN members m ON m.id = p.author_member_id
           LEFT JOIN remote_actors r ON r.id = p.author_remote_id
           LEFT JOIN post_counts pc ON pc.post_id = p.id
           LEFT JOIN account_counts mc ON mc.member_id = p.author_member_id
           LEFT JOIN account_counts rc ON rc.remote_id = p.author_remote_id""",
        member_id, list(post_ids), token_digest)
    states = {r["id"]: PostState(r["version"], r["author_version"] or 0, r["likes"],
                                 r["boosts"], r["replies"],
                                 AccountStats(r["followers"], r["following"], r["statuses"],
                                              r["last_status_at"]))
              for r in rows}
    marks = {(kind, r["id"]) for r in rows for kind in r["reacted"]}
    for r in rows:
        marks.update((mark, r["id"]) for mark in _FLAGS if r[_FLAGS[mark]])
    return states, marks, rows[0]["home_version"] if rows else None


_FLAGS = {"boost": "boosted", "bookmarked": "bookmarked", "pinned": "pinned",
          "muted": "muted"}  # as bookmarks.marks_among names them: its column here


def _boosting(post: Post, originals: dict[int, Post]) -> Post:
    if post.reblog_of_id is None:
        return post
    return dataclasses.replace(post, reblog=originals.get(post.reblog_of_id))


def _range(page: ListPage) -> tuple[int, int]:
    """The page's bounds as plain values (below, above): with no NULLs to
    test, PostgreSQL keeps one generic plan for the query after a few runs,
    instead of planning it anew each time (which cost more than running it)."""
    return (page.max_id if page.max_id is not None else _NO_ID,
            max(page.since_id or 0, page.min_id or 0))


def _with_media(param: int) -> str:
    """Post ``p`` has media attached, when the boolean parameter ``$param``
    (Mastodon's ``only_media``) is true."""
    return (f"(NOT ${param}::boolean"
            " OR EXISTS (SELECT 1 FROM media_attachments a WHERE a.post_id = p.id))")


# Not a reply, or a reply to the author's own post (a thread), as Mastodon's
# public timeline shows.
_NOT_A_REPLY_TO_OTHERS = """
    (p.in_reply_to_id IS NULL AND p.in_reply_to_uri IS NULL
     OR EXISTS (SELECT 1 FROM posts q WHERE q.id = p.in_reply_to_id
                AND q.author_member_id IS NOT DISTINCT FROM p.author_member_id
                AND q.author_remote_id IS NOT DISTINCT FROM p.author_remote_id))"""


async def public_posts(
    conn: Any, member_id: int | None, member_uri: str | None, page: ListPage, *,
    local: bool, remote: bool, only_media: bool = False,
) -> list[Post]:
    """Public (and, for members, community-only) posts, boosts and replies to
    others left out, from members here (``local``), remote actors
    (``remote``) or both; with ``only_media``, only those with media."""
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE p.visibility IN ('public', 'community') AND p.reblog_of_id IS NULL
          AND {_VISIBLE_TO} AND {_UNSILENCED} AND {_NOT_A_REPLY_TO_OTHERS}
          AND ($4::boolean OR p.author_member_id IS NULL)
          AND ($5::boolean OR p.author_remote_id IS NULL) AND {_with_media(9)}"""
        + paging.bounds("p.id", 6) + paging.order("p.id", page) + " LIMIT $3",
        member_id, member_uri, page.limit, local, remote, *paging.values(page), only_media)
    return await _with_reblogs(conn, paging.newest_first(rows, page))


async def tag_posts(
    conn: Any, member_id: int | None, member_uri: str | None, page: ListPage, *,
    any_of: Sequence[str], all_of: Sequence[str], none_of: Sequence[str],
    local: bool, remote: bool, only_media: bool = False,
) -> list[Post]:
    """Public (and, for members, community-only) posts with any of the tags
    ``any_of``, all of ``all_of`` and none of ``none_of`` (names case-folded);
    with ``only_media``, only those with media."""
    rows = await conn.fetch(
        _POST_SELECT + f"""
        WHERE p.id IN (SELECT t.post_id FROM post_tags t WHERE t.name = ANY($4::text[]))
          AND NOT EXISTS (SELECT 1 FROM unnest($5::text[]) AS n (name)
                          WHERE NOT EXISTS (SELECT 1 FROM post_tags t
                                            WHERE t.post_id = p.id AND t.name = n.name))
          AND NOT EXISTS (SELECT 1 FROM post_tags t
                          WHERE t.post_id = p.id AND t.name = ANY($6::text[]))
          AND p.visibility IN ('public', 'community') AND p.reblog_of_id IS NULL
          AND {_VISIBLE_TO} AND {_UNSILENCED}
          AND ($7::boolean OR p.author_member_id IS NULL)
          AND ($8::boolean OR p.author_remote_id IS NULL) AND {_with_media(12)}"""
        + paging.bounds("p.id", 9) + paging.order("p.id", page) + " LIMIT $3",
        member_id, member_uri, page.limit, list(any_of), list(all_of), list(none_of),
        local, remote, *paging.values(page), only_media)
    return await _with_reblogs(conn, paging.newest_first(rows, page))


async def tag_uses(conn: Any, name: str, since: date) -> list[tuple[date, int, int]]:
    """(day, posts, distinct authors) with the tag per day since ``since``
    (public and community posts of members here only: what the tag feed shows)."""
    rows = await conn.fetch(
        """SELECT (p.published_at AT TIME ZONE 'UTC')::date AS day, count(*) AS uses,
                  count(DISTINCT (p.author_member_id, p.author_remote_id)) AS accounts
           FROM post_tags t JOIN posts p ON p.id = t.post_id
           WHERE t.name = $1 AND p.visibility IN ('public', 'community')
             AND p.published_at >= $2::date
           GROUP BY 1 ORDER BY 1 DESC""", name, since)
    return [(r["day"], r["uses"], r["accounts"]) for r in rows]


async def tag_exists(conn: Any, name: str) -> bool:
    return bool(await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM post_tags WHERE name = $1)", name))


# -- conversations ------------------------------------------------------------------

# Direct posts the member ($1, URI $2) wrote or is named in, each with the
# first post of its thread (replies followed up, at most 100 steps): the
# thread's first post names the conversation.
_THREADS = f"""
    WITH RECURSIVE mine AS (
        SELECT p.id FROM posts p
        WHERE p.visibility = 'direct' AND p.reblog_of_id IS NULL
          AND (p.author_member_id = $1 OR p.recipients @> ARRAY[$2::text])
          AND {_UNSILENCED}
    ), up (post_id, id, parent, depth) AS (
        SELECT m.id, p.id, p.in_reply_to_id, 0 FROM mine m JOIN posts p ON p.id = m.id
        UNION ALL
        SELECT up.post_id, p.id, p.in_reply_to_id, up.depth + 1
        FROM up JOIN posts p ON p.id = up.parent WHERE up.depth < 100
    ), rooted AS (
        SELECT DISTINCT ON (post_id) post_id, id AS root
        FROM up ORDER BY post_id, depth DESC
    ), threads AS (
        SELECT r.root, max(r.post_id) AS last_id FROM rooted r GROUP BY r.root
    )"""


async def conversation_threads(
    conn: Any, member_id: int, member_uri: str, page: ListPage,
) -> list[tuple[int, int, bool]]:
    """(conversation id = first post's id, last post id, unread) of the
    member's conversations not removed since their last post, the newest
    last post first; paged by the last post's id, as Mastodon pages them."""
    rows = await conn.fetch(
        _THREADS + """
        SELECT t.root, t.last_id,
               (lp.author_member_id IS DISTINCT FROM $1
                AND t.last_id > coalesce(c.read_up_to, 0)) AS unread
        FROM threads t JOIN posts lp ON lp.id = t.last_id
        LEFT JOIN conversation_marks c ON c.member_id = $1 AND c.root_post_id = t.root
        WHERE t.last_id > coalesce(c.removed_up_to, 0)"""
        + paging.bounds("t.last_id", 4) + paging.order("t.last_id", page) + " LIMIT $3",
        member_id, member_uri, page.limit, *paging.values(page))
    return [(r["root"], r["last_id"], r["unread"]) for r in paging.newest_first(rows, page)]


async def thread_of_direct(
    conn: Any, member_id: int, member_uri: str, root_id: int,
) -> int | None:
    """The last post id of the member's conversation ``root_id``, or None when
    they have no such conversation."""
    last: int | None = await conn.fetchval(
        _THREADS + " SELECT last_id FROM threads WHERE root = $3",
        member_id, member_uri, root_id)
    return last


async def mark_conversation(
    conn: Any, member_id: int, root_id: int, *, read_up_to: int | None = None,
    removed_up_to: int | None = None,
) -> None:
    """Record that the member read (or removed) the conversation up to a post."""
    await conn.execute(
        """INSERT INTO conversation_marks (member_id, root_post_id, read_up_to, removed_up_to)
           VALUES ($1, $2, $3, $4)
           ON CONFLICT (member_id, root_post_id) DO UPDATE SET
               read_up_to = greatest(conversation_marks.read_up_to, EXCLUDED.read_up_to),
               removed_up_to = greatest(conversation_marks.removed_up_to,
                                        EXCLUDED.removed_up_to)""",
        member_id, root_id, read_up_to, removed_up_to)


async def parties_by_uris(
    conn: Any, uris: Sequence[str], local_prefix: str,
) -> dict[str, Party]:
    """The members (actor URI ``local_prefix`` + username) and known remote
    actors these actor URIs name, by URI."""
    if not uris:
        return {}
    rows = await conn.fetch(
        """SELECT u AS uri, m.id AS member_id, NULL::bigint AS remote_id
           FROM unnest($1::text[]) AS u
           JOIN members m ON lower(m.username) = lower(substr(u, length($2) + 1))
           WHERE left(u, length($2)) = $2 AND m.deleted_at IS NULL
           UNION ALL
           SELECT r.uri, NULL, r.id FROM remote_actors r
           WHERE r.uri = ANY($1::text[]) AND r.gone_at IS NULL""",
        list(uris), local_prefix)
    return {r["uri"]: Party(r["member_id"], r["remote_id"]) for r in rows}


async def posts_by_ids(conn: Any, post_ids: Sequence[int]) -> list[Post]:
    """These posts (those that exist), in the order given."""
    rows = await conn.fetch(_POST_SELECT + " WHERE p.id = ANY($1::bigint[])", list(post_ids))
    found = {p.id: p for p in await _with_reblogs(conn, rows)}
    return [found[i] for i in post_ids if i in found]
