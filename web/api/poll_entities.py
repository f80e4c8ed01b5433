"""The Poll entity (docs.joinmastodon.org/entities/Poll). Its id is its
post's id: a post has at most one poll. Counts per option are null while
``hide_totals`` hides them (until the poll ends; never from its author);
``voted`` and ``own_votes`` are there only for a caller with a token."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from recovery import polls
from recovery.models import Member, Post
from recovery.poll_models import Poll


def _iso(moment: datetime | None) -> str | None:
    if moment is None:
        return None
    return moment.astimezone(UTC).isoformat(timespec="milliseconds")[:-6] + "Z"


def poll_entity(poll: Poll, post: Post, viewer: Member | None) -> dict[str, Any]:
    shown = polls.shows_totals(poll, post, viewer)
    entity: dict[str, Any] = {
        "id": str(post.id),
        "expires_at": _iso(poll.expires_at),
        "expired": poll.expired(),
        "multiple": poll.multiple,
        "votes_count": poll.votes,
        "voters_count": poll.voters,
        "options": [{"title": title, "votes_count": count if shown else None}
                    for title, count in zip(poll.options, poll.counts, strict=True)],
        "emojis": [],
    }
    if viewer is not None:
        entity["voted"] = polls.voted(poll, post, viewer)
        entity["own_votes"] = list(poll.own_votes)
    return entity


async def of_posts(conn: Any, shown: Sequence[Post],
                   viewer: Member | None) -> dict[int, dict[str, Any]]:
    """Poll entities by post id for a page of posts: one query."""
    found = await polls.of_posts(conn, [p.id for p in shown], viewer)
    by_id = {p.id: p for p in shown}
    return {post_id: poll_entity(poll, by_id[post_id], viewer)
            for post_id, poll in found.items()}
