"""A member deleting their account: everything of theirs goes here, and
every server that knew them is sent a ``Delete`` of their actor, signed with
their key, which is kept (with their username and nothing else) until those
deliveries are done."""

from __future__ import annotations

from typing import Any

from outbox import activities
from outbox.publish import publish
from recovery import follows, members
from web.social import Site


async def delete_account(
    conn: Any, site: Site, member_id: int, password: str, confirm: str
) -> None:
    """Check the member's password and confirmation, queue the Delete of
    their actor to the inboxes of their remote followers, of those they
    followed and of those they interacted with (shared inboxes once), and
    remove them. Run it in a transaction: all of it happens, or none."""
    member = await members.confirm_deletion(conn, member_id, password, confirm)
    inboxes = await follows.departing_inboxes(conn, member)
    queued = 0
    if inboxes:
        queued = await publish(conn, activities.delete_actor(site.base, member), member,
                               inboxes)
    await members.remove(conn, member, keep_key=queued > 0)
