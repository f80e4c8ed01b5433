"""End to end with the real `toot` command-line client (a subprocess, its
configuration in a directory of the test's own) against a real `hearth serve`
over HTTP: log in with a password, who am I, post with a content warning,
read timelines, reply (the author is notified and sees the thread), follow a
member who approves followers, and a wrong password refused cleanly."""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import PASSWORD, Instance, login, signup_over_http
from tests.helpers_api import OOB, code_from_page, consent, served_instance

pytestmark = pytest.mark.slow
TOOT = str(Path(sys.executable).parent / "toot")
POSTED = re.compile(r"Toot posted: (?P<url>\S+/(?P<id>\d+))")


@dataclass
class Toot:
    """The `toot` command, configured in ``config_home``, against ``instance``."""

    instance: Instance
    config_home: Path

    @property
    def host(self) -> str:
        return self.instance.url.removeprefix("http://")

    def run(self, *args: str, user: str | None = None,
            stdin: str | None = None) -> subprocess.CompletedProcess[str]:
        who = ["--as", f"{user}@{self.host}"] if user else []
        env = {"PATH": str(Path(sys.executable).parent), "HOME": str(self.config_home),
               "XDG_CONFIG_HOME": str(self.config_home), "LANG": "C.UTF-8",
               "PYTHONIOENCODING": "utf-8"}
        return subprocess.run([TOOT, "--no-color", "--max-width", "200", *who, *args],
                              input=stdin or "", capture_output=True, text=True,
                              env=env, timeout=60, check=False)

    def ok(self, *args: str, user: str | None = None) -> str:
        done = self.run(*args, user=user)
        assert done.returncode == 0, f"toot {' '.join(args)}: {done.stdout}\n{done.stderr}"
        assert "Traceback" not in done.stderr, done.stderr
        return done.stdout

    def json(self, *args: str, user: str | None = None) -> Any:
        return json.loads(self.ok(*args, "--json", user=user))

    def login(self, username: str, password: str = PASSWORD) -> subprocess.CompletedProcess[str]:
        return self.run("login_cli", "--instance", self.instance.url,
                        "--email", username, "--password", password)

    def post(self, user: str, *args: str) -> str:
        """Post as ``user``; the new status's id."""
        match = POSTED.search(self.ok("post", *args, user=user))
        assert match, "toot printed no status address"
        return match.group("id")


@pytest.fixture(scope="module")
def toot(pg_admin_url: str, template_name: str,
         tmp_path_factory: pytest.TempPathFactory) -> Iterator[Toot]:
    """river and sky, members of one instance, both logged in to toot."""
    tmp = tmp_path_factory.mktemp("toot")
    with served_instance(pg_admin_url, template_name, tmp) as instance:
        for name in ("river", "sky"):
            with instance.client() as http:
                assert signup_over_http(http, name).status_code == 201
        client = Toot(instance, tmp / "config")
        for name in ("river", "sky"):
            done = client.login(name)
            assert done.returncode == 0, done.stdout + done.stderr
            assert "Successfully logged in" in done.stdout
        yield client
        assert "Traceback" not in instance.process.stderr


def test_toot_logs_in_with_a_password_and_knows_who_it_is(toot):
    accounts = toot.ok("auth")
    assert f"river@{toot.host}" in accounts and f"sky@{toot.host} ACTIVE" in accounts
    saved = json.loads((toot.config_home / "toot" / "config.json").read_text())
    assert saved["apps"][toot.host]["base_url"] == toot.instance.url
    assert saved["users"][f"river@{toot.host}"]["access_token"]

    shown = toot.ok("whoami", user="river")
    assert shown.startswith("@river") and f"{toot.instance.url}/@river" in shown
    me = toot.json("whoami", user="river")
    assert me["username"] == "river" and me["acct"] == "river"
    assert "sobriety" not in json.dumps(me)
    instance = toot.ok("instance")
    assert instance.startswith("hearth\n")
    assert "running Mastodon 4.3.0 (compatible; Hearth" in instance


