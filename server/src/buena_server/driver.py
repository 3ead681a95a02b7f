"""Statements built with SQLAlchemy Core, executed straight on the database driver.

SQLAlchemy compiles each statement shape once (keyed by its cache key) with the dialect's own
bind and result processors, so values are written and read exactly as SQLAlchemy itself would
write and read them; the compiled SQL then runs on asyncpg, or on sqlite3, directly. This keeps
SQLAlchemy's schema, SQL construction and type handling and drops what a request pays for its
async engine: a greenlet switch per call, a pool pre-ping, and on SQLite a thread hop per
driver call (see docs/design.md, "Query path", for the measurements).

Repositories see a :class:`Connection`, the small part of SQLAlchemy's ``AsyncConnection`` they
use (``execute``, ``begin_nested``, results with ``mappings()``, ``scalar_one()``...), and
driver errors arrive as SQLAlchemy's exception types (``IntegrityError``,
``OperationalError``...), so callers handle one family whatever the database.

SQLAlchemy internals used here (``_generate_cache_key``, ``_bind_processors``,
``_result_columns``, ``_cached_result_processor``) are the ones its own execution context
uses; the supported SQLAlchemy versions are pinned in pyproject.toml and the test suite runs
every query through this module on both databases.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import os
import sqlite3
import time
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import asyncpg
import msgspec
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.base import Executable
from sqlalchemy.sql.cache_key import CacheKey
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.util import LRUCache

Processor = Callable[[Any], Any]
# What asyncpg raises when a statement fails or the connection is lost.
# InternalClientError: asyncpg's own state machine refused a call on a connection left
# mid-error (a server that shut down while the connection waited): an unusable connection.
_PG_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)

# Execution option for statements that may read many rows (lists, searches, counts): SQLite
# runs them in a worker thread so that a long scan never stalls the event loop.
HEAVY_OPTION = "buena_heavy"
# Execution option for statements whose best plan depends on their values (a LIKE pattern:
# a rare term wants the trigram index, a common one the ordered index). PostgreSQL plans
# each of their executions for the values given; every other statement keeps the generic
# plan PostgreSQL caches for a prepared statement, and is not planned again per request.
PLAN_PER_VALUE_OPTION = "buena_plan_per_value"


# -- results ------------------------------------------------------------------------------


class Result:
    """The rows (already converted) and row count of one statement."""

    __slots__ = ("_keys", "_rows", "rowcount")

    def __init__(self, keys: Sequence[str], rows: list[tuple[Any, ...]], rowcount: int) -> None:
        self._keys = tuple(keys)
        self._rows = rows
        self.rowcount = rowcount

    def all(self) -> list[tuple[Any, ...]]:
        return self._rows

    def first(self) -> tuple[Any, ...] | None:
        return self._rows[0] if self._rows else None

    def mappings(self) -> Mappings:
        return Mappings(self._keys, self._rows)

    def scalars(self) -> Scalars:
        return Scalars([row[0] for row in self._rows])

    def scalar(self) -> Any:
        return self._rows[0][0] if self._rows else None

    def scalar_one(self) -> Any:
        if len(self._rows) != 1:
            raise (sa_exc.NoResultFound if not self._rows else sa_exc.MultipleResultsFound)(
                f"expected exactly one row, got {len(self._rows)}"
            )
        return self._rows[0][0]

    def scalar_one_or_none(self) -> Any:
        if len(self._rows) > 1:
            raise sa_exc.MultipleResultsFound(f"expected at most one row, got {len(self._rows)}")
        return self._rows[0][0] if self._rows else None


class Mappings:
    __slots__ = ("_keys", "_rows")

    def __init__(self, keys: tuple[str, ...], rows: list[tuple[Any, ...]]) -> None:
        self._keys = keys
        self._rows = rows

    def __iter__(self) -> Iterator[dict[str, Any]]:
        keys = self._keys
        return (dict(zip(keys, row, strict=True)) for row in self._rows)

    def all(self) -> list[dict[str, Any]]:
        return list(self)

    def first(self) -> dict[str, Any] | None:
        return dict(zip(self._keys, self._rows[0], strict=True)) if self._rows else None


class Scalars:
    __slots__ = ("_values",)

    def __init__(self, values: list[Any]) -> None:
        self._values = values

    def all(self) -> list[Any]:
        return self._values

    def __iter__(self) -> Iterator[Any]:
        return iter(self._values)


# -- compilation --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Prepared:
    """One statement shape compiled for one dialect."""

    compiled: SQLCompiler
    sql: str
    positions: tuple[str, ...]
    bind_processors: Mapping[str, Processor]
    keys: tuple[str, ...]  # empty when the driver must say (textual SELECTs)
    # (column index, processor) of the result columns that need converting.
    converted: tuple[tuple[int, Processor], ...]
    returns_rows: bool
    writes: bool  # INSERT, UPDATE or DELETE

    def convert(self, row: Sequence[Any]) -> tuple[Any, ...]:
        if not self.converted:
            return tuple(row)
        values = list(row)
        for index, process in self.converted:
            value = values[index]
            if value is not None:
                values[index] = process(value)
        return tuple(values)

    def values(self, parameters: Mapping[str, Any]) -> list[Any]:
        """The driver's positional values, from values by name."""
        processors = self.bind_processors
        return [
            processors[name](parameters[name]) if name in processors else parameters[name]
            for name in self.positions
        ]


