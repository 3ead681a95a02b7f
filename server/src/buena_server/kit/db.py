"""The database: the runtime :class:`~buena_server.kit.driver.Database`, the SQLAlchemy engine
that migrations run on, and the one-transaction-per-request dependency.

Settings carry plain URLs (``sqlite:///var/buena.db``, ``postgresql://user@host/db``); the
driver is chosen here so that nothing else in the code knows which database it talks to.
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import msgspec
from sqlalchemy import event
from sqlalchemy.engine import URL, make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from buena_server.kit.driver import Database, PostgresDatabase, SqliteDatabase
from buena_server.kit.driver.sqlalchemy_internals import dialect_for
from buena_server.kit.driver.sqlite import pragmas as sqlite_pragmas

msgspec_encoder = msgspec.json.Encoder()


def encode_json_text(value: Any) -> str:
    """JSON columns' serializer (msgspec: several times faster than the json module)."""
    return msgspec_encoder.encode(value).decode()


# Execution option asking for a write transaction (BEGIN IMMEDIATE on SQLite).
WRITE_OPTION = "buena_write"

_ASYNC_DRIVERS = {
    "sqlite": "sqlite+aiosqlite",
    "postgresql": "postgresql+asyncpg",
    "postgres": "postgresql+asyncpg",
}


def async_database_url(url: str) -> URL:
    """Map a plain database URL onto its async driver; refuse schemes we don't support."""
    try:
        parsed = make_url(url)
    except Exception as exc:  # sqlalchemy raises ArgumentError for garbage
        raise ValueError(f"not a database URL: {url!r}") from exc
    backend = parsed.drivername.split("+", 1)[0]
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(f"unsupported database {backend!r}: use sqlite:/// or postgresql://")
    return parsed.set(drivername=_ASYNC_DRIVERS[backend])


def is_sqlite(url: URL) -> bool:
    return url.get_backend_name() == "sqlite"


# Prepared statements keep PostgreSQL's default plan caching (a generic plan once it is no
# worse than planning per execution); searches are planned per value (driver
# PLAN_PER_VALUE_OPTION), since a generic plan for "LIKE $1" cannot judge the trigram indexes
# and can make a rare-term search take seconds. DateStyle ISO: an export reads times as text
# (leads/listing.py export_statement), in ISO's form whatever the database's default.
POSTGRES_SETTINGS = {"application_name": "buena-server", "DateStyle": "ISO"}


def open_database(
    database_url: str, *, pool_size: int = 10, timeout: float = 5.0, max_idle: float = 300.0
) -> Database:
    """The database requests run on (connections are opened when first needed; on
    PostgreSQL, closed after ``max_idle`` seconds unused)."""
    url = async_database_url(database_url)
    # SQLAlchemy's dialect for this URL compiles our statements.
    dialect = dialect_for(
        url, json_serializer=encode_json_text, json_deserializer=msgspec.json.decode
    )
    if is_sqlite(url):
        return SqliteDatabase(
            url.database or ":memory:", dialect, pool_size=pool_size, timeout=timeout
        )
    return PostgresDatabase(
        url,
        dialect,
        pool_size=pool_size,
        timeout=timeout,
        max_idle=max_idle,
        settings=POSTGRES_SETTINGS,
    )


def create_engine(database_url: str, *, pool_size: int = 10, timeout: float = 5.0) -> AsyncEngine:
    """A SQLAlchemy engine, for migrations (Alembic) and schema inspection."""
    url = async_database_url(database_url)
    if is_sqlite(url):
        if url.database and url.database != ":memory:":
            directory = os.path.dirname(os.path.abspath(url.database))
            os.makedirs(directory, exist_ok=True)
        engine = create_async_engine(url, pool_size=pool_size, pool_timeout=timeout)
        _configure_sqlite(engine, busy_timeout_ms=int(timeout * 1000))
        return engine
    return create_async_engine(
        url,
        pool_size=pool_size,
        max_overflow=pool_size,
        pool_timeout=timeout,
        pool_pre_ping=True,
        connect_args={
            "timeout": timeout,
            "command_timeout": timeout * 6,
            "server_settings": POSTGRES_SETTINGS,
        },
    )


def _configure_sqlite(engine: AsyncEngine, *, busy_timeout_ms: int) -> None:
    """The driver's pragmas (``driver.sqlite.PRAGMAS``), a busy timeout, and explicit BEGINs.

    pysqlite's own transaction handling is turned off so that SAVEPOINTs work and so that
    writing requests can take the write lock up front (BEGIN IMMEDIATE): a deferred
    transaction that reads and then writes can fail with SQLITE_BUSY instead of waiting.
    """

    @event.listens_for(engine.sync_engine, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        for pragma in sqlite_pragmas(busy_timeout_ms=busy_timeout_ms):
            cursor.execute(pragma)
        cursor.close()

    @event.listens_for(engine.sync_engine, "begin")
    def _on_begin(connection: Any) -> None:
        immediate = connection.get_execution_options().get(WRITE_OPTION, False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")


@asynccontextmanager
async def write_transaction(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """A write transaction on the SQLAlchemy engine (migrations)."""
    async with engine.connect() as conn:
        await conn.execution_options(**{WRITE_OPTION: True})
        async with conn.begin():
            yield conn
