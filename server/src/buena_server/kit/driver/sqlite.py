"""SQLite on sqlite3, in the event loop: readers alongside one writer at a time, the WAL
checkpointed in a worker thread."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import sqlite3
import time
from collections.abc import AsyncIterator, Mapping, Sequence
from contextlib import asynccontextmanager
from operator import itemgetter
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement

from buena_server.kit.driver.base import Connection, Database, translated
from buena_server.kit.driver.compiler import Prepared, StatementCompiler
from buena_server.kit.driver.results import Result

# What every connection to a database file runs with, requests' (here) and migrations'
# (db.create_engine): WAL keeps reads going beside the one writer; NORMAL syncs at WAL
# checkpoints, which WAL keeps safe against corruption; SQLite leaves foreign keys off
# unless asked.
PRAGMAS = ("PRAGMA journal_mode=WAL", "PRAGMA synchronous=NORMAL", "PRAGMA foreign_keys=ON")


# The WAL is copied back into the database (checkpointed) by a worker thread once it holds
# CHECKPOINT_BYTES (SQLite's own default point: 1000 pages of 4 KB), not by the commit that
# crosses that point, which would wait for the copy and its two fsyncs (~10-20 ms after a
# batch of 1000 leads; docs/decisions/sqlite-checkpoints.md). A commit checkpoints itself
# only past SAFETY_PAGES, should the thread fall behind.
CHECKPOINT_BYTES = 4 * 1024 * 1024
SAFETY_PAGES = 10_000

logger = logging.getLogger(__name__)


def pragmas(*, busy_timeout_ms: int) -> tuple[str, ...]:
    """``PRAGMAS``, and how long a statement waits for another connection's lock."""
    return (*PRAGMAS, f"PRAGMA busy_timeout={busy_timeout_ms}")