class StatementCompiler:
    """Compiles statements for one dialect, each shape once; binds their values."""

    def __init__(self, dialect: Dialect, cache_size: int = 512) -> None:
        self.dialect = dialect
        self._cache: LRUCache[Any, Prepared] = LRUCache(cache_size)
        # Statements built once at import with named parameters (the hot ones), by identity:
        # (the statement, kept alive so that its id is never reused; its parameter names).
        self._built_once: dict[int, tuple[ClauseElement, frozenset[str], Prepared]] = {}

    def bind(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | None = None
    ) -> tuple[Prepared, list[Any]]:
        if parameters is not None:
            known = self._built_once.get(id(statement))
            if known is not None and known[0] is statement and known[1] == parameters.keys():
                return known[2], known[2].values(parameters)
        cache_key = statement._generate_cache_key()
        # The statement's shape plus the names of separately given values (they decide which
        # columns an INSERT or UPDATE without .values() names).
        shape = (cache_key.key, tuple(parameters or ())) if cache_key is not None else None
        prepared = self._cache.get(shape) if shape is not None else None
        if prepared is None:
            prepared = self._compile(statement, parameters, cache_key)
            if shape is not None:
                self._cache[shape] = prepared
        if (
            parameters is not None
            and cache_key is not None
            and all(bind.required for bind in cache_key.bindparams)
        ):
            # Every value comes by name (a statement built once with bindparam()): take them
            # as they are, without building SQLAlchemy's full parameter dictionary.
            try:
                values = prepared.values(parameters)
            except KeyError:
                pass  # a missing value: let construct_params report it
            else:
                if len(self._built_once) < 256:
                    self._built_once[id(statement)] = (
                        statement,
                        frozenset(parameters),
                        prepared,
                    )
                return prepared, values
        compiled_params = prepared.compiled.construct_params(
            params=dict(parameters) if parameters else None,
            extracted_parameters=cache_key.bindparams if cache_key is not None else None,
            escape_names=False,
        )
        return prepared, prepared.values(compiled_params)

    def _compile(
        self,
        statement: ClauseElement,
        parameters: Mapping[str, Any] | None,
        cache_key: CacheKey | None,
    ) -> Prepared:
        # With its cache key, the compiled form takes the values of later statements of the
        # same shape (``construct_params(extracted_parameters=...)``), as SQLAlchemy's own
        # compiled cache does.
        options: dict[str, Any] = {"cache_key": cache_key} if cache_key is not None else {}
        compile_: Any = statement.compile  # typed without the compiler's keyword arguments
        compiled = compile_(
            dialect=self.dialect, column_keys=list(parameters) if parameters else None, **options
        )
        assert isinstance(compiled, SQLCompiler)
        if compiled.literal_execute_params or compiled.post_compile_params:
            raise NotImplementedError("expanding ('IN') parameters are not supported here")
        dml = compiled.isinsert or compiled.isupdate or compiled.isdelete
        columns = compiled._result_columns
        return Prepared(
            compiled=compiled,
            sql=compiled.string,
            positions=tuple(compiled.positiontup or ()),
            bind_processors=dict(compiled._bind_processors),  # type: ignore[arg-type]
            keys=tuple(column.keyname for column in columns),
            converted=tuple(
                (index, process)
                for index, column in enumerate(columns)
                if (process := column.type._cached_result_processor(self.dialect, None))
            ),
            returns_rows=bool(columns) or not dml or bool(compiled.effective_returning),
            writes=bool(dml),
        )


