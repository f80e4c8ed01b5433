"""Streaming (docs.joinmastodon.org/methods/streaming), in process: who may
open a stream, and what the hub shows each stream when posts, edits,
deletions and revocations commit. The hub here listens on its own
connection exactly as in `hearth serve`; events are written through the
recovery services, in transactions, as the pages, the API and the inbox do.
tests/test_api_streaming_e2e.py drives real processes over HTTP."""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Any

import asyncpg
import pytest

from recovery import events, filters, notifications, oauth
from recovery import posts as recovery_posts
from recovery.filter_models import FilterChange, KeywordChange
from recovery.models import Member, Role, Status, Visibility
from tests.conftest import run, signup
from tests.helpers_api import bearer, password_token, register_app
from web import database
from web.streams import Channel, Hub, Message, Stream, StreamClosed

DEADLINE = 5.0
BASE = "http://testserver"


# -- who may open a stream ----------------------------------------------------------

def test_health_answers_ok_without_a_token(client):
    for path in ("/api/v1/streaming/health", "/api/v1/streaming/health/"):
        response = client.get(path)
        assert response.status_code == 200
        assert response.text == "OK"


def test_a_stream_without_a_token_is_refused_with_401_line_30(client):
    response = client.get("/api/v1/streaming/user")
    assert response.status_code == 401
    assert response.json()["error"]


def test_a_token_without_read_scope_is_refused_with_403_line_30(client):
    signup(client, "river")
    app = register_app(client)
    write_only = password_token(client, app, "river", scope="write")
    notifications_only = password_token(client, app, "river", scope="read:notifications")
    for path in ("/api/v1/streaming/user", "/api/v1/streaming/public/local"):
        assert client.get(path, headers=bearer(write_only)).status_code == 403
        assert client.get(path, headers=bearer(notifications_only)).status_code == 403
    query = client.get(f"/api/v1/streaming/public?access_token={write_only}")
    assert query.status_code == 403


def test_an_unknown_stream_a_hashtag_without_tag_and_a_missing_list_are_refused(client):
    signup(client, "river")
    token = password_token(client, register_app(client), "river", scope="read")
    unknown = client.get("/api/v1/streaming/everything", headers=bearer(token))
    assert unknown.status_code == 400
    assert unknown.json() == {"error": "Unknown channel requested"}
    no_tag = client.get("/api/v1/streaming/hashtag", headers=bearer(token))
    assert no_tag.status_code == 400
    assert "tag" in no_tag.json()["error"]
    no_list = client.get("/api/v1/streaming/list?list=12", headers=bearer(token))
    assert no_list.status_code == 404


def test_plain_http_to_the_websocket_address_is_not_found(client):
    # docs: "return Not Found when the same host should be used"
    assert client.get("/api/v1/streaming").status_code == 404


def test_event_payloads_are_small_and_carry_no_content():
    payload = events.encode(events.Event(events.POST, id=42))
    assert json.loads(payload) == {"k": "post", "id": 42}
    assert events.decode(payload) == events.Event(events.POST, id=42)
    assert events.decode("not json") is None
    assert events.decode('{"k": "launch", "id": 1}') is None
    assert events.decode('{"k": "post", "id": "1; DROP"}') is None


# -- what the hub shows -------------------------------------------------------------

class Community:
    """Members made through the pages, with tokens made through OAuth; and
    their Member rows for opening streams."""

    def __init__(self, client: Any, db: Any) -> None:
        self.client = client
        self.db = db
        self.app = register_app(client)
        self.tokens: dict[str, str] = {}

    def join(self, *names: str) -> None:
        for name in names:
            signup(self.client, name)
            self.tokens[name] = password_token(self.client, self.app, name, scope="read write")

    def member_id(self, name: str) -> int:
        member_id: int = self.db.fetchval("SELECT id FROM members WHERE username = $1", name)
        return member_id

    def follow(self, follower: str, followed: str) -> None:
        self.db.execute(
            """INSERT INTO follows (uri, follower_member_id, followed_member_id, state)
               VALUES ($1, $2, $3, 'accepted')""",
            f"{BASE}/follows/{follower}-{followed}", self.member_id(follower),
            self.member_id(followed))

    def block(self, blocker: str, blocked: str) -> None:
        self.db.execute(
            "INSERT INTO blocks (uri, member_id, blocked_member_id) VALUES ($1, $2, $3)",
            f"{BASE}/blocks/{blocker}-{blocked}", self.member_id(blocker),
            self.member_id(blocked))


@pytest.fixture
def community(client, db) -> Community:
    return Community(client, db)


