"""Moderators approve sign-ups, manage invites; admins change roles."""

from __future__ import annotations

from tests.conftest import PASSWORD, login, post_form, signup


def _make(db, username: str, role: str) -> None:
    db.execute("UPDATE members SET role = $2 WHERE username = $1", username, role)


def test_moderation_is_for_moderators_only(client, db):
    assert client.get("/moderation").headers["location"] == "/login?next=/moderation"
    signup(client, "plain_member")
    assert client.get("/moderation").status_code == 403
    assert 'href="/moderation"' not in client.get("/").text
    forged = post_form(client, "/settings", "/moderation/invites", {"max_uses": "1"})
    assert forged.status_code == 403
    assert db.fetchval("SELECT count(*) FROM invites") == 0
    _make(db, "plain_member", "moderator")
    assert client.get("/moderation").status_code == 200
    assert 'href="/moderation"' in client.get("/").text


def test_moderator_approves_and_turns_down_sign_ups(app_factory, db):
    mod = app_factory(registration="approval")
    signup(mod, "the_mod")
    db.execute("UPDATE members SET status = 'active', role = 'moderator'")
    login(mod, "the_mod")
    signup(app_factory(registration="approval"), "hopeful")
    signup(app_factory(registration="approval"), "spammer")
    page = mod.get("/moderation").text
    assert "@hopeful" in page and "@spammer" in page
    approved = post_form(mod, "/moderation", "/moderation/signups",
                         {"username": "hopeful", "decision": "approve"})
    assert approved.status_code == 303
    post_form(mod, "/moderation", "/moderation/signups",
              {"username": "spammer", "decision": "reject"})
    assert db.fetchval("SELECT status FROM members WHERE username = 'hopeful'") == "active"
    assert db.fetchval("SELECT count(*) FROM members WHERE username = 'spammer'") == 0
    newcomer = app_factory(registration="approval")
    assert login(newcomer, "hopeful").status_code == 303
    # approving someone who is not waiting is a clear 4xx
    again = post_form(mod, "/moderation", "/moderation/signups",
                      {"username": "hopeful", "decision": "approve"})
    assert again.status_code == 422
    assert "not waiting for approval" in again.text


def test_moderator_invite_link_lets_one_person_in(app_factory, db):
    mod = app_factory(registration="invite")
    db.execute("INSERT INTO invites (code) VALUES ('bootstrap-invite-01')")
    signup(mod, "inviter", invite="bootstrap-invite-01")
    db.execute("UPDATE members SET role = 'moderator'")
    response = post_form(mod, "/moderation", "/moderation/invites",
                         {"max_uses": "1", "expires_in_days": "7"})
    assert response.status_code == 200
    link = response.text.split('class="invite-link">')[1].split("<")[0]
    assert link.startswith("http://testserver/signup?invite=")
    code = link.split("invite=")[1]
    guest = app_factory(registration="invite")
    assert signup(guest, "invited_guest", invite=code).status_code == 201
    assert code not in mod.get("/moderation").text  # used up: no longer listed


def test_bad_invite_form_values_get_clear_errors(client, db):
    signup(client, "mod2")
    _make(db, "mod2", "moderator")
    for uses, days, message in (("0", "7", "1 to 1000 times"), ("abc", "7", "whole number"),
                                ("1", "400", "1 to 365 days")):
        response = post_form(client, "/moderation", "/moderation/invites",
                             {"max_uses": uses, "expires_in_days": days})
        assert response.status_code == 422
        assert message in response.text
    assert db.fetchval("SELECT count(*) FROM invites") == 0


def test_revoked_invite_no_longer_works(app_factory, db):
    mod = app_factory(registration="invite")
    db.execute("INSERT INTO invites (code) VALUES ('first-invite-000001'), "
               "('second-invite-00002')")
    signup(mod, "revoker", invite="first-invite-000001")
    db.execute("UPDATE members SET role = 'moderator'")
    post_form(mod, "/moderation", "/moderation/invites/revoke", {"code": "second-invite-00002"})
    assert db.fetchval("SELECT count(*) FROM invites WHERE code = 'second-invite-00002'") == 0
    missing = post_form(mod, "/moderation", "/moderation/invites/revoke",
                        {"code": "second-invite-00002"})
    assert missing.status_code == 404


def test_only_admins_change_roles_and_never_their_own(app_factory, db):
    admin = app_factory()
    signup(admin, "the_admin")
    signup(app_factory(), "helper")
    db.execute("UPDATE members SET role = 'moderator' WHERE username = 'the_admin'")
    refused = post_form(admin, "/moderation", "/moderation/roles",
                        {"username": "helper", "role": "moderator"})
    assert refused.status_code == 403
    db.execute("UPDATE members SET role = 'admin' WHERE username = 'the_admin'")
    ok = post_form(admin, "/moderation", "/moderation/roles",
                   {"username": "helper", "role": "moderator"})
    assert ok.status_code == 303
    assert db.fetchval("SELECT role FROM members WHERE username = 'helper'") == "moderator"
    own = post_form(admin, "/moderation", "/moderation/roles",
                    {"username": "the_admin", "role": "member"})
    assert own.status_code == 403
    bogus = post_form(admin, "/moderation", "/moderation/roles",
                      {"username": "helper", "role": "overlord"})
    assert bogus.status_code == 422
    assert db.fetchval("SELECT role FROM members WHERE username = 'the_admin'") == "admin"
    assert PASSWORD  # the shared test password stays in use for logins above