# -- connections --------------------------------------------------------------------------


class Connection(ABC):
    """One request's (or task's) connection; see the module docstring."""

    def __init__(self, compiler: StatementCompiler) -> None:
        self.compiler = compiler
        self._savepoints = itertools.count(1)
        # Run once the transaction has committed (not when it rolls back), before the
        # transaction block returns.
        self.after_commit: list[Callable[[], Awaitable[None]]] = []

    async def _committed(self) -> None:
        for hook in self.after_commit:
            await hook()

    @property
    def dialect(self) -> Dialect:
        return self.compiler.dialect

    async def execute(
        self, statement: ClauseElement, parameters: Mapping[str, Any] | None = None
    ) -> Result:
        prepared, values = self.compiler.bind(statement, parameters)
        options = statement.get_execution_options() if isinstance(statement, Executable) else {}
        return await self._run(
            prepared,
            values,
            heavy=bool(options.get(HEAVY_OPTION)),
            plan_per_value=bool(options.get(PLAN_PER_VALUE_OPTION)),
        )

    @abstractmethod
    async def _run(
        self, prepared: Prepared, values: list[Any], *, heavy: bool, plan_per_value: bool = False
    ) -> Result: ...

    # Whether ``execute_together`` is on offer: in a single-write block on PostgreSQL.
    runs_together = False

    async def execute_together(
        self, statement: ClauseElement, parameters: Mapping[str, Any]
    ) -> Result:
        """Run ``statement`` once for this block and every other block that asks for the same
        statement in the same pass of the event loop (see :class:`StatementGroups`): each name
        is bound to the array of the blocks' values, in the order they asked, and every block
        gets the whole result. It is the block's one write."""
        raise NotImplementedError("statements run together only in a PostgreSQL single write")

    @asynccontextmanager
    async def begin_nested(self) -> AsyncIterator[None]:
        """A SAVEPOINT: rolled back alone when the block raises (the transaction goes on)."""
        name = f"buena_sp_{next(self._savepoints)}"
        await self.execute(text(f"SAVEPOINT {name}"))
        try:
            yield
        except BaseException:
            await self.execute(text(f"ROLLBACK TO SAVEPOINT {name}"))
            await self.execute(text(f"RELEASE SAVEPOINT {name}"))
            raise
        await self.execute(text(f"RELEASE SAVEPOINT {name}"))


def _translated(exc: Exception, prepared: Prepared, values: Sequence[Any]) -> sa_exc.DBAPIError:
    """A driver error as the SQLAlchemy exception a SQLAlchemy engine would have raised."""
    kind: type[sa_exc.DBAPIError]
    if isinstance(exc, (sqlite3.IntegrityError, asyncpg.IntegrityConstraintViolationError)):
        kind = sa_exc.IntegrityError
    elif isinstance(exc, (sqlite3.DataError, asyncpg.DataError)):
        kind = sa_exc.DataError
    elif isinstance(
        exc,
        (sqlite3.OperationalError, OSError, asyncpg.InterfaceError, asyncpg.InternalClientError),
    ) or (isinstance(exc, asyncpg.PostgresError) and _pg_unavailable(exc)):
        kind = sa_exc.OperationalError
    else:
        kind = sa_exc.DatabaseError
    return kind(prepared.sql, values, exc)


def _pg_unavailable(exc: asyncpg.PostgresError) -> bool:
    # Class 08 (connection), 53 (insufficient resources), 57 (operator intervention: shutdown,
    # statement timeout), 40 (serialization failure, deadlock: retry).
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    return sqlstate[:2] in {"08", "53", "57", "40"}


def _ends_the_connection(exc: asyncpg.PostgresError) -> bool:
    """Class 08 (connection exception) and 57P (the server shutting down, crashed, or not yet
    accepting): the server closes the connection after saying so, so it is never reused."""
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    return sqlstate[:2] == "08" or sqlstate[:3] == "57P"


