"""PostgreSQL on asyncpg: connections, transactions, and the timeouts that bound them."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Callable, Mapping
from contextlib import asynccontextmanager
from typing import Any, cast

import asyncpg
import msgspec
from sqlalchemy import exc as sa_exc
from sqlalchemy.engine import URL, Dialect
from sqlalchemy.sql import ClauseElement

from buena_server.kit.driver.base import Connection, Database, Listening, translated
from buena_server.kit.driver.compiler import Prepared, StatementCompiler
from buena_server.kit.driver.groups import StatementGroups
from buena_server.kit.driver.pool import ConnectionPool
from buena_server.kit.driver.results import Result

# What asyncpg raises when a statement fails or the connection is lost.
# InternalClientError: asyncpg's own state machine refused a call on a connection left
# mid-error (a server that shut down while the connection waited): an unusable connection.
_PG_ERRORS = (asyncpg.PostgresError, asyncpg.InterfaceError, asyncpg.InternalClientError, OSError)


def _ends_the_connection(exc: asyncpg.PostgresError) -> bool:
    """Class 08 (connection exception) and 57P (the server shutting down, crashed, or not yet
    accepting): the server closes the connection after saying so, so it is never reused."""
    sqlstate = str(getattr(exc, "sqlstate", "") or "")
    return sqlstate[:2] == "08" or sqlstate[:3] == "57P"


class PostgresConnection(Connection):
    """A driver connection; in a read or single-write block, taken from the pool only when
    the block first runs a statement of its own (a block whose statement runs together with
    others', see ``execute_together``, holds none while it waits)."""

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
        self.runs_together = database is not None
        self._wrote = False
        self._planning_per_value = False

    @property
    def raw(self) -> asyncpg.Connection:
        """The driver connection; a single-write block has one once it has run a statement."""
        if self._raw is None:
            raise RuntimeError("this block has not taken a connection yet")
        return self._raw

    async def driver_connection(self) -> asyncpg.Connection:
        """The driver connection, taken from the pool now if the block has none yet."""
        return self._raw if self._raw is not None else await self._open()

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
        assert self._database is not None  # runs_together: a block with its database
        if self.single_write:
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
                if prepared.converted:
                    rows = [prepared.convert(record) for record in records]
                else:
                    # asyncpg's records index, slice, unpack and compare as tuples do: kept
                    # as they are (a tuple a row less: ~0.3 us a row of a 15-column page).
                    rows = cast(list[tuple[Any, ...]], records)
                return Result(keys, rows, len(rows))
            status = await raw.execute(prepared.sql, *values)
        except asyncpg.PostgresError as exc:  # PostgreSQL answered: the connection is in step
            if _ends_the_connection(exc):
                _discard(raw)
            raise translated(exc, prepared, values) from exc
        except BaseException as exc:
            _discard(raw)
            if isinstance(exc, _PG_ERRORS):
                raise translated(exc, prepared, values) from exc
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


class PostgresDatabase(Database):
    def __init__(
        self,
        url: URL,
        dialect: Dialect,
        *,
        pool_size: int,
        timeout: float,
        max_idle: float = 300.0,
        settings: dict[str, str],
    ) -> None:
        super().__init__(dialect)
        self.url = url
        self.timeout = timeout
        self.server_settings = settings
        self.pool = ConnectionPool(self._connect, pool_size * 2, timeout, max_idle=max_idle)
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

    async def listen(self, channel: str, callback: Callable[[], None]) -> Listening:
        """LISTEN on a connection of its own, outside the pool (it is held for as long as
        it listens, and never runs a statement after the LISTEN)."""
        try:
            raw = await self._connect()
        except _PG_ERRORS as exc:
            raise sa_exc.OperationalError("LISTEN", None, exc) from exc

        def received(*_notification: object) -> None:
            callback()

        try:
            await raw.add_listener(channel, received)
        except BaseException as exc:
            raw.terminate()
            if isinstance(exc, _PG_ERRORS):
                raise sa_exc.OperationalError("LISTEN", None, exc) from exc
            raise
        return _PostgresListening(raw)

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


class _PostgresListening(Listening):
    def __init__(self, raw: asyncpg.Connection) -> None:
        self.raw = raw

    def is_alive(self) -> bool:
        return not self.raw.is_closed()

    async def close(self) -> None:
        if not self.raw.is_closed():
            try:
                await self.raw.close(timeout=1.0)
            except Exception:  # a connection that cannot close politely
                self.raw.terminate()


class _PostgresStatements:
    """Reads, and single-write blocks: statements on their own, without BEGIN/COMMIT (see
    Database.transaction). Each takes its connection when it first runs a statement of its
    own (PostgresConnection), so a block whose statement runs grouped holds none. A class
    rather than a generator context manager: it is entered on every request."""

    __slots__ = ("conn", "database", "single_write")

    def __init__(self, database: PostgresDatabase, *, single_write: bool) -> None:
        self.database = database
        self.single_write = single_write

    async def __aenter__(self) -> Connection:
        self.conn = PostgresConnection(
            self.database.compiler, None, single_write=self.single_write, database=self.database
        )
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