class Live:
    """A hub listening on the test's database, and a pool to write with."""

    def __init__(self, hub: Hub, pool: Any, tokens: dict[str, str]) -> None:
        self.hub = hub
        self.pool = pool
        self.tokens = tokens

    async def member(self, name: str) -> tuple[int, Member]:
        async with self.pool.acquire() as conn:
            token = await oauth.token_for(conn, self.tokens[name])
        assert token is not None and token.member is not None
        return token.id, token.member

    async def stream(self, name: str, *channels: Channel) -> Stream:
        token_id, member = await self.member(name)
        stream = self.hub.open(token_id, member)
        stream.channels.update(channels)
        return stream

    async def write(self, name: str, text: str, visibility: Visibility = Visibility.PUBLIC,
                    **extra: Any) -> int:
        _, member = await self.member(name)
        async with self.pool.acquire() as conn, conn.transaction():
            post = await recovery_posts.write(conn, member, text, visibility, **extra)
        return post.id


@asynccontextmanager
async def live(database_url: str, tokens: dict[str, str],
               check_interval: float = 0.2) -> AsyncIterator[Live]:
    pool = await database.create_pool(database_url, max_size=4)
    hub = Hub(database_url, BASE, check_interval=check_interval)
    await hub.start(pool)
    try:
        await asyncio.wait_for(hub.listening.wait(), DEADLINE)
        yield Live(hub, pool, tokens)
    finally:
        await hub.stop()
        await pool.close()


async def next_event(stream: Stream, wait: float = DEADLINE) -> Message:
    message = await stream.next(wait)
    assert message is not None, f"no event within {wait} s"
    return message


async def no_event(stream: Stream) -> None:
    """Nothing is waiting: call after an event written later has arrived
    elsewhere (the hub handles events in commit order)."""
    assert stream.queue.empty(), stream.queue.get_nowait()


def scenario(community: Community, database_url: str,
             body: Callable[[Live], Any], check_interval: float = 0.2) -> None:
    async def main() -> None:
        async with live(database_url, community.tokens, check_interval) as hub:
            await body(hub)
    run(main())


def test_a_new_post_reaches_its_authors_user_stream_and_the_public_streams(
        community, database_url):
    community.join("river", "stone")

    async def body(live: Live) -> None:
        own = await live.stream("river", Channel("user"))
        public = await live.stream("stone", Channel("public"), Channel("public:local"),
                                   Channel("public:remote"))
        post_id = await live.write("river", "One day at a time.")
        message = await next_event(own)
        assert (message.stream, message.event) == (["user"], "update")
        status = json.loads(message.payload or "")
        assert status["id"] == str(post_id)
        assert status["content"] == "<p>One day at a time.</p>"
        assert status["account"]["username"] == "river"
        seen = [await next_event(public), await next_event(public)]
        assert sorted(m.stream[0] for m in seen) == ["public", "public:local"]
        await no_event(public)

    scenario(community, database_url, body)


def test_a_followers_only_post_never_reaches_a_non_followers_stream(community, database_url):
    community.join("river", "stone", "reed")
    community.follow("stone", "river")

    async def body(live: Live) -> None:
        follower = await live.stream("stone", Channel("user"))
        outsider = await live.stream("reed", Channel("user"), Channel("public"),
                                     Channel("public:local"), Channel("direct"))
        private_id = await live.write("river", "Only for my people.", Visibility.FOLLOWERS)
        message = await next_event(follower)
        assert (message.stream, json.loads(message.payload or "")["id"]) == (
            ["user"], str(private_id))
        assert json.loads(message.payload or "")["visibility"] == "private"
        public_id = await live.write("river", "For everyone.")
        arrived = [await next_event(outsider), await next_event(outsider)]  # only the later
        assert {json.loads(m.payload or "")["id"] for m in arrived} == {str(public_id)}
        assert sorted(m.stream[0] for m in arrived) == ["public", "public:local"]
        await no_event(outsider)

    scenario(community, database_url, body)


def test_a_direct_post_reaches_only_the_members_it_names(community, database_url):
    community.join("river", "stone", "reed")

    async def body(live: Live) -> None:
        named = await live.stream("stone", Channel("user"), Channel("direct"))
        other = await live.stream("reed", Channel("user"), Channel("direct"),
                                  Channel("public"))
        await live.write("river", "Just between us.", Visibility.DIRECT,
                         recipients=[f"{BASE}/users/stone"])
        first, second = await next_event(named), await next_event(named)
        assert sorted(m.stream[0] for m in (first, second)) == ["direct", "user"]
        later = await live.write("river", "Hello all.")
        assert json.loads((await next_event(other)).payload or "")["id"] == str(later)
        await no_event(other)

    scenario(community, database_url, body)


