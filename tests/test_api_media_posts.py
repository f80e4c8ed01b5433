"""Posts with media from a client: a post may be images alone (no text), as
Mastodon allows, and federates as a Note with its attachments and empty
content; ``only_media`` narrows an account's posts, the public and the
hashtag timelines to posts with media, paging as before; ``hide`` filters
apply to an account's posts and a thread; a mention names an account on a
server with a port."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs

import httpx2
import pytest
from starlette.testclient import TestClient

from federation.keys import generate_rsa_keypair
from tests.conftest import login, make_settings, signup
from tests.helpers_api import bearer, password_token, register_app
from tests.helpers_media import jpeg_with_gps
from web.app import create_app

BLANK = {"error": "Validation failed: Text can't be blank"}
REMOTE = "https://peer.example/users/ash"
AP = "application/activity+json"


@pytest.fixture
def api(app_factory, tmp_path):
    return app_factory(media_dir=tmp_path / "media", media_max_side=256)


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name))


def _upload(client: Any, auth: dict[str, str], description: str = "") -> str:
    response = client.post("/api/v2/media", headers=auth, data={"description": description},
                           files={"file": ("photo.jpg", jpeg_with_gps(), "image/jpeg")})
    assert response.status_code == 200, response.text
    media_id: str = response.json()["id"]
    return media_id


def _post(client: Any, auth: dict[str, str], **data: Any) -> Any:
    return client.post("/api/v1/statuses", headers=auth, data=data)


def _posted(client: Any, auth: dict[str, str], **data: Any) -> dict[str, Any]:
    response = _post(client, auth, **{"visibility": "public", **data})
    assert response.status_code == 200, response.text
    status: dict[str, Any] = response.json()
    return status


def _remote_follower(db: Any, username: str) -> None:
    remote = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, document)
           VALUES ($1, 'peer.example', 'Person', 'ash', 'https://peer.example/inbox', '{}')
           RETURNING id""", REMOTE)
    db.execute("""INSERT INTO follows (uri, follower_remote_id, followed_member_id, state)
                  SELECT 'https://peer.example/follows/1', $1, id, 'accepted'
                  FROM members WHERE username = $2""", remote, username)


def _sent(db: Any, kind: str) -> list[dict[str, Any]]:
    """The objects of the activities of this type queued for delivery, in order."""
    payloads = [json.loads(r["payload"]) for r in db.fetch(
        "SELECT payload FROM deliveries ORDER BY id")]
    return [p["object"] for p in payloads if p["type"] == kind]


def _ids(response: Any) -> list[str]:
    assert response.status_code == 200, response.text
    return [s["id"] for s in response.json()]


# -- media-only posts ----------------------------------------------------------------

def test_a_post_of_images_alone_is_written_federated_and_shown(api, db):
    river = _member(api, "river")
    _remote_follower(db, "river")
    photo = _upload(api, river, "Sunrise over the lake")
    status = _posted(api, river, **{"media_ids[]": photo})
    assert status["content"] == "" and status["spoiler_text"] == ""
    assert [m["id"] for m in status["media_attachments"]] == [photo]
    assert api.get(f"/api/v1/statuses/{status['id']}/source", headers=river).json()["text"] \
        == ""
    note = _sent(db, "Create")[0]
    assert note["content"] == "" and len(note["attachment"]) == 1
    assert note["attachment"][0]["name"] == "Sunrise over the lake"
    assert note["attachment"][0]["url"] == status["media_attachments"][0]["url"]

    second = _upload(api, river)  # "status" sent empty, and as a reply
    reply = _posted(api, river, status="  ", in_reply_to_id=status["id"],
                    **{"media_ids[]": second})
    assert reply["content"] == "" and reply["in_reply_to_id"] == status["id"]

    login(api, "river")
    for page in (f"/@river/{status['id']}", "/home", "/@river"):
        html = api.get(page)
        assert html.status_code == 200, page
        assert 'alt="Sunrise over the lake"' in html.text, page


