"""Helpers for tests between real instances: members who sign up, look each
other up, follow, post, reply, react, edit and delete through the pages of
their own instance over real HTTP, as a browser would; waiting on a condition
with a deadline (never a fixed sleep); and what each instance's database says.
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar
from urllib.parse import urlsplit

import asyncpg
import httpx2
import pytest

from outbox import uris
from tests.conftest import Instance, csrf_from, signup_over_http

T = TypeVar("T")

POLL = 0.05  # seconds between two looks at a database or a page
DEADLINE = 30.0  # a worker polls its queue each second: hops take about one


def wait_until(condition: Callable[[], T], what: str, deadline: float = DEADLINE) -> T:
    """The first truthy answer of ``condition()``, asked every POLL seconds;
    the test fails with ``what`` if there is none within ``deadline``."""
    end = time.monotonic() + deadline
    while True:
        answer = condition()
        if answer:
            return answer
        if time.monotonic() > end:
            pytest.fail(f"{what}: not within {deadline:g} s")
        time.sleep(POLL)


def host_of(instance: Instance) -> str:
    """The instance's host and port, as handles spell it."""
    return urlsplit(instance.url).netloc


def sent_to(deliveries: list[dict[str, Any]]) -> list[str]:
    """The host and port of each delivery's inbox. (Not ``deliveries.host``:
    that has no port, so every instance on 127.0.0.1 shares one.)"""
    return [urlsplit(d["inbox"]).netloc for d in deliveries]


@dataclass
class Member:
    """A member of ``instance`` with a browser (cookies and all) of their own."""

    instance: Instance
    username: str
    http: httpx2.Client

    @property
    def actor(self) -> str:
        return uris.actor_uri(self.instance.url, self.username)

    @property
    def handle(self) -> str:
        return f"@{self.username}@{host_of(self.instance)}"

    def post_uri(self, post_id: int) -> str:
        return uris.post_uri(self.instance.url, self.username, post_id)

    def submit(self, page: str, action: str, **data: str) -> httpx2.Response:
        """Open ``page`` for its form token, then POST ``data`` to ``action``."""
        token = csrf_from(self.http.get(page).text)
        return self.http.post(action, data={"csrf_token": token, **data})

    def press(self, action: str, page: str = "/home") -> httpx2.Response:
        """One of the small buttons (like, boost, delete...), from ``page``."""
        response = self.submit(page, action, next=page)
        assert response.status_code == 303, response.text
        return response

    def write(self, text: str, visibility: str = "public", summary: str = "") -> int:
        """Post from the home page; the new post's id."""
        response = self.submit("/home", "/posts", text=text, visibility=visibility,
                               summary=summary)
        assert response.status_code == 303, response.text
        return self.own_post(text)

    def reply(self, post_id: int, text: str, visibility: str = "public") -> int:
        """Reply from the post's page here; the reply's id."""
        page = page_of(self.instance, post_id)
        response = self.submit(page, f"/posts/{post_id}/reply", text=text,
                               visibility=visibility, summary="")
        assert response.status_code == 303, response.text
        return self.own_post(text)

    def edit(self, post_id: int, text: str, summary: str = "") -> httpx2.Response:
        form = f"/posts/{post_id}/edit"
        response = self.submit(form, form, text=text, summary=summary)
        assert response.status_code == 303, response.text
        return response

    def find(self, other: Member) -> str:
        """Look ``other`` up with Search (WebFinger across instances); the card."""
        card = self.http.get("/search", params={"q": other.handle})
        assert card.status_code == 200 and f'value="{other.actor}"' in card.text, card.text
        return card.text

    def follow(self, other: Member) -> None:
        self.find(other)
        response = self.submit("/search", "/follow", target=other.actor)
        assert response.status_code == 303, response.text

    def unfollow(self, other: Member) -> None:
        response = self.submit("/search", "/unfollow", target=other.actor)
        assert response.status_code == 303, response.text

    def own_post(self, text: str) -> int:
        found: int | None = self.instance.db.fetchval(
            """SELECT p.id FROM posts p JOIN members m ON m.id = p.author_member_id
               WHERE m.username = $1 AND p.content_html LIKE $2 ORDER BY p.id DESC LIMIT 1""",
            self.username, f"%{text}%")
        assert found is not None, f"{self.username} has no post {text!r}"
        return found


