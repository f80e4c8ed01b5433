"""Queueing deliveries, and finding actors by handle (the pieces follows use)."""

from __future__ import annotations

from typing import Any

import asyncpg
import pytest

from federation.errors import InvalidDocument
from federation.webfinger import actor_url_of, parse_handle, webfinger_url
from outbox.publish import publish
from tests.conftest import run


def test_publish_queues_one_delivery_per_distinct_inbox_in_the_callers_transaction(db):
    activity = {"id": "http://testserver/activities/1", "type": "Create"}
    inboxes = ["https://a.example/inbox", "https://a.example/inbox",
               "https://b.example/users/x/inbox", None, "not a url", "ftp://c.example/inbox"]

    async def go() -> int:
        conn = await asyncpg.connect(db.url)
        try:
            async with conn.transaction():
                queued = await publish(conn, activity, None, inboxes)
            try:
                async with conn.transaction():
                    await publish(conn, {**activity, "id": "http://testserver/a/2"}, None,
                                  ["https://d.example/inbox"])
                    raise RuntimeError("the change failed")
            except RuntimeError:
                pass
            return queued
        finally:
            await conn.close()

    assert run(go()) == 2
    rows = db.fetch("SELECT inbox, host, signer_member_id FROM deliveries ORDER BY inbox")
    assert [(r["inbox"], r["host"]) for r in rows] == [
        ("https://a.example/inbox", "a.example"), ("https://b.example/users/x/inbox", "b.example")]
    assert all(r["signer_member_id"] is None for r in rows)


@pytest.mark.parametrize(("text", "expected"), [
    ("@sam@recovery.example", ("sam", "recovery.example")),
    ("sam@Recovery.Example.", ("sam", "recovery.example")),
    ("@sam@127.0.0.1:8001", ("sam", "127.0.0.1:8001")),
])
def test_handles_parse_into_name_and_normalised_host(text, expected):
    assert parse_handle(text) == expected


@pytest.mark.parametrize("text", ["sam", "@sam", "@sam@", "@@x", "@sam@host:port", "a b@c"])
def test_bad_handles_get_a_clear_error(text):
    with pytest.raises(InvalidDocument, match="@name@server"):
        parse_handle(text)


def test_webfinger_answers_name_the_activitypub_actor():
    assert webfinger_url("sam", "r.example") == (
        "https://r.example/.well-known/webfinger?resource=acct:sam@r.example")
    jrd: dict[str, Any] = {"links": [
        {"rel": "http://webfinger.net/rel/profile-page", "href": "https://r.example/@sam"},
        {"rel": "self", "type": "application/activity+json", "href": "https://r.example/u/sam"}]}
    assert actor_url_of(jrd) == "https://r.example/u/sam"
    with pytest.raises(InvalidDocument):
        actor_url_of({"links": [{"rel": "self", "type": "text/html", "href": "https://x"}]})


def test_peers_on_one_address_with_different_ports_are_different_hosts(db):
    async def go() -> None:
        conn = await asyncpg.connect(db.url)
        try:
            await publish(conn, {"id": "http://testserver/activities/3"}, None,
                          ["http://127.0.0.1:8001/inbox", "http://127.0.0.1:8002/inbox",
                           "https://b.example:443/inbox"])
        finally:
            await conn.close()

    run(go())
    hosts = [r["host"] for r in db.fetch("SELECT host FROM deliveries ORDER BY inbox")]
    assert hosts == ["127.0.0.1:8001", "127.0.0.1:8002", "b.example"]
