"""Post search with Mastodon's operators (GET /api/v2/search): from: (me, a
member here, a known remote account), has:media, is:reply, is:sensitive,
language:, before:/after:/during:, -negation, "phrases" and in:library;
a word with an unknown operator stays a word; a bad date is a 422; and
the operators never widen what the member may see."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conftest import signup
from tests.helpers_api import bearer, password_token, register_app
from tests.helpers_media import jpeg_with_gps

REMOTE = "https://peer.example/users/ash"


@pytest.fixture
def api(app_factory, tmp_path):
    return app_factory(media_dir=tmp_path / "media", media_max_side=256)


def _member(client: Any, name: str) -> dict[str, str]:
    signup(client, name)
    return bearer(password_token(client, register_app(client), name))


def _post(client: Any, auth: dict[str, str], text: str, **data: Any) -> str:
    response = client.post("/api/v1/statuses", headers=auth,
                           data={"status": text, "visibility": "public", **data})
    assert response.status_code == 200, response.text
    status_id: str = response.json()["id"]
    return status_id


def _found(client: Any, auth: dict[str, str], q: str) -> list[str]:
    response = client.get("/api/v2/search", headers=auth, params={"q": q, "type": "statuses"})
    assert response.status_code == 200, (q, response.text)
    return sorted(s["content"].removeprefix("<p>").removesuffix("</p>")
                  for s in response.json()["statuses"])


def _remote_with_post(db: Any, text: str) -> None:
    remote = db.fetchval(
        """INSERT INTO remote_actors (uri, host, type, preferred_username, inbox, document)
           VALUES ($1, 'peer.example', 'Person', 'ash', 'https://peer.example/inbox', '{}')
           RETURNING id""", REMOTE)
    db.execute("""INSERT INTO posts (uri, author_remote_id, visibility, content_html)
                  VALUES ('https://peer.example/notes/1', $1, 'public', $2)""",
               remote, f"<p>{text}</p>")


def test_from_finds_my_posts_a_members_and_a_known_remote_accounts(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    _post(client, river, "walk by the river")
    _post(client, sky, "walk in the sky")
    _remote_with_post(db, "walk by the sea")
    assert _found(client, river, "from:me") == ["walk by the river"]
    assert _found(client, river, "from:me walk") == ["walk by the river"]
    assert _found(client, river, "walk from:sky") == ["walk in the sky"]
    assert _found(client, river, "walk from:@sky") == ["walk in the sky"]
    assert _found(client, river, "from:@sky@testserver") == ["walk in the sky"]
    assert _found(client, river, "from:@ash@peer.example") == ["walk by the sea"]
    assert _found(client, river, "from:ash@PEER.example walk") == ["walk by the sea"]
    assert _found(client, river, "walk -from:me") == ["walk by the sea", "walk in the sky"]
    # nobody of that name: nothing, not everything
    assert _found(client, river, "from:nobody walk") == []
    assert _found(client, river, "from:@nobody@elsewhere.example") == []
    assert _found(client, river, "from:me from:sky") == []
    sky_id = client.get("/api/v1/accounts/verify_credentials", headers=sky).json()["id"]
    response = client.get("/api/v2/search", headers=river, params={
        "q": "from:me", "type": "statuses", "account_id": sky_id})
    assert response.json()["statuses"] == []


def test_from_never_shows_a_members_private_posts_to_others_or_blocked_ones(client, db):
    river, sky, lake = (_member(client, n) for n in ("river", "sky", "lake"))
    _post(client, sky, "just for followers", visibility="private")
    _post(client, sky, "@lake a note to lake", visibility="direct")
    _post(client, sky, "out in the open")
    assert _found(client, river, "from:sky") == ["out in the open"]
    assert len(_found(client, sky, "from:me")) == 3
    assert len(_found(client, lake, "from:sky")) == 2
    lake_id = client.get("/api/v1/accounts/verify_credentials", headers=lake).json()["id"]
    _post(client, lake, "lake speaks")
    client.post(f"/api/v1/accounts/{lake_id}/block", headers=river)
    assert _found(client, river, "from:lake") == []
    sky_id = client.get("/api/v1/accounts/verify_credentials", headers=sky).json()["id"]
    client.post(f"/api/v1/accounts/{sky_id}/mute", headers=river)
    assert _found(client, river, "from:sky") == []


def test_property_language_and_day_operators_narrow_the_posts(api, db):
    river = _member(api, "river")
    upload = api.post("/api/v2/media", headers=river,
                      files={"file": ("photo.jpg", jpeg_with_gps(), "image/jpeg")})
    assert upload.status_code == 200, upload.text
    first = _post(api, river, "morning picture", **{"media_ids[]": upload.json()["id"]})
    _post(api, river, "morning reply", in_reply_to_id=first, language="fr")
    _post(api, river, "morning warning", spoiler_text="hard day", sensitive="true",
          language="en")
    old = _post(api, river, "morning long ago")
    db.execute("UPDATE posts SET published_at = '2020-03-04 12:00Z' WHERE id = $1", int(old))
    assert _found(api, river, "has:media") == ["morning picture"]
    assert _found(api, river, "has:image morning") == ["morning picture"]
    assert _found(api, river, "morning -has:media -is:reply -is:sensitive") == [
        "morning long ago"]
    assert _found(api, river, "is:reply") == ["morning reply"]
    assert _found(api, river, "is:sensitive") == ["morning warning"]
    assert _found(api, river, "has:link") == []  # a property not kept here: none match
    assert _found(api, river, "language:fr") == ["morning reply"]
    assert _found(api, river, "morning -language:fr -language:en") == [
        "morning long ago", "morning picture"]
    assert _found(api, river, "during:2020-03-04") == ["morning long ago"]
    assert _found(api, river, "before:2020-03-04") == []
    assert _found(api, river, "before:2020-03-05 morning") == ["morning long ago"]
    assert _found(api, river, "after:2020-03-03 before:2020-03-05") == ["morning long ago"]
    assert _found(api, river, "after:2020-03-04 morning") == [
        "morning picture", "morning reply", "morning warning"]


def test_words_phrases_unknown_operators_and_bad_values(client, db):
    river, sky = _member(client, "river"), _member(client, "sky")
    _post(client, river, "one day at a time")
    _post(client, river, "a time for one more day")
    _post(client, river, "meet at 10:30 today")
    assert _found(client, river, '"one day"') == ["one day at a time"]
    assert _found(client, river, "time -more") == ["one day at a time"]
    assert _found(client, river, "10:30") == ["meet at 10:30 today"]
    assert _found(client, river, "colour:blue") == []  # a word, not an operator
    for q in ("before:yesterday", "during:2024-13-01", "language:english"):
        response = client.get("/api/v2/search", headers=river, params={"q": q})
        assert response.status_code == 422, q
        assert response.json()["error"]
    assert _found(client, river, "in:all from:me time") == [
        "a time for one more day", "one day at a time"]
    # in:library: what the member wrote, liked, boosted, bookmarked or was sent
    liked = _post(client, sky, "sky's thought for the day")
    _post(client, sky, "sky's other day")
    assert client.post(f"/api/v1/statuses/{liked}/favourite", headers=river).status_code == 200
    assert "sky's thought for the day" in _found(client, river, "in:library day")
    assert "sky's other day" not in _found(client, river, "in:library day")
    assert _found(client, river, '- "" -""') == []
