"""Polls arriving: a remote ``Question`` is a post whose poll is stored
beside it, and refreshed by each ``Update`` of it (an Update that changes
only the counts is no edit); a vote is a ``Note`` named after an option, in
reply to the Question, with no content, as Mastodon sends it. A vote on a
poll here is counted, from an actor the poll's post is shared with, and is
never stored as a reply; one on a poll elsewhere is not ours to count."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from federation.objects import Post as Note
from federation.sanitize import html_to_text, sanitize_html
from recovery import polls, posts
from recovery.models import Post, RemoteActor
from recovery.poll_models import RemoteQuestion


def is_vote(note: Note) -> bool:
    return (note.type == "Note" and bool(note.name) and note.in_reply_to is not None
            and not (note.content_html or "").strip() and not note.options)


async def counted(conn: Any, voter: RemoteActor, note: Note, poll_post: Post | None,
                  shared: bool) -> str:
    """A vote; ``poll_post`` the local post it answers (None: not one of
    ours), ``shared`` whether that post is shared with the voter."""
    if poll_post is None:
        return "ignored: a vote on a poll that is not here"
    if not shared:
        return "ignored: a vote on a post not shared with them (RELIABILITY 27)"
    assert note.name is not None
    if await polls.voted_remotely(conn, voter, poll_post, note.name, note.id):
        return "vote counted"
    return "ignored: vote refused (ended, no such option, or voted already)"


def question_of(note: Note) -> RemoteQuestion | None:
    if note.type != "Question" or not note.options:
        return None
    closed = note.end_time is not None and note.end_time <= datetime.now(UTC)
    return RemoteQuestion(
        options=tuple(o.name for o in note.options),
        counts=tuple(o.votes or 0 for o in note.options),
        multiple=note.multiple_choice, expires_at=note.end_time,
        voters=note.voters_count, closed=closed)


async def stored(conn: Any, post: Post, note: Note) -> None:
    """The poll of a remote post just stored (or updated), when it has one."""
    question = question_of(note)
    if question is not None:
        await polls.received(conn, post.id, question)


def counts_only(post: Post, note: Note) -> bool:
    """Whether an Update of a Question changes nothing but its poll: then it
    refreshes the counts and is not an edit (no history, nobody told)."""
    if note.type != "Question":
        return False
    summary = html_to_text(note.summary or "")[:posts.SUMMARY_MAX]
    return (post.content_html == sanitize_html(note.content_html or "")
            and post.summary == summary)
