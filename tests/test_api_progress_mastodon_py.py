"""End to end against a real `hearth serve`: the real Mastodon.py logs in
(OAuth password grant), then drives Hearth's progress API with its own
generic request method and the token it obtained: set the counter, check
in, see milestones, share one (a follower sees it through the Mastodon
API), export, and be refused where the rules say so."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from mastodon import Mastodon, MastodonAPIError

from tests.helpers_api import mastodon_py_login
from tests.helpers_federation import People

pytestmark = pytest.mark.slow
SCOPES = ["read", "write", "follow"]
BASE = "/api/hearth/v1"


def _call(api: Mastodon, method: str, path: str, params: dict[str, Any] | None = None) -> Any:
    request = api._Mastodon__api_request  # type: ignore[attr-defined]
    return request(method, BASE + path, params or {})


def test_mastodon_py_tracks_progress_and_shares_a_milestone_through_the_hearth_api(instances):
    hearth = instances("hearth", workers=False)
    people = People()
    try:
        people.join(hearth, "river")
        people.join(hearth, "sky")
        river, sky = (mastodon_py_login(hearth.url, name) for name in ("river", "sky"))
        sky.account_follow(river.me().id)

        ten_days_ago = (datetime.now(UTC) - timedelta(days=10)).date().isoformat()
        started = _call(river, "PUT", "/counter", {"date": ten_days_ago, "time": "21:00",
                                                   "time_zone": "Europe/Berlin"})
        assert started.counter.running is True and started.counter.days in (9, 10)
        assert _call(river, "POST", "/checkins/pledge").pledged_at
        milestones = _call(river, "GET", "/milestones")
        week = next(r for r in milestones.reached if r.key == "d7")
        status = _call(river, "POST", f"/milestones/{week.attempt_id}/d7/share",
                       {"visibility": "followers", "line": "thank you"})
        assert "1 week today" in status.content
        home = sky.timeline_home()
        assert [s.id for s in home] == [status.id]
        assert "1 week today" in sky.status(status.id).content

        with pytest.raises(MastodonAPIError) as refused:
            _call(river, "PUT", "/counter", {"date": "2999-01-01"})
        assert "2999" not in str(refused.value)
        with pytest.raises(MastodonAPIError):
            _call(sky, "GET", f"/checkins/{_call(river, 'GET', '/checkins')[0]['id']}")

        reader = mastodon_py_login(hearth.url, "river", scopes=["read"],
                                   app_scopes=SCOPES)
        with pytest.raises(MastodonAPIError):
            _call(reader, "POST", "/checkins/pledge")
        export = httpx2.get(f"{hearth.url}{BASE}/export", timeout=15,
                            headers={"authorization": f"Bearer {reader.access_token}"})
        assert export.status_code == 200
        assert export.json()["attempts"][0]["time_zone"] == "Europe/Berlin"
        assert _call(sky, "GET", "/counter").running is False
    finally:
        people.close()
