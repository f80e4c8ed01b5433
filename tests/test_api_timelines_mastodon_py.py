"""End to end with Mastodon.py against a real `hearth serve` process: two
members follow each other from the library, post (with a hashtag, and a
direct message), and read their home, public and hashtag timelines and
conversations, paging with the Link headers the library follows."""

from __future__ import annotations

import pytest

from tests.conftest import signup_over_http
from tests.helpers_api import mastodon_py_login

pytestmark = pytest.mark.slow


def test_mastodon_py_reads_home_public_hashtag_and_conversations(instances):
    hearth = instances("hearth", workers=False)
    for name in ("river", "sky"):
        with hearth.client() as http:
            assert signup_over_http(http, name).status_code == 201
    river, sky = (mastodon_py_login(hearth.url, name) for name in ("river", "sky"))
    sky_account = river.account_lookup("sky")
    river.account_follow(sky_account.id)
    requests = sky.follow_requests()
    assert [a.acct for a in requests] == ["river"]
    sky.follow_request_authorize(requests[0].id)

    for n in range(5):
        sky.status_post(f"day {n} #Sober", visibility="public")
    river.status_post("my own note", visibility="unlisted")
    sky.status_post("@river how are you?", visibility="direct")

    home = river.timeline_home(limit=3)
    assert [s.account.acct for s in home] == ["sky", "river", "sky"]
    assert home[0].visibility == "direct" and "day 4" in home[2].content
    older = river.fetch_next(home)
    assert older is not None
    assert [s.account.acct for s in older] == ["sky", "sky", "sky"]
    assert int(older[0].id) < int(home[-1].id)

    public = river.timeline_public(local=True)
    assert len(public) == 5 and all(s.visibility == "public" for s in public)
    tagged = river.timeline_hashtag("sober", limit=2)
    assert len(tagged) == 2
    next_tagged = river.fetch_next(tagged)
    assert next_tagged is not None and len(next_tagged) == 2
    assert river.timeline_hashtag("nothing") == []
    tag = river.tag("sober")
    assert tag.name == "sober" and int(tag.history[0].uses) == 5

    conversations = river.conversations()
    assert len(conversations) == 1 and conversations[0].unread is True
    assert [a.acct for a in conversations[0].accounts] == ["sky"]
    read = river.conversations_read(conversations[0].id)
    assert read.unread is False
    assert sky.conversations()[0].last_status.id == conversations[0].last_status.id