def is_transaction_conflict(exc: BaseException) -> bool:
    """A serialization failure or deadlock (class 40): the same work run again may succeed
    at once, unlike an outage."""
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
    return sqlstate.startswith("40")


# -- PostgreSQL ---------------------------------------------------------------------------


class PostgresConnection(Connection):
    """A driver connection; in a single-write block, taken from the pool only when the block
    first runs a statement of its own (a block whose write runs together with others', see
    ``execute_together``, holds none while it waits)."""

    def __init__(
        self,
        compiler: StatementCompiler,
        raw: asyncpg.Connection | None,
        *,
        single_write: bool = False,
        database: PostgresDatabase | None = None,
    ) -> None:
        super().__init__(compiler)
        self._raw = raw
        self.single_write = single_write
        self._database = database
        self.runs_together = single_write and database is not None
        self._wrote = False
        self._planning_per_value = False

    @property
    def raw(self) -> asyncpg.Connection:
        """The driver connection; a single-write block has one once it has run a statement."""
        if self._raw is None:
            raise RuntimeError("this block has not taken a connection yet")
        return self._raw

    async def _open(self) -> asyncpg.Connection:
        assert self._database is not None, "a block without a connection has its database"
        self._raw = await self._database._acquire()
        return self._raw

    def _claim_the_write(self) -> None:
        if self._wrote:
            raise RuntimeError(
                "a second write in a single-write block: it would not be atomic with the "
                "first; use a transaction"
            )
        self._wrote = True

    async def execute_together(
        self, statement: ClauseElement, parameters: Mapping[str, Any]
    ) -> Result:
        if not self.runs_together:
            return await super().execute_together(statement, parameters)
        assert self._database is not None  # runs_together: a single write with its database
        self._claim_the_write()
        return await self._database.together.execute(statement, parameters)

    async def _run(
        self, prepared: Prepared, values: list[Any], *, heavy: bool, plan_per_value: bool = False
    ) -> Result:
        raw = self._raw if self._raw is not None else await self._open()
        if plan_per_value and not self._planning_per_value:
            await self._plan_per_value()
        if prepared.writes and self.single_write:
            self._claim_the_write()
        try:
            if prepared.returns_rows:
                records = await raw.fetch(prepared.sql, *values)
                keys = prepared.keys or (tuple(records[0].keys()) if records else ())
                if prepared.keys:
                    rows = [prepared.convert(record) for record in records]
                else:
                    rows = [tuple(record) for record in records]
                return Result(keys, rows, len(rows))
            status = await raw.execute(prepared.sql, *values)
        except asyncpg.PostgresError as exc:  # PostgreSQL answered: the connection is in step
            if _ends_the_connection(exc):
                _discard(raw)
            raise _translated(exc, prepared, values) from exc
        except BaseException as exc:
            _discard(raw)
            if isinstance(exc, _PG_ERRORS):
                raise _translated(exc, prepared, values) from exc
            raise
        count = status.rsplit(" ", 1)[-1]
        return Result((), [], int(count) if count.isdigit() else -1)

    async def _plan_per_value(self) -> None:
        """Plan every statement for its values until this transaction ends; outside one (a
        read block), open one for the rest of the block (``_PostgresStatements`` ends it).

        ``SET LOCAL`` is the only per-statement-ish control PostgreSQL offers over a cached
        statement's plan, and it ends with the transaction, so the connection goes back to
        the pool as it came."""
        command = "SET LOCAL plan_cache_mode = force_custom_plan"
        if not self.raw.is_in_transaction():
            command = f"BEGIN; {command}"
        await _driver_call(self.raw, lambda: self.raw.execute(command))
        self._planning_per_value = True


async def _decode_json_as_sqlalchemy_does(conn: asyncpg.Connection) -> None:
    # The codec SQLAlchemy's asyncpg dialect installs: JSON travels as text, SQLAlchemy's JSON
    # bind processor serialises it and this decoder parses it.
    await conn.set_type_codec(
        "json",
        encoder=str.encode,
        decoder=msgspec.json.decode,
        schema="pg_catalog",
        format="binary",
    )


# -- the database -------------------------------------------------------------------------


