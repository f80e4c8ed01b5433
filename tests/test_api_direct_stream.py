"""The ``direct`` stream sends ``conversation`` events, each the Conversation
entity GET /api/v1/conversations shows (docs.joinmastodon.org/methods/streaming/#events);
and a new post of an account followed with ``notify`` reaches the follower's
notification stream. Posts are written through the client API; the hub
listens on its own connection as in ``hearth serve`` (tests/test_api_streaming.py)."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from tests.helpers_api import bearer
from tests.test_api_streaming import Community, Live, next_event, no_event, scenario
from web.streams import Channel


@pytest.fixture
def community(client, db) -> Community:
    return Community(client, db)


async def _call(community: Community, name: str, method: str, path: str,
                **data: str) -> Any:
    """The client API as ``name``, off the event loop (the hub runs on it)."""
    send = getattr(community.client, method)
    kwargs: dict[str, Any] = {"headers": bearer(community.tokens[name])}
    if data:
        kwargs["data"] = data
    response = await asyncio.to_thread(send, path, **kwargs)
    assert response.status_code == 200, response.text
    return response.json()


def _conversation(message: Any) -> dict[str, Any]:
    assert (message.stream, message.event) == (["direct"], "conversation")
    entity: dict[str, Any] = json.loads(message.payload or "")
    return entity


def test_a_direct_post_reaches_the_direct_stream_as_a_conversation(community, database_url):
    community.join("river", "stone", "reed")

    async def body(live: Live) -> None:
        named = await live.stream("stone", Channel("direct"))
        author = await live.stream("river", Channel("direct"))
        other = await live.stream("reed", Channel("direct"), Channel("public:local"))
        sent = await _call(community, "river", "post", "/api/v1/statuses",
                           status="@stone how was the meeting?", visibility="direct")
        theirs = _conversation(await next_event(named))
        listed = await _call(community, "stone", "get", "/api/v1/conversations")
        assert theirs == listed[0]
        assert theirs["unread"] is True and theirs["last_status"]["id"] == sent["id"]
        assert [a["username"] for a in theirs["accounts"]] == ["river"]
        mine = _conversation(await next_event(author))
        assert (mine["id"], mine["unread"]) == (theirs["id"], False)
        assert [a["username"] for a in mine["accounts"]] == ["stone"]

        answer = await _call(community, "stone", "post", "/api/v1/statuses",
                             status="@river it helped.", visibility="direct",
                             in_reply_to_id=sent["id"])
        again = _conversation(await next_event(author))
        assert again["id"] == theirs["id"] and again["last_status"]["id"] == answer["id"]
        assert again["unread"] is True
        assert (await _call(community, "river", "get", "/api/v1/conversations"))[0] == again
        own_reply = _conversation(await next_event(named))  # the author's streams show it too
        assert (own_reply["id"], own_reply["unread"]) == (theirs["id"], False)

        later = await _call(community, "river", "post", "/api/v1/statuses",
                            status="Hello all.", visibility="public")
        update = await next_event(other)  # after the direct posts, in commit order
        assert (update.stream, update.event) == (["public:local"], "update")
        assert json.loads(update.payload or "")["id"] == later["id"]
        await no_event(other)
        await no_event(named)

    scenario(community, database_url, body)


def test_a_post_of_an_account_followed_with_notify_streams_a_status_notification(
        community, database_url):
    community.join("river", "stone")
    community.follow("stone", "river")
    river_id = str(2 * community.member_id("river"))
    response = community.client.post(f"/api/v1/accounts/{river_id}/follow", data={
        "notify": "true"}, headers=bearer(community.tokens["stone"]))
    assert response.status_code == 200 and response.json()["notifying"] is True

    async def body(live: Live) -> None:
        stream = await live.stream("stone", Channel("user:notification"))
        sent = await _call(community, "river", "post", "/api/v1/statuses",
                           status="Ninety days today.", visibility="unlisted")
        message = await next_event(stream)
        assert (message.stream, message.event) == (["user:notification"], "notification")
        notification = json.loads(message.payload or "")
        assert notification["type"] == "status"
        assert notification["account"]["username"] == "river"
        assert notification["status"]["id"] == sent["id"]

    scenario(community, database_url, body)
