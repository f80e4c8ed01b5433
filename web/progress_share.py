"""Sharing a milestone with one click: a post of the member's ("90 days
today", then a line of their own) carrying ``hearth:milestone``, and its
Create queued for their followers, in one transaction. Only the milestone's
name and length in days travel; the date of the last drink never does."""

from __future__ import annotations

from typing import Any

from outbox import activities, uris
from outbox.publish import publish
from recovery import follows, posts, progress
from recovery.errors import InvalidInput
from recovery.models import Member, Post, PostMilestone, Visibility
from web.social import Site

SHAREABLE = {"followers": Visibility.FOLLOWERS, "public": Visibility.PUBLIC}


async def share(
    conn: Any, site: Site, member: Member, attempt_id: int, key: str, visibility_value: str,
    line: str,
) -> Post:
    """Post the member's milestone (followers only unless they choose
    public) and send it to their accepted followers elsewhere."""
    visibility = SHAREABLE.get(visibility_value)
    if visibility is None:
        raise InvalidInput("visibility", "Share with your followers, or with everyone.")
    async with conn.transaction():
        reached = await progress.shareable(conn, member, attempt_id, key)
        text = progress.share_text(reached, line)
        post = await posts.write(conn, member, text, visibility,
                                 milestone=PostMilestone(reached.days, reached.name),
                                 tag_base=uris.tags_base(site.base))
        tags = await posts.tags_of(conn, [post.id])
        activity = activities.create(site.base, member, post, [],
                                     hashtags=tags.get(post.id, []))
        await publish(conn, activity, member, await follows.remote_follower_inboxes(conn, member))
        await progress.mark_shared(conn, reached, post.id)
    return post
