"""Profile edits reach remote followers, across real instances: a member
changes their display name, bio, avatar or fields (from the settings page
or PATCH /api/v1/accounts/update_credentials) and their followers' server
is sent an Update of their whole Person, which it stores and shows. Nothing
private (the sobriety date) is in it; a save that changes nothing sends
nothing. Each wait is for a condition with a deadline."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from tests.conftest import Instance
from tests.helpers_api import bearer, password_token, register_app
from tests.helpers_federation import (
    People,
    arrives,
    follow_accepted,
    page_of,
    wait_until,
)
from tests.helpers_media import image_bytes

pytestmark = pytest.mark.slow


@pytest.fixture
def people() -> Iterator[People]:
    crowd = People()
    yield crowd
    crowd.close()


def _person_updates(instance: Instance) -> list[dict[str, Any]]:
    """The Update(Person) deliveries ``instance`` queued, oldest first."""
    rows = instance.db.fetch(
        """SELECT inbox, payload FROM deliveries
           WHERE payload->>'type' = 'Update' AND payload->'object'->>'type' = 'Person'
           ORDER BY id""")
    return [{"inbox": r["inbox"], "payload": json.loads(r["payload"])
             if isinstance(r["payload"], str) else r["payload"]} for r in rows]


def _remote(instance: Instance, uri: str) -> dict[str, Any]:
    row = instance.db.fetch("SELECT name, document FROM remote_actors WHERE uri = $1", uri)[0]
    document = row["document"]
    return {"name": row["name"],
            "document": json.loads(document) if isinstance(document, str) else document}


def test_profile_edits_reach_the_followers_server_as_an_update_of_the_person(
        instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    copy = arrives(harbor, owl.post_uri(owl.write("Thirty days")), "the post reaching harbor")
    last_drink = (datetime.now(UTC) - timedelta(days=45)).date().isoformat()
    started = owl.submit("/progress", "/progress/start", date=last_drink, time="",
                         time_zone="UTC")
    assert started.status_code == 303, started.text

    # the settings page
    saved = owl.submit("/settings", "/settings/profile", display_name="Owl At Dusk",
                       bio="One day at a time.")
    assert saved.status_code == 303, saved.text
    wait_until(lambda: _remote(harbor, owl.actor)["name"] == "Owl At Dusk",
               "the Update reaching harbor")
    assert "Owl At Dusk" in river.http.get(page_of(harbor, copy)).text
    assert "One day at a time." in _remote(harbor, owl.actor)["document"]["summary"]
    [update] = _person_updates(lakeside)
    assert update["inbox"] == f"{harbor.url}/inbox"  # the shared inbox
    activity = update["payload"]
    assert activity["actor"] == owl.actor and activity["object"]["id"] == owl.actor
    assert activity["to"] == ["https://www.w3.org/ns/activitystreams#Public"]
    assert last_drink not in json.dumps(activity) and "sobriety" not in json.dumps(activity)

    # saving the same again changes nothing, and sends nothing
    again = owl.submit("/settings", "/settings/profile", display_name="Owl At Dusk",
                       bio="One day at a time.")
    assert again.status_code == 303
    assert len(_person_updates(lakeside)) == 1

    # a new avatar, from the settings page
    page = owl.http.get("/settings").text
    token = page.split('name="csrf_token" value="')[1].split('"')[0]
    pictured = owl.http.post("/settings/images", data={"csrf_token": token},
                             files={"avatar": ("me.png", image_bytes("PNG"), "image/png")})
    assert pictured.status_code == 303, pictured.text
    wait_until(lambda: "icon" in _remote(harbor, owl.actor)["document"],
               "the avatar's Update reaching harbor")
    assert _remote(harbor, owl.actor)["document"]["icon"]["url"].startswith(
        f"{lakeside.url}/media/")

    # a client app: name and profile fields
    app = register_app(owl.http, scopes="read write")
    api_token = password_token(owl.http, app, "quiet_owl", scope="read write")
    patched = owl.http.patch("/api/v1/accounts/update_credentials", headers=bearer(api_token),
                             json={"display_name": "Owl At Dawn", "fields_attributes": [
                                 {"name": "Home group", "value": "Tuesdays <7pm>"}]})
    assert patched.status_code == 200, patched.text
    wait_until(lambda: _remote(harbor, owl.actor)["name"] == "Owl At Dawn",
               "the client's Update reaching harbor")
    document = _remote(harbor, owl.actor)["document"]
    assert document["attachment"] == [{"type": "PropertyValue", "name": "Home group",
                                       "value": "Tuesdays &lt;7pm&gt;"}]
    assert "Owl At Dawn" in river.http.get(page_of(harbor, copy)).text
    assert len(_person_updates(lakeside)) == 3
    served = owl.http.get(owl.actor, headers={"accept": "application/activity+json"}).json()
    assert served["attachment"] == document["attachment"]  # the actor URL says the same


def test_a_refused_profile_edit_queues_no_update(instances, people):
    harbor, lakeside = instances("harbor"), instances("lakeside")
    river = people.join(harbor, "river_stone")
    owl = people.join(lakeside, "quiet_owl")
    follow_accepted(river, owl)
    refused = owl.submit("/settings", "/settings/profile", display_name="x" * 61, bio="")
    assert refused.status_code == 422
    app = register_app(owl.http, scopes="read write")
    api_token = password_token(owl.http, app, "quiet_owl", scope="read write")
    bad = owl.http.patch("/api/v1/accounts/update_credentials", headers=bearer(api_token),
                         json={"display_name": "Fine name", "fields_attributes": [
                             {"name": "n" * 300, "value": "too long"}]})
    assert bad.status_code == 422, bad.text
    assert _person_updates(lakeside) == []
    assert lakeside.db.fetchval("SELECT display_name FROM members") == "Quiet Owl"
