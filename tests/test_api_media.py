"""Media uploads through the client API: images decoded and encoded again
without their metadata, scaled down, previewed; anything else refused with
a reason and nothing stored; served from /media with safe headers and never
from outside the media directory; descriptions and focal points; attached
to posts and shown in the Status entity; expired when never attached;
avatars and headers."""

from __future__ import annotations

import asyncio
import io
from typing import Any

import asyncpg
import pytest
from PIL import Image

from recovery import images, media
from tests.conftest import run, signup
from tests.helpers_api import bearer, password_token, register_app
from tests.helpers_media import assert_clean, image_bytes, jpeg_with_gps
from web.api import instance
from web.workers import JOBS, JobContext, run_once


@pytest.fixture
def media_dir(tmp_path):
    return tmp_path / "media"


@pytest.fixture
def api(app_factory, media_dir):
    return app_factory(media_dir=media_dir, media_max_side=256)


def _member(client: Any, name: str, scope: str = "read write follow push") -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name, scope=scope))


def _upload(client: Any, auth: dict[str, str], data: bytes, name: str = "photo.jpg",
            kind: str = "image/jpeg", path: str = "/api/v2/media", **fields: str) -> Any:
    return client.post(path, headers=auth, files={"file": (name, data, kind)}, data=fields)


def _served(client: Any, url: str) -> Any:
    response = client.get(url.removeprefix("http://testserver"))
    assert response.status_code == 200, url
    return response


def test_uploaded_jpeg_is_served_without_exif_gps_or_comment(api, media_dir):
    river = _member(api, "river")
    response = _upload(api, river, jpeg_with_gps(), description="My first chip")
    assert response.status_code == 200, response.text
    entity = response.json()
    assert entity["type"] == "image" and entity["description"] == "My first chip"
    assert entity["url"].startswith("http://testserver/media/")
    assert entity["blurhash"] and entity["remote_url"] is None
    assert entity["meta"]["original"] == {"width": 256, "height": 192, "size": "256x192",
                                          "aspect": 1.333333}
    assert entity["meta"]["focus"] == {"x": 0.0, "y": 0.0}
    served = _served(api, entity["url"])
    assert served.headers["content-type"] == "image/jpeg"
    assert served.headers["x-content-type-options"] == "nosniff"
    assert served.headers["content-security-policy"] == "default-src 'none'; sandbox"
    assert "immutable" in served.headers["cache-control"]
    assert assert_clean(served.content).size == (256, 192)
    preview = _served(api, entity["preview_url"])
    assert assert_clean(preview.content).size == (256, 192)
    names = sorted(p.name for p in media_dir.iterdir())
    assert len(names) == 2 and all("photo" not in n for n in names)


def test_v1_media_and_large_images_are_scaled_down_with_a_smaller_preview(app_factory,
                                                                          media_dir):
    client = app_factory(media_dir=media_dir)
    river = _member(client, "river")
    response = _upload(client, river, image_bytes("PNG", (3000, 1000)), "wide.png",
                       "image/png", path="/api/v1/media")
    assert response.status_code == 200, response.text
    meta = response.json()["meta"]
    assert meta["original"]["width"] == 1920 and meta["original"]["height"] == 640
    assert meta["small"]["width"] == 400 and meta["small"]["height"] == 133
    assert _served(client, response.json()["url"]).headers["content-type"] == "image/png"


def test_exif_orientation_is_applied_before_the_metadata_goes(api):
    river = _member(api, "river")
    entity = _upload(api, river, jpeg_with_gps((200, 100), orientation=6)).json()
    assert (entity["meta"]["original"]["width"], entity["meta"]["original"]["height"]) \
        == (100, 200)


@pytest.mark.parametrize(("kind", "mode", "served_as"), [
    ("GIF", "P", "image/png"), ("WEBP", "RGB", "image/webp"), ("PNG", "RGBA", "image/png")])
