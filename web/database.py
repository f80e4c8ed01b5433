"""Where the database is, starting the embedded one, the pool and the schema.

With no ``HEARTH_DATABASE_URL`` Hearth runs a PostgreSQL of its own (from the
``pgserver`` wheel) in ``<data dir>/postgres``, reachable over a Unix socket
only. Several Hearth processes on one data directory share that server; the
last one to exit stops it. With a URL, that server is used. The same schema
and the same SQL serve both.
"""

from __future__ import annotations

import logging
import sys
import sysconfig
import warnings
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit, urlunsplit

import asyncpg

from web.settings import ConfigError, Settings

log = logging.getLogger(__name__)

EMBEDDED_DATABASE = "hearth"
# Any constant works: it only keeps two processes from applying the schema at once.
_SCHEMA_LOCK = 7_201_604_453


def schema_path() -> Path:
    """schema.sql beside the packages in a checkout, or in <prefix>/share/hearth."""
    candidates = [
        Path(__file__).resolve().parent.parent / "schema.sql",
        Path(sysconfig.get_path("data")) / "share" / "hearth" / "schema.sql",
        Path(sys.prefix) / "share" / "hearth" / "schema.sql",
    ]
    for path in candidates:
        if path.is_file():
            return path
    raise ConfigError("schema.sql is missing from this installation; reinstall Hearth")


class EmbeddedPostgres:
    """A PostgreSQL server that lives in the data directory."""

    def __init__(self, data_dir: Path) -> None:
        self.pgdata = (data_dir / "postgres").resolve()
        self._server: Any = None

    def start(self) -> str:
        """Start (or join) the server; return the URL of Hearth's database."""
        with warnings.catch_warnings():
            # platformdirs warns when XDG_RUNTIME_DIR is unset; harmless here.
            warnings.simplefilter("ignore")
            import pgserver
        logging.getLogger("pgserver").setLevel(logging.WARNING)
        try:
            self.pgdata.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise ConfigError(f"cannot create the data directory {self.pgdata.parent}: "
                              f"{exc.strerror or exc}") from exc
        self._server = self._get_server(pgserver)
        if EMBEDDED_DATABASE not in self._server.psql(
            "SELECT datname FROM pg_database;"
        ).split():
            self._server.psql(f"CREATE DATABASE {EMBEDDED_DATABASE};")
        url: str = self._server.get_uri(EMBEDDED_DATABASE)
        return url

    def _get_server(self, pgserver: Any) -> Any:
        # `pg_ctl -w start` under load sometimes misses a server that did
        # start within pgserver's fixed 10 s; a second attempt finds it
        # running and joins it instead of starting another.
        for attempt in (1, 2):
            try:
                return pgserver.get_server(self.pgdata, cleanup_mode="stop")
            except Exception as exc:  # pgserver raises bare subprocess errors
                # pgserver keeps the failed handle in a cache; forget it.
                pgserver.PostgresServer._instances.pop(self.pgdata, None)
                if attempt == 2:
                    raise ConfigError(
                        f"could not start the embedded PostgreSQL in {self.pgdata}: {exc} "
                        f"(its log is {self.pgdata / 'log'})"
                    ) from exc
                log.warning("embedded PostgreSQL did not start (%s); trying once more", exc)
        raise AssertionError("unreachable")

    def stop(self) -> None:
        """Stop the server unless another Hearth process still uses it."""
        if self._server is not None:
            self._server.cleanup()
            self._server = None


def resolve_url(
    settings: Settings, progress: Callable[[str], None]
) -> tuple[str, EmbeddedPostgres | None]:
    """The database URL to use, starting the embedded server when none is set."""
    if settings.database_url:
        return settings.database_url, None
    embedded = EmbeddedPostgres(settings.data_dir)
    progress(f"Starting the embedded PostgreSQL in {embedded.pgdata} ...")
    return embedded.start(), embedded


def with_database(url: str, name: str) -> str:
    """The same server URL pointing at another database."""
    parts = urlsplit(url)
    return urlunsplit((parts.scheme, parts.netloc, "/" + name, parts.query, parts.fragment))


def describe(url: str) -> str:
    """The URL without its password, for messages and logs."""
    parts = urlsplit(url)
    netloc = parts.netloc
    if "@" in netloc:
        userinfo, host = netloc.rsplit("@", 1)
        netloc = f"{userinfo.split(':', 1)[0]}@{host}"
    return urlunsplit((parts.scheme, netloc, parts.path, parts.query, ""))


async def connect(url: str) -> asyncpg.Connection:
    try:
        return await asyncpg.connect(url, timeout=10)
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigError(f"cannot connect to the database at {describe(url)}: {exc}") from exc


async def create_pool(
    url: str, max_size: int = 10,
    init: Callable[[asyncpg.Connection], Awaitable[None]] | None = None,
) -> asyncpg.Pool:
    """The process's pool; ``init`` runs on each new connection (benchmarks
    count queries with it)."""
    try:
        # min_size=0: connections are made on demand. With a floor, asyncpg
        # reconnects in the background while the server restarts and logs a
        # traceback for each try; on demand, a request just gets a 503.
        pool = await asyncpg.create_pool(
            url, min_size=0, max_size=max_size, command_timeout=30, timeout=10,
            reset=_keep_session, init=init,
        )
        async with pool.acquire() as conn:  # fail here, clearly, when unreachable
            await conn.fetchval("SELECT 1")
    except (OSError, asyncpg.PostgresError, TimeoutError) as exc:
        raise ConfigError(f"cannot connect to the database at {describe(url)}: {exc}") from exc
    assert pool is not None
    return pool


async def _keep_session(conn: asyncpg.Connection) -> None:
    """What a pooled connection needs on release beyond asyncpg's own step
    (which rolls back an open transaction and drops listener callbacks):
    nothing. asyncpg's default would also send ``RESET ALL``, ``UNLISTEN *``,
    ``CLOSE ALL`` and ``pg_advisory_unlock_all()``, one more round trip on
    every release (a tenth of a busy inbox's database time), but Hearth keeps
    no session state on pooled connections: settings are ``SET LOCAL``, locks
    are ``pg_advisory_xact_lock``, nothing LISTENs on them
    (tests/test_database_pool.py checks the sources for that)."""


async def apply_schema(conn: asyncpg.Connection) -> None:
    """Run schema.sql; safe to run again and from several processes at once."""
    sql = schema_path().read_text(encoding="utf-8")
    async with conn.transaction():
        await conn.execute("SELECT pg_advisory_xact_lock($1)", _SCHEMA_LOCK)
        await conn.execute(sql)