class People:
    """Members of several instances; their browsers are closed by ``close()``."""

    def __init__(self) -> None:
        self._clients: list[httpx2.Client] = []

    def join(self, instance: Instance, username: str, *, approves_followers: bool = False,
             ) -> Member:
        """Sign up through the pages (logged in after); by default the new
        member lets followers in without asking, so follows are accepted at once."""
        http = instance.client()
        self._clients.append(http)
        assert signup_over_http(http, username).status_code == 201
        member = Member(instance, username, http)
        if not approves_followers:  # the profile form without its checkbox
            response = member.submit("/settings", "/settings/profile",
                                     display_name=username.replace("_", " ").title(), bio="")
            assert response.status_code == 303, response.text
        return member

    def close(self) -> None:
        for http in self._clients:
            http.close()


# -- what an instance's database says -------------------------------------------------


def page_of(instance: Instance, post_id: int) -> str:
    """The address of a post's page on ``instance``, as its links write it."""
    row = instance.db.fetch(
        """SELECT coalesce(m.username, r.preferred_username) AS name, r.host
           FROM posts p LEFT JOIN members m ON m.id = p.author_member_id
                        LEFT JOIN remote_actors r ON r.id = p.author_remote_id
           WHERE p.id = $1""", post_id)
    assert row, f"no post {post_id} on {instance.name}"
    name, host = row[0]["name"], row[0]["host"]
    return f"/@{name}@{host}/{post_id}" if host else f"/@{name}/{post_id}"


def received(instance: Instance, uri: str) -> int | None:
    """The id ``instance`` stored the remote post ``uri`` under, if it has it."""
    found: int | None = instance.db.fetchval("SELECT id FROM posts WHERE uri = $1", uri)
    return found


def arrives(instance: Instance, uri: str, what: str) -> int:
    """Wait for ``instance`` to store the remote post ``uri``; its id there."""
    found = wait_until(lambda: received(instance, uri), what)
    assert found is not None
    return found


def follow_state(follower: Member, followed: Member) -> dict[str, str | None]:
    """The follow as each side records it: 'pending', 'accepted' or None."""
    here = follower.instance.db.fetchval(
        """SELECT f.state FROM follows f
           JOIN members m ON m.id = f.follower_member_id
           JOIN remote_actors r ON r.id = f.followed_remote_id
           WHERE m.username = $1 AND r.uri = $2""", follower.username, followed.actor)
    there = followed.instance.db.fetchval(
        """SELECT f.state FROM follows f
           JOIN members m ON m.id = f.followed_member_id
           JOIN remote_actors r ON r.id = f.follower_remote_id
           WHERE m.username = $1 AND r.uri = $2""", followed.username, follower.actor)
    return {"follower": here, "followed": there}


def follow_accepted(follower: Member, followed: Member) -> None:
    """``follower`` follows ``followed`` (who lets followers in) and waits for
    the Accept: the Follow and the Accept each crossed over and were processed."""
    follower.follow(followed)
    wait_until(lambda: follow_state(follower, followed) ==
               {"follower": "accepted", "followed": "accepted"},
               f"{followed.handle} accepting {follower.handle}")


def deliveries_of(instance: Instance, object_uri: str) -> list[dict[str, Any]]:
    """The deliveries ``instance`` queued of activities about ``object_uri``
    (the Create, Update or Delete of a post), oldest first."""
    rows = instance.db.fetch(
        """SELECT id, activity_id, inbox, host, attempts, last_error, delivered_at, failed_at,
                  payload->>'type' AS type
           FROM deliveries WHERE payload->'object'->>'id' = $1 ORDER BY id""", object_uri)
    return [dict(row) for row in rows]


def make_due(instance: Instance, delivery_ids: list[int]) -> None:
    """Stand-in for waiting out a retry's backoff or a dead worker's lease."""
    instance.db.execute("UPDATE deliveries SET next_attempt_at = now() WHERE id = ANY($1)",
                        delivery_ids)


class HeldLock:
    """A transaction on a connection of its own holding a lock (``sql``)
    until ``release()``: what makes a worker stop at a chosen statement."""

    def __init__(self, url: str, sql: str) -> None:
        self._loop = asyncio.new_event_loop()
        self._conn: Any = self._loop.run_until_complete(asyncpg.connect(url))
        self._transaction = self._conn.transaction()
        self._loop.run_until_complete(self._transaction.start())
        self._loop.run_until_complete(self._conn.execute(sql))

    def release(self) -> None:
        if self._loop.is_closed():
            return
        try:
            self._loop.run_until_complete(self._transaction.rollback())
            self._loop.run_until_complete(self._conn.close())
        finally:
            self._loop.close()

    def __enter__(self) -> HeldLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()