def test_gif_webp_and_transparent_png_are_accepted(api, kind, mode, served_as):
    river = _member(api, "river")
    response = _upload(api, river, image_bytes(kind, mode=mode), f"x.{kind.lower()}",
                       f"image/{kind.lower()}")
    assert response.status_code == 200, response.text
    assert _served(api, response.json()["url"]).headers["content-type"] == served_as


@pytest.mark.parametrize(("data", "name", "kind"), [
    (b"not an image at all", "photo.jpg", "image/jpeg"),
    (b"<svg xmlns='http://www.w3.org/2000/svg'><script>alert(1)</script></svg>",
     "x.svg", "image/svg+xml"),
    (b"\x89PNG\r\n\x1a\n" + b"\0" * 64, "broken.png", "image/png"),
    (image_bytes("BMP"), "x.bmp", "image/bmp"),
    (image_bytes("TIFF"), "x.tiff", "image/tiff"),
    (b"\0\0\0\x18ftypmp42" + b"\0" * 100, "clip.mp4", "video/mp4"),
])
def test_anything_but_an_accepted_image_is_refused_and_nothing_stored(api, db, media_dir,
                                                                      data, name, kind):
    river = _member(api, "river")
    response = _upload(api, river, data, name, kind)
    assert response.status_code == 422, response.text
    assert "not an image" in response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM media_attachments") == 0
    assert not media_dir.exists() or not list(media_dir.iterdir())


def test_decompression_bombs_and_oversize_files_are_refused(api, db):
    river = _member(api, "river")
    bomb = image_bytes("PNG", (5000, 5000), mode="L")  # 25 Mpx in a few kilobytes
    assert len(bomb) < 100_000
    response = _upload(api, river, bomb, "bomb.png", "image/png")
    assert response.status_code == 422 and "too large" in response.json()["error"]
    huge = jpeg_with_gps() + b"\0" * images.MAX_BYTES
    response = _upload(api, river, huge)
    assert response.status_code == 422 and "too large" in response.json()["error"]
    assert db.fetchval("SELECT count(*) FROM media_attachments") == 0


def test_missing_file_bad_focus_and_long_descriptions_are_refused(api, db):
    river = _member(api, "river")
    missing = api.post("/api/v2/media", headers=river, data={"description": "x"})
    assert missing.status_code == 422 and "file is required" in missing.json()["error"]
    for focus in ("2,0", "a,b", "0.5", "0,0,0"):
        bad = _upload(api, river, jpeg_with_gps(), focus=focus)
        assert bad.status_code == 422 and "focus" in bad.json()["error"], focus
    long = _upload(api, river, jpeg_with_gps(), description="x" * 1501)
    assert long.status_code == 422
    assert db.fetchval("SELECT count(*) FROM media_attachments") == 0


def test_uploading_needs_the_write_media_scope(api):
    reader = _member(api, "river", scope="read")
    assert _upload(api, reader, jpeg_with_gps()).status_code == 403
    assert api.post("/api/v2/media", files={"file": ("a.jpg", b"x", "image/jpeg")}) \
        .status_code == 401


@pytest.mark.parametrize("path", [
    "/media/../schema.sql", "/media/..%2F..%2Fschema.sql", "/media/%2e%2e%2fsecret.jpg",
    "/media/secret.jpg", "/media/" + "0" * 32 + ".jpg",
    "/media/" + "0" * 32 + ".jpg%00.png", "/media/%2fetc%2fpasswd",
])
def test_nothing_outside_the_media_directory_is_ever_served(api, media_dir, path):
    media_dir.mkdir(parents=True, exist_ok=True)
    (media_dir.parent / "secret.jpg").write_bytes(b"private")
    (media_dir / "secret.jpg").write_bytes(b"not a generated name")
    response = api.get(path)
    assert response.status_code == 404
    assert b"private" not in response.content and b"generated" not in response.content


