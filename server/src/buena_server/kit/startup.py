"""What ``buena-server serve`` does before its API can answer: migrate the database and, on an
empty one, create the first account with its admin key.

The server listens from the start, so that replicas can start before their database: until
that work has succeeded, ``/health`` answers 503 ``down`` and every API request the JSON 503
(``app._serve_when_ready``), while the work is retried with a capped exponential backoff
and each failed attempt is reported in one line. An error that waiting will not cure (a
bootstrap key that belongs nowhere, a key file that cannot be written) stops the server
instead.

The first account's admin key is a secret: in development it is printed once; in production
it is never printed, but taken from ``BUENA_BOOTSTRAP_KEY`` or written to
``BUENA_BOOTSTRAP_KEY_FILE``, readable only by the server's user.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
from collections.abc import Awaitable, Callable, Iterable, Iterator
from pathlib import Path

from sqlalchemy.engine import make_url

from buena_server.accounts.service import NewAccount, bootstrap
from buena_server.config import Environment, Settings
from buena_server.errors import ServiceUnavailable, is_database_outage
from buena_server.kit.db import create_engine
from buena_server.kit.driver import Database
from buena_server.migrate import hold_setup_lock, migrate

logger = logging.getLogger("buena_server.kit.startup")

Sleep = Callable[[float], Awaitable[None]]


def backoff_delays(first: float = 1.0, cap: float = 30.0) -> Iterator[float]:
    """1, 2, 4, ... seconds, then ``cap`` seconds for ever."""
    delay = first
    while True:
        yield delay
        delay = min(delay * 2, cap)


async def migrate_database(settings: Settings) -> None:
    """Apply the migrations (once, when several processes start together: migrate.py)."""
    engine = create_engine(settings.database_url, timeout=settings.database_timeout_seconds)
    try:
        await migrate(engine)
    finally:
        await engine.dispose()


def database_location(settings: Settings) -> str:
    """The database URL without its password, for messages."""
    return make_url(settings.database_url).render_as_string(hide_password=True)


# SQLSTATE classes and codes that waiting may cure: 08 connection, 53 insufficient resources
# (too many connections), 57 operator intervention (57P03: the server is starting up), and
# 3D000, a database not created yet.
_TRANSIENT_SQLSTATES = ("08", "53", "57", "3D000")


def worth_waiting_for(exc: BaseException) -> bool:
    """Whether ``exc`` says the database is not there *yet*, rather than a mistake."""
    if is_database_outage(exc):
        return True
    return any(
        str(getattr(cause, "sqlstate", "") or "").startswith(_TRANSIENT_SQLSTATES)
        for cause in _causes(exc)
    )


def _causes(exc: BaseException) -> Iterator[BaseException]:
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        yield current
        following = current.__cause__ or getattr(current, "orig", None)
        current = following if isinstance(following, BaseException) else None


def one_line(exc: BaseException) -> str:
    """The innermost cause of ``exc``, in one line: what an operator needs, not a traceback."""
    *_, root = _causes(exc)
    text = " ".join(str(root).split()) or "no details"
    return f"{type(root).__name__}: {text}"


def write_secret(path: Path, secret: str) -> None:
    """``secret`` into ``path``, created with mode 0600 (never readable by others, not even
    for a moment) and replaced at once, so a reader sees the old file or the new one."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f".{path.name}.{os.getpid()}.partial")
    descriptor = os.open(partial, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    try:
        os.fchmod(descriptor, 0o600)  # O_CREAT's mode does not apply to an existing file
        os.write(descriptor, f"{secret}\n".encode())
        os.fsync(descriptor)
    finally:
        os.close(descriptor)
    os.replace(partial, path)


def print_admin_key(created: NewAccount, base_url: str) -> None:
    """The new admin key, printed once, with a command to try it."""
    print("=" * 72)
    print(f"Created account {created.account_id} with an admin API key holding every permission.")
    print("Save it now: it is shown only this once.")
    print()
    print(f"    KEY={created.key}")
    print()
    print("Try it:")
    print(f'    curl -H "x-api-key: $KEY" {base_url}/leads')
    print("=" * 72, flush=True)


class StartupFailed(Exception):
    """Start-up cannot succeed by waiting; the message says what to fix."""


class Startup:
    """Prepares the database for ``serve`` (see the module docstring); ``ready`` once done."""

    def __init__(
        self,
        settings: Settings,
        base_url: str,
        *,
        sleep: Sleep = asyncio.sleep,
        delays: Iterable[float] | None = None,
    ) -> None:
        self.settings = settings
        self.base_url = base_url
        self.sleep = sleep
        self.delays = backoff_delays() if delays is None else delays
        self.ready = False
        self.failure: StartupFailed | None = None
        self._when_ready: list[Callable[[], None]] = []
        self._when_failed: list[Callable[[], None]] = []
        self._migration: asyncio.Task[None] | None = None

    def when_ready(self, callback: Callable[[], None]) -> None:
        self._when_ready.append(callback)

    def when_failed(self, callback: Callable[[], None]) -> None:
        self._when_failed.append(callback)

    def unavailable(self) -> ServiceUnavailable:
        """The answer to an API request while the database is being prepared."""
        return ServiceUnavailable(
            "The server is starting and its database is not ready yet; retry shortly",
            details={"reason": "starting"},
            headers={"Retry-After": "1"},
        )

    async def run(self, database: Database) -> None:
        """Attempt the start-up work until it succeeds (or cannot), then call back."""
        delays = iter(self.delays)
        waited = False
        while True:
            try:
                created = await self._attempt(database)
            except Exception as exc:
                if worth_waiting_for(exc):
                    waited = True
                    delay = next(delays)
                    logger.warning(
                        "cannot reach the database %s (%s); retrying in %g s",
                        database_location(self.settings),
                        one_line(exc),
                        delay,
                    )
                    await self.sleep(delay)
                    continue
                failure = exc if isinstance(exc, StartupFailed) else StartupFailed(one_line(exc))
                self._fail(failure)
                return
            if waited:
                logger.info("reached the database %s: serving", database_location(self.settings))
            self._announce(created)
            self.ready = True
            for callback in self._when_ready:
                callback()
            return

    async def stop(self, running: asyncio.Task[None]) -> None:
        """Cancel ``running`` (the task of ``run``), letting a migration under way end first
        (within the shutdown timeout): it is one transaction either way, and a database
        driver's thread must never find the event loop closed under it (SQLite's does, when
        the port is taken and the server stops as it starts)."""
        running.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await running
        migration = self._migration
        if migration is None or migration.done():
            return
        try:
            async with asyncio.timeout(self.settings.shutdown_timeout_seconds):
                await migration
        except TimeoutError:
            migration.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await migration
        except Exception as exc:  # the start-up stops anyway: say why the migration failed
            logger.warning("a migration under way at shutdown failed: %s", one_line(exc))

    def _fail(self, failure: StartupFailed) -> None:
        logger.error("start-up failed: %s", failure)
        self.failure = failure
        for callback in self._when_failed:
            callback()

    async def _attempt(self, database: Database) -> NewAccount | None:
        settings = self.settings
        key = settings.bootstrap_key.get_secret_value() if settings.bootstrap_key else None
        # Shielded: a cancelled start-up lets the migration end (stop() waits for it).
        self._migration = asyncio.ensure_future(migrate_database(settings))
        await asyncio.shield(self._migration)
        async with database.transaction(write=True) as conn:
            # Several replicas may start at once: only one bootstraps the first account.
            await hold_setup_lock(conn)
            try:
                created = await bootstrap(conn, settings.bootstrap_account_name, key)
            except RuntimeError as exc:  # a bootstrap key this database cannot place
                raise StartupFailed(str(exc)) from None
            if created is not None and key is None and self._keeps_keys_in_a_file():
                # Before the commit: an account whose key was never delivered is never made.
                try:
                    write_secret(settings.bootstrap_key_file, created.key)
                except OSError as exc:
                    raise StartupFailed(
                        f"cannot write the admin key to {settings.bootstrap_key_file}: {exc}"
                    ) from None
        return created

    def _keeps_keys_in_a_file(self) -> bool:
        return self.settings.env is Environment.PRODUCTION

    def _announce(self, created: NewAccount | None) -> None:
        if created is None:
            return
        if self.settings.bootstrap_key is not None:
            print(f"Created account {created.account_id}; its admin key is BUENA_BOOTSTRAP_KEY.")
        elif self._keeps_keys_in_a_file():
            path = self.settings.bootstrap_key_file.resolve()
            print(
                f"Created account {created.account_id} with an admin API key holding every "
                f"permission; the key is in {path} (readable only by this user).",
                flush=True,
            )
        else:
            print_admin_key(created, self.base_url)
