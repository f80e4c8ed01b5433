"""Polls as Mastodon federates them: a post with a poll is a ``Question``
(``oneOf`` for one choice, ``anyOf`` for several; each option a ``Note``
whose ``replies.totalItems`` is its count; ``endTime``, ``closed`` once it
ended, ``votersCount``), and a vote is a ``Create`` of a ``Note`` named
after the option, in reply to the Question, addressed to its author alone
and without content."""

from __future__ import annotations

from typing import Any

from federation import vocab
from federation.convert import format_datetime
from outbox import uris
from recovery.models import Member, Post
from recovery.poll_models import Poll


def question(note: dict[str, Any], poll: Poll) -> dict[str, Any]:
    """The post's Note (outbox.activities.note) as its Question."""
    choices = [{"type": "Note", "name": title,
                "replies": {"type": "Collection", "totalItems": count}}
               for title, count in zip(poll.options, poll.counts, strict=True)]
    shaped = {**note, "type": "Question", "anyOf" if poll.multiple else "oneOf": choices,
              "votersCount": poll.voters}
    if poll.expires_at is not None:
        shaped["endTime"] = format_datetime(poll.expires_at)
    if poll.expired():
        shaped["closed"] = format_datetime(poll.ended_at or poll.expires_at)
    return shaped


def with_question(document: dict[str, Any], poll: Poll | None) -> dict[str, Any]:
    """A post's Note, or the Create or Update carrying it, with the Note made
    the Question when the post has a poll; unchanged otherwise."""
    if poll is None:
        return document
    if document.get("type") == "Note":
        return question(document, poll)
    if isinstance(document.get("object"), dict) and document["object"].get("type") == "Note":
        return {**document, "object": question(document["object"], poll)}
    return document


def vote(base: str, member: Member, post: Post, option: str, vote_uri: str) -> dict[str, Any]:
    """A member's vote for ``option`` of a remote post's poll."""
    assert post.uri is not None and post.author.uri is not None
    me = uris.actor_uri(base, member.username)
    note = {"id": vote_uri, "type": "Note", "name": option, "attributedTo": me,
            "inReplyTo": post.uri, "to": [post.author.uri]}
    return {"@context": vocab.CONTEXT, "id": f"{vote_uri}/activity", "type": "Create",
            "actor": me, "object": note, "to": [post.author.uri]}
