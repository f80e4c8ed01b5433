"""A post's poll on the web pages: a member who may vote gets a form (CSRF
checked), then sees the results with their vote; its author sees the
results, never a form; hidden totals stay hidden from others until the end;
a vote without a choice is refused with the reason."""

from __future__ import annotations

from typing import Any

from tests.conftest import csrf_from, signup
from tests.helpers_api import bearer, password_token, register_app


def _poll(client: Any, auth: dict[str, str], **extra: str) -> str:
    response = client.post("/api/v1/statuses", headers=auth, data={
        "status": "Coffee or tea after the meeting?", "visibility": "public",
        "poll[options][]": ["Coffee", "Tea <b>"], "poll[expires_in]": "3600", **extra})
    assert response.status_code == 200, response.text
    poll_id: str = response.json()["id"]
    return poll_id


def test_a_member_votes_from_the_posts_page_and_sees_the_results(client, db):
    signup(client, "river")
    river = bearer(password_token(client, register_app(client), "river"))
    post_id = _poll(client, river)
    signup(client, "sky")  # the pages are now sky's
    page = client.get(f"/@river/{post_id}")
    assert page.status_code == 200
    assert f'action="/posts/{post_id}/vote"' in page.text
    assert "Tea &lt;b&gt;" in page.text and "Tea <b>" not in page.text

    missing = client.post(f"/posts/{post_id}/vote", data={"csrf_token": csrf_from(page.text)})
    assert missing.status_code == 422 and "Choose an option first." in missing.text
    forged = client.post(f"/posts/{post_id}/vote", data={"csrf_token": "x", "choice": "0"})
    assert forged.status_code in (400, 403)
    voted = client.post(f"/posts/{post_id}/vote", data={
        "csrf_token": csrf_from(page.text), "choice": "1", "next": f"/@river/{post_id}"})
    assert voted.status_code == 303 and voted.headers["location"] == f"/@river/{post_id}"
    after = client.get(f"/@river/{post_id}").text
    assert "/vote" not in after and "(your vote)" in after and "1 vote (100%)" in after
    assert db.fetchval("SELECT choice FROM poll_votes") == 1
    again = client.post(f"/posts/{post_id}/vote", data={
        "csrf_token": csrf_from(after), "choice": "0"})
    assert again.status_code == 422 and "You have already voted on this poll" in again.text


def test_the_author_sees_results_and_others_hidden_totals(client):
    signup(client, "river")
    river = bearer(password_token(client, register_app(client), "river"))
    post_id = _poll(client, river, **{"poll[hide_totals]": "true"})
    mine = client.get(f"/@river/{post_id}").text
    assert "/vote" not in mine and "0 votes" in mine
    signup(client, "sky")
    sky = bearer(password_token(client, register_app(client), "sky"))
    assert client.post(f"/api/v1/polls/{post_id}/votes", headers=sky,
                       data={"choices[]": "0"}).status_code == 200
    theirs = client.get(f"/@river/{post_id}").text
    assert "(your vote)" in theirs and "1 vote" not in theirs and "1 person voted" in theirs
