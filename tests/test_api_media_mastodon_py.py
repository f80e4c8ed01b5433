"""End to end with the real Mastodon.py against real `hearth serve`
processes: a member uploads a phone photo carrying EXIF GPS (media_post),
and what the server serves has none of it; bad files are refused; a post
with the photo reaches a follower on another instance with its alt text,
size and blurhash, shown there as the remote address."""

from __future__ import annotations

import io
import json
from collections.abc import Iterator

import httpx2
import pytest
from mastodon import MastodonAPIError

from tests.conftest import signup_over_http
from tests.helpers_api import mastodon_py_login
from tests.helpers_federation import People, follow_accepted, wait_until
from tests.helpers_media import assert_clean, jpeg_with_gps

pytestmark = pytest.mark.slow


@pytest.fixture
def people() -> Iterator[People]:
    crowd = People()
    yield crowd
    crowd.close()


def test_mastodon_py_upload_is_served_without_exif_or_gps(instances, tmp_path):
    hearth = instances("hearth", HEARTH_MEDIA_DIR=str(tmp_path / "uploads"))
    with hearth.client() as http:
        assert signup_over_http(http, "river").status_code == 201
    api = mastodon_py_login(hearth.url, "river")

    photo = api.media_post(io.BytesIO(jpeg_with_gps((2400, 1800))), mime_type="image/jpeg",
                           description="My 30-day chip", focus=(0.25, -0.5))
    assert photo.type == "image" and photo.description == "My 30-day chip"
    assert photo.meta.original.width == 1920 and photo.meta.original.height == 1440
    assert photo.meta.focus.x == 0.25 and photo.blurhash
    served = httpx2.get(photo.url, timeout=15)
    assert served.status_code == 200 and served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert_clean(served.content)
    assert_clean(httpx2.get(photo.preview_url, timeout=15).content)
    assert [p.name for p in (tmp_path / "uploads").iterdir()]  # the setting is used

    assert api.media_update(photo, description="Thirty days").description == "Thirty days"
    assert api.media(photo).description == "Thirty days"
    with pytest.raises(MastodonAPIError) as refused:
        api.media_post(io.BytesIO(b"#!/bin/sh\necho hi\n"), mime_type="image/png",
                       file_name="script.png")
    assert "not an image" in str(refused.value)

    me = api.account_update_credentials(avatar=io.BytesIO(jpeg_with_gps((800, 600))),
                                        avatar_mime_type="image/jpeg")
    avatar = httpx2.get(me.avatar, timeout=15)
    assert avatar.status_code == 200 and assert_clean(avatar.content).size == (400, 400)
    assert httpx2.get(f"{hearth.url}/users/river", timeout=15, headers={
        "accept": "application/activity+json"}).json()["icon"]["url"] == me.avatar
    traversal = httpx2.get(f"{hearth.url}/media/..%2f..%2fhearth.stderr", timeout=15)
    assert traversal.status_code == 404


def test_attachments_federate_to_a_follower_on_another_instance(instances, people):
    hearth, peer = instances("hearth"), instances("peer")
    river = people.join(hearth, "river")
    sky = people.join(peer, "sky")
    follow_accepted(sky, river)
    api = mastodon_py_login(hearth.url, "river")

    photo = api.media_post(io.BytesIO(jpeg_with_gps()), mime_type="image/jpeg",
                           description="Sunrise walk")
    status = api.status_post("Day 30, sunrise walk", media_ids=[photo], visibility="public")
    assert [m.id for m in status.media_attachments] == [photo.id]
    assert api.status(status).media_attachments[0].description == "Sunrise walk"

    uri = river.post_uri(int(status.id))
    wait_until(lambda: peer.db.fetchval("SELECT id FROM posts WHERE uri = $1", uri),
               "the post reaching the other instance")
    remote = peer.db.fetch(
        """SELECT a.remote_url, a.description, a.media_type, a.file_name FROM media_attachments a
           JOIN posts p ON p.id = a.post_id WHERE p.uri = $1""", uri)
    assert [dict(r) for r in remote] == [{"remote_url": photo.url,
                                          "description": "Sunrise walk",
                                          "media_type": "image/jpeg", "file_name": None}]
    sent = hearth.db.fetchval(
        """SELECT payload->'object'->'attachment' FROM deliveries
           WHERE payload->'object'->>'id' = $1""", uri)
    attachment = json.loads(sent)[0]
    assert attachment["type"] == "Image" and attachment["mediaType"] == "image/jpeg"
    assert attachment["url"] == photo.url and attachment["name"] == "Sunrise walk"
    assert (attachment["width"], attachment["height"]) == (640, 480)
    assert attachment["blurhash"] == photo.blurhash
    sky_api = mastodon_py_login(peer.url, "sky")
    shown = sky_api.timeline_home()[0]
    assert shown.media_attachments[0].remote_url == photo.url
    assert shown.media_attachments[0].description == "Sunrise walk"
