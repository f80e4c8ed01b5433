"""The ``hearth`` console script, run as a real subprocess against a real
PostgreSQL: what an operator types, what they see, and what ends up stored.

Mistakes must end in exactly one ``hearth: error: ...`` line and exit 2.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import subprocess
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import asyncpg
import pytest
from argon2 import PasswordHasher

from recovery.credentials import hash_recovery_code
from tests.conftest import UNREACHABLE, Db, hearth_env, run_hearth
from web import database

PASSWORD = "lantern by the quiet shore"
_CODE_LINE = re.compile(r"^  ([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})$", re.MULTILINE)
_empty_counter = itertools.count()


def assert_one_line_error(
    result: subprocess.CompletedProcess[str], code: int | None = 2
) -> str:
    """Exit ``code`` (None: any failure) and exactly one ``hearth: error:`` line on
    stderr, no traceback anywhere; returns the line."""
    assert "Traceback" not in result.stderr + result.stdout
    lines = result.stderr.splitlines()
    assert len(lines) == 1, f"expected one line on stderr, got:\n{result.stderr}"
    assert lines[0].startswith("hearth: error: "), lines[0]
    if code is None:
        assert result.returncode != 0
    else:
        assert result.returncode == code, (result.returncode, result.stderr)
    return lines[0]


@pytest.fixture
def env(database_url: str, tmp_path: Path) -> dict[str, str]:
    return hearth_env(tmp_path / "data", HEARTH_DATABASE_URL=database_url)


@pytest.fixture
def hearth(env: dict[str, str], tmp_path: Path):
    """``hearth(*args, stdin=..., **HEARTH_VARS)`` against the test's database."""
    def call(*args: str, stdin: str = "", **variables: str) -> subprocess.CompletedProcess[str]:
        return run_hearth(*args, env={**env, **variables}, cwd=tmp_path, stdin=stdin)

    return call


def _insert_member(db: Db, username: str, role: str = "member", status: str = "active") -> None:
    db.execute(
        "INSERT INTO members (username, password_hash, role, status, guidelines_accepted_at)"
        " VALUES ($1, 'not-a-real-hash', $2, $3, now())",
        username, role, status,
    )


def _member(db: Db, username: str) -> dict[str, str] | None:
    row = db.fetch("SELECT role, status FROM members WHERE username = $1", username)
    return dict(row[0]) if row else None


# -- help ------------------------------------------------------------------------

