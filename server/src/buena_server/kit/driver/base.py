"""What repositories and requests see whatever the database: :class:`Connection`,
:class:`Database`, and driver errors as SQLAlchemy's exception types."""

from __future__ import annotations

import contextlib
import itertools
import sqlite3
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from typing import Any

import asyncpg
from sqlalchemy import exc as sa_exc
from sqlalchemy import text
from sqlalchemy.engine import Dialect
from sqlalchemy.sql import ClauseElement
from sqlalchemy.sql.base import Executable

from buena_server.kit.driver.compiler import (
    HEAVY_OPTION,
    PLAN_PER_VALUE_OPTION,
    Prepared,
    StatementCompiler,
)
from buena_server.kit.driver.results import Result


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

    async def execute_many(
        self, statement: ClauseElement, parameters: Sequence[Mapping[str, Any]]
    ) -> int:
        """Run a write that returns no rows once per set of values, in order; how many rows
        it changed in all. SQLite hands the sets to one ``executemany``; elsewhere each runs
        as ``execute``."""
        changed = 0
        for values in parameters:
            changed += (await self.execute(statement, values)).rowcount
        return changed

    async def execute_many_stored(
        self, statement: ClauseElement, names: Sequence[str], rows: Sequence[Sequence[Any]]
    ) -> int:
        """SQLite: ``execute_many`` of rows given as tuples, each the values of ``names`` in
        that order and already as the database stores them: no bind processor runs (the
        caller writes times as ``sqlite_time_text`` and JSON as ``encode_json_text``, what
        the columns' processors write). How many rows it changed."""
        raise NotImplementedError("rows go as stored on SQLite only")

    # Whether ``execute_together`` is on offer: in a read or single-write block on PostgreSQL.
    runs_together = False

    async def execute_together(
        self, statement: ClauseElement, parameters: Mapping[str, Any]
    ) -> Result:
        """Run ``statement`` once for this block and every other block that asks for the same
        statement in the same pass of the event loop (see :class:`StatementGroups`): each name
        is bound to the array of the blocks' values, in the order they asked, and every block
        gets the whole result. In a single-write block it is the block's one write; a read
        block may run several."""
        raise NotImplementedError(
            "statements run together only in a PostgreSQL read or single-write block"
        )

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


def translated(exc: Exception, prepared: Prepared, values: Sequence[Any]) -> sa_exc.DBAPIError:
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


def is_transaction_conflict(exc: BaseException) -> bool:
    """A serialization failure or deadlock (class 40): the same work run again may succeed
    at once, unlike an outage."""
    sqlstate = str(getattr(getattr(exc, "orig", None), "sqlstate", "") or "")
    return sqlstate.startswith("40")


class Listening(ABC):
    """A connection listening for notifications (``Database.listen``)."""

    @abstractmethod
    def is_alive(self) -> bool:
        """False once the connection is lost: notifications no longer arrive."""

    @abstractmethod
    async def close(self) -> None: ...


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

    async def listen(self, channel: str, callback: Callable[[], None]) -> Listening | None:
        """Call ``callback`` whenever another connection notifies ``channel``, from this
        process or another, on a connection of its own; None where the database has no
        notifications (SQLite)."""
        return None

    @abstractmethod
    def pool_usage(self) -> tuple[int, int]:
        """Connections in use and transactions waiting for one (the metrics read it)."""
