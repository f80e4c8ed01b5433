"""Media on the web pages: a post's images under it with their alt text;
a remote post's attachments as links to its server, never loaded by the
page; the settings page's avatar and header form."""

from __future__ import annotations

import io
import re
from typing import Any

import asyncpg
from PIL import Image

from recovery import images, media
from recovery.media_models import RemoteMedia
from tests.conftest import csrf_from, run, signup
from tests.helpers_media import assert_clean, jpeg_with_gps


def _own_post(db: Any, username: str) -> int:
    post_id: int = db.fetchval(
        """SELECT p.id FROM posts p JOIN members m ON m.id = p.author_member_id
           WHERE m.username = $1 ORDER BY p.id DESC LIMIT 1""", username)
    return post_id


def _with_conn(database_url: str, work: Any) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(database_url)
        try:
            async with conn.transaction():
                return await work(conn)
        finally:
            await conn.close()
    return run(go())


def test_a_posts_images_show_under_it_with_their_alt_text(app_factory, tmp_path, db,
                                                          database_url):
    client = app_factory(media_dir=tmp_path)
    signup(client, "river")
    page = client.get("/home").text
    assert client.post("/posts", data={"csrf_token": csrf_from(page), "text": "Day 30",
                                       "visibility": "public", "summary": ""}
                       ).status_code == 303
    post_id = _own_post(db, "river")
    files = media.MediaStore(tmp_path)
    member_id = db.fetchval("SELECT id FROM members WHERE username = 'river'")

    async def attach(conn: Any) -> None:
        upload = await media.upload(conn, files, member_id, jpeg_with_gps(),
                                    description="A sunrise over the lake")
        await media.attach_media(conn, member_id, post_id, [upload.id])
    _with_conn(database_url, attach)

    html = client.get(f"/@river/{post_id}").text
    found = re.search(r'<img src="(/media/[0-9a-f]{32}_small\.jpg)" alt="A sunrise over the '
                      r'lake"', html)
    assert found, html
    assert_clean(client.get(found.group(1)).content)
    assert 'alt="A sunrise over the lake"' in client.get("/home").text


def test_a_remote_posts_attachments_are_links_never_loaded_by_the_page(app_factory, db,
                                                                      database_url):
    client = app_factory()
    signup(client, "river")
    page = client.get("/home").text
    client.post("/posts", data={"csrf_token": csrf_from(page), "text": "Mine",
                                "visibility": "public", "summary": ""})
    post_id = _own_post(db, "river")

    async def receive(conn: Any) -> None:
        await media.received(conn, post_id, [RemoteMedia(
            "https://elsewhere.example/files/a.png", "image/png", "<b>A cat</b>")])
    _with_conn(database_url, receive)
    html = client.get(f"/@river/{post_id}").text
    assert '<a href="https://elsewhere.example/files/a.png" rel="nofollow noopener noreferrer">' \
        in html
    assert "&lt;b&gt;A cat&lt;/b&gt;" in html
    assert '<img src="https://elsewhere.example' not in html


def test_settings_page_sets_a_clean_cropped_avatar_and_header(app_factory, tmp_path, db):
    client = app_factory(media_dir=tmp_path)
    signup(client, "river")
    page = client.get("/settings")
    assert 'action="/settings/images"' in page.text
    response = client.post("/settings/images", data={"csrf_token": csrf_from(page.text)},
                           files={"avatar": ("me.jpg", jpeg_with_gps((900, 600)), "image/jpeg"),
                                  "header": ("", b"", "application/octet-stream")})
    assert response.status_code == 303, response.text
    avatar = db.fetchval("SELECT avatar_file FROM members WHERE username = 'river'")
    assert db.fetchval("SELECT header_file FROM members WHERE username = 'river'") is None
    served = client.get(f"/media/{avatar}")
    assert Image.open(io.BytesIO(served.content)).size == images.AVATAR_SIZE
    assert_clean(served.content)
    assert f'<img src="/media/{avatar}"' in client.get("/settings").text
    actor = client.get("/users/river", headers={"accept": "application/activity+json"}).json()
    assert actor["icon"] == {"type": "Image", "url": f"http://testserver/media/{avatar}",
                             "mediaType": "image/jpeg"}
    assert "image" not in actor


def test_settings_images_refuse_a_bad_file_or_a_missing_token(app_factory, tmp_path, db):
    client = app_factory(media_dir=tmp_path)
    signup(client, "river")
    token = csrf_from(client.get("/settings").text)
    bad = client.post("/settings/images", data={"csrf_token": token},
                      files={"avatar": ("me.jpg", b"<html>", "image/jpeg")})
    assert bad.status_code == 422 and "not an image" in bad.text
    forged = client.post("/settings/images",
                         files={"avatar": ("me.jpg", jpeg_with_gps(), "image/jpeg")})
    assert forged.status_code == 403
    assert db.fetchval("SELECT avatar_file FROM members WHERE username = 'river'") is None
    assert not list(tmp_path.iterdir())