def test_media_can_be_read_and_described_by_its_owner_only(api):
    river, sky = _member(api, "river"), _member(api, "sky")
    entity = _upload(api, river, jpeg_with_gps()).json()
    path = f"/api/v1/media/{entity['id']}"
    changed = api.put(path, headers=river, data={"description": "Coffee", "focus": "0.5,-0.25"})
    assert changed.status_code == 200, changed.text
    assert changed.json()["description"] == "Coffee"
    assert changed.json()["meta"]["focus"] == {"x": 0.5, "y": -0.25}
    assert api.get(path, headers=river).json()["description"] == "Coffee"
    assert api.get(path, headers=sky).status_code == 404
    assert api.put(path, headers=sky, data={"description": "mine"}).status_code == 404
    assert api.get("/api/v1/media/nope", headers=river).status_code == 404
    assert api.put(path, headers=river, data={"focus": "9,9"}).status_code == 422
    assert api.get(path, headers=river).json()["description"] == "Coffee"


def test_instance_configuration_states_the_limits_enforced():
    assert instance.IMAGE_SIZE_LIMIT == images.MAX_BYTES
    assert instance.IMAGE_MATRIX_LIMIT == images.MAX_PIXELS
    assert instance.MEDIA_DESCRIPTION_LIMIT == media.DESCRIPTION_MAX
    assert instance.MAX_MEDIA_ATTACHMENTS == media.MAX_ATTACHMENTS
    assert set(instance.SUPPORTED_MIME_TYPES) == {"image/jpeg", "image/png", "image/gif",
                                                  "image/webp"}


# -- attaching ---------------------------------------------------------------------

def _post(client: Any, auth: dict[str, str], text: str = "Day 30") -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": "public"})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _attach(database_url: str, member: str, post_id: str, media_ids: list[str]) -> Any:
    async def go() -> Any:
        conn = await asyncpg.connect(database_url)
        try:
            member_id = await conn.fetchval("SELECT id FROM members WHERE username = $1",
                                            member)
            async with conn.transaction():
                return await media.attach_media(conn, member_id, int(post_id),
                                                [int(i) for i in media_ids])
        finally:
            await conn.close()
    return run(go())


def test_attached_media_show_in_the_status_in_order(api, database_url):
    river = _member(api, "river")
    first = _upload(api, river, jpeg_with_gps(), description="one").json()
    second = _upload(api, river, image_bytes("PNG"), "b.png", "image/png").json()
    status_id = _post(api, river)
    attached = _attach(database_url, "river", status_id, [second["id"], first["id"]])
    assert [str(m.id) for m in attached] == [second["id"], first["id"]]
    shown = api.get(f"/api/v1/statuses/{status_id}", headers=river).json()
    assert [m["id"] for m in shown["media_attachments"]] == [second["id"], first["id"]]
    assert shown["media_attachments"][1]["description"] == "one"
    timeline = api.get("/api/v1/timelines/home", headers=river).json()
    assert [m["id"] for m in timeline[0]["media_attachments"]] == [second["id"], first["id"]]


def test_attach_media_refuses_others_uploads_repeats_and_attached_ones(api, database_url, db):
    river, sky = _member(api, "river"), _member(api, "sky")
    mine = _upload(api, river, jpeg_with_gps()).json()["id"]
    theirs = _upload(api, sky, jpeg_with_gps()).json()["id"]
    status_id = _post(api, river)
    for ids in ([theirs], [mine, mine], [mine] * 5, ["999999"]):
        with pytest.raises(media.InvalidInput):
            _attach(database_url, "river", status_id, ids)
    assert db.fetchval("SELECT count(*) FROM media_attachments WHERE post_id IS NOT NULL") == 0
    _attach(database_url, "river", status_id, [mine])
    with pytest.raises(media.InvalidInput):
        _attach(database_url, "river", _post(api, river, "again"), [mine])


