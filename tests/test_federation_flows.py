"""What members do, across real instances: each a `hearth serve` process on
its own port, with its own database and HEARTH_URL, federating over loopback
through signed deliveries, inboxes and the workers of each process.

Members act only through their pages (``tests.helpers_federation``); what
crossed over is read from each instance's database and pages. Nothing waits
a fixed time: every wait is for a condition, with a deadline. Where a test
would otherwise wait out a retry's backoff or a dead worker's lease, it makes
the delivery due now with SQL instead.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.helpers_federation import (
    HeldLock,
    People,
    arrives,
    deliveries_of,
    follow_accepted,
    follow_state,
    host_of,
    make_due,
    page_of,
    received,
    sent_to,
    wait_until,
)

pytestmark = pytest.mark.slow

AP = "application/activity+json"


@pytest.fixture
def people() -> Iterator[People]:
    crowd = People()
    yield crowd
    crowd.close()


def test_a_reply_from_elsewhere_is_threaded_under_the_post_on_both_sides(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    original = owl.write("Ninety days today")
    copy = arrives(harbor, owl.post_uri(original), "the post reaching harbor")

    reply = river.reply(copy, "So proud of you, keep going")
    assert harbor.db.fetchval("SELECT in_reply_to_id FROM posts WHERE id = $1", reply) == copy
    thread_here = river.http.get(page_of(harbor, copy)).text
    assert "So proud of you, keep going" in thread_here and "1 reply" in thread_here

    reply_uri = river.post_uri(reply)
    arrived = arrives(lakeside, reply_uri, "the reply reaching lakeside")
    stored = lakeside.db.fetch(
        "SELECT in_reply_to_id, in_reply_to_uri FROM posts WHERE id = $1", arrived)[0]
    assert stored["in_reply_to_id"] == original
    assert stored["in_reply_to_uri"] == owl.post_uri(original)
    thread_there = owl.http.get(f"/@quiet_owl/{original}").text
    assert "So proud of you, keep going" in thread_there and "1 reply" in thread_there
    reply_page = owl.http.get(page_of(lakeside, arrived)).text
    assert f'href="/@quiet_owl/{original}"' in reply_page  # "in reply to" the original


def test_a_like_and_a_boost_from_elsewhere_are_counted_on_the_post(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    original = owl.write("One year sober today")
    copy = arrives(harbor, owl.post_uri(original), "the post reaching harbor")

    river.press(f"/posts/{copy}/like")
    river.press(f"/posts/{copy}/boost")

    def reactions() -> list[tuple[str, str]]:  # a boost is a post of the booster's
        return [(r["kind"], r["uri"]) for r in lakeside.db.fetch(
            """SELECT r.kind, a.uri FROM reactions r
               JOIN remote_actors a ON a.id = r.actor_remote_id
               WHERE r.post_id = $1
               UNION ALL
               SELECT 'boost', a.uri FROM posts b
               JOIN remote_actors a ON a.id = b.author_remote_id
               WHERE b.reblog_of_id = $1 ORDER BY 1""", original)]

    wait_until(lambda: len(reactions()) == 2, "the Like and the Announce reaching lakeside")
    assert reactions() == [("boost", river.actor), ("like", river.actor)]
    page = owl.http.get(f"/@quiet_owl/{original}").text
    assert "1 like" in page and "1 boost" in page
    mine = river.http.get(page_of(harbor, copy)).text
    assert ">Unlike<" in mine and ">Undo boost<" in mine

    river.press(f"/posts/{copy}/unlike")  # the Undo crosses over too
    wait_until(lambda: reactions() == [("boost", river.actor)], "the Undo of the Like")
    assert "0 likes" in owl.http.get(f"/@quiet_owl/{original}").text


def test_an_edit_reaches_the_followers_copy_and_shows_as_edited(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    original = owl.write("Day one again")
    copy = arrives(harbor, owl.post_uri(original), "the post reaching harbor")
    assert harbor.db.fetchval("SELECT edited_at FROM posts WHERE id = $1", copy) is None

    owl.edit(original, "Day one again, and the meeting helped", summary="relapse")
    wait_until(lambda: harbor.db.fetchval(
        "SELECT edited_at IS NOT NULL FROM posts WHERE id = $1", copy), "the Update")
    row = harbor.db.fetch("SELECT content_html, summary FROM posts WHERE id = $1", copy)[0]
    assert "and the meeting helped" in row["content_html"] and row["summary"] == "relapse"
    assert harbor.db.fetchval("SELECT count(*) FROM posts WHERE uri IS NOT NULL") == 1
    page = river.http.get(page_of(harbor, copy)).text
    assert "and the meeting helped" in page and "(edited" in page
    assert "Content warning:</span> relapse" in page
    [update] = [d for d in deliveries_of(lakeside, owl.post_uri(original))
                if d["type"] == "Update"]
    assert sent_to([update]) == [host_of(harbor)]


def test_a_deleted_post_is_gone_on_both_sides_and_a_late_create_stays_dead(
        instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    original = owl.write("Wrong group, sorry")
    uri = owl.post_uri(original)
    copy = arrives(harbor, uri, "the post reaching harbor")
    page = page_of(harbor, copy)

    owl.press(f"/posts/{original}/delete")
    assert owl.http.get(f"/@quiet_owl/{original}").status_code == 404
    wait_until(lambda: received(harbor, uri) is None, "the Delete reaching harbor")
    assert river.http.get(page).status_code == 404
    assert harbor.db.fetchval("SELECT count(*) FROM tombstones WHERE uri = $1", uri) == 1

    # A Create that arrives after its Delete (harbor was down for both; the
    # Delete gets through first) is ignored: the tombstone remembers the post.
    assert harbor.stop() == 0
    late = owl.write("Posted in haste")
    owl.press(f"/posts/{late}/delete")
    late_uri = owl.post_uri(late)
    wait_until(lambda: [(d["type"], d["attempts"] > 0 and d["last_error"] is not None)
                        for d in deliveries_of(lakeside, late_uri)]
               == [("Create", True), ("Delete", True)], "both deliveries failing once")
    create, delete = deliveries_of(lakeside, late_uri)
    lakeside.db.execute("UPDATE deliveries SET next_attempt_at = now() + interval '1 hour' "
                        "WHERE id = $1", create["id"])  # held back, whatever the jitter
    harbor.start()
    make_due(lakeside, [delete["id"]])
    wait_until(lambda: harbor.db.fetchval(
        "SELECT count(*) FROM tombstones WHERE uri = $1", late_uri), "the Delete arriving")
    make_due(lakeside, [create["id"]])
    wait_until(lambda: harbor.db.fetchval(
        "SELECT processed_at IS NOT NULL FROM inbox_activities WHERE activity_id = $1",
        create["activity_id"]), "the late Create arriving and being processed")
    assert received(harbor, late_uri) is None
    assert "Posted in haste" not in river.http.get("/home").text


def test_after_unfollowing_the_next_followers_only_post_stays_away(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    before = owl.write("For my followers: meeting moved", "followers")
    arrives(harbor, owl.post_uri(before), "a followers-only post reaching a follower")

    river.unfollow(owl)
    assert follow_state(river, owl)["follower"] is None
    wait_until(lambda: follow_state(river, owl)["followed"] is None,
               "the Undo reaching lakeside")
    assert ">Follow<" in river.find(owl)

    after = owl.write("For my followers: a hard week", "followers")
    assert deliveries_of(lakeside, owl.post_uri(after)) == []  # queued to nobody
    assert received(harbor, owl.post_uri(after)) is None


def test_a_followers_only_post_reaches_accepted_followers_only(instances, people):
    """Cove's member asked to follow and was not answered: a pending follower
    is not a follower (RELIABILITY.md 25)."""
    harbor, lakeside, cove = instances("harbor"), instances("lakeside"), instances("cove")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl", approves_followers=True)
    gull = people.join(cove, "grey_gull")
    river.follow(owl)
    gull.follow(owl)
    wait_until(lambda: follow_state(river, owl)["followed"] == "pending"
               and follow_state(gull, owl)["followed"] == "pending",
               "both follow requests reaching lakeside")
    request = lakeside.db.fetchval(
        """SELECT f.id FROM follows f JOIN remote_actors r ON r.id = f.follower_remote_id
           WHERE r.uri = $1""", river.actor)
    assert river.handle.split("@")[1] in owl.http.get("/follow-requests").text
    owl.press(f"/follow-requests/{request}/accept", page="/follow-requests")
    wait_until(lambda: follow_state(river, owl)["follower"] == "accepted",
               "the Accept reaching harbor")
    assert follow_state(gull, owl) == {"follower": "pending", "followed": "pending"}

    post = owl.write("Only for the people I said yes to", "followers")
    uri = owl.post_uri(post)
    sent = deliveries_of(lakeside, uri)
    assert sent_to(sent) == [host_of(harbor)]
    arrives(harbor, uri, "the post reaching the accepted follower")
    assert "Only for the people I said yes to" in river.http.get("/home").text
    assert cove.db.fetchval(
        "SELECT count(*) FROM inbox_activities WHERE actor_uri = $1", owl.actor) == 0
    assert received(cove, uri) is None
    with cove.client() as stranger:  # and cove cannot fetch it either
        assert stranger.get(uri, headers={"accept": AP}).status_code == 404


def test_a_community_only_post_never_leaves_its_instance(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    queued = lakeside.db.fetchval("SELECT count(*) FROM deliveries")

    private = owl.write("Just for us at lakeside", "community")
    assert lakeside.db.fetchval("SELECT count(*) FROM deliveries") == queued
    assert "Just for us at lakeside" in owl.http.get(f"/@quiet_owl/{private}").text
    # a public post written after it arrives: had the first been sent, it
    # would have been queued before this one
    public = owl.write("Open meeting on Thursday")
    arrives(harbor, owl.post_uri(public), "the public post arriving")
    assert received(harbor, owl.post_uri(private)) is None
    assert harbor.db.fetchval(
        "SELECT count(*) FROM inbox_activities WHERE payload::text LIKE '%Just for us%'") == 0
    with harbor.client() as peer:
        assert peer.get(owl.post_uri(private), headers={"accept": AP}).status_code == 404


def test_a_peer_that_is_down_receives_the_post_once_it_is_back(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    assert harbor.stop() == 0

    post = owl.write("While you were away")
    uri = owl.post_uri(post)
    [failing] = wait_until(lambda: [d for d in deliveries_of(lakeside, uri)
                                    if d["attempts"] > 0 and d["last_error"]],
                           "the delivery failing while harbor is down")
    assert failing["delivered_at"] is None and failing["failed_at"] is None  # retried
    assert sent_to([failing]) == [host_of(harbor)]

    harbor.start()
    make_due(lakeside, [failing["id"]])
    arrives(harbor, uri, "the post reaching harbor once back")
    wait_until(lambda: deliveries_of(lakeside, uri)[0]["delivered_at"],
               "lakeside recording the delivery")
    [done] = deliveries_of(lakeside, uri)
    assert done["attempts"] == 2 and done["failed_at"] is None
    assert "While you were away" in river.http.get("/home").text
    assert harbor.db.fetchval("SELECT count(*) FROM posts WHERE uri = $1", uri) == 1


def test_a_worker_killed_mid_delivery_loses_nothing_and_the_post_is_stored_once(
        instances, people):
    """Lakeside's deliveries run in a separate `hearth worker`. It is killed
    after it sent the Create and harbor took it, before it could record that:
    deterministically, because a test transaction holds a lock on peer_hosts,
    which recording an answer writes in the same transaction as marking the
    delivery done. The delivery must still be waiting, and sent again by the
    next worker; harbor must take it again (202) and store nothing twice."""
    harbor = instances("harbor")
    lakeside = instances("lakeside", workers=False)
    first = lakeside.worker()
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    wait_until(lambda: lakeside.db.fetchval(
        "SELECT count(*) FROM deliveries WHERE delivered_at IS NULL") == 0,
        "lakeside's Accept recorded as delivered")

    with HeldLock(lakeside.db.url, "LOCK TABLE peer_hosts IN EXCLUSIVE MODE"):
        post = owl.write("Still here after the crash")
        uri = owl.post_uri(post)
        [blocked] = wait_until(lambda: lakeside.db.fetch(
            """SELECT pid FROM pg_stat_activity
               WHERE datname = current_database() AND wait_event_type = 'Lock'
                 AND query LIKE '%INSERT INTO peer_hosts%'"""),
            "the worker recording harbor's answer (and waiting for the lock)")
        arrives(harbor, uri, "harbor storing the post")
        [claimed] = deliveries_of(lakeside, uri)
        assert claimed["attempts"] == 1 and claimed["delivered_at"] is None
        first.proc.kill()
        assert first.proc.wait(timeout=15) == -9
    wait_until(lambda: not lakeside.db.fetchval(
        "SELECT count(*) FROM pg_stat_activity WHERE pid = $1", blocked["pid"]),
        "the killed worker's database session ending")
    [waiting] = deliveries_of(lakeside, uri)
    assert waiting["attempts"] == 1 and waiting["delivered_at"] is None  # not lost

    lakeside.worker()
    make_due(lakeside, [waiting["id"]])  # stand-in for the lease running out
    wait_until(lambda: deliveries_of(lakeside, uri)[0]["delivered_at"],
               "the next worker delivering it again")
    [done] = deliveries_of(lakeside, uri)
    assert done["attempts"] == 2 and done["failed_at"] is None
    assert harbor.db.fetchval("SELECT count(*) FROM inbox_activities WHERE activity_id = $1",
                              done["activity_id"]) == 1
    assert harbor.db.fetchval("SELECT count(*) FROM posts WHERE uri = $1", uri) == 1
    assert river.http.get("/home").text.count("Still here after the crash") == 1
