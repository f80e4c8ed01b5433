"""Reports: a member reports an account (and some of its posts) to this
community's moderators, who see them beside the reports other servers send
(Flags). A report of a remote account may be forwarded to its server, as a
Flag from the instance actor (never naming the member); the caller sends it."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from recovery import posts as recovery_posts
from recovery.errors import InvalidInput, NotFound
from recovery.models import Member, Post
from recovery.report_models import NewReport, Report, ReportView
from recovery.store import reports as store

CATEGORIES = ("spam", "legal", "violation", "other")
COMMENT_MAX = 1000
POSTS_MAX = 20
LIST_MAX = 100


def checked(target_is_member: bool, member: Member, new: NewReport, rule_count: int) -> NewReport:
    """The report with its category settled, or InvalidInput saying why not."""
    if new.target.member_id == member.id:
        raise InvalidInput("account_id", "You cannot report yourself.")
    if len(new.comment) > COMMENT_MAX:
        raise InvalidInput("comment", f"comment is longer than {COMMENT_MAX} characters")
    if len(new.post_ids) > POSTS_MAX:
        raise InvalidInput("status_ids", f"at most {POSTS_MAX} posts a report")
    category = new.category or ("violation" if new.rule_ids else "other")
    if category not in CATEGORIES:
        raise InvalidInput("category", "category must be one of " + ", ".join(CATEGORIES))
    if any(not 1 <= r <= rule_count for r in new.rule_ids):
        raise InvalidInput("rule_ids", "rule_ids must name this community's rules")
    if category == "violation" and not new.rule_ids:
        raise InvalidInput("rule_ids", "a violation report names the rules broken")
    return NewReport(new.target, tuple(dict.fromkeys(new.post_ids)), new.comment.strip(),
                     category, new.rule_ids if category == "violation" else (),
                     new.forward and not target_is_member)


async def reported_posts(conn: Any, member: Member, member_uri: str,
                         new: NewReport) -> list[Post]:
    """The posts named: each by the reported account and one the member may
    see; NotFound otherwise, as for a post that does not exist."""
    found = []
    for post_id in new.post_ids:
        post = await recovery_posts.visible(conn, member, member_uri, post_id)
        author = post.author
        if (author.member_id, author.remote_id) != (new.target.member_id,
                                                   new.target.remote_id):
            raise NotFound("Record not found")
        found.append(post)
    return found


async def file(conn: Any, member: Member, uri: str, new: NewReport,
               posts: Sequence[Post]) -> Report:
    """Store the member's report (``new`` already checked); ``uri`` is the
    id of the Flag when it is forwarded. Run in a transaction."""
    object_uris = [p.uri for p in posts if p.uri]
    return await store.insert_member_report(conn, uri, member.id, new, object_uris,
                                            new.forward)


async def open_reports(conn: Any) -> list[ReportView]:
    return await store.open_reports(conn, LIST_MAX)
