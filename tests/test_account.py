"""A member's own settings: profile, password, recovery codes, deletion."""

from __future__ import annotations

from tests.conftest import PASSWORD, login, post_form, recovery_codes_from, signup

NEW_PASSWORD = "a brand new passphrase"


def test_profile_shows_display_name_bio_and_initials(client):
    signup(client, "quiet_river")
    response = post_form(client, "/settings", "/settings/profile",
                         {"display_name": "Quiet River", "bio": "One day at a time.\nStill here."})
    assert response.status_code == 303
    page = client.get("/@quiet_river")
    assert page.status_code == 200
    assert "Quiet River" in page.text and "@quiet_river@testserver" in page.text
    assert "<p>One day at a time.</p>" in page.text and "<p>Still here.</p>" in page.text
    assert '>QR</span>' in page.text


def test_profile_fields_are_escaped_and_limited(client, db):
    signup(client, "escaper")
    post_form(client, "/settings", "/settings/profile",
              {"display_name": "<script>alert(1)</script>", "bio": ""})
    page = client.get("/@escaper").text
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;" in page
    too_long = post_form(client, "/settings", "/settings/profile",
                         {"display_name": "n" * 61, "bio": ""})
    assert too_long.status_code == 422
    assert "at most 60 characters" in too_long.text
    long_bio = post_form(client, "/settings", "/settings/profile",
                         {"display_name": "", "bio": "b" * 1001})
    assert long_bio.status_code == 422
    assert db.fetchval("SELECT display_name FROM members") == "<script>alert(1)</script>"


def test_unknown_and_pending_profiles_are_not_found(client, db):
    assert client.get("/@nobody").status_code == 404
    signup(client, "pending_person")
    db.execute("UPDATE members SET status = 'pending'")
    assert client.get("/@pending_person").status_code == 404


def test_changing_password_ends_other_sessions_but_keeps_this_one(client, app_factory, db):
    signup(client, "changer")
    laptop = app_factory()
    login(laptop, "changer")
    assert db.fetchval("SELECT count(*) FROM sessions") == 2
    wrong = post_form(client, "/settings", "/settings/password", {
        "current_password": "not it at all", "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD})
    assert wrong.status_code == 422 and "current password is not right" in wrong.text
    response = post_form(client, "/settings", "/settings/password", {
        "current_password": PASSWORD, "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD})
    assert response.status_code == 303
    assert "Log out" in client.get("/").text
    assert "Log out" not in laptop.get("/").text
    client.cookies.clear()
    assert login(client, "changer").status_code == 401
    assert login(client, "changer", NEW_PASSWORD).status_code == 303


def test_a_recovery_code_resets_the_password_once(client, app_factory, db):
    codes = recovery_codes_from(signup(client, "forgot_it").text)
    visitor = app_factory()
    data = {"username": "forgot_it", "code": codes[3].upper(), "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD}
    response = post_form(visitor, "/reset-password", "/reset-password", data)
    assert response.status_code == 200
    assert "Your password has been changed" in response.text
    assert "Log out" not in client.get("/").text  # every session ended
    assert login(visitor, "forgot_it", NEW_PASSWORD).status_code == 303
    again = post_form(app_factory(), "/reset-password", "/reset-password",
                      {**data, "password": "yet another phrase",
                       "password_confirm": "yet another phrase"})
    assert again.status_code == 422 and "do not match" in again.text
    assert db.fetchval("SELECT count(*) FROM recovery_codes WHERE used_at IS NULL") == 9


def test_a_bad_recovery_code_changes_nothing_and_counts_as_a_failure(client, app_factory, db):
    signup(client, "guess_me")
    before = db.fetchval("SELECT password_hash FROM members")
    visitor = app_factory()
    for _ in range(5):
        response = post_form(visitor, "/reset-password", "/reset-password", {
            "username": "guess_me", "code": "aaaa-bbbb-cccc", "password": NEW_PASSWORD,
            "password_confirm": NEW_PASSWORD})
        assert response.status_code == 422
    locked = post_form(visitor, "/reset-password", "/reset-password", {
        "username": "guess_me", "code": "aaaa-bbbb-cccc", "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD})
    assert locked.status_code == 429
    assert db.fetchval("SELECT password_hash FROM members") == before
    assert db.fetchval("SELECT count(*) FROM recovery_codes WHERE used_at IS NOT NULL") == 0


def test_new_recovery_codes_replace_the_old_ones(client, app_factory):
    old = recovery_codes_from(signup(client, "regen").text)
    response = post_form(client, "/settings", "/settings/recovery-codes",
                         {"codes_password": PASSWORD})
    new = recovery_codes_from(response.text)
    assert len(new) == 10 and not set(new) & set(old)
    refused = post_form(app_factory(), "/reset-password", "/reset-password", {
        "username": "regen", "code": old[0], "password": NEW_PASSWORD,
        "password_confirm": NEW_PASSWORD})
    assert refused.status_code == 422
    assert "10</strong> unused recovery codes" in client.get("/settings").text


def test_deleting_an_account_removes_everything_of_it(client, db):
    signup(client, "leaving_now")
    post_form(client, "/settings", "/settings/profile",
              {"display_name": "Leaving", "bio": "a bio that must go"})
    wrong = post_form(client, "/settings", "/settings/delete",
                      {"delete_password": PASSWORD, "confirm": "someone_else"})
    assert wrong.status_code == 422 and "Type your username" in wrong.text
    bad_password = post_form(client, "/settings", "/settings/delete",
                             {"delete_password": "not my password", "confirm": "leaving_now"})
    assert bad_password.status_code == 422
    assert db.fetchval("SELECT count(*) FROM members") == 1
    response = post_form(client, "/settings", "/settings/delete",
                         {"delete_password": PASSWORD, "confirm": "leaving_now"})
    assert response.status_code == 200
    assert "Your account has been deleted" in response.text
    assert "Log out" not in response.text
    for table in ("members", "sessions", "recovery_codes", "login_failures"):
        assert db.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    assert "a bio that must go" not in db.dump_text()
    gone = client.get("/@leaving_now")  # 410 Gone, saying nothing of who it was
    assert gone.status_code == 410 and "Leaving" not in gone.text