def test_unattached_uploads_expire_after_a_day_with_their_files(api, db, media_dir, settings,
                                                               database_url):
    river = _member(api, "river")
    old = _upload(api, river, jpeg_with_gps()).json()
    kept = _upload(api, river, jpeg_with_gps()).json()
    db.execute("UPDATE media_attachments SET created_at = now() - interval '25 hours' "
               "WHERE id = $1", int(old["id"]))
    assert len(list(media_dir.iterdir())) == 4

    async def expire() -> dict[str, int]:
        pool = await asyncpg.create_pool(database_url, min_size=1, max_size=2)
        try:
            context = JobContext(None, settings.__class__.load(  # type: ignore[arg-type]
                {}, url="http://testserver", media_dir=media_dir), asyncio.Event())
            jobs = tuple(j for j in JOBS if j.name == "expire-media")
            return await run_once(pool, jobs, context)
        finally:
            await pool.close()
    assert run(expire()) == {"expire-media": 1}
    assert [r["id"] for r in db.fetch("SELECT id FROM media_attachments")] == [int(kept["id"])]
    assert len(list(media_dir.iterdir())) == 2
    assert api.get(old["url"].removeprefix("http://testserver")).status_code == 404


# -- avatars and headers -----------------------------------------------------------

def _set_image(database_url: str, media_dir: Any, member: str, which: str, raw: bytes) -> str:
    async def go() -> str:
        conn = await asyncpg.connect(database_url)
        try:
            member_id = await conn.fetchval("SELECT id FROM members WHERE username = $1",
                                            member)
            setter = media.set_avatar if which == "avatar" else media.set_header
            files = media.MediaStore(media_dir)
            async with conn.transaction():
                new, old = await setter(conn, files, member_id, raw)
            media.remove_files(files, old)
            return new
        finally:
            await conn.close()
    return run(go())


def test_avatar_and_header_are_cropped_clean_and_shown_on_the_account(api, database_url,
                                                                     media_dir):
    river = _member(api, "river")
    first = _set_image(database_url, media_dir, "river", "avatar", jpeg_with_gps((900, 500)))
    _set_image(database_url, media_dir, "river", "avatar", jpeg_with_gps((500, 900)))
    assert not (media_dir / first).exists()  # the replaced avatar's file is gone
    _set_image(database_url, media_dir, "river", "header", image_bytes("PNG", (800, 800)))
    account = api.get("/api/v1/accounts/verify_credentials", headers=river).json()
    avatar = Image.open(io.BytesIO(_served(api, account["avatar"]).content))
    header = Image.open(io.BytesIO(_served(api, account["header"]).content))
    assert avatar.size == images.AVATAR_SIZE and header.size == images.HEADER_SIZE
    assert_clean(_served(api, account["avatar_static"]).content)


def test_update_credentials_sets_avatar_and_header_or_changes_nothing(api, db, media_dir):
    river = _member(api, "river")
    bad = api.patch("/api/v1/accounts/update_credentials", headers=river,
                    data={"display_name": "River"},
                    files={"avatar": ("a.jpg", b"GIF89a nope", "image/jpeg")})
    assert bad.status_code == 422 and "avatar" in bad.json()["error"]
    assert db.fetchval("SELECT display_name FROM members WHERE username = 'river'") == ""
    response = api.patch("/api/v1/accounts/update_credentials", headers=river,
                         data={"display_name": "River"},
                         files={"avatar": ("a.jpg", jpeg_with_gps((300, 500)), "image/jpeg"),
                                "header": ("h.png", image_bytes("PNG", (600, 600)),
                                           "image/png")})
    assert response.status_code == 200, response.text
    account = response.json()
    assert account["display_name"] == "River"
    assert account["avatar"].endswith(".jpg") and account["header"].endswith(".png")
    again = api.patch("/api/v1/accounts/update_credentials", headers=river,
                      files={"avatar": ("b.webp", image_bytes("WEBP"), "image/webp")})
    assert again.json()["avatar"].endswith(".webp")
    assert not (media_dir / account["avatar"].rsplit("/", 1)[1]).exists()  # replaced: gone
    assert _served(api, again.json()["avatar"]).headers["content-type"] == "image/webp"
    assert api.get("/api/v1/accounts/verify_credentials", headers=river).json()["header"] \
        == account["header"]


