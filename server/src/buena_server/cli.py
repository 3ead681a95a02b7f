"""The ``buena-server`` command: serve, run a worker, migrate, manage accounts (and their
credits) and keys."""

from __future__ import annotations

import argparse
import asyncio
import gc
import logging
import logging.config
import signal
import sys
from collections.abc import Awaitable, Callable, Sequence
from datetime import timedelta
from typing import TypeVar

from pydantic import ValidationError
from sqlalchemy import select

from buena_server import __version__
from buena_server.accounts.repository import AccountRepository
from buena_server.accounts.service import NewAccount, create_account
from buena_server.auth.permissions import ALL_PERMISSIONS
from buena_server.config import Settings
from buena_server.credits.operator import NoSuchAccount, add_credits, list_accounts
from buena_server.errors import InsufficientCredits, is_database_outage
from buena_server.keys.operator import (
    OperatorError,
    list_keys,
    revoke_in_database,
    tell_other_processes,
)
from buena_server.keys.repository import ApiKeyRecord, ApiKeyRepository
from buena_server.keys.service import issue_key
from buena_server.kit.access_log import logging_config
from buena_server.kit.clock import utcnow
from buena_server.kit.db import open_database
from buena_server.kit.driver import Connection
from buena_server.kit.startup import (
    Startup,
    database_location,
    migrate_database,
    one_line,
    print_admin_key,
)
from buena_server.migrate import hold_setup_lock
from buena_server.tables import accounts

T = TypeVar("T")


class CliError(Exception):
    """A problem the operator can fix; printed without a traceback."""


def _load_settings() -> Settings:
    try:
        return Settings()
    except ValidationError as exc:
        raise CliError(f"invalid configuration:\n{exc}") from None