class Database(ABC):
    """A pool of driver connections and the transactions requests run in."""

    def __init__(self, dialect: Dialect) -> None:
        self.compiler = StatementCompiler(dialect)

    @property
    def dialect(self) -> Dialect:
        return self.compiler.dialect

    @abstractmethod
    async def start(self) -> None: ...

    @abstractmethod
    async def close(self) -> None: ...

    @abstractmethod
    def transaction(
        self, *, write: bool, single_write: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Connection]:
        """A transaction, committed when the block ends, rolled back when it raises.

        ``single_write=True`` promises the block writes with at most one statement (which
        commits or fails as a whole, like a ``WITH ... INSERT`` that also counts): PostgreSQL
        then runs it without ``BEGIN``/``COMMIT`` (two round trips fewer), and a second
        write raises. SQLite runs the block in a transaction either way.

        ``write=False`` promises the block only reads: each statement then runs on its own,
        without ``BEGIN``/``COMMIT``. Under PostgreSQL's READ COMMITTED each statement of a
        transaction sees its own snapshot anyway, so they would add two round trips and no
        consistency; SQLite reads behave the same way, so both databases agree.
        """

    async def ping(self) -> None:
        async with self.transaction(write=False) as conn:
            await conn.execute(text("SELECT 1"))

    def change_marker(self) -> str | None:
        """A value that changes whenever anything commits a change to the database, from
        this process or another; None where it cannot be read without a round trip."""
        return None

    @abstractmethod
    def pool_usage(self) -> tuple[int, int]:
        """Connections in use and transactions waiting for one (the metrics read it)."""