@pytest.mark.parametrize(("args", "commands"), [
    ((), ["serve", "worker", "db", "member", "invite"]),
    (("member",), ["create", "list", "set-role", "approve"]),
    (("db",), ["init", "url"]),
    (("invite",), ["create"]),
])
def test_help_documents_every_command(tmp_path, args, commands):
    result = run_hearth(*args, "--help", env=hearth_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    for command in commands:
        # listed with a one-line description beside it
        assert re.search(rf"^\s+{re.escape(command)}\s+\w", result.stdout, re.MULTILINE), (
            f"{command!r} is not described in:\n{result.stdout}"
        )


def test_no_command_is_a_usage_error(tmp_path):
    result = run_hearth(env=hearth_env(tmp_path), cwd=tmp_path)
    assert result.returncode == 2
    assert "usage: hearth" in result.stderr
    assert "Traceback" not in result.stderr


# -- member create -----------------------------------------------------------------

def test_member_create_reads_password_from_stdin(hearth, db):
    # Only the first line is the password; the line ending is not part of it.
    result = hearth("member", "create", "river_stone", "--role", "moderator",
                    stdin=f"{PASSWORD}\r\nsecond line is ignored\n")
    assert result.returncode == 0, result.stderr
    assert "Created river_stone (moderator)." in result.stdout
    codes = _CODE_LINE.findall(result.stdout)
    assert len(codes) == 10 and len(set(codes)) == 10
    assert PASSWORD not in result.stdout + result.stderr

    row = db.fetch("SELECT id, role, status, password_hash FROM members")
    assert len(row) == 1
    member = row[0]
    assert (member["role"], member["status"]) == ("moderator", "active")
    assert member["password_hash"].startswith("$argon2id$")
    assert PasswordHasher().verify(member["password_hash"], PASSWORD)
    # the codes shown are the ones stored, and only as hashes
    stored = {r["code_hash"] for r in db.fetch(
        "SELECT code_hash FROM recovery_codes WHERE member_id = $1 AND used_at IS NULL",
        member["id"])}
    assert stored == {hash_recovery_code(code) for code in codes}
    dump = db.dump_text()
    assert PASSWORD not in dump
    assert not any(code in dump for code in codes)


def test_member_create_without_role_makes_a_plain_member(hearth, db):
    result = hearth("member", "create", "quiet_fern", stdin=PASSWORD + "\n")
    assert result.returncode == 0, result.stderr
    assert _member(db, "quiet_fern") == {"role": "member", "status": "active"}


@pytest.mark.parametrize(("username", "stdin", "message"), [
    ("has space", PASSWORD + "\n", "only letters a-z, digits and underscores"),
    ("émile", PASSWORD + "\n", "only letters a-z, digits and underscores"),
    ("x" * 31, PASSWORD + "\n", "at most 30 characters"),
    ("admin", PASSWORD + "\n", "reserved"),
    ("short_pw", "tiny\n", "at least 10 characters"),
    ("long_pw", "p" * 201 + "\n", "at most 200 characters"),
    ("samename12", "samename12\n", "must not be your username"),
    ("blank_line", "\n", "at least 10 characters"),
    ("no_stdin", "", "no password on standard input"),
], ids=["space", "accent", "too-long-name", "reserved", "short-password", "long-password",
        "password-is-name", "blank-line", "empty-stdin"])
def test_member_create_refuses_bad_input_in_one_line_and_stores_nothing(
    hearth, db, username, stdin, message
):
    result = hearth("member", "create", username, stdin=stdin)
    line = assert_one_line_error(result)
    assert message in line
    assert result.stdout == ""
    password = stdin.strip()
    if len(password) >= 4 and password != username:
        assert password not in result.stderr
    assert db.fetchval("SELECT count(*) FROM members") == 0
    assert db.fetchval("SELECT count(*) FROM recovery_codes") == 0


@pytest.mark.parametrize("name", ["river", "RIVER"])
def test_member_create_refuses_a_taken_name_and_stores_nothing(hearth, db, name):
    _insert_member(db, "river")
    result = hearth("member", "create", name, stdin=PASSWORD + "\n")
    assert "username is taken" in assert_one_line_error(result)
    assert result.stdout == ""
    assert db.fetchval("SELECT count(*) FROM members") == 1
    assert db.fetchval("SELECT password_hash FROM members") == "not-a-real-hash"
    assert db.fetchval("SELECT count(*) FROM recovery_codes") == 0


def test_member_create_refuses_a_retired_name(hearth, db):
    db.execute("INSERT INTO retired_usernames (username_lower) VALUES ('gone_away')")
    result = hearth("member", "create", "Gone_Away", stdin=PASSWORD + "\n")
    assert "not available" in assert_one_line_error(result)
    assert db.fetchval("SELECT count(*) FROM members") == 0


def test_member_create_refuses_an_unknown_role_before_reading_anything(hearth, db):
    result = hearth("member", "create", "river", "--role", "owner", stdin=PASSWORD + "\n")
    assert result.returncode == 2
    assert "invalid choice: 'owner'" in result.stderr
    assert "Traceback" not in result.stderr
    assert db.fetchval("SELECT count(*) FROM members") == 0


# -- member list, set-role, approve --------------------------------------------------

def _listed(stdout: str) -> dict[str, tuple[str, str]]:
    lines = stdout.splitlines()
    assert lines[0].split() == ["USERNAME", "ROLE", "STATUS", "JOINED"]
    rows = {}
    for line in lines[1:]:
        username, role, status, joined = line.split()
        assert re.fullmatch(r"\d{4}-\d{2}-\d{2}", joined)
        rows[username] = (role, status)
    return rows


def test_member_list_shows_each_member_with_role_and_status(hearth, db):
    _insert_member(db, "alder")
    _insert_member(db, "birch", role="moderator", status="pending")
    _insert_member(db, "cedar", role="admin", status="suspended")
    result = hearth("member", "list")
    assert result.returncode == 0, result.stderr
    assert _listed(result.stdout) == {
        "alder": ("member", "active"),
        "birch": ("moderator", "pending"),
        "cedar": ("admin", "suspended"),
    }


def test_member_list_with_no_members_says_how_to_create_one(hearth):
    result = hearth("member", "list")
    assert result.returncode == 0, result.stderr
    assert "No members yet" in result.stdout
    assert "hearth member create" in result.stdout


def test_member_set_role_changes_the_role(hearth, db):
    _insert_member(db, "alder")
    _insert_member(db, "birch")
    result = hearth("member", "set-role", "alder", "admin")
    assert result.returncode == 0, result.stderr
    assert "alder is now admin." in result.stdout
    assert _member(db, "alder") == {"role": "admin", "status": "active"}
    assert _member(db, "birch") == {"role": "member", "status": "active"}
    assert _listed(hearth("member", "list").stdout)["alder"] == ("admin", "active")


def test_member_set_role_of_an_unknown_member_is_a_one_line_error(hearth, db):
    _insert_member(db, "alder")
    result = hearth("member", "set-role", "ghost", "admin")
    assert "ghost" in assert_one_line_error(result)
    assert result.stdout == ""
    assert _member(db, "alder") == {"role": "member", "status": "active"}


def test_member_set_role_refuses_an_unknown_role(hearth, db):
    _insert_member(db, "alder")
    result = hearth("member", "set-role", "alder", "owner")
    assert result.returncode == 2
    assert "invalid choice: 'owner'" in result.stderr
    assert "Traceback" not in result.stderr
    assert _member(db, "alder") == {"role": "member", "status": "active"}


def test_member_approve_activates_a_pending_member(hearth, db):
    _insert_member(db, "willow", status="pending")
    _insert_member(db, "rowan", status="pending")
    result = hearth("member", "approve", "willow")
    assert result.returncode == 0, result.stderr
    assert "willow is approved" in result.stdout
    assert _member(db, "willow") == {"role": "member", "status": "active"}
    assert _member(db, "rowan") == {"role": "member", "status": "pending"}


@pytest.mark.parametrize(("name", "message"), [
    ("alder", "not waiting for approval"),
    ("ghost", "no member named 'ghost'"),
])
def test_member_approve_of_an_active_or_unknown_member_is_a_one_line_error(
    hearth, db, name, message
):
    _insert_member(db, "alder")
    result = hearth("member", "approve", name)
    assert message in assert_one_line_error(result)
    assert result.stdout == ""
    assert _member(db, "alder") == {"role": "member", "status": "active"}


# -- invite create -------------------------------------------------------------------

_INVITE_LINK = re.compile(r"^https://recovery\.example/signup\?invite=([A-Za-z0-9_-]{16,64})$")


def test_invite_create_prints_a_signup_link_for_the_stored_invite(hearth, db):
    result = hearth("invite", "create", "--uses", "3", "--days", "2",
                    HEARTH_URL="https://recovery.example/", HEARTH_REGISTRATION="invite")
    assert result.returncode == 0, result.stderr
    assert result.stderr == ""
    match = _INVITE_LINK.match(result.stdout.strip())
    assert match, result.stdout
    row = db.fetch("SELECT code, max_uses, uses, created_by, expires_at - now() AS left_"
                   " FROM invites")
    assert len(row) == 1
    invite = row[0]
    assert invite["code"] == match.group(1)
    assert (invite["max_uses"], invite["uses"], invite["created_by"]) == (3, 0, None)
    assert timedelta(days=2) - timedelta(minutes=5) < invite["left_"] <= timedelta(days=2)


def test_invite_create_notes_when_registration_is_not_by_invite(hearth, db):
    result = hearth("invite", "create")
    assert result.returncode == 0, result.stderr
    # the default public URL, and a note (not an error) on stderr
    assert re.fullmatch(r"http://localhost:8000/signup\?invite=[A-Za-z0-9_-]{16,64}\n",
                        result.stdout), result.stdout
    assert result.stderr.startswith("note: registration is 'open'")
    assert "HEARTH_REGISTRATION=invite" in result.stderr
    assert "error" not in result.stderr
    assert db.fetchval("SELECT max_uses FROM invites") == 1


def test_invite_create_with_no_expiry_never_expires(hearth, db):
    result = hearth("invite", "create", "--no-expiry", HEARTH_REGISTRATION="invite")
    assert result.returncode == 0, result.stderr
    assert db.fetch("SELECT expires_at FROM invites")[0]["expires_at"] is None


@pytest.mark.parametrize(("args", "message"), [
    (("--uses", "0"), "1 to 1000 times"),
    (("--uses", "1001"), "1 to 1000 times"),
    (("--days", "0"), "1 to 365 days"),
    (("--days", "366"), "1 to 365 days"),
])
def test_invite_create_refuses_bad_limits_in_one_line(hearth, db, args, message):
    result = hearth("invite", "create", *args, HEARTH_REGISTRATION="invite")
    assert message in assert_one_line_error(result)
    assert result.stdout == ""
    assert db.fetchval("SELECT count(*) FROM invites") == 0


# -- db init, db url -----------------------------------------------------------------

@pytest.fixture
def empty_database_url(pg_admin_url: str) -> Iterator[str]:
    """A database with no schema at all, on the test server."""
    name = f"hearth_cli_empty_{os.getpid()}_{next(_empty_counter)}"

    async def admin(sql: str) -> None:
        conn = await asyncpg.connect(pg_admin_url)
        try:
            await conn.execute(sql)
        finally:
            await conn.close()

    asyncio.run(admin(f"CREATE DATABASE {name}"))
    yield database.with_database(pg_admin_url, name)
    asyncio.run(admin(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)"))


def test_db_init_creates_the_schema_and_is_safe_to_run_twice(empty_database_url, tmp_path):
    env = hearth_env(tmp_path / "data", HEARTH_DATABASE_URL=empty_database_url)
    db = Db(empty_database_url)
    tables = "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1"
    assert db.fetch(tables) == []

    first = run_hearth("db", "init", env=env, cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    assert "The schema is applied and up to date." in first.stdout
    created = [r["tablename"] for r in db.fetch(tables)]
    assert {"members", "invites", "sessions", "recovery_codes", "instance_secret"} <= set(
        created)

    _insert_member(db, "survivor")
    second = run_hearth("db", "init", env=env, cwd=tmp_path)
    assert second.returncode == 0, second.stderr
    assert "Traceback" not in second.stderr
    assert [r["tablename"] for r in db.fetch(tables)] == created
    assert _member(db, "survivor") == {"role": "member", "status": "active"}


def test_db_url_prints_the_database_url_in_use(hearth, database_url):
    result = hearth("db", "url")
    assert result.returncode == 0, result.stderr
    assert result.stdout == database_url + "\n"


def test_db_url_flag_wins_over_the_environment(hearth):
    other = "postgresql://hearth@db.example:5432/other"
    result = hearth("--database-url", other, "db", "url")
    assert result.returncode == 0, result.stderr
    assert result.stdout == other + "\n"


# -- bad settings, unreachable database ----------------------------------------------

@pytest.mark.parametrize(("variable", "value"), [
    ("HEARTH_REGISTRATION", "sometimes"),
    ("HEARTH_URL", "ftp://x"),
    ("HEARTH_URL", "https://recovery.example/hearth"),
    ("HEARTH_DATABASE_URL", "mysql://x"),
    ("HEARTH_INSTANCE_NAME", "n" * 81),
    ("HEARTH_ALLOW_PRIVATE_NETWORK", "maybe"),
    ("HEARTH_RULES_FILE", "/nonexistent/rules.txt"),
    ("HEARTH_PORT", "eighty"),
])
def test_bad_setting_is_one_line_naming_the_variable(hearth, db, variable, value):
    result = hearth("member", "list", **{variable: value})
    line = assert_one_line_error(result)
    assert variable in line
    assert result.stdout == ""


@pytest.mark.parametrize("args", [
    ("member", "list"),
    ("db", "init"),
    ("invite", "create"),
    ("worker",),
], ids=" ".join)
def test_unreachable_database_is_one_clear_line(tmp_path, args):
    env = hearth_env(tmp_path / "data", HEARTH_DATABASE_URL=UNREACHABLE,
                     HEARTH_REGISTRATION="invite")
    result = run_hearth(*args, env=env, cwd=tmp_path)
    line = assert_one_line_error(result, code=None)
    assert "cannot connect to the database at postgresql://nobody@127.0.0.1:1/nothing" in line
    assert result.stdout == ""
