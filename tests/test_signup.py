"""Sign-up in each registration mode, and every way it can be refused."""

from __future__ import annotations

import pytest

from tests.conftest import PASSWORD, Db, csrf_from, post_form, recovery_codes_from, signup


def _members(db: Db) -> int:
    return db.fetchval("SELECT count(*) FROM members")


def test_open_signup_logs_in_and_shows_ten_recovery_codes_once(client, db):
    response = signup(client, "river_stone")
    assert response.status_code == 201
    codes = recovery_codes_from(response.text)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert "only time they are shown" in response.text
    # logged in: the profile link and a log-out button are there
    home = client.get("/")
    assert "/@river_stone" in home.text and "Log out" in home.text
    row = db.fetch("SELECT password_hash, status, role FROM members")[0]
    assert row["password_hash"].startswith("$argon2id$")
    assert (row["status"], row["role"]) == ("active", "member")
    # the codes are stored hashed, never as given
    stored = db.dump_text()
    assert PASSWORD not in stored
    assert not any(code in stored for code in codes)


def test_signup_page_shows_guidelines_and_treatment_notice(client):
    page = client.get("/signup").text
    assert "Community guidelines" in page
    assert "supplements, and does not replace, professional treatment" in page
    assert 'name="accept"' in page
    assert "email" in page  # tells the visitor no email is asked for
    assert 'type="email"' not in page


@pytest.mark.parametrize(("username", "password", "extra", "message"), [
    ("", PASSWORD, {}, "Choose a username."),
    ("has space", PASSWORD, {}, "only letters a-z, digits and underscores"),
    ("émile", PASSWORD, {}, "only letters a-z, digits and underscores"),
    ("x" * 31, PASSWORD, {}, "at most 30 characters"),
    ("admin", PASSWORD, {}, "reserved"),
    ("shorty", "short", {}, "at least 10 characters"),
    ("longpass", "p" * 201, {}, "at most 200 characters"),
    ("samename12", "samename12", {}, "must not be your username"),
    ("mismatch", PASSWORD, {"password_confirm": "something else!"}, "not the same"),
    ("noaccept", PASSWORD, {"accept": ""}, "confirm that you accept"),
])
def test_bad_signup_input_gets_a_clear_message_and_stores_nothing(
    client, db, username, password, extra, message
):
    response = signup(client, username, password, **extra)
    assert response.status_code == 422
    assert message in response.text
    assert 'role="alert"' in response.text
    assert _members(db) == 0
    assert db.fetchval("SELECT count(*) FROM recovery_codes") == 0


def test_taken_username_is_refused_case_insensitively(client, app_factory, db):
    assert signup(client, "Quiet_Owl").status_code == 201
    other = app_factory()
    response = signup(other, "quiet_owl")
    assert response.status_code == 422
    assert "That username is taken" in response.text
    assert _members(db) == 1


def test_username_of_a_deleted_account_is_never_given_out_again(client, app_factory, db):
    signup(client, "gone_member")
    post_form(client, "/settings", "/settings/delete",
              {"delete_password": PASSWORD, "confirm": "gone_member"})
    response = signup(app_factory(), "Gone_Member")
    assert response.status_code == 422
    assert "not available" in response.text
    assert _members(db) == 0


def test_missing_or_forged_csrf_token_is_refused_and_nothing_stored(client, db):
    client.get("/signup")
    data = {"username": "forged", "password": PASSWORD, "password_confirm": PASSWORD,
            "accept": "yes"}
    assert client.post("/signup", data=data).status_code == 403
    forged = client.post("/signup", data={**data, "csrf_token": "not-a-real-token"})
    assert forged.status_code == 403
    assert "expired" in forged.text
    assert _members(db) == 0