def test_posts_of_a_blocked_account_do_not_reach_the_blockers_streams(community, database_url):
    community.join("river", "stone", "reed")
    community.block("stone", "river")

    async def body(live: Live) -> None:
        blocker = await live.stream("stone", Channel("public"))
        await live.write("river", "Hello from river.")
        later = await live.write("reed", "Hello from reed.")
        assert json.loads((await next_event(blocker)).payload or "")["id"] == str(later)
        await no_event(blocker)

    scenario(community, database_url, body)


def test_edits_and_deletions_reach_the_streams_that_showed_the_post(community, database_url):
    community.join("river", "stone")
    community.follow("stone", "river")

    async def body(live: Live) -> None:
        stream = await live.stream("stone", Channel("user"), Channel("hashtag", "sober"))
        post_id = await live.write("river", "Day 30 #sober")
        seen = {(await next_event(stream)).stream[0], (await next_event(stream)).stream[0]}
        assert seen == {"user", "hashtag"}
        _, river = await live.member("river")
        async with live.pool.acquire() as conn, conn.transaction():
            await recovery_posts.edit(conn, river, post_id, "Day 31 #sober", "")
        edited = await next_event(stream)
        while edited.stream != ["user"]:  # the hashtag stream's edit may come first
            assert edited.event == "status.update"
            edited = await next_event(stream)
        assert edited.event == "status.update"
        assert "Day 31" in json.loads(edited.payload or "")["content"]
        async with live.pool.acquire() as conn, conn.transaction():
            await recovery_posts.delete(conn, river, post_id)
        deletions: set[tuple[str | None, str]] = set()
        while len(deletions) < 2:  # (a hashtag stream's status.update may come first)
            message = await next_event(stream)
            if message.event == "delete":
                deletions.add((message.payload, message.stream[0]))
        assert deletions == {(str(post_id), "user"), (str(post_id), "hashtag")}

    scenario(community, database_url, body)


def test_nothing_is_sent_for_a_post_whose_transaction_rolls_back(community, database_url):
    community.join("river")

    async def body(live: Live) -> None:
        stream = await live.stream("river", Channel("user"))
        _, river = await live.member("river")
        async with live.pool.acquire() as conn:
            transaction = conn.transaction()
            await transaction.start()
            await recovery_posts.write(conn, river, "Never mind.", Visibility.PUBLIC)
            await transaction.rollback()
        kept = await live.write("river", "This one stays.")
        assert json.loads((await next_event(stream)).payload or "")["id"] == str(kept)
        await no_event(stream)

    scenario(community, database_url, body)


def test_a_revoked_tokens_stream_is_closed_line_30(community, database_url):
    community.join("river")

    async def body(live: Live) -> None:
        stream = await live.stream("river", Channel("user"))
        response = await asyncio.to_thread(community.client.post, "/oauth/revoke", data={
            "client_id": community.app["client_id"],
            "client_secret": community.app["client_secret"],
            "token": community.tokens["river"]})
        assert response.status_code == 200
        with pytest.raises(StreamClosed, match="no longer valid"):
            await stream.next(DEADLINE)
        assert stream not in live.hub.streams

    scenario(community, database_url, body)


def test_a_removed_members_stream_is_closed_line_30(community, database_url, db):
    community.join("river")

    async def body(live: Live) -> None:
        stream = await live.stream("river", Channel("public"))
        await asyncio.to_thread(db.execute,
                                "UPDATE members SET status = 'suspended' WHERE username = $1",
                                "river")
        with pytest.raises(StreamClosed, match="no longer valid"):
            await stream.next(DEADLINE)  # found by the periodic check

    scenario(community, database_url, body)


def test_a_slow_stream_is_dropped_and_the_others_keep_receiving(community, database_url):
    community.join("river", "stone")

    async def body(live: Live) -> None:
        slow = await live.stream("stone", Channel("public"))
        while not slow.queue.full():
            slow.queue.put_nowait(Message(["public"], "update", "{}"))
        quick = await live.stream("river", Channel("user"))
        post_id = await live.write("river", "Still here.")
        assert json.loads((await next_event(quick)).payload or "")["id"] == str(post_id)
        await asyncio.wait_for(slow.closed.wait(), DEADLINE)
        assert "too slow" in slow.reason

    scenario(community, database_url, body)


def test_the_listening_connection_comes_back_after_the_database_drops_it(
        community, database_url):
    community.join("river")

    async def body(live: Live) -> None:
        stream = await live.stream("river", Channel("user"))
        admin = await asyncpg.connect(database_url)
        try:
            killed = await admin.fetchval(
                """SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity
                   WHERE datname = current_database()
                     AND application_name = 'hearth-streaming'""")
        finally:
            await admin.close()
        assert killed >= 1
        deadline = time.monotonic() + DEADLINE
        while live.hub.listening.is_set() and time.monotonic() < deadline:  # noqa: ASYNC110
            await asyncio.sleep(0.02)
        await asyncio.wait_for(live.hub.listening.wait(), DEADLINE)
        post_id = await live.write("river", "Back again.")
        assert json.loads((await next_event(stream)).payload or "")["id"] == str(post_id)

    scenario(community, database_url, body, check_interval=60)  # noticed without a ping