class ConnectionPool:
    """asyncpg connections for one process: up to ``max_size``, opened when first needed.

    asyncpg's own pool costs ~22 µs per acquire and release here (a task per ``wait_for``
    and per ``shield``); this one is a list of idle connections and a queue of waiters, ~1 µs.
    A connection found closed is dropped and its place opened again on demand; one released
    inside a transaction (a failed rollback) is terminated. Connections carry no session
    state (settings come with the connect parameters), so nothing is reset between uses.
    """

    def __init__(
        self, connect: Callable[[], Awaitable[asyncpg.Connection]], max_size: int, timeout: float
    ) -> None:
        self._connect = connect
        self.max_size = max_size
        self.timeout = timeout
        self._idle: list[asyncpg.Connection] = []
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self.size = 0  # open connections, idle or in use
        self.closed = False

    async def acquire(self) -> asyncpg.Connection:
        """An open connection, within ``timeout`` seconds in all (waiting for a free place,
        then opening a connection in it, counts once)."""
        deadline: float | None = None
        while True:
            while self._idle:
                conn = self._idle.pop()
                if not conn.is_closed():
                    return conn
                self.size -= 1
            if self.closed:
                raise ConnectionError("the connection pool is closed")
            now = asyncio.get_running_loop().time()
            deadline = now + self.timeout if deadline is None else deadline
            if self.size < self.max_size:
                self.size += 1
                try:
                    return await asyncio.wait_for(self._connect(), max(deadline - now, 0))
                except BaseException:
                    self.size -= 1
                    self._hand_over(None)
                    raise
            conn = await self._wait(deadline - now)
            if conn is not None:
                return conn
            # None: a connection closed; its place is free for this waiter to open.

    async def _wait(self, within: float) -> asyncpg.Connection | None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[asyncpg.Connection | None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(within, _expire, waiter, self.timeout)
        try:
            return await waiter
        except BaseException:
            # Cancelled after a connection was handed over: pass it on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()
                if handed is not None:
                    self.release(handed)
                else:
                    self._hand_over(None)
            raise
        finally:
            timer.cancel()

    def release(self, conn: asyncpg.Connection) -> None:
        if self.closed or conn.is_closed() or conn.is_in_transaction():
            if not conn.is_closed():
                conn.terminate()
            self.size -= 1
            self._hand_over(None)
            return
        if not self._hand_over(conn):
            self._idle.append(conn)

    @property
    def in_use(self) -> int:
        return self.size - len(self._idle)

    @property
    def waiting(self) -> int:
        # A copy first: the metrics listener's thread may read this while the loop appends.
        return sum(1 for waiter in tuple(self._waiters) if not waiter.done())

    def _hand_over(self, conn: asyncpg.Connection | None) -> bool:
        """Give ``conn`` (or, as None, a free place) to the first waiter still waiting."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    async def close(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self.size -= 1
            await conn.close(timeout=self.timeout)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("the connection pool is closed"))


def _expire(waiter: asyncio.Future[Any], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no database connection free within {timeout}s"))


class StatementGroups:
    """Statements that concurrent blocks run as one (``Connection.execute_together``).

    Each block's values wait until the end of the current pass of the event loop, then the
    blocks that asked for the same statement run it once, with each name bound to the array
    of their values (up to ``max_rows`` blocks a statement). At most ``max_running`` groups
    run at a time (one, by default: measured best, see docs/design.md): while one runs,
    newcomers gather into the next, so the busier the server, the larger the groups and the
    fewer the statements PostgreSQL plans, runs and commits. A lone request waits for nothing
    but the end of its pass. A group still running after ``stall_after`` seconds (waiting
    for a row another transaction holds, say) stops counting against ``max_running``, so
    that it holds up only its own blocks; at most ``max_groups`` run in all.

    A group's statement succeeds or fails as a whole. When it fails for what it was given (a
    value, a constraint), each of its blocks runs the statement again on its own, so that
    each gets its own outcome: one block's bad value is never another block's error. When
    it fails because the database is not answering as it should (``OperationalError``: a
    lost connection, a timeout, a deadlock), every block gets that error at once: alone, each
    would most likely fail the same way, after a timeout of its own.

    A block whose group has not started within ``wait_timeout`` seconds (every running group
    stalled on a database that does not answer) fails with ``OperationalError``, its
    statement never sent; once started, its connection and statement are bounded by the
    database's own timeouts.
    """

    def __init__(
        self,
        execute: Callable[[ClauseElement, Mapping[str, Any]], Awaitable[Result]],
        *,
        wait_timeout: float = 5.0,
        max_rows: int = 64,
        max_running: int = 1,
        stall_after: float = 0.1,
        max_groups: int = 8,
    ) -> None:
        self._execute = execute
        self.wait_timeout = wait_timeout
        self.max_rows = max_rows
        self.max_running = max_running
        self.stall_after = stall_after
        self.max_groups = max_groups
        # By statement identity: (the statement, its waiting blocks' values and futures).
        self._waiting: dict[int, tuple[ClauseElement, list[_Ask]]] = {}
        # Each running group's task, and the loop time it started.
        self._running: dict[asyncio.Task[None], float] = {}
        self._scheduled = False
        # When blocks are left waiting: a call of _start when the oldest has waited too long.
        self._watchdog: asyncio.TimerHandle | None = None

    async def execute(self, statement: ClauseElement, parameters: Mapping[str, Any]) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        waiting = self._waiting.get(id(statement))
        if waiting is None or waiting[0] is not statement:
            waiting = self._waiting[id(statement)] = (statement, [])
        waiting[1].append((parameters, future, loop.time()))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._start)
        return await future

    def _may_start(self, now: float) -> bool:
        if len(self._running) >= self.max_groups:
            return False
        moving = sum(1 for started in self._running.values() if now - started < self.stall_after)
        return moving < self.max_running

    def _start(self) -> None:
        self._scheduled = False
        loop = asyncio.get_running_loop()
        while self._waiting and self._may_start(loop.time()):
            key = next(iter(self._waiting))
            statement, asks = self._waiting[key]
            if len(asks) > self.max_rows:
                self._waiting[key] = (statement, asks[self.max_rows :])
                asks = asks[: self.max_rows]
            else:
                del self._waiting[key]
            asks = [ask for ask in asks if not ask[1].done()]  # cancelled or expired meanwhile
            if asks:
                task = loop.create_task(self._run(statement, asks))
                self._running[task] = loop.time()
                task.add_done_callback(self._finished)
                loop.call_later(self.stall_after, self._start)  # if it stalls
        if self._waiting:
            self._give_up_waiting(loop)

    def _give_up_waiting(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fail the blocks that have waited ``wait_timeout`` to start, and make sure this
        runs again when the oldest of the others will have (blocks ask in time order, so
        each statement's first block is its oldest)."""
        now = loop.time()
        oldest: float | None = None
        for key, (statement, asks) in list(self._waiting.items()):
            if now - asks[0][2] >= self.wait_timeout:
                for _, future, asked in asks:
                    if not future.done() and now - asked >= self.wait_timeout:
                        future.set_exception(_waited_too_long(self.wait_timeout))
                asks = [ask for ask in asks if not ask[1].done()]
                if not asks:
                    del self._waiting[key]
                    continue
                self._waiting[key] = (statement, asks)
            oldest = asks[0][2] if oldest is None else min(oldest, asks[0][2])
        if oldest is not None and self._watchdog is None:
            self._watchdog = loop.call_at(oldest + self.wait_timeout, self._watch)

    def _watch(self) -> None:
        self._watchdog = None
        self._start()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._start()

    async def _run(self, statement: ClauseElement, asks: list[_Ask]) -> None:
        names = asks[0][0].keys()
        try:
            result = await self._execute(
                statement, {name: [values[name] for values, _, _ in asks] for name in names}
            )
        except asyncio.CancelledError:  # shutting down: its blocks are not left waiting
            for _, future, _ in asks:
                future.cancel()
            raise
        except Exception as exc:
            if len(asks) > 1 and not isinstance(exc, sa_exc.OperationalError):
                # Each block still waiting alone: its own outcome (see the class docstring).
                alone = [ask for ask in asks if not ask[1].done()]
                await asyncio.gather(*(self._run(statement, [ask]) for ask in alone))
                return
            for _, future, _ in asks:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, future, _ in asks:
            if not future.done():
                future.set_result(result)

    async def drain(self) -> None:
        """Wait until every group asked for so far has run."""
        while self._running or self._waiting:
            if self._running:
                await asyncio.wait(set(self._running))
            else:
                await asyncio.sleep(0)