class SqliteConnection(Connection):
    def __init__(self, compiler: StatementCompiler, raw: sqlite3.Connection) -> None:
        super().__init__(compiler)
        self.raw = raw

    async def execute_many(
        self, statement: ClauseElement, parameters: Sequence[Mapping[str, Any]]
    ) -> int:
        if not parameters:
            return 0
        prepared, rows = self.compiler.bind_many(statement, parameters)
        try:
            cursor = self.raw.executemany(prepared.sql, rows)
        except sqlite3.Error as exc:
            raise translated(exc, prepared, rows) from exc
        return int(cursor.rowcount)

    async def execute_many_stored(
        self, statement: ClauseElement, names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> int:
        if not rows:
            return 0
        # The statement as ``bind`` compiles it for these names (once: cached), its values
        # discarded; the rows' values put in its positions' order when that is another.
        prepared, _values = self.compiler.bind(statement, dict.fromkeys(names))
        order = tuple(names.index(name) for name in prepared.positions)
        if order != tuple(range(len(names))):
            pick = itemgetter(*order)
            rows = [pick(row) for row in rows]
        try:
            cursor = self.raw.executemany(prepared.sql, rows)
        except sqlite3.Error as exc:
            raise translated(exc, prepared, rows) from exc
        return int(cursor.rowcount)

    async def _run(
        self, prepared: Prepared, values: list[Any], *, heavy: bool, plan_per_value: bool = False
    ) -> Result:
        if heavy:
            return await asyncio.to_thread(self._run_now, prepared, values)
        return self._run_now(prepared, values)

    def _run_now(self, prepared: Prepared, values: list[Any]) -> Result:
        try:
            cursor = self.raw.execute(prepared.sql, values)
            rows = cursor.fetchall()
        except sqlite3.Error as exc:
            raise translated(exc, prepared, values) from exc
        if prepared.keys:
            if prepared.converted:
                rows = [prepared.convert(row) for row in rows]
            return Result(prepared.keys, rows, cursor.rowcount)  # sqlite3's rows are tuples
        keys = tuple(column[0] for column in cursor.description or ())
        return Result(keys, rows, cursor.rowcount)


class SqliteDatabase(Database):
    """sqlite3 in the event loop: a statement on an indexed row takes microseconds, less than
    the thread hop aiosqlite pays per call. Statements marked heavy run in a worker thread.

    Writers in this process take turns through an asyncio lock (SQLite has one writer at a
    time), so a waiting writer never blocks the loop; a writer in another process is waited
    for by retrying ``BEGIN IMMEDIATE`` with asyncio sleeps, for up to ``timeout`` seconds.
    """

    def __init__(
        self,
        path: str,
        dialect: Dialect,
        *,
        pool_size: int,
        timeout: float,
        checkpoint_bytes: int = CHECKPOINT_BYTES,
    ) -> None:
        super().__init__(dialect)
        self.path = path
        self.checkpoint_bytes = checkpoint_bytes
        self._checkpointer: sqlite3.Connection | None = None  # the worker thread's
        self._checkpointing: asyncio.Task[None] | None = None
        self.pool_size = pool_size
        self.timeout = timeout
        self._idle: list[sqlite3.Connection] = []
        self._write_lock = asyncio.Lock()
        self._write_turn = _WriteTurn(self._write_lock, timeout)
        self._in_use = 0  # connections taken and not given back
        self._watcher: sqlite3.Connection | None = None
        self._watching: sqlite3.Cursor | None = None  # one cursor, reused: ~1 µs a request
        self._marker: str | None = None  # this pass of the event loop's (change_marker)
        if path != ":memory:":
            os.makedirs(os.path.dirname(os.path.abspath(path)), exist_ok=True)

    def _connect(self) -> sqlite3.Connection:
        try:
            raw = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            # Never wait inside the driver (that would stall the event loop): a busy database
            # raises at once and the waiting happens in ``_begin_immediate``.
            for pragma in pragmas(busy_timeout_ms=0):
                raw.execute(pragma)
            raw.execute(f"PRAGMA wal_autocheckpoint={SAFETY_PAGES}")
        except sqlite3.Error as exc:
            raise sa_exc.OperationalError("connect", None, exc) from exc
        return raw

    async def start(self) -> None:
        """Nothing to do: connections open when first needed."""

    def change_marker(self) -> str | None:
        """``PRAGMA data_version`` on a connection that never writes: it changes when any other
        connection, in this process or another, commits (no I/O, but a read transaction:
        two ``fcntl`` and an ``fstat`` calls).

        Read once per pass of the event loop and shared by the requests that pass runs: every
        one of them arrived (its bytes were read in the loop's poll phase) before the pass
        began, so before this read, and a value read after a request arrived is as current as
        that request needs (anything committed later is later than the request). The next
        pass reads again."""
        if self._marker is not None:
            return self._marker
        try:
            if self._watching is None:
                self._watcher = self._connect()
                self._watching = self._watcher.cursor()
            marker = str(self._watching.execute("PRAGMA data_version").fetchone()[0])
        except (sqlite3.Error, sa_exc.OperationalError):
            return None
        try:
            asyncio.get_running_loop().call_soon(self._forget_marker)
        except RuntimeError:  # no event loop: no pass to share the read with
            return marker
        self._marker = marker
        return marker

    def _forget_marker(self) -> None:
        self._marker = None

    def _checkpoint_if_due(self) -> None:
        """After a commit: checkpoint in a worker thread if the WAL has grown past
        ``checkpoint_bytes`` and no checkpoint is running (a stat of the WAL, ~1 µs)."""
        if self._checkpointing is not None or self.path == ":memory:":
            return
        try:
            size = os.stat(f"{self.path}-wal").st_size
        except OSError:
            return
        if size >= self.checkpoint_bytes:
            self._checkpointing = asyncio.create_task(self._checkpoint())

    async def _checkpoint(self) -> None:
        try:
            await asyncio.to_thread(self._checkpoint_now)
        except (sqlite3.Error, sa_exc.OperationalError) as exc:
            # The next commit past the point tries again; past SAFETY_PAGES a commit does.
            logger.warning("WAL checkpoint failed: %s", exc)
        finally:
            self._checkpointing = None

    def _checkpoint_now(self) -> None:
        """In the worker thread, on a connection of its own: PASSIVE copies what no reader
        still needs and waits for no one (sqlite3 lets the event loop run meanwhile)."""
        if self._checkpointer is None:
            self._checkpointer = self._connect()
        self._checkpointer.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()

    async def close(self) -> None:
        if self._checkpointing is not None:
            await asyncio.wait([self._checkpointing])
        if self._checkpointer is not None:
            self._checkpointer.close()
            self._checkpointer = None
        if self._watcher is not None:
            self._watcher.close()
            self._watcher = self._watching = None
        idle, self._idle = self._idle, []
        for raw in idle:
            raw.close()

    def transaction(
        self, *, write: bool, single_write: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Connection]:
        return self._writing() if write else _SqliteReading(self)

    def pool_usage(self) -> tuple[int, int]:
        return self._in_use, self._write_turn.waiting

    def _take(self) -> sqlite3.Connection:
        raw = self._idle.pop() if self._idle else self._connect()
        self._in_use += 1
        return raw

    def _give_back(self, raw: sqlite3.Connection, *, reusable: bool) -> None:
        self._in_use -= 1
        if reusable and len(self._idle) < self.pool_size:
            self._idle.append(raw)
        else:
            raw.close()  # rolls back whatever is open

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[Connection]:
        # One deadline for both waits: this process's other writers, then other processes'.
        deadline = time.monotonic() + self.timeout
        async with self._write_turn:
            raw = self._take()
            reusable = False
            try:
                await self._begin_immediate(raw, deadline)
                conn = SqliteConnection(self.compiler, raw)
                try:
                    yield conn
                except BaseException:
                    raw.rollback()
                    reusable = True
                    raise
                _sqlite_call(raw, "COMMIT")
                reusable = True
                self._checkpoint_if_due()
            finally:
                self._give_back(raw, reusable=reusable)
            await conn._committed()

    async def _begin_immediate(self, raw: sqlite3.Connection, deadline: float) -> None:
        pause = 0.001
        while True:
            try:
                raw.execute("BEGIN IMMEDIATE")
                return
            except sqlite3.OperationalError as exc:
                busy = exc.sqlite_errorcode in (sqlite3.SQLITE_BUSY, sqlite3.SQLITE_LOCKED)
                if not busy or time.monotonic() >= deadline:
                    raise sa_exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
            await asyncio.sleep(pause)
            pause = min(pause * 2, 0.05)


class _WriteTurn:
    """The write lock, waited for at most ``timeout`` seconds, counting the writers waiting
    for it (a class: entered on every write)."""

    __slots__ = ("lock", "timeout", "waiting")

    def __init__(self, lock: asyncio.Lock, timeout: float) -> None:
        self.lock = lock
        self.timeout = timeout
        self.waiting = 0

    async def __aenter__(self) -> None:
        if not self.lock.locked():
            await self.lock.acquire()  # free: no timer to arm
            return
        self.waiting += 1
        try:
            # asyncio.timeout, not wait_for, which can lose a cancellation (pool.py).
            async with asyncio.timeout(self.timeout):
                await self.lock.acquire()
        except TimeoutError as exc:
            raise sa_exc.OperationalError("BEGIN IMMEDIATE", None, exc) from exc
        finally:
            self.waiting -= 1

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        self.lock.release()


class _SqliteReading:
    """A read: statements on their own, no BEGIN (see Database.transaction). A class rather
    than a generator context manager: it is entered on every request."""

    __slots__ = ("conn", "database", "raw")

    def __init__(self, database: SqliteDatabase) -> None:
        self.database = database

    async def __aenter__(self) -> Connection:
        self.raw = self.database._take()
        self.conn = SqliteConnection(self.database.compiler, self.raw)
        return self.conn

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        self.database._give_back(self.raw, reusable=True)
        if kind is None:
            await self.conn._committed()


def _sqlite_call(raw: sqlite3.Connection, sql: str) -> None:
    try:
        raw.execute(sql)
    except sqlite3.Error as exc:
        raise sa_exc.OperationalError(sql, None, exc) from exc