def test_a_post_with_neither_text_nor_media_is_refused_and_nothing_stored(api, db):
    river, sky = _member(api, "river"), _member(api, "sky")
    for data in ({}, {"status": ""}, {"status": " \n "}, {"status": "", "media_ids[]": ""}):
        response = _post(api, river, **data)
        assert (response.status_code, response.json()) == (422, BLANK), data
    theirs = _upload(api, sky)
    response = _post(api, river, **{"media_ids[]": theirs})
    assert response.status_code == 422 and "not yours" in response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    assert db.fetchval("SELECT count(*) FROM media_attachments WHERE post_id IS NOT NULL") == 0


def test_an_edit_may_leave_no_text_only_on_a_post_with_images(api, db):
    river = _member(api, "river")
    _remote_follower(db, "river")
    photo = _upload(api, river, "Chip")
    pictured = _posted(api, river, status="Day 30", **{"media_ids[]": photo})
    worded = _posted(api, river, status="Day 31")

    edited = api.put(f"/api/v1/statuses/{pictured['id']}", headers=river, data={"status": ""})
    assert edited.status_code == 200, edited.text
    assert edited.json()["content"] == ""
    assert [m["id"] for m in edited.json()["media_attachments"]] == [photo]
    update = _sent(db, "Update")[0]
    assert update["content"] == "" and update["attachment"][0]["name"] == "Chip"

    refused = api.put(f"/api/v1/statuses/{worded['id']}", headers=river, data={"status": " "})
    assert (refused.status_code, refused.json()) == (422, BLANK)
    assert api.get(f"/api/v1/statuses/{worded['id']}", headers=river).json()["content"] \
        == "<p>Day 31</p>"
    assert len(_sent(db, "Update")) == 1


# -- only_media ----------------------------------------------------------------------

def test_only_media_lists_only_posts_with_images_and_pages_through_them(api):
    river, sky = _member(api, "river"), _member(api, "sky")
    pictured, plain = [], []
    for n in range(3):
        pictured.append(_posted(api, river, status=f"Walk {n} #outside",
                                **{"media_ids[]": _upload(api, river)})["id"])
        plain.append(_posted(api, river, status=f"Note {n} #outside")["id"])
    boost = api.post(f"/api/v1/statuses/{pictured[0]}/reblog", headers=river)
    assert boost.status_code == 200, boost.text
    newest_first = pictured[::-1]
    account = api.get("/api/v1/accounts/lookup", params={"acct": "river"}).json()["id"]
    feeds = [f"/api/v1/accounts/{account}/statuses", "/api/v1/timelines/public",
             "/api/v1/timelines/tag/outside"]
    for feed in feeds:
        assert _ids(api.get(feed, headers=sky, params={"only_media": "true"})) \
            == newest_first, feed
        everything = _ids(api.get(feed, headers=sky, params={"only_media": "false"}))
        assert set(plain) <= set(everything), feed
        walked, params = [], {"only_media": "true", "limit": "2"}
        while True:
            response = api.get(feed, headers=sky, params=params)
            if not _ids(response):
                break
            walked += _ids(response)
            found = re.search(r"max_id=(\d+)[^>]*>; rel=\"next\"", response.headers["link"])
            assert found, response.headers
            params = {**params, "max_id": found.group(1)}
        assert walked == newest_first, feed
        since = _ids(api.get(feed, headers=sky, params={"only_media": "1",
                                                        "min_id": pictured[0]}))
        assert since == newest_first[:2], feed


# -- hide filters --------------------------------------------------------------------

