"""Test bed: a real PostgreSQL, a template database built from schema.sql once
per run, and a fresh database cloned from it for every test.

With HEARTH_TEST_DATABASE_URL set, that server is used (CI points it at the
PostgreSQL on 127.0.0.1:5432); otherwise an embedded one is started.
"""

from __future__ import annotations

import asyncio
import itertools
import os
import re
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import asyncpg
import httpx2
import pytest
from starlette.testclient import TestClient

from tests.processes import HEARTH, SERVING, START_TIMEOUT, HearthProcess
from web import database
from web.app import create_app
from web.settings import Settings

UNREACHABLE = "postgresql://nobody@127.0.0.1:1/nothing"




def hearth_env(data_dir: Path, **variables: str) -> dict[str, str]:
    """This process's environment without any HEARTH_* variable, plus ``variables``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("HEARTH_")}
    env["HEARTH_DATA_DIR"] = str(data_dir)
    env.update(variables)
    return env


def run_hearth(
    *args: str, env: dict[str, str], cwd: Path, stdin: str = "", timeout: float = 60
) -> subprocess.CompletedProcess[str]:
    """Run ``hearth ARGS`` to completion; standard input is a pipe, never a tty."""
    return subprocess.run(
        [HEARTH, *args], input=stdin, capture_output=True, text=True,
        env=env, cwd=cwd, timeout=timeout, check=False,
    )

_counter = itertools.count()


def run(coro: Any) -> Any:
    return asyncio.run(coro)


@pytest.fixture(scope="session")
def pg_admin_url() -> Iterator[str]:
    configured = os.environ.get("HEARTH_TEST_DATABASE_URL")
    if configured:
        yield configured
        return
    # Not under pytest's numbered temporary folders: a second pytest started
    # meanwhile removes all but the newest three, data folder included.
    data = Path(tempfile.mkdtemp(prefix="hearth-embedded-"))
    embedded = database.EmbeddedPostgres(data)
    try:
        yield embedded.start()
    finally:
        embedded.stop()
        shutil.rmtree(data, ignore_errors=True)


@pytest.fixture(scope="session")
def template_name(pg_admin_url: str) -> Iterator[str]:
    name = f"hearth_tpl_{os.getpid()}"

    async def build() -> None:
        admin = await asyncpg.connect(pg_admin_url)
        try:
            await admin.execute(f"DROP DATABASE IF EXISTS {name}")
            await admin.execute(f"CREATE DATABASE {name}")
        finally:
            await admin.close()
        conn = await asyncpg.connect(database.with_database(pg_admin_url, name))
        try:
            await database.apply_schema(conn)
        finally:
            await conn.close()

    run(build())
    yield name
    run(_drop(pg_admin_url, name))


async def _drop(admin_url: str, name: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
    finally:
        await admin.close()


@pytest.fixture
def database_url(pg_admin_url: str, template_name: str) -> Iterator[str]:
    """A clean database of its own for this test."""
    name = f"hearth_t_{os.getpid()}_{next(_counter)}"

    run(_create_from_template(pg_admin_url, name, template_name))
    yield database.with_database(pg_admin_url, name)
    run(_drop(pg_admin_url, name))


class Db:
    """Synchronous access to the test's database, for arranging and asserting."""

    def __init__(self, url: str) -> None:
        self.url = url

    async def _call(self, method: str, sql: str, *args: Any) -> Any:
        conn = await asyncpg.connect(self.url)
        try:
            return await getattr(conn, method)(sql, *args)
        finally:
            await conn.close()

    def fetchval(self, sql: str, *args: Any) -> Any:
        return run(self._call("fetchval", sql, *args))

    def fetch(self, sql: str, *args: Any) -> list[Any]:
        return run(self._call("fetch", sql, *args))

    def execute(self, sql: str, *args: Any) -> Any:
        return run(self._call("execute", sql, *args))

    def dump_text(self) -> str:
        """Every row of every table as text: for 'this never got stored' checks."""
        tables = [r["tablename"] for r in self.fetch(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public'")]
        return "\n".join(
            str(dict(row)) for t in tables for row in self.fetch(f'SELECT * FROM "{t}"')
        )


@pytest.fixture
def db(database_url: str) -> Db:
    return Db(database_url)


def make_settings(database_url: str, **overrides: Any) -> Settings:
    return Settings.load({}, url=overrides.pop("url", "http://testserver"),
                         database_url=database_url, **overrides)


@pytest.fixture
def settings(database_url: str) -> Settings:
    return make_settings(database_url)


@pytest.fixture
def app_factory(database_url: str) -> Iterator[Any]:
    """Build a client for an app with settings overrides; closed after the test."""
    clients: list[TestClient] = []

    def factory(**overrides: Any) -> TestClient:
        settings = make_settings(database_url, **overrides)
        client = TestClient(create_app(settings), base_url=settings.url,
                            follow_redirects=False)
        client.__enter__()
        clients.append(client)
        return client

    yield factory
    for client in clients:
        client.__exit__(None, None, None)


@pytest.fixture
def client(app_factory: Any) -> TestClient:
    result: TestClient = app_factory()
    return result


_CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


def csrf_from(html: str) -> str:
    match = _CSRF.search(html)
    assert match, "page has no CSRF token"
    return match.group(1)


def post_form(client: TestClient, page: str, action: str, data: dict[str, str]) -> Any:
    """GET ``page`` for a CSRF token (the log-in page's when it has no form),
    then POST ``data`` to ``action``."""
    html = client.get(page).text
    if not _CSRF.search(html):
        html = client.get("/login").text
    return client.post(action, data={"csrf_token": csrf_from(html), **data})


PASSWORD = "correct horse battery"


def signup(client: TestClient, username: str, password: str = PASSWORD,
           invite: str = "", **extra: str) -> Any:
    page = f"/signup?invite={invite}" if invite else "/signup"
    data = {"username": username, "password": password, "password_confirm": password,
            "accept": "yes", "invite": invite, **extra}
    return post_form(client, page, "/signup", data)


def login(client: TestClient, username: str, password: str = PASSWORD,
          next_path: str = "/") -> Any:
    return post_form(client, "/login", "/login",
                     {"username": username, "password": password, "next": next_path})


def signup_over_http(http: httpx2.Client, username: str, password: str = PASSWORD) -> Any:
    """Sign up through a real server's pages, as a browser would."""
    token = csrf_from(http.get("/signup").text)
    return http.post("/signup", data={
        "csrf_token": token, "username": username, "password": password,
        "password_confirm": password, "accept": "yes", "invite": "",
    })


def recovery_codes_from(html: str) -> list[str]:
    return re.findall(r"<code>([a-z0-9]{4}-[a-z0-9]{4}-[a-z0-9]{4})</code>", html)


@pytest.fixture
def start(tmp_path: Path) -> Iterator[Callable[[list[str], dict[str, str]], HearthProcess]]:
    """``start(args, env)`` runs hearth; every process is ended after the test."""
    processes: list[HearthProcess] = []

    def starter(args: list[str], env: dict[str, str]) -> HearthProcess:
        log = tmp_path / f"hearth-{len(processes)}.stderr"
        process = HearthProcess(args, env, tmp_path, log)
        processes.append(process)
        return process

    yield starter
    for process in processes:
        process.close()




WORKER_RUNNING = re.compile(r"Hearth worker running")


@dataclass
class Instance:
    """A real `hearth serve` process with its own database and address.

    ``stop()`` and ``start()`` stop it and serve it again on the same port
    and database (a peer that goes down and comes back); ``worker()`` starts
    a separate ``hearth worker`` on its database (serve it with
    ``workers=False`` for that to be the only one)."""

    name: str
    url: str
    db: Db
    process: HearthProcess
    env: dict[str, str] = field(default_factory=dict)
    serve_args: list[str] = field(default_factory=list)
    logs: Path | None = None
    workers: list[HearthProcess] = field(default_factory=list)
    _spawned: int = 0

    def client(self) -> httpx2.Client:
        return httpx2.Client(base_url=self.url, timeout=15)

    def stop(self) -> int:
        """SIGTERM the server; its exit code (fails if it does not exit)."""
        return self.process.stop()

    def start(self) -> None:
        """Serve again, on the same port and database, once stopped."""
        assert self.process.proc.poll() is not None, "stop() the instance first"
        self.process.close()
        self.process = self._spawn(self.serve_args)
        self.process.wait_for_line(SERVING, START_TIMEOUT)

    def worker(self) -> HearthProcess:
        """A new ``hearth worker`` on this instance's database, running."""
        worker = self._spawn(["worker"])
        self.workers.append(worker)
        worker.wait_for_line(WORKER_RUNNING, START_TIMEOUT)
        return worker

    def _spawn(self, args: list[str]) -> HearthProcess:
        assert self.logs is not None
        self._spawned += 1
        log = self.logs / f"{self.name}-{self._spawned}-{args[0]}.stderr"
        return HearthProcess(args, self.env, self.logs, log)

    def close(self) -> None:
        for process in (self.process, *self.workers):
            process.close()


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port: int = sock.getsockname()[1]
        return port


@pytest.fixture
def instances(
    pg_admin_url: str, template_name: str, tmp_path: Path
) -> Iterator[Callable[..., Instance]]:
    """``instances(name, **HEARTH_VARS)`` starts one more instance, federating
    over loopback (HEARTH_ALLOW_PRIVATE_NETWORK is on for them);
    ``workers=False`` serves it with ``--no-workers``."""
    started: list[Instance] = []

    def start_instance(name: str, *, workers: bool = True, **variables: str) -> Instance:
        db_name = f"hearth_i_{os.getpid()}_{next(_counter)}"
        run(_create_from_template(pg_admin_url, db_name, template_name))
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        env = hearth_env(tmp_path / name, HEARTH_URL=url, HEARTH_INSTANCE_NAME=name,
                         HEARTH_ALLOW_PRIVATE_NETWORK="on",
                         HEARTH_DATABASE_URL=database.with_database(pg_admin_url, db_name),
                         **variables)
        args = ["serve", "--port", str(port), *([] if workers else ["--no-workers"])]
        process = HearthProcess(args, env, tmp_path, tmp_path / f"{name}.stderr")
        instance = Instance(name, url, Db(env["HEARTH_DATABASE_URL"]), process,
                            env=env, serve_args=args, logs=tmp_path)
        started.append(instance)
        process.wait_for_line(SERVING, START_TIMEOUT)
        return instance

    yield start_instance
    for instance in started:
        instance.close()
        run(_drop(pg_admin_url, urlsplit(instance.db.url).path.lstrip("/")))


async def _create_from_template(admin_url: str, name: str, template: str) -> None:
    admin = await asyncpg.connect(admin_url)
    try:
        await admin.execute(f"CREATE DATABASE {name} TEMPLATE {template}")
    finally:
        await admin.close()
