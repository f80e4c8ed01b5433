"""Lists end to end with Mastodon.py against a real `hearth serve` process:
a member makes a list, adds an account they follow (not one they do not),
reads the list timeline page by page with the Link headers the library
follows, hears the list's new posts on a real WebSocket, and loses the
account from the list when they unfollow it."""

from __future__ import annotations

import json

import pytest
from mastodon import MastodonAPIError
from websockets.sync.client import connect

from tests.conftest import signup_over_http
from tests.helpers_api import mastodon_py_login

pytestmark = pytest.mark.slow
DEADLINE = 10.0


def test_mastodon_py_makes_a_list_fills_it_and_reads_its_timeline(instances):
    hearth = instances("hearth", workers=False)
    for name in ("river", "sky", "stone"):
        with hearth.client() as http:
            assert signup_over_http(http, name).status_code == 201
    river, sky, stone = (mastodon_py_login(hearth.url, name)
                         for name in ("river", "sky", "stone"))
    sky_account, stone_account = river.account_lookup("sky"), river.account_lookup("stone")
    river.account_follow(sky_account.id)
    sky.follow_request_authorize(sky.follow_requests()[0].id)

    group = river.list_create("Home group", replies_policy="followed", exclusive=True)
    assert (group.title, group.replies_policy, group.exclusive) == (
        "Home group", "followed", True)
    assert [found.id for found in river.lists()] == [group.id]
    with pytest.raises(MastodonAPIError):  # not followed
        river.list_accounts_add(group, [stone_account.id])
    river.list_accounts_add(group, [sky_account.id])
    assert [a.acct for a in river.list_accounts(group)] == ["sky"]
    assert [found.id for found in river.account_lists(sky_account.id)] == [group.id]

    socket = hearth.url.replace("http://", "ws://") + "/api/v1/streaming"
    with connect(f"{socket}?access_token={river.access_token}&stream=list&list={group.id}"
                 ) as ws:
        stone.status_post("not in the list", visibility="public")
        posted = [sky.status_post(f"day {n}", visibility="public") for n in range(5)]
        event = json.loads(ws.recv(timeout=DEADLINE))
        assert (event["stream"], event["event"]) == (["list", str(group.id)], "update")
        assert json.loads(event["payload"])["id"] == str(posted[0].id)

    page = river.timeline_list(group, limit=3)
    assert [s.content for s in page] == ["<p>day 4</p>", "<p>day 3</p>", "<p>day 2</p>"]
    older = river.fetch_next(page)
    assert older is not None
    assert [s.content for s in older] == ["<p>day 1</p>", "<p>day 0</p>"]

    renamed = river.list_update(group, "Sponsors", replies_policy="none")
    assert (renamed.title, renamed.replies_policy, renamed.exclusive) == (
        "Sponsors", "none", False)
    river.account_unfollow(sky_account.id)
    assert river.list_accounts(group) == []
    river.list_delete(group)
    assert river.lists() == []