def test_csrf_token_of_another_browser_is_refused(client, app_factory, db):
    token_elsewhere = csrf_from(app_factory().get("/signup").text)
    client.get("/signup")
    data = {"csrf_token": token_elsewhere, "username": "crosssite", "password": PASSWORD,
            "password_confirm": PASSWORD, "accept": "yes"}
    assert client.post("/signup", data=data).status_code == 403
    assert _members(db) == 0


def test_oversized_fields_are_refused_without_a_500(client, db):
    token = csrf_from(client.get("/signup").text)
    response = client.post("/signup", data={
        "csrf_token": token, "username": "u" * 100_000, "password": PASSWORD,
        "password_confirm": PASSWORD, "accept": "yes",
    })
    assert response.status_code == 422
    assert _members(db) == 0


def test_body_over_one_megabyte_is_refused_with_413(client, db):
    token = csrf_from(client.get("/signup").text)
    response = client.post("/signup", data={"csrf_token": token, "username": "x" * 1_100_000})
    assert response.status_code == 413
    assert _members(db) == 0


def test_too_many_form_fields_are_refused(client, db):
    token = csrf_from(client.get("/signup").text)
    data = {f"f{n}": "x" for n in range(200)}
    response = client.post("/signup", data={"csrf_token": token, **data})
    assert 400 <= response.status_code < 500
    assert _members(db) == 0


def test_approval_mode_keeps_new_members_out_until_a_moderator_approves(app_factory, db):
    client = app_factory(registration="approval")
    assert "A moderator reviews each new account" in client.get("/signup").text
    response = signup(client, "waiting_one")
    assert response.status_code == 201
    assert "waiting for a moderator" in response.text
    assert len(recovery_codes_from(response.text)) == 10
    assert "Log out" not in client.get("/").text  # not logged in
    refused = post_form(client, "/login", "/login",
                        {"username": "waiting_one", "password": PASSWORD, "next": "/"})
    assert refused.status_code == 401
    assert "waiting for a moderator" in refused.text
    assert client.get("/@waiting_one").status_code == 404
    assert db.fetchval("SELECT status FROM members") == "pending"


def test_invite_mode_without_an_invite_shows_why(app_factory, db):
    client = app_factory(registration="invite")
    page = client.get("/signup")
    assert page.status_code == 403
    assert "joins by invitation" in page.text
    bad = client.get("/signup?invite=nonexistent-invite-code")
    assert bad.status_code == 403
    assert "not valid any more" in bad.text
    # posting anyway is refused and stores nothing
    response = post_form(client, "/login", "/signup", {
        "username": "sneaky", "password": PASSWORD, "password_confirm": PASSWORD,
        "accept": "yes", "invite": "nonexistent-invite-code1"})
    assert response.status_code in (403, 422)
    assert _members(db) == 0


def test_invite_is_used_up_atomically_with_the_account(app_factory, db):
    db.execute("INSERT INTO invites (code, max_uses) VALUES ('invite-code-0001', 1)")
    client = app_factory(registration="invite")
    assert client.get("/signup?invite=invite-code-0001").status_code == 200
    # a failed sign-up does not spend the invite
    failed = signup(client, "bad name", invite="invite-code-0001")
    assert failed.status_code == 422
    assert db.fetchval("SELECT uses FROM invites") == 0
    assert signup(client, "invited_one", invite="invite-code-0001").status_code == 201
    assert db.fetchval("SELECT uses FROM invites") == 1
    second = signup(app_factory(registration="invite"), "invited_two", invite="invite-code-0001")
    assert second.status_code in (403, 422)
    assert "not valid any more" in second.text
    assert _members(db) == 1


def test_expired_invite_is_refused(app_factory, db):
    db.execute("INSERT INTO invites (code, max_uses, expires_at) "
               "VALUES ('expired-code-0001', 5, now() - interval '1 minute')")
    client = app_factory(registration="invite")
    assert client.get("/signup?invite=expired-code-0001").status_code == 403
    assert signup(client, "too_late", invite="expired-code-0001").status_code in (403, 422)
    assert _members(db) == 0