def test_hide_filters_take_posts_out_of_an_account_and_a_thread(api):
    river, sky = _member(api, "river"), _member(api, "sky")
    root = _posted(api, river, status="Day 90 today")["id"]
    wine = _posted(api, river, status="Thinking about wine", in_reply_to_id=root)["id"]
    kind = _posted(api, river, status="Thanks all", in_reply_to_id=wine)["id"]
    account = api.get("/api/v1/accounts/lookup", params={"acct": "river"}).json()["id"]
    statuses = f"/api/v1/accounts/{account}/statuses"
    made = api.post("/api/v2/filters", headers=sky, json={
        "title": "Drink", "context": ["account", "thread"], "filter_action": "hide",
        "keywords_attributes": [{"keyword": "wine"}]})
    assert made.status_code == 200, made.text

    assert _ids(api.get(statuses, headers=sky)) == [kind, root]
    assert _ids(api.get(statuses, headers=river)) == [kind, wine, root]  # not river's filter
    thread = api.get(f"/api/v1/statuses/{kind}/context", headers=sky).json()
    assert [s["id"] for s in thread["ancestors"]] == [root]
    thread = api.get(f"/api/v1/statuses/{root}/context", headers=sky).json()
    assert [s["id"] for s in thread["descendants"]] == [kind]
    shown = api.get(f"/api/v1/statuses/{wine}/context", headers=sky).json()
    assert [s["id"] for s in shown["ancestors"] + shown["descendants"]] == [root, kind]
    response = api.get(statuses, headers=sky, params={"limit": "2"})  # paging moves past it
    assert _ids(response) == [kind] and f"max_id={wine}" in response.headers["link"]

    api.put(f"/api/v2/filters/{made.json()['id']}", headers=sky,
            json={"context": ["home", "public"]})
    assert _ids(api.get(statuses, headers=sky)) == [kind, wine, root]
    thread = api.get(f"/api/v1/statuses/{root}/context", headers=sky).json()
    assert [s["id"] for s in thread["descendants"]] == [wine, kind]


# -- mentions with a port ------------------------------------------------------------

@pytest.fixture
def with_peer(database_url: str) -> Iterator[tuple[TestClient, list[httpx2.Request]]]:
    """An app whose outgoing requests reach a server at host.example:8443
    (an httpx2.MockTransport) serving WebFinger and the actor @ash."""
    pem = generate_rsa_keypair()[1]
    uri = "https://host.example:8443/users/ash"
    actor = {"@context": ["https://www.w3.org/ns/activitystreams"], "id": uri,
             "type": "Person", "preferredUsername": "ash", "inbox": f"{uri}/inbox",
             "publicKey": {"id": f"{uri}#main-key", "owner": uri, "publicKeyPem": pem}}
    seen: list[httpx2.Request] = []

    def handler(request: httpx2.Request) -> httpx2.Response:
        seen.append(request)
        if request.url.path == "/.well-known/webfinger":
            resource = parse_qs(request.url.query.decode()).get("resource", [""])[0]
            if resource != "acct:ash@host.example:8443":
                return httpx2.Response(404)
            return httpx2.Response(200, json={"subject": resource, "links": [
                {"rel": "self", "type": AP, "href": uri}]})
        if str(request.url) == uri:
            return httpx2.Response(200, content=json.dumps(actor).encode(),
                                   headers={"content-type": AP})
        return httpx2.Response(404)

    settings = make_settings(database_url, allow_private_network=True)
    app = create_app(settings, http_client_factory=lambda policy: httpx2.AsyncClient(
        transport=httpx2.MockTransport(handler)))
    with TestClient(app, base_url=settings.url, follow_redirects=False) as client:
        yield client, seen


def test_a_mention_of_an_account_on_a_server_with_a_port_reaches_it(with_peer, db):
    client, seen = with_peer
    river = _member(client, "river")
    ash = "https://host.example:8443/users/ash"
    status = _posted(client, river, status="Welcome @ash@host.example:8443, glad you came.",
                     visibility="direct")
    assert [(r.url.host, r.url.port) for r in seen] == [("host.example", 8443)] * 2
    assert db.fetchval("SELECT host FROM remote_actors WHERE uri = $1", ash) \
        == "host.example:8443"
    sent = [json.loads(r["payload"]) for r in db.fetch(
        "SELECT payload FROM deliveries WHERE inbox = $1 ORDER BY id", f"{ash}/inbox")]
    assert [(c["type"], c["object"]["to"]) for c in sent] == [("Create", [ash])]
    mention = {"type": "Mention", "href": ash, "name": "@ash@host.example:8443"}
    assert mention in sent[0]["object"]["tag"]
    assert db.fetchval("SELECT recipients FROM posts WHERE id = $1", int(status["id"])) \
        == [ash]
    _posted(client, river, status="Again, @ash@host.example:8443.", visibility="direct")
    assert len(seen) == 2  # known now: not looked up again
    assert db.fetchval("SELECT count(*) FROM deliveries WHERE inbox = $1", f"{ash}/inbox") == 2