# A block's values, the future its result arrives on, and the loop time it asked.
_Ask = tuple[Mapping[str, Any], "asyncio.Future[Result]", float]


def _waited_too_long(timeout: float) -> sa_exc.OperationalError:
    reason = TimeoutError(f"no statement group free within {timeout}s")
    return sa_exc.OperationalError("statement group", None, reason)


class PostgresDatabase(Database):
    def __init__(
        self,
        url: URL,
        dialect: Dialect,
        *,
        pool_size: int,
        timeout: float,
        settings: dict[str, str],
    ) -> None:
        super().__init__(dialect)
        self.url = url
        self.timeout = timeout
        self.server_settings = settings
        self.pool = ConnectionPool(self._connect, pool_size * 2, timeout)
        self.together = StatementGroups(self._execute_group, wait_timeout=timeout)

    async def _connect(self) -> asyncpg.Connection:
        # command_timeout bounds every statement, BEGIN, COMMIT and ROLLBACK (asyncpg's
        # default for calls without a timeout of their own); a call that runs out discards
        # its connection (_discard), since its reply may still arrive.
        conn = await asyncpg.connect(
            self.url.set(drivername="postgresql").render_as_string(hide_password=False),
            timeout=self.timeout,
            command_timeout=self.timeout,
            server_settings=self.server_settings,
        )
        try:
            await _decode_json_as_sqlalchemy_does(conn)
        except BaseException:
            conn.terminate()  # half set up, or given up on by the pool's deadline
            raise
        return conn

    async def start(self) -> None:
        """Nothing to do: connections open when first needed, so the server starts (and
        reports the database down) while PostgreSQL is unreachable."""

    async def close(self) -> None:
        await self.together.drain()
        await self.pool.close()

    def pool_usage(self) -> tuple[int, int]:
        return self.pool.in_use, self.pool.waiting

    async def _execute_group(
        self, statement: ClauseElement, parameters: Mapping[str, Any]
    ) -> Result:
        async with self.transaction(write=True, single_write=True) as conn:
            return await conn.execute(statement, parameters)

    def transaction(
        self, *, write: bool, single_write: bool = False
    ) -> contextlib.AbstractAsyncContextManager[Connection]:
        if write and not single_write:
            return self._writing()
        return _PostgresStatements(self, single_write=write)

    async def _acquire(self) -> asyncpg.Connection:
        try:
            return await self.pool.acquire()
        except _PG_ERRORS as exc:
            raise sa_exc.OperationalError("connect", None, exc) from exc

    @asynccontextmanager
    async def _writing(self) -> AsyncIterator[Connection]:
        raw = await self._acquire()
        try:
            conn = PostgresConnection(self.compiler, raw)
            transaction = raw.transaction()
            await _driver_call(raw, transaction.start)
            try:
                yield conn
            except BaseException:
                if not raw.is_closed():
                    await _driver_call(raw, transaction.rollback)
                raise
            await _driver_call(raw, transaction.commit)
        finally:
            self.pool.release(raw)
        await conn._committed()


