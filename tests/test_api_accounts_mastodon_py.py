"""End to end with the real Mastodon.py against real `hearth serve` processes:
a member finds an account on another instance (search with resolve),
follows it, reads its posts, blocks it (the other instance records the
Block) and unblocks it; edits their profile; mutes, notes, looks up and
lists accounts here; answers a follow request."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.conftest import signup_over_http
from tests.helpers_api import mastodon_py_login
from tests.helpers_federation import People, host_of, wait_until

pytestmark = pytest.mark.slow


@pytest.fixture
def people() -> Iterator[People]:
    crowd = People()
    yield crowd
    crowd.close()


def test_mastodon_py_follows_reads_and_blocks_an_account_on_another_instance(
        instances, people):
    hearth, peer = instances("hearth"), instances("peer")
    with hearth.client() as http:
        assert signup_over_http(http, "river").status_code == 201
    sky = people.join(peer, "sky")
    api = mastodon_py_login(hearth.url, "river")

    found = api.account_search(f"@sky@{host_of(peer)}", resolve=True)
    assert [a.acct for a in found] == [f"sky@{host_of(peer)}"]
    sky_id = found[0].id
    assert api.account_follow(sky_id, reblogs=True).requested is True
    wait_until(lambda: api.account_relationships(sky_id)[0].following,
               "the Accept from the other instance")
    sky.write("Ninety days today")
    wait_until(lambda: api.account_statuses(sky_id), "sky's post reaching hearth")
    assert "Ninety days today" in api.account_statuses(sky_id)[0].content
    assert api.account(sky_id).acct == f"sky@{host_of(peer)}"

    blocked = api.account_block(sky_id)
    assert blocked.blocking is True and blocked.following is False
    assert [a.id for a in api.blocks()] == [sky_id]
    wait_until(lambda: peer.db.fetchval("SELECT count(*) FROM remote_blocks"),
               "the Block recorded by the other instance")
    assert peer.db.fetchval("SELECT count(*) FROM follows") == 0
    assert api.account_unblock(sky_id).blocking is False
    wait_until(lambda: peer.db.fetchval("SELECT count(*) FROM remote_blocks") == 0,
               "the Undo of the Block reaching the other instance")


def test_mastodon_py_edits_a_profile_and_manages_accounts_here(instances):
    hearth = instances("hearth")
    for name in ("river", "sky", "ann"):
        with hearth.client() as http:
            assert signup_over_http(http, name).status_code == 201
    river, sky, ann = (mastodon_py_login(hearth.url, name) for name in ("river", "sky", "ann"))

    me = river.account_update_credentials(
        display_name="River", note="One day at a time.", locked=True,
        fields=[("Home group", "Tuesdays")], default_privacy="private", hide_collections=True)
    assert me.display_name == "River" and me.locked is True
    assert me.fields[0].name == "Home group" and me.source.privacy == "private"
    sky_account = river.account_lookup("sky")
    assert sky_account.username == "sky"

    assert sky.account_follow(me.id).requested is True
    assert [a.username for a in river.follow_requests()] == ["sky"]
    assert river.follow_request_authorize(sky_account.id).followed_by is True
    assert ann.account_followers(me.id) == []  # river hides them
    assert [a.username for a in river.account_followers(me.id)] == ["sky"]

    ann_id = river.account_lookup("ann").id
    muted = river.account_mute(ann_id, notifications=False, duration=3600)
    assert muted.muting is True and muted.muting_notifications is False
    assert [a.username for a in river.mutes()] == ["ann"]
    assert river.account_unmute(ann_id).muting is False
    assert river.account_note_set(ann_id, "met at the Tuesday meeting").note == \
        "met at the Tuesday meeting"
    assert ann.account_follow(sky_account.id).requested is True
    sky.follow_request_authorize(ann.me().id)
    familiar = ann.account_familiar_followers(me.id)
    assert familiar[0].id == me.id and [a.username for a in familiar[0].accounts] == ["sky"]
    assert [a.username for a in river.account_search("a")] == ["ann"]
