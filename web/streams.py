"""The streaming hub: one per ``hearth serve`` process, started by the app's
lifespan. It keeps one connection of its own (never from the pool) that
listens for the events recovery/events.py sends when a post, boost, edit,
deletion or notification commits, in any process on the database, and fans
each out to this process's open streams (SSE or WebSocket, web/api/streaming.py).

Per event, the post is loaded and its shared parts looked up once; then for
each member with a matching stream: their token must still be valid, and
they must be allowed to see it (the visibility rule, blocks, mutes: the
same checks as the timelines, recovery/events.py) before it is serialized
for them with web/api/entities.py. A stream whose queue fills (a client
too slow to read) is closed so that it never holds up the others. Tokens
are checked again every ``check_interval`` seconds: a revoked token or a
suspended member loses its streams. The listening connection is pinged at
the same pace and made again when the database comes back after a restart.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

import asyncpg

from outbox.uris import actor_uri
from recovery import events, filters, followed_tags, lists
from recovery import posts as recovery_posts
from recovery.events import Event
from recovery.models import Member, Post, Visibility
from web import stream_rules as rules
from web.api import conversations as api_conversations
from web.api import entities, status_view
from web.api import notifications as api_notifications
from web.stream_rules import STREAMS, Channel

__all__ = ["STREAMS", "Channel", "Hub", "Message", "Stream", "StreamClosed", "TooManyStreams"]

log = logging.getLogger(__name__)

DB_ERRORS = (OSError, TimeoutError, asyncpg.PostgresError, asyncpg.InterfaceError,
             asyncpg.InternalClientError)
QUEUE_SIZE = 256  # events waiting for one client before it counts as too slow
INBOX_SIZE = 10_000  # events received and not yet fanned out, per process
CHECK_INTERVAL = 10.0
RECONNECT_MAX = 5.0
START_WAIT = 5.0
STREAMS_PER_MEMBER = 32  # open at once in one process: browsers hold a few, not hundreds
_DIRECT = Channel("direct")  # sends ``conversation`` events, not ``update``


@dataclass(frozen=True, slots=True)
class Message:
    stream: list[str]
    event: str
    payload: str | None


class StreamClosed(Exception):
    """The stream was closed by the hub: token revoked, too slow, or shutdown."""


class TooManyStreams(Exception):
    """The member has STREAMS_PER_MEMBER streams open in this process already."""


@dataclass(eq=False)
class Stream:
    """One client's connection: whose it is, what it subscribed to, and the
    events waiting to be sent to it."""

    token_id: int
    member: Member
    member_uri: str
    channels: set[Channel] = field(default_factory=set)
    notifications: bool = True  # the token may read notifications
    queue: asyncio.Queue[Message] = field(default_factory=lambda: asyncio.Queue(QUEUE_SIZE))
    closed: asyncio.Event = field(default_factory=asyncio.Event)
    reason: str = ""

    def offer(self, message: Message) -> None:
        try:
            self.queue.put_nowait(message)
        except asyncio.QueueFull:
            self.close("too slow: events were not read in time")

    def close(self, reason: str) -> None:
        if not self.closed.is_set():
            self.reason = reason
            self.closed.set()

    async def next(self, wait: float) -> Message | None:
        """The next event; None after ``wait`` seconds without one;
        StreamClosed once the hub closed the stream."""
        if self.closed.is_set():
            raise StreamClosed(self.reason)
        if not self.queue.empty():
            return self.queue.get_nowait()
        getter = asyncio.ensure_future(self.queue.get())
        closer = asyncio.ensure_future(self.closed.wait())
        try:
            done, _ = await asyncio.wait({getter, closer}, timeout=wait,
                                         return_when=asyncio.FIRST_COMPLETED)
        finally:
            for task in (getter, closer):
                if not task.done():
                    task.cancel()
        if getter in done:
            return getter.result()
        if closer in done:
            raise StreamClosed(self.reason)
        return None


class Hub:
    def __init__(self, database_url: str, base_url: str, *,
                 check_interval: float = CHECK_INTERVAL) -> None:
        self.database_url = database_url
        self.base_url = base_url
        self.check_interval = check_interval
        self.streams: set[Stream] = set()
        self.listening = asyncio.Event()  # set while the listening connection is up
        self._pool: Any = None
        self._inbox: asyncio.Queue[Event] | None = None
        self._tasks: list[asyncio.Task[None]] = []

    # -- life -------------------------------------------------------------------------

    async def start(self, pool: Any) -> None:
        self._pool = pool
        self._inbox = asyncio.Queue(INBOX_SIZE)
        self._tasks = [asyncio.create_task(self._listen_forever(), name="streams-listen"),
                       asyncio.create_task(self._dispatch_forever(), name="streams-dispatch")]
        # Serve once listening, so a stream opened at once misses nothing; the
        # database answered the pool a moment ago, so this is quick.
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self.listening.wait(), START_WAIT)

    async def stop(self) -> None:
        self.close_all("the server is stopping")
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self._tasks = []

    def close_all(self, reason: str) -> None:
        for stream in list(self.streams):
            stream.close(reason)

    def open(self, token_id: int, member: Member) -> Stream:
        if sum(1 for s in self.streams if s.member.id == member.id) >= STREAMS_PER_MEMBER:
            raise TooManyStreams(member.id)
        stream = Stream(token_id, member, actor_uri(self.base_url, member.username))
        self.streams.add(stream)
        return stream

    def close(self, stream: Stream) -> None:
        self.streams.discard(stream)
        stream.close("closed")

    # -- the listening connection -------------------------------------------------------

    async def _listen_forever(self) -> None:
        delay = 0.1
        while True:
            conn = None
            try:
                conn = await asyncpg.connect(
                    self.database_url, timeout=10,
                    server_settings={"application_name": "hearth-streaming"})
                await events.listen(conn, self._received)
                self.listening.set()
                delay = 0.1
                log.info("streaming: listening for events")
                await self._watch(conn)
            except DB_ERRORS as exc:
                log.warning("streaming: event connection lost (%s); trying again in %.1f s",
                            type(exc).__name__, delay)
            finally:
                self.listening.clear()
                if conn is not None:
                    with contextlib.suppress(*DB_ERRORS):
                        await asyncio.wait_for(conn.close(), 5)
            await asyncio.sleep(delay)
            delay = min(delay * 2, RECONNECT_MAX)

    async def _watch(self, conn: Any) -> None:
        """Until the connection fails: ping it and check tokens every
        interval; a connection the server closed is noticed at once."""
        lost = asyncio.Event()
        conn.add_termination_listener(lambda _conn: lost.set())
        while True:
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(lost.wait(), self.check_interval)
            if lost.is_set():
                raise asyncpg.ConnectionDoesNotExistError("closed by the server")
            await asyncio.wait_for(events.ping(conn), 10)
            await self._check_tokens()

    def _received(self, payload: str) -> None:
        event = events.decode(payload)
        if event is None or self._inbox is None or not self.streams:
            return
        try:
            self._inbox.put_nowait(event)
        except asyncio.QueueFull:
            log.warning("streaming: %d events waiting; dropped a %s event", INBOX_SIZE,
                        event.kind)

    async def _check_tokens(self, conn: Any = None) -> None:
        streams = list(self.streams)
        if not streams:
            return
        try:
            if conn is None:
                async with self._pool.acquire() as pooled:
                    live = await events.live_tokens(pooled, [s.token_id for s in streams])
            else:
                live = await events.live_tokens(conn, [s.token_id for s in streams])
        except DB_ERRORS as exc:
            log.warning("streaming: could not check tokens (%s)", type(exc).__name__)
            return
        for stream in streams:
            if stream.token_id not in live:
                self.streams.discard(stream)
                stream.close("the access token is no longer valid")

    # -- fan-out --------------------------------------------------------------------

    async def _dispatch_forever(self) -> None:
        assert self._inbox is not None
        while True:
            event = await self._inbox.get()
            try:
                await self.dispatch(event)
            except DB_ERRORS as exc:
                log.warning("streaming: dropped a %s event, database unavailable (%s)",
                            event.kind, type(exc).__name__)
            except Exception:
                log.exception("streaming: could not fan out a %s event", event.kind)

    async def dispatch(self, event: Event) -> None:
        """Show one event to the streams that may see it."""
        if event.kind == events.TOKENS:
            await self._check_tokens()
            return
        if event.kind == events.DELETE:
            await self._deleted(event)
            return
        streams = [s for s in self.streams if rules.wants(_names(s), s.member.id, event)]
        if not streams:
            return
        async with self._pool.acquire() as conn:
            await self._check_tokens(conn)
            streams = [s for s in streams if s in self.streams]
            if event.kind in (events.POST, events.EDIT) and event.id is not None:
                await self._post(conn, event, streams)
            elif event.kind == events.NOTIFICATION and event.id is not None:
                await self._notification(conn, event.id, streams)
            elif event.kind == events.FILTERS:
                for stream in streams:
                    _send(stream, [c for c in stream.channels if c.name == "user"],
                          "filters_changed", None)

    async def _post(self, conn: Any, event: Event, streams: list[Stream]) -> None:
        assert event.id is not None
        post = await recovery_posts.by_id(conn, event.id)
        if post is None:
            return
        name = "update" if event.kind == events.POST else "status.update"
        ctx = await entities.status_context(conn, [post], None, self.base_url)
        shown = entities.status(post, ctx)
        if shown is None:
            return
        facts = rules.Facts(post, rules.reply_to_others(post, ctx.parents),
                            bool(shown["media_attachments"]),
                            await events.tags_of(conn, post) if _any_hashtag(streams) else set())
        target = post.reblog or post
        for member, own in _by_member(streams).items():
            audience = await events.audience(conn, post, member, own[0].member_uri)
            if not audience.visible:
                continue
            in_lists = frozenset(str(i) for i in await lists.showing(
                conn, member, post, _list_ids(own)))
            caught = (await filters.matches(conn, member, [target])).get(target.id, [])
            payload = None
            conversation = await self._conversation_for(conn, post, own, facts)
            for stream in own:
                channels = [c for c in stream.channels
                            if rules.shows(c, facts, audience.home, in_lists)
                            and not filters.hidden(caught, rules.FILTER_CONTEXT.get(c.name, ""))]
                if conversation is not None:  # the direct channel shows conversations
                    _send(stream, [c for c in channels if c == _DIRECT], "conversation",
                          conversation)
                channels = [c for c in channels if c != _DIRECT]
                if not channels:
                    continue
                if payload is None:
                    payload = await self._status_for(conn, post, shown, member,
                                                     personal=bool(caught) or
                                                     event.kind != events.POST)
                _send(stream, channels, name, payload)

    async def _conversation_for(self, conn: Any, post: Post, own: list[Stream],
                                facts: rules.Facts) -> str | None:
        """For a member's streams: the Conversation entity a direct post makes
        the last of (as GET /api/v1/conversations shows it), when one of
        their streams is on the direct channel."""
        if not rules.shows(_DIRECT, facts, True) or not any(
                _DIRECT in s.channels for s in own):
            return None
        entity = await api_conversations.streamed(conn, self.base_url, own[0].member,
                                                  own[0].member_uri, post)
        return json.dumps(entity) if entity is not None else None

    async def _status_for(self, conn: Any, post: Post, shown: dict[str, Any],
                          member: Member, *, personal: bool) -> str:
        """The status as ``member`` sees it, as the REST API renders it (their
        likes, boosts, marks and filters). A new post that no filter of theirs
        catches is rendered once for everyone: nobody can have marked it yet,
        except a boost's post."""
        if not personal and not post.is_boost:
            return json.dumps(shown)
        mine = await status_view.render(conn, [post], member, self.base_url)
        return json.dumps(mine[0] if mine else shown)

    async def _notification(self, conn: Any, notification_id: int,
                            streams: list[Stream]) -> None:
        notification = await events.notification(conn, notification_id)
        if notification is None:
            return
        entity = await api_notifications.streamed(conn, notification, self.base_url)
        if entity is None:
            return
        payload = json.dumps(entity)
        for stream in streams:
            if stream.member.id == notification.member_id and stream.notifications:
                _send(stream, [c for c in stream.channels
                               if c.name in ("user", "user:notification")],
                      "notification", payload)

    async def _deleted(self, event: Event) -> None:
        """A deletion goes to the streams that may have shown the post. Its
        id is all that is sent: nothing of the post is left to check."""
        streams = [s for s in self.streams if rules.wants(_names(s), s.member.id, event)]
        if not streams or event.id is None or event.author is None:
            return
        followers: set[int] = set()
        in_lists: frozenset[str] = frozenset()
        if event.visibility is not Visibility.DIRECT:
            async with self._pool.acquire() as conn:
                owners = sorted({s.member.id for s in streams})
                followers = await events.followers_among(conn, event.author, owners)
                if event.visibility in (Visibility.PUBLIC, Visibility.COMMUNITY) \
                        and not event.boost:  # maybe home for a followed hashtag
                    followers |= await followed_tags.tag_followers_among(conn, owners)
                in_lists = frozenset(str(i) for i in await lists.with_author(
                    conn, event.author, _list_ids(streams)))
        for stream in streams:
            channels = [c for c in stream.channels if rules.deletion_shown(
                c, stream.member.id, stream.member_uri, event, followers, in_lists)]
            _send(stream, channels, "delete", str(event.id))


# -- grouping and sending ----------------------------------------------------------

def _by_member(streams: Iterable[Stream]) -> dict[Member, list[Stream]]:
    grouped: dict[int, list[Stream]] = {}
    for stream in streams:
        grouped.setdefault(stream.member.id, []).append(stream)
    return {own[0].member: own for own in grouped.values()}


def _any_hashtag(streams: Iterable[Stream]) -> bool:
    return any(c.name in rules.HASHTAG_STREAMS for s in streams for c in s.channels)


def _list_ids(streams: Iterable[Stream]) -> list[int]:
    """The lists these streams subscribed to (each checked as its owner's)."""
    return sorted({int(c.param) for s in streams for c in s.channels
                   if c.name == "list" and c.param is not None})


def _names(stream: Stream) -> set[str]:
    return {c.name for c in stream.channels}


def _send(stream: Stream, channels: list[Channel], event: str, payload: str | None) -> None:
    for channel in channels:
        stream.offer(Message(channel.names, event, payload))
