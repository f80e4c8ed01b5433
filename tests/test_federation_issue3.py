"""Boosts as posts of their own, accounts deleted, across real instances
(issue 3): each instance a `hearth serve` process with its own database,
federating over loopback. Members act only through their pages; what crossed
over is read from each instance's database and pages. Every wait is for a
condition, with a deadline."""

from __future__ import annotations

from collections.abc import Iterator

import asyncpg
import pytest

from recovery import members
from tests.conftest import PASSWORD, Instance, run
from tests.helpers_federation import (
    People,
    arrives,
    follow_accepted,
    host_of,
    page_of,
    received,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def people() -> Iterator[People]:
    crowd = People()
    yield crowd
    crowd.close()


def boosts_of(instance: Instance, post_id: int) -> list[tuple[str, str | None]]:
    """(booster's actor id, boost uri) of each boost of the post on ``instance``."""
    rows = instance.db.fetch(
        """SELECT coalesce(r.uri, m.username) AS who, b.uri FROM posts b
           LEFT JOIN remote_actors r ON r.id = b.author_remote_id
           LEFT JOIN members m ON m.id = b.author_member_id
           WHERE b.reblog_of_id = $1 ORDER BY b.id""", post_id)
    return [(row["who"], row["uri"]) for row in rows]


def test_a_boost_from_elsewhere_is_a_boost_post_there_and_unboosting_removes_it(
        instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    original = owl.write("Six months today")
    copy = arrives(harbor, owl.post_uri(original), "the post reaching harbor")

    river.press(f"/posts/{copy}/boost")
    [(booster, _)] = boosts_of(harbor, copy)
    assert booster == "river_stone"
    boost_id = harbor.db.fetchval("SELECT id FROM posts WHERE reblog_of_id = $1", copy)
    announce_id = river.post_uri(boost_id)  # its Announce is named like any post of ours
    wait_until(lambda: boosts_of(lakeside, original) == [(river.actor, announce_id)],
               "the Announce reaching lakeside as river's boost")
    assert "1 boost" in owl.http.get(f"/@quiet_owl/{original}").text
    profile = river.http.get("/@river_stone").text
    assert "boosted" in profile and "Six months today" in profile

    river.press(f"/posts/{copy}/unboost")
    assert boosts_of(harbor, copy) == []
    wait_until(lambda: boosts_of(lakeside, original) == [], "the Undo reaching lakeside")
    assert "0 boosts" in owl.http.get(f"/@quiet_owl/{original}").text


def test_a_boost_of_a_third_hosts_post_shows_who_boosted_it(instances, people):
    harbor, lakeside, cove = instances("harbor"), instances("lakeside"), instances("cove")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    gull = people.join(cove, "grey_gull")
    follow_accepted(river, owl)  # river does not follow gull
    follow_accepted(owl, gull)
    original = gull.write("The beach meeting is on again")
    at_lakeside = arrives(lakeside, gull.post_uri(original), "gull's post reaching lakeside")

    owl.press(f"/posts/{at_lakeside}/boost")
    at_harbor = arrives(harbor, gull.post_uri(original),
                        "gull's post fetched by harbor from cove")
    wait_until(lambda: boosts_of(harbor, at_harbor), "owl's boost stored at harbor")
    [(booster, uri)] = boosts_of(harbor, at_harbor)
    assert booster == owl.actor and uri is not None and uri.startswith(lakeside.url)
    home = river.http.get("/home").text
    assert "Quiet Owl</a> boosted" in home and "The beach meeting is on again" in home
    assert f"From {host_of(cove)}" in home
    wait_until(lambda: boosts_of(cove, original) == [(owl.actor, uri)],
               "the Announce reaching gull's own server")


def test_a_deleted_account_is_deleted_on_the_servers_that_knew_it(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    follow_accepted(owl, river)
    owls_post = owl.write("Leaving soon, thank you all")
    copy = arrives(harbor, owl.post_uri(owls_post), "owl's post reaching harbor")
    rivers_post = river.write("Coffee after the meeting")
    at_lakeside = arrives(lakeside, river.post_uri(rivers_post), "river's post at lakeside")
    owl.press(f"/posts/{at_lakeside}/like")
    wait_until(lambda: harbor.db.fetchval("SELECT count(*) FROM reactions"),
               "owl's like reaching harbor")

    copy_page = page_of(harbor, copy)
    owl_id = lakeside.db.fetchval("SELECT id FROM members WHERE username = 'quiet_owl'")
    response = owl.submit("/settings", "/settings/delete",
                          delete_password=PASSWORD, confirm="quiet_owl")
    assert response.status_code == 200 and "Your account has been deleted" in response.text
    # Gone here at once: nobody can find it, log in to it or read its posts ...
    assert owl.http.get("/@quiet_owl").status_code == 410  # Gone
    assert lakeside.db.fetchval("SELECT count(*) FROM posts WHERE author_member_id IS NOT NULL"
                                ) == 0
    # ... but its key signs the Delete of its actor, to every server that knew it.
    [delete] = lakeside.db.fetch(
        """SELECT d.inbox, d.payload->>'type' AS type, d.payload->>'object' AS object,
                  d.signer_member_id FROM deliveries d WHERE d.activity_id = $1""",
        f"{owl.actor}#delete")
    assert (delete["type"], delete["object"]) == ("Delete", owl.actor)
    assert delete["inbox"].startswith(harbor.url)

    def gone_at_harbor() -> bool:
        return bool(harbor.db.fetchval(
            "SELECT gone_at IS NOT NULL FROM remote_actors WHERE uri = $1", owl.actor))

    wait_until(gone_at_harbor, "the Delete of owl reaching harbor")
    assert received(harbor, owl.post_uri(owls_post)) is None
    assert harbor.db.fetchval("SELECT count(*) FROM follows") == 0
    assert harbor.db.fetchval("SELECT count(*) FROM reactions") == 0
    assert river.http.get(copy_page).status_code == 404
    assert "Leaving soon" not in river.http.get("/home").text

    # Once delivered, the key and what was left of the row go too.
    wait_until(lambda: lakeside.db.fetchval(
        "SELECT delivered_at IS NOT NULL FROM deliveries WHERE activity_id = $1",
        f"{owl.actor}#delete"), "lakeside recording the Delete as delivered")
    assert lakeside.db.fetchval("SELECT count(*) FROM member_keys WHERE member_id = $1",
                                owl_id) == 1
    assert run(_purge(lakeside.db.url)) == 1
    assert lakeside.db.fetchval("SELECT count(*) FROM members WHERE id = $1", owl_id) == 0
    assert lakeside.db.fetchval("SELECT count(*) FROM member_keys WHERE member_id = $1",
                                owl_id) == 0


async def _purge(url: str) -> int:
    conn = await asyncpg.connect(url)
    try:
        return await members.purge_removed(conn)
    finally:
        await conn.close()
