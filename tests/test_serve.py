"""``hearth serve`` and ``hearth worker`` as real long-running processes:
the embedded PostgreSQL the README promises, an external one, clean shutdown
on SIGTERM, and start-up failures that stay readable."""

from __future__ import annotations

import re
import socket
import subprocess
from collections.abc import Callable
from pathlib import Path

import httpx2
import psutil
import pytest

from tests.conftest import (
    PASSWORD,
    UNREACHABLE,
    csrf_from,
    hearth_env,
    run_hearth,
    signup_over_http,
)
from tests.processes import SERVING, START_TIMEOUT, HearthProcess

pytestmark = pytest.mark.slow

def _serve(
    start: Callable[[list[str], dict[str, str]], HearthProcess], env: dict[str, str], *extra: str
) -> tuple[HearthProcess, str]:
    """Start ``hearth serve --port 0``; the process and its base URL once listening."""
    process = start(["serve", "--port", "0", *extra], env)
    match = process.wait_for_line(SERVING, START_TIMEOUT)
    if "HEARTH_URL" not in env:  # unconfigured, the public URL follows the bound port
        assert match["url"] == f"http://localhost:{match['port']}"
    return process, f"http://{match['host']}:{match['port']}"


def _postgres_processes_of(data_dir: Path) -> list[psutil.Process]:
    needle = str(data_dir.resolve())
    found = []
    for proc in psutil.process_iter(["cmdline"]):
        cmdline = proc.info["cmdline"] or []
        if any(needle in part for part in cmdline):
            found.append(proc)
    return found


def _embedded_env(data_dir: Path, **variables: str) -> dict[str, str]:
    # hearth_env already leaves out HEARTH_DATABASE_URL and HEARTH_TEST_DATABASE_URL
    env = hearth_env(data_dir, **variables)
    assert not any(k in env for k in ("HEARTH_DATABASE_URL", "HEARTH_TEST_DATABASE_URL"))
    return env


# -- the embedded PostgreSQL -------------------------------------------------------

def test_serve_without_database_url_runs_and_stops_embedded_postgres(start, tmp_path):
    data_dir = tmp_path / "data"
    env = _embedded_env(data_dir, HEARTH_INSTANCE_NAME="Lakeside Circle")
    server, base = _serve(start, env)
    assert base.startswith("http://127.0.0.1:")
    assert "Starting the embedded PostgreSQL" in server.stderr
    assert (data_dir / "postgres" / "postmaster.pid").is_file()
    assert _postgres_processes_of(data_dir), "no PostgreSQL runs on the data directory"

    with httpx2.Client(base_url=base, timeout=10) as http:
        home = http.get("/")
        assert home.status_code == 200
        assert "Lakeside Circle" in home.text
        health = http.get("/healthz")
        assert health.status_code == 200
        assert health.json() == {"status": "ok", "database": "up"}

    assert server.stop() == 0
    assert "Traceback" not in server.stderr
    assert "Stopping the embedded PostgreSQL" in server.stderr
    assert not (data_dir / "postgres" / "postmaster.pid").exists()
    assert _postgres_processes_of(data_dir) == []


def _login(http: httpx2.Client, username: str, password: str) -> httpx2.Response:
    token = csrf_from(http.get("/login").text)
    return http.post("/login", data={
        "csrf_token": token, "username": username, "password": password, "next": "/",
    })


