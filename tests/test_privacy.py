"""Nothing that identifies a member is stored or leaked (RELIABILITY.md 29)."""

from __future__ import annotations

import logging

from tests.conftest import PASSWORD, login, post_form, recovery_codes_from, signup


def test_no_ip_address_or_client_detail_is_stored(client, db):
    headers = {"x-forwarded-for": "203.0.113.77", "user-agent": "SecretAgent/1.0"}
    client.headers.update(headers)
    signup(client, "no_trace")
    client.cookies.clear()
    login(client, "no_trace", "wrong password!")  # a failure row
    login(client, "no_trace")
    stored = db.dump_text()
    for leak in ("203.0.113.77", "testclient", "127.0.0.1", "SecretAgent"):
        assert leak not in stored
    columns = db.fetch("SELECT column_name FROM information_schema.columns "
                       "WHERE table_schema = 'public'")
    names = {c["column_name"] for c in columns}
    assert not {n for n in names if "ip" in n.split("_") or "email" in n or "addr" in n}


def test_passwords_and_codes_never_reach_the_logs(client, caplog):
    caplog.set_level(logging.DEBUG)
    response = signup(client, "log_watcher")
    codes = recovery_codes_from(response.text)
    assert len(codes) == 10
    post_form(client, "/settings", "/settings/password", {
        "current_password": "wrong password!", "password": "another passphrase",
        "password_confirm": "another passphrase"})
    client.cookies.clear()
    login(client, "log_watcher", "wrong password!")
    assert PASSWORD not in caplog.text
    assert "wrong password!" not in caplog.text
    assert not any(code in caplog.text for code in codes)


def test_error_pages_do_not_echo_secrets(client):
    signup(client, "echo_check")
    response = post_form(client, "/settings", "/settings/password", {
        "current_password": "my secret guess", "password": "short",
        "password_confirm": "short"})
    assert response.status_code == 422
    assert "my secret guess" not in response.text
