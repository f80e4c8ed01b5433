"""The real Mastodon.py against real `hearth serve` processes: a member posts
a poll, another reads and votes in it, and Mastodon's refusals come back as
the errors Mastodon.py raises for them; a poll crosses to another instance
as a Question and a vote from there is counted where the poll lives."""

from __future__ import annotations

import pytest
from mastodon.errors import MastodonAPIError

from tests.conftest import signup_over_http
from tests.helpers_api import mastodon_py_login
from tests.helpers_federation import People, arrives, follow_accepted, wait_until

pytestmark = pytest.mark.slow


def test_mastodon_py_posts_reads_and_votes_in_a_poll(instances):
    hearth = instances("hearth")
    for name in ("river", "sky"):
        with hearth.client() as http:
            assert signup_over_http(http, name).status_code == 201
    river, sky = (mastodon_py_login(hearth.url, name) for name in ("river", "sky"))

    status = river.status_post(
        "Which meeting time suits you?", visibility="public",
        poll=river.make_poll(["Morning", "Evening", "Both"], expires_in=3600, multiple=True))
    assert [o.title for o in status.poll.options] == ["Morning", "Evening", "Both"]
    assert status.poll.multiple and not status.poll.expired

    poll = sky.poll(status.poll.id)
    assert poll.voted is False and poll.own_votes == []
    voted = sky.poll_vote(status.poll.id, [0, 2])
    assert voted.voted and voted.own_votes == [0, 2]
    assert [o.votes_count for o in voted.options] == [1, 0, 1] and voted.voters_count == 1
    assert sky.status(status.id).poll.own_votes == [0, 2]

    with pytest.raises(MastodonAPIError, match="already voted"):
        sky.poll_vote(status.poll.id, [2])
    with pytest.raises(MastodonAPIError, match="your own polls"):
        river.poll_vote(status.poll.id, [1])
    with pytest.raises(MastodonAPIError, match="more than one item"):
        river.status_post("One?", poll=river.make_poll(["Only"], expires_in=3600))
    timeline = sky.timeline_home() + river.timeline_home()
    assert any(s.poll and s.poll.id == status.poll.id for s in timeline)


def test_a_poll_crosses_to_another_instance_and_a_vote_comes_back(instances):
    alpha, beta = instances("alpha"), instances("beta")
    people = People()
    try:
        author = people.join(alpha, "river")
        reader = people.join(beta, "sky")
        follow_accepted(reader, author)
        river = mastodon_py_login(alpha.url, "river")
        status = river.status_post(
            "Morning or evening?", visibility="public",
            poll=river.make_poll(["Morning", "Evening"], expires_in=3600))
        there = arrives(beta, author.post_uri(int(status.id)), "the Question on beta")
        sky = mastodon_py_login(beta.url, "sky")
        seen = sky.status(there).poll
        assert [o.title for o in seen.options] == ["Morning", "Evening"]
        assert seen.voted is False
        assert [o.votes_count for o in sky.poll_vote(seen.id, [1]).options] == [0, 1]
        wait_until(lambda: alpha.db.fetchval(
            "SELECT count(*) FROM poll_votes WHERE remote_id IS NOT NULL") == 1,
            "the vote on alpha")
        mine = river.poll(status.poll.id)
        assert [o.votes_count for o in mine.options] == [0, 1] and mine.voters_count == 1
        assert beta.db.fetchval("SELECT count(*) FROM posts") == 1  # the vote is no post
        assert alpha.db.fetchval("SELECT count(*) FROM posts") == 1
    finally:
        people.close()