class _PostgresStatements:
    """Reads, and single-write blocks: statements on their own, without BEGIN/COMMIT (see
    Database.transaction). A read takes its connection up front; a single write when it
    first runs a statement (PostgresConnection). A class rather than a generator context
    manager: it is entered on every request."""

    __slots__ = ("conn", "database", "single_write")

    def __init__(self, database: PostgresDatabase, *, single_write: bool) -> None:
        self.database = database
        self.single_write = single_write

    async def __aenter__(self) -> Connection:
        if self.single_write:
            self.conn = PostgresConnection(
                self.database.compiler, None, single_write=True, database=self.database
            )
        else:
            self.conn = PostgresConnection(self.database.compiler, await self.database._acquire())
        return self.conn

    async def __aexit__(self, kind: object, error: object, traceback: object) -> None:
        raw = self.conn._raw
        if raw is not None:
            try:
                # A discarded connection (a statement that timed out) has nothing to end, and
                # asyncpg can no longer tell whether it is in a transaction.
                if not raw.is_closed() and raw.is_in_transaction():  # _plan_per_value's
                    await _driver_call(
                        raw, lambda: raw.execute("COMMIT" if kind is None else "ROLLBACK")
                    )
            finally:
                self.database.pool.release(raw)
        if kind is None:
            await self.conn._committed()


async def _driver_call(raw: asyncpg.Connection, call: Callable[[], Any]) -> None:
    """BEGIN, COMMIT, ROLLBACK and the like, as ``PostgresConnection._run`` runs statements."""
    try:
        await call()
    except asyncpg.PostgresError as exc:
        if _ends_the_connection(exc):
            _discard(raw)
        raise sa_exc.OperationalError("transaction", None, exc) from exc
    except BaseException as exc:
        _discard(raw)
        if isinstance(exc, _PG_ERRORS):
            raise sa_exc.OperationalError("transaction", None, exc) from exc
        raise


def _discard(raw: asyncpg.Connection) -> None:
    """Close a connection whose call did not complete (a timeout, a cancellation, a lost
    socket): its answer may still come, and asyncpg would make the next call wait for the
    cancellation it sent, which a hung server never acknowledges. Closed, the pool drops it
    on release and opens another when needed."""
    if not raw.is_closed():
        raw.terminate()


# -- SQLite -------------------------------------------------------------------------------


class SqliteConnection(Connection):
    def __init__(self, compiler: StatementCompiler, raw: sqlite3.Connection) -> None:
        super().__init__(compiler)
        self.raw = raw

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
            raise _translated(exc, prepared, values) from exc
        if prepared.keys:
            return Result(prepared.keys, [prepared.convert(row) for row in rows], cursor.rowcount)
        keys = tuple(column[0] for column in cursor.description or ())
        return Result(keys, rows, cursor.rowcount)


class SqliteDatabase(Database):
    """sqlite3 in the event loop: a statement on an indexed row takes microseconds, less than
    the thread hop aiosqlite pays per call. Statements marked heavy run in a worker thread.

    Writers in this process take turns through an asyncio lock (SQLite has one writer at a
    time), so a waiting writer never blocks the loop; a writer in another process is waited
    for by retrying ``BEGIN IMMEDIATE`` with asyncio sleeps, for up to ``timeout`` seconds.
    """

    def __init__(self, path: str, dialect: Dialect, *, pool_size: int, timeout: float) -> None:
        super().__init__(dialect)
        self.path = path
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
            raw.execute("PRAGMA journal_mode=WAL")
            raw.execute("PRAGMA synchronous=NORMAL")
            raw.execute("PRAGMA foreign_keys=ON")
            # Never wait inside the driver (that would stall the event loop): a busy database
            # raises at once and the waiting happens in ``_begin_immediate``.
            raw.execute("PRAGMA busy_timeout=0")
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

    async def close(self) -> None:
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
            await asyncio.wait_for(self.lock.acquire(), self.timeout)
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
