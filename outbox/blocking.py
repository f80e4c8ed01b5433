"""The Block a member sends a remote actor, as Mastodon sends it: the object
is the blocked actor's id; unblocking sends an Undo of the same Block."""

from __future__ import annotations

from typing import Any

from federation import vocab
from outbox import activities, uris
from recovery.models import Member, RemoteActor


def block(base: str, member: Member, remote: RemoteActor, block_uri: str) -> dict[str, Any]:
    return {"@context": vocab.CONTEXT, "id": block_uri, "type": "Block",
            "actor": uris.actor_uri(base, member.username), "object": remote.uri,
            "to": [remote.uri]}


def undo_block(base: str, member: Member, remote: RemoteActor, block_uri: str,
               ) -> dict[str, Any]:
    return activities.undo(base, member, block(base, member, remote, block_uri), [remote.uri])