def test_toot_logs_in_with_a_code_from_the_consent_page(toot, tmp_path):
    """`toot login`: the member opens the address toot prints, allows it,
    and types the code shown (the app toot registered is reused)."""
    saved = json.loads((toot.config_home / "toot" / "config.json").read_text())
    app = saved["apps"][toot.host]
    fresh = Toot(toot.instance, tmp_path)
    (tmp_path / "toot").mkdir()
    (tmp_path / "toot" / "config.json").write_text(json.dumps(
        {"apps": saved["apps"], "users": {}, "active_user": None}))
    with toot.instance.client() as http:
        assert login(http, "sky").status_code == 303
        shown = consent(http, {"response_type": "code", "client_id": app["client_id"],
                               "redirect_uri": OOB, "scope": "read write follow"})
    assert shown.status_code == 200, shown.text
    done = fresh.run("login", "--instance", toot.instance.url,
                     stdin=f"n\n{code_from_page(shown.text)}\n")
    assert done.returncode == 0, done.stdout + done.stderr
    assert "Successfully logged in" in done.stdout
    assert fresh.json("whoami")["username"] == "sky"


def test_a_wrong_password_is_refused_without_a_server_error(toot, tmp_path):
    stranger = Toot(toot.instance, tmp_path)
    done = stranger.login("river", "not the password")
    assert done.returncode != 0
    assert "Login failed" in done.stderr
    assert not (tmp_path / "toot" / "config.json").exists() or "river" not in (
        tmp_path / "toot" / "config.json").read_text()


def test_toot_posts_with_a_content_warning_and_reads_it_in_timelines(toot):
    status_id = toot.post("river", "--visibility", "public", "--spoiler-text", "relapse",
                          "Day one again. Starting over. #OneDay")
    status = toot.json("status", status_id, user="river")
    assert status["spoiler_text"] == "relapse" and status["sensitive"] is True
    assert status["visibility"] == "public"
    assert "Day one again" in status["content"]

    assert "Day one again" in toot.ok("status", status_id, user="sky")
    assert "Day one again" in toot.ok("timeline", "--once", user="river")
    assert "Day one again" in toot.ok("timeline", "--public", "--local", "--once", user="sky")
    assert "Day one again" in toot.ok("timeline", "--tag", "OneDay", "--once", user="sky")
    assert "Day one again" in toot.ok("timelines", "account", "river", "--no-pager", "--no-clear",
                                      user="sky")


def test_a_reply_from_toot_notifies_the_author_and_joins_the_thread(toot):
    parent = toot.post("river", "--visibility", "public", "Thirty days. Hard week.")
    reply = toot.post("sky", "--visibility", "unlisted", "--reply-to", parent,
                      "@river so proud of you")
    assert toot.json("status", reply, user="sky")["in_reply_to_id"] == parent

    assert "@sky mentioned you" in toot.ok("notifications", user="river")
    mentions = [n for n in toot.json("notifications", user="river") if n["type"] == "mention"]
    assert [n["status"]["id"] for n in mentions] == [reply]
    assert mentions[0]["account"]["acct"] == "sky"

    thread = toot.ok("thread", parent, user="river")
    assert thread.index("Thirty days") < thread.index("so proud of you")
    context = toot.json("thread", parent, user="river")
    assert [s["id"] for s in context["descendants"]] == [reply]


def test_toot_follows_a_member_who_approves_followers(toot):
    followed = toot.ok("follow", "river", user="sky")
    assert "following river" in followed
    assert "@sky" in toot.ok("follow-requests", "list", user="river")
    assert "@sky requested to follow you" in toot.ok("notifications", user="river")
    assert "now following you" in toot.ok("follow-requests", "accept", "sky", user="river")

    assert "@river" in toot.ok("following", "sky", user="sky")
    assert "@sky" in toot.ok("followers", "river", user="river")
    private = toot.post("river", "--visibility", "private", "Only for my followers")
    assert "Only for my followers" in toot.ok("timeline", "--once", user="sky")
    assert toot.json("status", private, user="sky")["visibility"] == "private"