def _with_database(settings: Settings, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Migrate, then run ``work`` in one write transaction."""

    async def run() -> T:
        await migrate_database(settings)
        database = open_database(settings.database_url, timeout=settings.database_timeout_seconds)
        try:
            async with database.transaction(write=True) as conn:
                # Several replicas may start at once: only one bootstraps the first account.
                await hold_setup_lock(conn)
                return await work(conn)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    except Exception as exc:
        if is_database_outage(exc):
            location = database_location(settings)
            raise CliError(f"cannot reach the database {location} ({one_line(exc)})") from None
        raise


def _exit_cleanly(_signal: int, _frame: object) -> None:
    raise SystemExit(0)


def cmd_serve(args: argparse.Namespace) -> None:
    import uvicorn

    from buena_server.app import BASE_PATH, create_app
    from buena_server.kit.http_limits import HeaderLimits
    from buena_server.kit.http_protocol import limited_http_protocol

    settings = _load_settings()
    logging.config.dictConfig(logging_config(settings.log_format, access_log=not args.quiet))
    # uvicorn finishes in-flight requests on SIGTERM, then re-raises the signal; a clean stop
    # exits 0 (as does a SIGTERM before serving starts).
    signal.signal(signal.SIGTERM, _exit_cleanly)
    host = args.host or settings.host
    port = args.port if args.port is not None else settings.port
    base_url = f"http://{host}:{port}{BASE_PATH}"
    # Migrations and the first account happen once the server listens (kit/startup.py).
    startup = Startup(settings, base_url)
    print(f"Buena API {__version__} serving at {base_url} (docs: {base_url}/docs)", flush=True)
    app = create_app(settings, startup=startup)
    # Everything built so far lives as long as the process: move it out of the collector's
    # reach, so that full collections walk only per-request garbage (p99 of GET by id under
    # load: 35 ms -> 10 ms here, see docs/design.md).
    gc.collect()
    gc.freeze()
    # Young collections every 20,000 tracked allocations rather than 700: a batch of 1000
    # leads makes ~40 of them otherwise, each walking the batch's objects that survived the
    # last (docs/design.md, "The collector").
    gc.set_threshold(20_000, 10, 10)
    server = uvicorn.Server(
        uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level="warning" if args.quiet else "info",
            log_config=None,  # configured above; the access log is ours (kit/access_log.py)
            access_log=False,
            timeout_graceful_shutdown=settings.shutdown_timeout_seconds,
            # X-Forwarded-For is believed only from BUENA_TRUSTED_PROXIES (uvicorn's own
            # default trusts 127.0.0.1, so anything on the host could spoof the client address).
            proxy_headers=bool(settings.trusted_proxy_list),
            forwarded_allow_ips=settings.trusted_proxy_list or None,
            server_header=False,
            # httptools with the header caps applied while the head is read (kit/http_protocol.py).
            http=limited_http_protocol(
                HeaderLimits(settings.max_header_bytes, settings.max_header_count)
            ),
        )
    )

    def stop() -> None:
        server.should_exit = True

    startup.when_failed(stop)
    # Once ready, freeze again what start-up built (and collect what it left behind).
    startup.when_ready(_freeze_what_lives)
    server.run()
    if startup.failure is not None:
        raise CliError(str(startup.failure))
    if not server.started:
        sys.exit(3)  # uvicorn said why (the port taken, say); its own exit status for it


def _freeze_what_lives() -> None:
    gc.collect()
    gc.freeze()


def cmd_worker(_args: argparse.Namespace) -> None:
    """The queue's worker alone, for deployments that run workers apart from the API."""
    from buena_server.kit.worker_process import run_worker

    settings = _load_settings()
    logging.config.dictConfig(logging_config(settings.log_format, access_log=False))
    try:
        import uvloop
    except ImportError:  # not installed on Windows
        asyncio.run(run_worker(settings))
    else:  # the event loop `serve` runs on (uvicorn's choice when uvloop is installed)
        uvloop.run(run_worker(settings))


def cmd_migrate(_args: argparse.Namespace) -> None:
    settings = _load_settings()

    async def nothing(_conn: Connection) -> None:
        return None

    _with_database(settings, nothing)
    print("Database is at the latest schema.")


def cmd_accounts_create(args: argparse.Namespace) -> None:
    settings = _load_settings()

    async def work(conn: Connection) -> NewAccount:
        return await create_account(conn, args.name)

    created = _with_database(settings, work)
    print_admin_key(created, f"http://{settings.host}:{settings.port}/api/v2")


def cmd_accounts_list(_args: argparse.Namespace) -> None:
    settings = _load_settings()

    async def work(conn: Connection) -> str:
        return await list_accounts(conn, default_credits=settings.default_credits)

    print(_on_database(settings, work))


def cmd_accounts_credits(args: argparse.Namespace) -> None:
    settings = _load_settings()

    async def work(conn: Connection) -> int:
        try:
            return await add_credits(
                conn, args.account, args.add, default_credits=settings.default_credits
            )
        except (NoSuchAccount, InsufficientCredits) as exc:
            raise CliError(str(exc)) from None

    balance = _on_database(settings, work)
    print(f"Account {args.account} now has {balance} credits.")


def _permissions(value: str) -> list[str]:
    permissions = [p.strip() for p in value.split(",") if p.strip()]
    unknown = [p for p in permissions if p not in ALL_PERMISSIONS]
    if unknown or not permissions:
        raise argparse.ArgumentTypeError(
            f"unknown permission(s) {', '.join(unknown) or '(none given)'}; "
            f"choose from {', '.join(ALL_PERMISSIONS)}"
        )
    return list(dict.fromkeys(permissions))


def _positive_days(value: str) -> int:
    try:
        days = int(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number of days: {value!r}") from None
    if days < 1:
        raise argparse.ArgumentTypeError("a key must live at least 1 day")
    return days


def cmd_keys_create(args: argparse.Namespace) -> None:
    settings = _load_settings()
    expires_at = None
    if args.expires_in_days is not None:
        expires_at = utcnow() + timedelta(days=args.expires_in_days)

    async def work(conn: Connection) -> str:
        account_id = args.account
        if account_id is None:
            ids = (await conn.execute(select(accounts.c.id).limit(2))).scalars().all()
            if len(ids) != 1:
                raise CliError("several accounts (or none) exist: name one with --account ID")
            account_id = ids[0]
        elif not await AccountRepository(conn).exists(account_id):
            raise CliError(f"no account {account_id}")
        _record, secret = await issue_key(
            ApiKeyRepository(conn),
            account_id=account_id,
            name=args.name,
            permissions=args.permissions,
            expires_at=expires_at,
        )
        return secret

    secret = _with_database(settings, work)
    print(secret)


def _on_database(settings: Settings, work: Callable[[Connection], Awaitable[T]]) -> T:
    """Run ``work`` in one write transaction, without migrating or taking the setup lock
    (the operator's key commands: the database is in use by the servers)."""

    async def run() -> T:
        database = open_database(settings.database_url, timeout=settings.database_timeout_seconds)
        try:
            async with database.transaction(write=True) as conn:
                return await work(conn)
        finally:
            await database.close()

    try:
        return asyncio.run(run())
    except OperatorError as exc:
        raise CliError(str(exc)) from None
    except Exception as exc:
        if is_database_outage(exc):
            location = database_location(settings)
            raise CliError(f"cannot reach the database {location} ({one_line(exc)})") from None
        raise


def cmd_keys_list(args: argparse.Namespace) -> None:
    settings = _load_settings()

    async def work(conn: Connection) -> str:
        return await list_keys(conn, args.account)

    print(_on_database(settings, work))


def cmd_keys_revoke(args: argparse.Namespace) -> None:
    settings = _load_settings()

    async def work(conn: Connection) -> ApiKeyRecord:
        return await revoke_in_database(conn, args.key_id)

    target = _on_database(settings, work)
    state = "was already revoked" if not target.is_active else "revoked"
    print(f"API key {target.id} ({target.name}, account {target.account_id}) {state}.")
    told, message = asyncio.run(tell_other_processes(settings, target.id))
    print(message, file=sys.stdout if told else sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="buena-server", description="Buena API v2 server")
    parser.add_argument("--version", action="version", version=__version__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="migrate, bootstrap an account if none, and serve")
    serve.add_argument("--host", help="interface to listen on (default BUENA_HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default BUENA_PORT or 8000)")
    serve.add_argument("--quiet", action="store_true", help="no access log")
    serve.set_defaults(func=cmd_serve)

    commands.add_parser(
        "worker", help="run the queue's worker only (webhook deliveries...), no API"
    ).set_defaults(func=cmd_worker)

    commands.add_parser("migrate", help="apply database migrations").set_defaults(func=cmd_migrate)

    account_cmd = commands.add_parser("accounts", help="manage accounts")
    account_sub = account_cmd.add_subparsers(dest="action", required=True)
    create_acct = account_sub.add_parser("create", help="create an account and its admin key")
    create_acct.add_argument("--name", required=True)
    create_acct.set_defaults(func=cmd_accounts_create)
    account_sub.add_parser(
        "list", help="list accounts: ids, names and credit balances"
    ).set_defaults(func=cmd_accounts_list)
    credits_cmd = account_sub.add_parser(
        "credits", help="add credits to an account (a negative number takes them back)"
    )
    credits_cmd.add_argument("--account", required=True, help="account id")
    credits_cmd.add_argument(
        "--add", required=True, type=int, help="credits to add (negative: take back)"
    )
    credits_cmd.set_defaults(func=cmd_accounts_credits)

    keys_cmd = commands.add_parser("keys", help="manage API keys")
    keys_sub = keys_cmd.add_subparsers(dest="action", required=True)
    create_key = keys_sub.add_parser("create", help="create an API key and print it")
    create_key.add_argument("--name", required=True)
    create_key.add_argument(
        "--permissions", required=True, type=_permissions, help="comma-separated permissions"
    )
    create_key.add_argument("--account", help="account id (optional when only one exists)")
    create_key.add_argument(
        "--expires-in-days", type=_positive_days, help="expire after this many days (1 or more)"
    )
    create_key.set_defaults(func=cmd_keys_create)
    list_keys_cmd = keys_sub.add_parser(
        "list", help="list API keys (of every account, or of one), from the database"
    )
    list_keys_cmd.add_argument("--account", help="only this account's keys")
    list_keys_cmd.set_defaults(func=cmd_keys_list)
    revoke_key = keys_sub.add_parser(
        "revoke", help="revoke an API key in the database (works while Redis is down)"
    )
    revoke_key.add_argument("key_id", metavar="KEY_ID")
    revoke_key.set_defaults(func=cmd_keys_revoke)
    return parser


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        args.func(args)
    except CliError as exc:
        print(f"buena-server: {exc}", file=sys.stderr)
        sys.exit(2)


if __name__ == "__main__":
    main()
