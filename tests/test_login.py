"""Logging in and out: sessions, cookies, rate limits, redirects."""

from __future__ import annotations

from tests.conftest import PASSWORD, csrf_from, login, post_form, signup
from web.security import SESSION_COOKIE


def _logged_in(client) -> bool:
    return "Log out" in client.get("/").text


def test_login_sets_a_signed_httponly_samesite_cookie_and_logout_ends_it(client, app_factory):
    signup(client, "lantern")
    client.cookies.clear()
    assert not _logged_in(client)
    response = login(client, "lantern")
    assert response.status_code == 303
    cookie = next(v for k, v in response.headers.multi_items()
                  if k == "set-cookie" and v.startswith(SESSION_COOKIE))
    assert "HttpOnly" in cookie and "SameSite=lax" in cookie and "Secure" not in cookie
    assert _logged_in(client)
    stolen = client.cookies.get(SESSION_COOKIE)
    token = csrf_from(client.get("/").text)
    assert client.post("/logout", data={"csrf_token": token}).status_code == 303
    assert not _logged_in(client)
    # the old cookie is dead on the server too, not just forgotten by this browser
    other = app_factory()
    other.cookies.set(SESSION_COOKIE, stolen)
    assert not _logged_in(other)


def test_session_cookie_is_secure_under_https(app_factory):
    client = app_factory(url="https://recovery.example")
    response = signup(client, "secure_one")
    cookies = [v for k, v in response.headers.multi_items() if k == "set-cookie"]
    assert cookies and all("Secure" in c for c in cookies)


def test_tampered_session_cookie_is_ignored(client):
    signup(client, "tamper")
    good = client.cookies.get(SESSION_COOKIE)
    value, mac = good.rsplit(".", 1)
    for forged in (value + "x." + mac, value, good[:-2] + "AA"):
        client.cookies.clear()
        client.cookies.set(SESSION_COOKIE, forged)
        assert not _logged_in(client), forged
    client.cookies.clear()
    client.cookies.set(SESSION_COOKIE, good)
    assert _logged_in(client)


def test_wrong_password_and_unknown_user_get_the_same_answer(client):
    signup(client, "known_one")
    client.cookies.clear()
    wrong = login(client, "known_one", "not the password")
    unknown = login(client, "nobody_here", "not the password")
    assert wrong.status_code == unknown.status_code == 401
    assert "do not match" in wrong.text and "do not match" in unknown.text
    assert not _logged_in(client)


def test_login_is_case_insensitive_and_accepts_a_leading_at(client):
    signup(client, "MixedCase")
    client.cookies.clear()
    assert login(client, "@mixedcase").status_code == 303
    assert _logged_in(client)


def test_five_failures_lock_the_account_for_a_while_even_with_the_right_password(client, db):
    signup(client, "locked_out")
    client.cookies.clear()
    for _ in range(5):
        assert login(client, "locked_out", "wrong password!").status_code == 401
    response = login(client, "locked_out")
    assert response.status_code == 429
    assert "Too many failed attempts" in response.text
    assert int(response.headers["retry-after"]) > 0
    assert not _logged_in(client)
    # the window passing lets them in again
    db.execute("UPDATE login_failures SET window_started_at = now() - interval '16 minutes'")
    assert login(client, "locked_out").status_code == 303
    assert db.fetchval("SELECT count(*) FROM login_failures") == 0


def test_a_success_resets_the_failure_count(client, db):
    signup(client, "forgetful")
    client.cookies.clear()
    for _ in range(4):
        login(client, "forgetful", "wrong password!")
    assert login(client, "forgetful").status_code == 303
    assert db.fetchval("SELECT count(*) FROM login_failures") == 0


def test_login_redirects_only_to_same_site_paths(client):
    signup(client, "wanderer")
    client.cookies.clear()
    assert login(client, "wanderer", next_path="/settings").headers["location"] == "/settings"
    client.cookies.clear()
    for evil in ("https://evil.example/", "//evil.example/", "/\\evil.example"):
        client.cookies.clear()
        assert login(client, "wanderer", next_path=evil).headers["location"] == "/"


def test_pages_for_members_send_visitors_to_log_in_first(client):
    response = client.get("/settings")
    assert response.status_code == 303
    assert response.headers["location"] == "/login?next=/settings"


def test_suspended_member_cannot_log_in_and_loses_open_sessions(client, db):
    signup(client, "suspended_one")
    db.execute("UPDATE members SET status = 'suspended'")
    assert not _logged_in(client)
    client.cookies.clear()
    response = login(client, "suspended_one")
    assert response.status_code == 401
    assert "suspended" in response.text


def test_logging_in_again_replaces_the_previous_session(client, db):
    signup(client, "twice")
    assert db.fetchval("SELECT count(*) FROM sessions") == 1
    post_form(client, "/login", "/login",
              {"username": "twice", "password": PASSWORD, "next": "/"})
    assert db.fetchval("SELECT count(*) FROM sessions") == 1


def test_a_session_works_on_every_process_of_the_instance(client, app_factory):
    """Two app processes on one database share sessions and the signing key."""
    signup(client, "roamer")
    token = csrf_from(client.get("/").text)
    second_process = app_factory()
    for name in (SESSION_COOKIE, "hearth_csrf"):
        second_process.cookies.set(name, client.cookies.get(name))
    assert _logged_in(second_process)
    # a form rendered by one process is accepted by the other
    response = second_process.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert not _logged_in(client)
