"""Voting, as the web pages and the client API share it, and the end of
polls. A member's vote on a poll they can see is counted here and, for a
remote poll, sent to the poll's author as Mastodon sends votes, in the same
transaction. A local poll whose counts changed is sent again as an Update
of its Question, at most every UPDATE_DELAY (as Mastodon debounces it), and
once more when it ends."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime, timedelta
from typing import Any

from outbox import polls as outgoing
from outbox import uris
from outbox.publish import publish
from recovery import members, peers, polls, posts
from recovery.errors import NotFound
from recovery.models import Member, Post
from recovery.poll_models import Poll
from web import posting
from web.social import Site, visible_post

UPDATE_DELAY = timedelta(minutes=3)
BATCH = 50


async def vote(conn: Any, site: Site, member: Member, post_id: int,
               choices: Sequence[int]) -> tuple[Post, Poll]:
    """The member's vote on the poll of a post they may see: (the post, the
    poll after). NotFound when they cannot see it or it has no poll;
    InvalidInput with Mastodon's reason when the vote is refused;
    PermissionDenied across a block. Run it in a transaction."""
    post = await visible_post(conn, site, member, post_id)
    poll = await polls.vote(conn, member, post, choices)
    if poll.remote and post.author.uri is not None:
        author = await peers.by_uri(conn, post.author.uri)
        inbox = [author.inbox or author.shared_inbox] if author else []
        for choice in sorted(set(choices)):
            await publish(conn, outgoing.vote(site.base, member, post, poll.options[choice],
                                              uris.new_activity_uri(site.base)), member, inbox)
    return post, poll


async def finish_due(pool: Any, site: Site) -> int:
    """End the polls whose time is up (their author and local voters are
    told, and a local poll's final counts are sent), then send the Updates
    of local polls whose counts changed UPDATE_DELAY ago or more. How many
    polls were handled; each batch is one transaction."""
    handled = 0
    while True:
        async with pool.acquire() as conn, conn.transaction():
            ended = await polls.end_due(conn, BATCH)
            changed = await polls.changed_before(conn, datetime.now(UTC) - UPDATE_DELAY, BATCH)
            for post_id in dict.fromkeys([*ended, *changed]):
                await _send_update(conn, site, post_id)
        if not ended and not changed:
            return handled
        handled += len(set(ended) | set(changed))


async def _send_update(conn: Any, site: Site, post_id: int) -> None:
    post = await posts.by_id(conn, post_id)
    if post is None or post.author.member_id is None:
        return
    try:
        author = await members.get_profile(conn, post.author.username)
    except NotFound:
        return
    await posting.send_poll_update(conn, site, author, post)
