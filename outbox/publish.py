"""Queue an activity for delivery in the caller's transaction: the change
and the deliveries it causes commit together, or neither does."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from federation.addresses import authority
from federation.errors import InvalidDocument
from outbox import store
from recovery.models import Member


async def publish(
    conn: Any, activity: dict[str, Any], signer: Member | None, inboxes: Iterable[str | None]
) -> int:
    """Queue ``activity`` for each distinct inbox; ``signer`` None means the
    instance actor. Inboxes that are not http(s) URLs are skipped."""
    targets: dict[str, str] = {}
    for inbox in inboxes:
        if not inbox or inbox in targets:
            continue
        try:
            targets[inbox] = authority(inbox)
        except InvalidDocument:
            continue
    return await store.queue_deliveries(
        conn, activity["id"], activity, signer.id if signer else None, targets.items()
    )
