"""A milestone shared on one Hearth reaches a follower on another as a
milestone (hearth:milestone), shows there with the same badge, and a Like
from there counts as a celebration back home. Real `hearth serve` processes
over loopback; every wait is for a condition with a deadline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest

from tests.helpers_federation import (
    People,
    arrives,
    deliveries_of,
    follow_accepted,
    host_of,
    page_of,
    sent_to,
    wait_until,
)

pytestmark = pytest.mark.slow


@pytest.fixture
def people() -> Iterator[People]:
    crowd = People()
    yield crowd
    crowd.close()


def test_a_shared_milestone_arrives_as_a_milestone_and_is_celebrated_back(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    last_drink = (datetime.now(UTC) - timedelta(days=3)).date().isoformat()
    started = owl.submit("/progress", "/progress/start", date=last_drink, time="00:00",
                         time_zone="UTC")
    assert started.status_code == 303, started.text
    assert "3 days" in owl.http.get("/progress").text
    attempt = lakeside.db.fetchval("SELECT id FROM sobriety_attempts")
    shared = owl.submit("/progress", f"/progress/milestones/{attempt}/d3/share",
                        visibility="followers", line="Thank you all")
    assert shared.status_code == 303, shared.text
    post_id = int(shared.headers["location"].rsplit("/", 1)[1])

    [create] = [d for d in deliveries_of(lakeside, owl.post_uri(post_id))
                if d["type"] == "Create"]
    assert sent_to([create]) == [host_of(harbor)]
    sent = lakeside.db.fetchval("SELECT payload::text FROM deliveries WHERE id = $1",
                                create["id"])
    note = json.loads(sent)["object"]
    assert note["hearth:milestone"] == {"days": 3, "name": "3 days"}
    assert last_drink not in sent

    copy = arrives(harbor, owl.post_uri(post_id), "the milestone reaching harbor")
    stored = harbor.db.fetchval("SELECT milestone FROM posts WHERE id = $1", copy)
    assert json.loads(stored) == {"days": 3, "name": "3 days"}
    page = river.http.get(page_of(harbor, copy)).text
    assert "Milestone: 3 days" in page and "3 days today" in page
    assert "Thank you all" in page and ">Celebrate<" in page

    river.press(f"/posts/{copy}/like", page=page_of(harbor, copy))
    wait_until(lambda: "1 person celebrated" in owl.http.get(
        f"/@quiet_owl/{post_id}").text, "the Like counted as a celebration on lakeside")