def test_serving_again_on_the_same_data_dir_keeps_members(start, tmp_path):
    data_dir = tmp_path / "data"
    env = _embedded_env(data_dir)

    first, base = _serve(start, env)
    with httpx2.Client(base_url=base, timeout=10) as http:
        assert signup_over_http(http, "early_bird", PASSWORD).status_code == 201
    assert first.stop() == 0

    # created while no server runs: the CLI starts and stops the database itself
    created = run_hearth("member", "create", "night_owl", env=env, cwd=tmp_path,
                         stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr
    assert _postgres_processes_of(data_dir) == []

    second, base = _serve(start, env)
    with httpx2.Client(base_url=base, timeout=10, follow_redirects=False) as http:
        assert http.get("/@early_bird").status_code == 200
        profile = http.get("/@night_owl")
        assert profile.status_code == 200
        assert "night_owl" in profile.text
        assert http.get("/@nobody_here").status_code == 404

        assert _login(http, "night_owl", "not the password at all").status_code == 401
        logged_in = _login(http, "night_owl", PASSWORD)
        assert logged_in.status_code == 303
        assert "hearth_session" in http.cookies
        home = http.get("/")
        assert "/@night_owl" in home.text and "Log out" in home.text
    assert second.stop() == 0
    assert _postgres_processes_of(data_dir) == []


def test_cli_beside_a_running_server_shares_the_embedded_postgres(start, tmp_path):
    data_dir = tmp_path / "data"
    env = _embedded_env(data_dir)
    server, base = _serve(start, env)

    created = run_hearth("member", "create", "side_door", env=env, cwd=tmp_path,
                         stdin=PASSWORD + "\n")
    assert created.returncode == 0, created.stderr

    # the CLI exiting must not stop the database the server still uses
    assert (data_dir / "postgres" / "postmaster.pid").is_file()
    with httpx2.Client(base_url=base, timeout=10) as http:
        assert http.get("/healthz").status_code == 200
        assert http.get("/@side_door").status_code == 200
    assert server.stop() == 0
    assert _postgres_processes_of(data_dir) == []


# -- an external PostgreSQL --------------------------------------------------------

@pytest.mark.parametrize("extra", [(), ("--no-workers",)], ids=["workers", "no-workers"])
def test_serve_with_database_url_serves_the_home_page(start, database_url, tmp_path, extra):
    env = hearth_env(tmp_path / "data", HEARTH_DATABASE_URL=database_url,
                     HEARTH_INSTANCE_NAME="Harbor Lights Recovery")
    server, base = _serve(start, env, *extra)
    assert "Starting the embedded PostgreSQL" not in server.stderr
    with httpx2.Client(base_url=base, timeout=10) as http:
        home = http.get("/")
        assert home.status_code == 200
        assert "Harbor Lights Recovery" in home.text
        assert http.get("/healthz").status_code == 200
    assert server.stop() == 0
    assert "Traceback" not in server.stderr
    assert not (tmp_path / "data" / "postgres").exists()


def test_worker_runs_until_sigterm(start, database_url, tmp_path):
    env = hearth_env(tmp_path / "data", HEARTH_DATABASE_URL=database_url)
    worker = start(["worker"], env)
    worker.wait_for_line(re.compile(r"Hearth worker running"), START_TIMEOUT)
    assert worker.proc.poll() is None
    assert worker.stop() == 0
    assert "Traceback" not in worker.stderr


# -- start-up failures -------------------------------------------------------------



def test_serve_on_a_port_in_use_fails_without_a_traceback(start, database_url, tmp_path):
    env = hearth_env(tmp_path / "data", HEARTH_DATABASE_URL=database_url)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        server = start(["serve", "--port", str(port)], env)
        try:
            code = server.proc.wait(timeout=START_TIMEOUT)
        except subprocess.TimeoutExpired:
            pytest.fail(f"hearth kept running on a port in use; stderr:\n{server.stderr}")
    assert code != 0
    assert str(port) in server.stderr
    assert "address already in use" in server.stderr.lower()
    assert "Traceback" not in server.stderr


def test_serve_with_an_unreachable_database_fails_without_a_traceback(start, tmp_path):
    env = hearth_env(tmp_path / "data", HEARTH_DATABASE_URL=UNREACHABLE)
    server = start(["serve", "--port", "0"], env)
    try:
        code = server.proc.wait(timeout=START_TIMEOUT)
    except subprocess.TimeoutExpired:
        pytest.fail(f"hearth kept running without a database; stderr:\n{server.stderr}")
    assert code != 0
    assert "cannot connect to the database at postgresql://nobody@127.0.0.1:1" in server.stderr
    assert "Traceback" not in server.stderr


def test_listening_socket_disables_nagle_so_responses_are_not_delayed():
    """Accepted connections inherit TCP_NODELAY; without it every response
    waited ~40 ms for the client's delayed ACK (see bench/README.md)."""
    from web.cli import _listen

    sock = _listen("127.0.0.1", 0)
    try:
        assert sock.getsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY) != 0
    finally:
        sock.close()