def test_a_status_with_media_ids_shows_them_and_bad_ids_store_no_post(api, db):
    river, sky = _member(api, "river"), _member(api, "sky")
    mine = _upload(api, river, jpeg_with_gps(), description="Chip").json()["id"]
    theirs = _upload(api, sky, jpeg_with_gps()).json()["id"]
    for ids in ([theirs], ["abc"], [mine, mine], ["99999"]):
        refused = api.post("/api/v1/statuses", headers=river,
                           data={"status": "Day 30", "media_ids[]": ids})
        assert refused.status_code == 422, (ids, refused.text)
    assert db.fetchval("SELECT count(*) FROM posts") == 0
    made = api.post("/api/v1/statuses", headers=river,
                    data={"status": "Day 30", "media_ids[]": [mine]})
    assert made.status_code == 200, made.text
    assert [m["description"] for m in made.json()["media_attachments"]] == ["Chip"]
    status_id = made.json()["id"]
    same = api.put(f"/api/v1/statuses/{status_id}", headers=river,
                   data={"status": "Day 31", "media_ids[]": [mine]})
    assert same.status_code == 200, same.text
    other = _upload(api, river, jpeg_with_gps()).json()["id"]
    changed = api.put(f"/api/v1/statuses/{status_id}", headers=river,
                      data={"status": "Day 32", "media_ids[]": [other]})
    assert changed.status_code == 422
    reused = api.post("/api/v1/statuses", headers=river,
                      data={"status": "Again", "media_ids[]": [mine]})
    assert reused.status_code == 422


def test_reliability_40_a_false_name_and_type_give_a_generated_name_and_the_real_type(
        api, media_dir, tmp_path):
    river = _member(api, "river")
    response = _upload(api, river, image_bytes("PNG"), "../../evil.html", "text/html")
    assert response.status_code == 200, response.text
    url = response.json()["url"]
    assert url.endswith(".png") and "evil" not in url
    assert _served(api, url).headers["content-type"] == "image/png"
    assert not list(tmp_path.rglob("evil*"))
    assert all(media.FILE_NAME.fullmatch(p.name) for p in media_dir.iterdir())


def test_the_note_served_to_other_servers_carries_its_attachments(api):
    river = _member(api, "river")
    photo = _upload(api, river, jpeg_with_gps(), description="Chip").json()
    status = api.post("/api/v1/statuses", headers=river, data={
        "status": "Day 30", "visibility": "public", "media_ids[]": [photo["id"]]}).json()
    note = api.get(f"/users/river/posts/{status['id']}",
                   headers={"accept": "application/activity+json"}).json()
    assert note["attachment"] == [{
        "type": "Image", "mediaType": "image/jpeg", "url": photo["url"], "name": "Chip",
        "blurhash": photo["blurhash"], "width": 256, "height": 192, "focalPoint": [0.0, 0.0]}]


def test_a_broken_colour_profile_is_dropped_and_the_image_kept(api):
    river = _member(api, "river")
    out = io.BytesIO()
    Image.new("RGB", (64, 64), (200, 30, 30)).save(out, "JPEG", icc_profile=b"not a profile")
    response = _upload(api, river, out.getvalue())
    assert response.status_code == 200, response.text
    assert_clean(_served(api, response.json()["url"]).content)


def test_media_settings_default_to_the_data_directory_and_are_checked(tmp_path):
    from web.settings import ConfigError, Settings

    default = Settings.load({"HEARTH_DATA_DIR": str(tmp_path)})
    assert default.media_path == tmp_path / "media" and default.media_max_side == 1920
    chosen = Settings.load({"HEARTH_MEDIA_DIR": str(tmp_path / "m"),
                            "HEARTH_MEDIA_MAX_SIDE": "800"})
    assert chosen.media_path == tmp_path / "m" and chosen.media_max_side == 800
    for bad in ("0", "big", "100000"):
        with pytest.raises(ConfigError, match="HEARTH_MEDIA_MAX_SIDE"):
            Settings.load({"HEARTH_MEDIA_MAX_SIDE": bad})
