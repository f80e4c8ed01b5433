"""The ``hearth`` command. User mistakes end in one clear line and exit 2;
nothing a member or operator types should ever print a traceback."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import datetime
import getpass
import logging
import signal
import socket
import sys
from collections.abc import Awaitable, Callable, Coroutine
from typing import Any

from recovery import invites, members
from recovery.errors import HearthError
from recovery.models import Registration, Role
from web import database
from web.settings import ConfigError, Settings

log = logging.getLogger("hearth")


def _progress(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="hearth",
        description="Hearth: a federated server for community-run alcohol recovery programs.",
        epilog="Every option can also be set with the HEARTH_* variable named beside it.",
    )
    parser.add_argument("--url", help="public base URL, e.g. https://recovery.example "
                        "(HEARTH_URL; default http://localhost:8000)")
    parser.add_argument("--database-url", help="PostgreSQL URL (HEARTH_DATABASE_URL); "
                        "unset means the embedded database in the data directory")
    parser.add_argument("--data-dir", help="where Hearth keeps its files and the embedded "
                        "database (HEARTH_DATA_DIR; default ./hearth-data)")
    parser.add_argument("--instance-name", help="the community's name (HEARTH_INSTANCE_NAME)")
    parser.add_argument("--registration", choices=[r.value for r in Registration],
                        help="how people join (HEARTH_REGISTRATION; default open)")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    serve = commands.add_parser("serve", help="serve the community's web pages and API")
    serve.add_argument("--host", help="address to listen on (HEARTH_HOST; default 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port to listen on, 0 for any free one "
                       "(HEARTH_PORT; default 8000)")
    serve.add_argument("--no-workers", action="store_true",
                       help="run no background jobs here (run `hearth worker` beside it)")
    serve.set_defaults(handler=_serve)

    worker = commands.add_parser("worker", help="run the background jobs alone")
    worker.set_defaults(handler=_worker)

    db = commands.add_parser("db", help="database commands").add_subparsers(
        dest="db_command", metavar="DB_COMMAND", required=True)
    db.add_parser("init", help="apply schema.sql (safe to run again)").set_defaults(
        handler=_db_init)
    db.add_parser("url", help="print the database URL in use").set_defaults(handler=_db_url)

    member = commands.add_parser("member", help="manage members").add_subparsers(
        dest="member_command", metavar="MEMBER_COMMAND", required=True)
    create = member.add_parser(
        "create", help="create a member; the password is read from standard input")
    create.add_argument("name")
    create.add_argument("--role", choices=[r.value for r in Role], default="member")
    create.set_defaults(handler=_member_create)
    member.add_parser("list", help="list members").set_defaults(handler=_member_list)
    set_role = member.add_parser("set-role", help="change a member's role")
    set_role.add_argument("name")
    set_role.add_argument("role", choices=[r.value for r in Role])
    set_role.set_defaults(handler=_member_set_role)
    approve = member.add_parser("approve", help="approve a sign-up waiting for approval")
    approve.add_argument("name")
    approve.set_defaults(handler=_member_approve)

    federation = commands.add_parser("federation", help="federation commands").add_subparsers(
        dest="federation_command", metavar="FEDERATION_COMMAND", required=True)
    federation.add_parser(
        "status", help="show the delivery queue and failing peer hosts"
    ).set_defaults(handler=_federation_status)

    invite = commands.add_parser("invite", help="invite links").add_subparsers(
        dest="invite_command", metavar="INVITE_COMMAND", required=True)
    invite_create = invite.add_parser("create", help="print a new invite link")
    invite_create.add_argument("--uses", type=int, default=1,
                               help="how many people may use it (default 1)")
    invite_create.add_argument("--days", type=int, default=7,
                               help="days until it expires (default 7)")
    invite_create.add_argument("--no-expiry", action="store_true", help="never expires")
    invite_create.set_defaults(handler=_invite_create)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    try:
        settings = Settings.load(
            url=args.url, database_url=args.database_url, data_dir=args.data_dir,
            instance_name=args.instance_name, registration=args.registration,
            host=getattr(args, "host", None), port=getattr(args, "port", None),
        )
        result: int = args.handler(args, settings)
        return result
    except (ConfigError, HearthError) as exc:
        print(f"hearth: error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


# -- running with a database ---------------------------------------------------

def _with_database(settings: Settings, work: Callable[[Any], Awaitable[int]]) -> int:
    """Start (or join) the database, apply the schema, run ``work(conn)``."""
    url, embedded = database.resolve_url(settings, _progress)
    try:
        return asyncio.run(_run_with_connection(url, work))
    finally:
        if embedded:
            embedded.stop()


async def _run_with_connection(url: str, work: Callable[[Any], Awaitable[int]]) -> int:
    conn = await database.connect(url)
    try:
        await database.apply_schema(conn)
        async with conn.transaction():
            return await work(conn)
    finally:
        await conn.close()


def _db_init(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: Any) -> int:
        return 0

    status = _with_database(settings, work)
    print("The schema is applied and up to date.")
    return status


def _db_url(args: argparse.Namespace, settings: Settings) -> int:
    if settings.database_url:
        print(settings.database_url)
        return 0
    url, embedded = database.resolve_url(settings, _progress)
    print(url)
    assert embedded is not None
    embedded.stop()
    _progress("(the embedded database answers there while `hearth serve` or "
              "`hearth worker` runs on this data directory)")
    return 0


def _read_password() -> str:
    if sys.stdin.isatty():
        first = getpass.getpass("Password: ")
        if first != getpass.getpass("Password again: "):
            raise ConfigError("the two passwords are not the same")
        return first
    line = sys.stdin.readline()
    if not line:
        raise ConfigError("no password on standard input (pipe it in, e.g. "
                          "`printf '%s\\n' \"$PASSWORD\" | hearth member create NAME`)")
    return line.rstrip("\r\n")


def _member_create(args: argparse.Namespace, settings: Settings) -> int:
    password = _read_password()

    async def work(conn: Any) -> int:
        registered = await members.register(
            conn, args.name, password, accepted_guidelines=True,
            registration=Registration.OPEN, role=Role(args.role),
        )
        member = registered.member
        print(f"Created {member.username} ({member.role.value}).")
        print("Recovery codes (shown only now; give them to the member):")
        for code in registered.recovery_codes:
            print(f"  {code}")
        return 0

    return _with_database(settings, work)


def _member_list(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: Any) -> int:
        found = await members.list_members(conn)
        if not found:
            print("No members yet. Create one with `hearth member create NAME`.")
            return 0
        print(f"{'USERNAME':<31} {'ROLE':<10} {'STATUS':<10} JOINED")
        for m in found:
            joined = m.created_at.strftime("%Y-%m-%d")
            print(f"{m.username:<31} {m.role.value:<10} {m.status.value:<10} {joined}")
        return 0

    return _with_database(settings, work)


def _member_set_role(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: Any) -> int:
        member = await members.set_role(conn, args.name, Role(args.role))
        print(f"{member.username} is now {member.role.value}.")
        return 0

    return _with_database(settings, work)


def _member_approve(args: argparse.Namespace, settings: Settings) -> int:
    async def work(conn: Any) -> int:
        member = await members.approve(conn, None, args.name)
        print(f"{member.username} is approved and can log in.")
        return 0

    return _with_database(settings, work)


def _invite_create(args: argparse.Namespace, settings: Settings) -> int:
    if settings.registration is not Registration.INVITE:
        _progress(f"note: registration is {settings.registration.value!r}; invite links "
                  "are needed only when HEARTH_REGISTRATION=invite")

    async def work(conn: Any) -> int:
        days = None if args.no_expiry else args.days
        invite = await invites.create(conn, None, args.uses, days)
        print(f"{settings.url}/signup?invite={invite.code}")
        return 0

    return _with_database(settings, work)


def _federation_status(args: argparse.Namespace, settings: Settings) -> int:
    from outbox import store as outbox_store

    def when(moment: datetime.datetime) -> str:
        age = datetime.datetime.now(datetime.UTC) - moment
        hours, minutes = divmod(int(age.total_seconds()) // 60, 60)
        return f"{moment.astimezone(datetime.UTC):%Y-%m-%d %H:%M} UTC ({hours} h {minutes} min ago)"

    async def work(conn: Any) -> int:
        stats = await outbox_store.queue_stats(conn)
        print(f"Deliveries waiting:     {stats.waiting:,} ({stats.due:,} due now, "
              f"{stats.held:,} held for unavailable hosts)")
        oldest = when(stats.oldest_waiting_at) if stats.oldest_waiting_at else "-"
        print(f"Oldest waiting since:   {oldest}")
        print(f"Last 24 hours:          {stats.delivered_last_day:,} delivered, "
              f"{stats.failed_last_day:,} failed")
        print(f"Peer hosts failing:     {stats.failing_hosts:,} "
              f"({len(stats.unavailable_hosts):,} marked unavailable)")
        for host, since in stats.unavailable_hosts:
            print(f"  {host:<40} unavailable since {when(since)}")
        return 0

    return _with_database(settings, work)


# -- long-running processes -----------------------------------------------------

def _serve(args: argparse.Namespace, settings: Settings) -> int:
    url, embedded = database.resolve_url(settings, _progress)
    try:
        _progress(f"Database: {database.describe(url)}")
        return _run_loop(_serve_until_stopped(settings, url, not args.no_workers))
    finally:
        if embedded:
            _progress("Stopping the embedded PostgreSQL ...")
            embedded.stop()


async def _serve_until_stopped(settings: Settings, url: str, workers: bool) -> int:
    import uvicorn

    from web.app import create_app

    # Whatever can fail on the operator's side fails here, as one clear line,
    # before uvicorn (which would log tracebacks) is involved.
    conn = await database.connect(url)
    try:
        await database.apply_schema(conn)
    finally:
        await conn.close()
    sock = _listen(settings.host, settings.port)
    host, port = sock.getsockname()[:2]
    if settings.url_from_port:
        settings = dataclasses.replace(settings, url=f"http://localhost:{port}")

    class Server(uvicorn.Server):
        # Signals are handled below: uvicorn's own handling re-raises SIGINT
        # after shutting down, which would cancel the lifespan mid-cleanup.
        @contextlib.contextmanager
        def capture_signals(self) -> Any:
            yield

        async def startup(self, sockets: Any = None) -> None:
            try:
                await super().startup(sockets)
            except SystemExit:  # uvicorn exits when startup fails; it logged why
                self.should_exit = True
                return
            shown = f"[{host}]" if ":" in host else host
            print(f"Hearth is serving {settings.instance_name} at {settings.url} "
                  f"(listening on http://{shown}:{port}). Press Ctrl+C to stop.", flush=True)

        async def shutdown(self, sockets: Any = None) -> None:
            # Streaming responses never end by themselves: end them first, or
            # uvicorn would wait for them before stopping.
            app.state.hub.close_all("the server is stopping")
            await super().shutdown(sockets)

    app = create_app(settings, url, workers=workers)
    server = Server(uvicorn.Config(
        app, lifespan="on",
        access_log=False,  # access logs would store members' IP addresses
        server_header=False, log_level="info",
    ))
    _on_stop_signal(lambda: _stop_server(server))
    await server.serve(sockets=[sock])
    return 0 if server.started else 1


def _listen(host: str, port: int) -> socket.socket:
    try:
        family = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)[0][0]
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise ConfigError(f"cannot listen on {host}:{port}: {exc.strerror or exc}") from exc
    if sock.family in (socket.AF_INET, socket.AF_INET6):
        # Accepted connections inherit this: no Nagle delay between a
        # response's header and body writes.
        sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


def _stop_server(server: Any) -> None:
    if server.should_exit:
        server.force_exit = True  # a second Ctrl+C: stop without waiting
    server.should_exit = True


def _on_stop_signal(callback: Callable[[], None]) -> None:
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, callback)


def _worker(args: argparse.Namespace, settings: Settings) -> int:
    from federation.fetch import make_client
    from web.app import _fetch_policy
    from web.workers import JobContext, run_forever

    url, embedded = database.resolve_url(settings, _progress)
    try:
        async def run() -> int:
            pool = await database.create_pool(url, max_size=4)
            try:
                async with pool.acquire() as conn:
                    await database.apply_schema(conn)
                stop = asyncio.Event()
                _on_stop_signal(stop.set)
                print("Hearth worker running. Press Ctrl+C to stop.", flush=True)
                async with make_client(_fetch_policy(settings)) as http:
                    await run_forever(pool, stop, context=JobContext(http, settings, stop))
                return 0
            finally:
                await pool.close()

        return _run_loop(run())
    finally:
        if embedded:
            embedded.stop()


def _run_loop(main: Coroutine[Any, Any, int]) -> int:
    """Run a long-lived process's coroutine on uvloop (installed with
    ``uvicorn[standard]``), else on asyncio's own loop. uvloop's event loop
    costs a fraction of asyncio's per callback and per socket read: about
    15% more inbox activities per second on one core (bench/README.md)."""
    try:
        import uvloop
    except ImportError:  # not built for every platform
        return asyncio.run(main)
    return uvloop.run(main)


if __name__ == "__main__":
    sys.exit(main())
