"""Helpers for client-API tests: register an app, get tokens the ways a
Mastodon app does, call the API with a bearer token, log the real Mastodon.py
in to a running instance, and share one app or one served instance across a
module's tests."""

from __future__ import annotations

import itertools
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from mastodon import Mastodon
from starlette.testclient import TestClient

from tests.conftest import (
    PASSWORD,
    Db,
    Instance,
    _create_from_template,
    _drop,
    _free_port,
    csrf_from,
    hearth_env,
    make_settings,
    run,
)
from tests.processes import SERVING, START_TIMEOUT, HearthProcess
from web import database
from web.app import create_app

OOB = "urn:ietf:wg:oauth:2.0:oob"
MASTODON_PY_SCOPES = ["read", "write", "follow"]
_served = itertools.count()


def register_app(client: Any, redirect_uris: Any = OOB,
                 scopes: str = "read write follow push", **extra: Any) -> dict[str, Any]:
    response = client.post("/api/v1/apps", data={
        "client_name": "Test App", "redirect_uris": redirect_uris, "scopes": scopes, **extra})
    assert response.status_code == 200, response.text
    app: dict[str, Any] = response.json()
    return app


def password_token(client: Any, app: dict[str, Any], username: str,
                   scope: str = "read write follow push", password: str = PASSWORD) -> str:
    response = client.post("/oauth/token", data={
        "grant_type": "password", "client_id": app["client_id"],
        "client_secret": app["client_secret"], "username": username,
        "password": password, "scope": scope})
    assert response.status_code == 200, response.text
    token: str = response.json()["access_token"]
    return token


def bearer(token: str) -> dict[str, str]:
    return {"authorization": f"Bearer {token}"}


def consent(client: Any, query: dict[str, str], decision: str = "authorize") -> Any:
    """Open the consent page (logged in) and press a button."""
    page = client.get("/oauth/authorize", params=query)
    assert page.status_code == 200, page.text
    fields = dict(re.findall(r'<input type="hidden" name="([a-z_]+)" value="([^"]*)"',
                             page.text))
    fields["csrf_token"] = csrf_from(page.text)
    return client.post("/oauth/authorize", data={**fields, "decision": decision})


def code_from_page(html: str) -> str:
    match = re.search(r'id="authorization-code"[^>]*>([^<]+)<', html)
    assert match, "no code on the page"
    return match.group(1)


def mastodon_py_login(url: str, username: str, *, scopes: list[str] | None = None,
                      app_scopes: list[str] | None = None, app_name: str = "Hearth test",
                      password: str = PASSWORD) -> Mastodon:
    """The real Mastodon.py registered as an app on ``url`` (with ``app_scopes``)
    and logged in as ``username`` with the password grant (with ``scopes``;
    both default to read, write and follow)."""
    scopes = scopes or MASTODON_PY_SCOPES
    client_id, client_secret = Mastodon.create_app(
        app_name, scopes=app_scopes or scopes, api_base_url=url)
    api = Mastodon(client_id=client_id, client_secret=client_secret, api_base_url=url,
                   request_timeout=15)
    api.log_in(username, password, scopes=scopes, allow_http=True)
    return api


@contextmanager
def module_client(pg_admin_url: str, template_name: str) -> Iterator[TestClient]:
    """The app on a database of its own, for a module's tests to share (the
    ``client`` fixture makes one per test)."""
    db_name = f"hearth_m_{os.getpid()}_{next(_served)}"
    run(_create_from_template(pg_admin_url, db_name, template_name))
    settings = make_settings(database.with_database(pg_admin_url, db_name))
    try:
        with TestClient(create_app(settings), base_url=settings.url,
                        follow_redirects=False) as client:
            yield client
    finally:
        run(_drop(pg_admin_url, db_name))


@contextmanager
def served_instance(pg_admin_url: str, template_name: str, tmp: Path,
                    name: str = "hearth") -> Iterator[Instance]:
    """One `hearth serve` process on a database of its own, for a module's
    tests to share (the ``instances`` fixture starts one per test)."""
    db_name = f"hearth_m_{os.getpid()}_{next(_served)}"
    run(_create_from_template(pg_admin_url, db_name, template_name))
    port = _free_port()
    url = f"http://127.0.0.1:{port}"
    env = hearth_env(tmp / name, HEARTH_URL=url, HEARTH_INSTANCE_NAME=name,
                     HEARTH_DATABASE_URL=database.with_database(pg_admin_url, db_name))
    args = ["serve", "--port", str(port)]
    process = HearthProcess(args, env, tmp, tmp / f"{name}.stderr")
    instance = Instance(name, url, Db(env["HEARTH_DATABASE_URL"]), process,
                        env=env, serve_args=args, logs=tmp)
    try:
        process.wait_for_line(SERVING, START_TIMEOUT)
        yield instance
    finally:
        instance.close()
        run(_drop(pg_admin_url, db_name))