def test_a_filter_change_tells_the_members_user_streams(community, database_url):
    community.join("river", "stone")

    async def body(live: Live) -> None:
        own = await live.stream("river", Channel("user"), Channel("public"))
        other = await live.stream("stone", Channel("user"))
        _, river = await live.member("river")
        async with live.pool.acquire() as conn:
            await events.filters_changed(conn, river.id)
        message = await next_event(own)
        assert (message.stream, message.event, message.payload) == (
            ["user"], "filters_changed", None)
        later = await live.write("stone", "Evening review done.")
        assert json.loads((await next_event(other)).payload or "")["id"] == str(later)
        await no_event(other)

    scenario(community, database_url, body)


def test_sse_sends_heartbeats_and_leaves_the_hub_when_the_client_goes(monkeypatch):
    from web.api import streaming

    monkeypatch.setattr(streaming, "HEARTBEAT", 0.01)

    async def main() -> None:
        hub = Hub("postgresql://unused", BASE)
        member = Member(1, "river", "", "", Role.MEMBER, Status.ACTIVE, datetime.now(UTC))
        stream = hub.open(1, member)
        stream.channels.add(Channel("user"))
        sent = streaming._events(hub, stream)
        assert await anext(sent) == ":)\n\n"
        assert await anext(sent) == ":thump\n\n"
        stream.offer(Message(["user"], "filters_changed", None))
        assert await anext(sent) == "event: filters_changed\ndata: undefined\n\n"
        stream.offer(Message(["user"], "delete", "42"))
        assert await anext(sent) == "event: delete\ndata: 42\n\n"
        assert stream in hub.streams
        await sent.aclose()  # what the response does when the client disconnects
        assert stream not in hub.streams

    run(main())


def test_one_member_cannot_hold_unbounded_streams():
    from web.streams import STREAMS_PER_MEMBER, TooManyStreams

    hub = Hub("postgresql://unused", BASE)
    river = Member(1, "river", "", "", Role.MEMBER, Status.ACTIVE, datetime.now(UTC))
    stone = Member(2, "stone", "", "", Role.MEMBER, Status.ACTIVE, datetime.now(UTC))
    opened = [hub.open(1, river) for _ in range(STREAMS_PER_MEMBER)]
    with pytest.raises(TooManyStreams):
        hub.open(1, river)
    hub.open(2, stone)  # others are not affected
    hub.close(opened[0])
    hub.open(1, river)  # a closed one frees its place


def test_a_notification_reaches_its_members_user_and_notification_streams_only(
        community, database_url):
    community.join("river", "stone")

    async def body(live: Live) -> None:
        river_streams = await live.stream("river", Channel("user"),
                                          Channel("user:notification"), Channel("public"))
        stone_stream = await live.stream("stone", Channel("user:notification"),
                                         Channel("public"))
        _, river = await live.member("river")
        _, stone = await live.member("stone")
        async with live.pool.acquire() as conn, conn.transaction():
            await notifications.notify(conn, river.id, "follow", from_member_id=stone.id)
        first, second = await next_event(river_streams), await next_event(river_streams)
        assert sorted(m.stream[0] for m in (first, second)) == ["user", "user:notification"]
        entity = json.loads(first.payload or "")
        assert first.event == "notification"
        assert entity["type"] == "follow"
        assert entity["account"]["username"] == "stone"
        later = await live.write("river", "Welcome!")
        assert json.loads((await next_event(stone_stream)).payload or "")["id"] == str(later)
        await no_event(stone_stream)  # never river's notification

    scenario(community, database_url, body)


def test_a_post_a_hide_filter_catches_does_not_reach_the_filters_owner(community, database_url):
    community.join("river", "stone")

    async def body(live: Live) -> None:
        _, stone = await live.member("stone")
        async with live.pool.acquire() as conn, conn.transaction():
            await filters.create(conn, stone, FilterChange(
                title="Drinks", context=("public",), action="hide",
                keywords=(KeywordChange(None, "beer", None),)), datetime.now(UTC))
        filtering = await live.stream("stone", Channel("public"))
        other = await live.stream("river", Channel("public"))
        caught = await live.write("river", "No beer for me tonight.")
        assert json.loads((await next_event(other)).payload or "")["id"] == str(caught)
        later = await live.write("river", "Tea instead.")
        assert json.loads((await next_event(filtering)).payload or "")["id"] == str(later)
        await no_event(filtering)

    scenario(community, database_url, body)
