"""End to end with the real Mastodon.py against real `hearth serve`
processes: notifications of follows, mentions, favourites and boosts (from
this community and from another instance), dismissed and cleared; markers;
filters; search that resolves a remote account and a remote post; a report
forwarded as a Flag to the reported account's server."""

from __future__ import annotations

import pytest

from tests.helpers_api import mastodon_py_login
from tests.helpers_federation import People, arrives, follow_accepted, wait_until

pytestmark = pytest.mark.slow
SCOPES = ["read", "write", "follow", "push"]


def test_mastodon_py_lists_dismisses_and_clears_notifications_and_sets_markers(instances):
    hearth = instances("hearth")
    people = People()
    try:
        people.join(hearth, "river")
        people.join(hearth, "sky")
        river, sky = (mastodon_py_login(hearth.url, name, scopes=SCOPES)
                  for name in ("river", "sky"))
        me = river.me()
        sky.account_follow(me.id)
        status = river.status_post("Day 90", visibility="public")
        sky.status_favourite(status)
        sky.status_reblog(status)
        mention = sky.status_post("@river so proud", visibility="public")

        shown = river.notifications()
        assert [n.type for n in shown] == ["mention", "reblog", "favourite", "follow"]
        assert all(n.account.acct == "sky" for n in shown)
        assert shown[0].status.id == mention.id and shown[1].status.id == status.id
        assert [n.type for n in river.notifications(types=["mention"])] == ["mention"]
        assert [n.type for n in river.notifications(exclude_types=["mention", "follow"])] == [
            "reblog", "favourite"]
        assert river.notifications(id=shown[2].id).type == "favourite"
        page = river.notifications(limit=2)
        older = river.fetch_next(page)
        assert [n.id for n in page + older] == [n.id for n in shown]
        assert river.notifications_unread_count().count == 4

        river.markers_set(["notifications", "home"], [shown[1].id, status.id])
        markers = river.markers_get(["home", "notifications"])
        assert markers["notifications"].last_read_id == shown[1].id
        assert markers["home"].last_read_id == status.id
        assert river.notifications_unread_count().count == 1

        river.notifications_dismiss(shown[0].id)
        assert [n.type for n in river.notifications()] == ["reblog", "favourite", "follow"]
        river.notifications_clear()
        assert river.notifications() == []
        assert sky.notifications() == []
    finally:
        people.close()


def test_remote_follows_mentions_and_favourites_notify_and_reports_are_forwarded(instances):
    alpha, beta = instances("alpha"), instances("beta")
    people = People()
    try:
        river = people.join(alpha, "river")
        sky = people.join(beta, "sky")
        follow_accepted(sky, river)
        api = mastodon_py_login(alpha.url, "river", scopes=SCOPES)
        assert wait_until(lambda: [n.type for n in api.notifications()] == ["follow"],
                          "the follow notification")
        status = api.status_post("Week one", visibility="public")
        there = arrives(beta, river.post_uri(int(status.id)), "river's post on beta")
        remote = mastodon_py_login(beta.url, "sky", scopes=SCOPES)
        remote.status_favourite(there)
        reply = remote.status_post("well done", in_reply_to_id=there, visibility="public")
        shown = wait_until(lambda: (found := api.notifications()) and len(found) == 3 and found,
                           "the favourite and the mention from beta")
        by_type = {n.type: n for n in shown}  # the Like and the reply may arrive in any order
        assert sorted(by_type) == ["favourite", "follow", "mention"]
        mention = by_type["mention"]
        assert mention.account.acct == sky.handle.lstrip("@")
        assert "well done" in mention.status.content
        assert by_type["favourite"].status.id == status.id

        report = api.report(mention.account.id, status_ids=[mention.status.id],
                             comment="please look", forward=True)
        assert report.forwarded is True
        flagged = wait_until(lambda: beta.db.fetch("SELECT content, object_uris FROM reports"),
                             "the Flag on beta")
        assert flagged[0]["content"] == "please look"
        assert sky.actor in flagged[0]["object_uris"]
        assert sky.post_uri(int(reply.id)) in flagged[0]["object_uris"]
        assert alpha.db.fetchval("SELECT forwarded FROM reports") is True
        sent = alpha.db.fetchval("SELECT payload::text FROM deliveries "
                                 "WHERE payload->>'type' = 'Flag'")
        assert f"{alpha.url}/actor" in sent and "river" not in sent  # never who reported
    finally:
        people.close()


def test_search_resolves_a_remote_account_and_a_remote_post(instances):
    alpha, beta = instances("alpha"), instances("beta")
    people = People()
    try:
        people.join(alpha, "river")
        lake = people.join(beta, "lake")
        post_id = lake.write("Ninety days, one at a time")
        api = mastodon_py_login(alpha.url, "river", scopes=SCOPES)
        assert api.search(lake.handle, resolve=False).accounts == []
        found = api.search(lake.handle, resolve=True)
        assert [a.acct for a in found.accounts] == [lake.handle.lstrip("@")]
        by_address = api.search(lake.post_uri(post_id), resolve=True)
        assert len(by_address.statuses) == 1
        assert "Ninety days" in by_address.statuses[0].content
        assert "Ninety" in api.search("ninety", result_type="statuses").statuses[0].content
    finally:
        people.close()


def test_mastodon_py_manages_filters_and_sees_what_they_catch(instances):
    hearth = instances("hearth")
    people = People()
    try:
        people.join(hearth, "river")
        people.join(hearth, "sky")
        river, sky = (mastodon_py_login(hearth.url, name, scopes=SCOPES)
                  for name in ("river", "sky"))
        drinks = river.create_filter_v2(
            "Drinks", ["public", "home"], "warn",
            keywords_attributes=[{"keyword": "wine", "whole_word": True}])
        assert [f.title for f in river.filters_v2()] == ["Drinks"]
        sky.status_post("Wine o'clock, they said", visibility="public")
        shown = river.timeline_public()
        assert shown[0].filtered[0].filter.title == "Drinks"
        assert shown[0].filtered[0].keyword_matches == ["wine"]
        assert sky.timeline_public()[0].filtered == []
        river.update_filter_v2(drinks, filter_action="hide")
        assert river.timeline_public() == []
        beer = river.filter_create("beer", ["home"], irreversible=False, whole_word=True)
        assert sorted(f.phrase for f in river.filters()) == ["beer", "wine"]
        river.filter_delete(beer)
        river.delete_filter_v2(drinks)
        assert river.filters_v2() == [] and len(river.timeline_public()) == 1
    finally:
        people.close()
