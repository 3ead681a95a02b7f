"""Which database and Redis the tests run against.

``BUENA_TEST_BACKEND=sqlite`` (the default) runs on SQLite files with in-memory rate limits.
``BUENA_TEST_BACKEND=postgres`` runs the same tests on PostgreSQL
(``BUENA_TEST_POSTGRES_URL``, an administrative connection used to create a fresh
database per test session and per live server) and Redis (``BUENA_TEST_REDIS_URL``).
"""

from __future__ import annotations

import asyncio
import os
import secrets
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager

import asyncpg
import pytest
from sqlalchemy.engine import make_url

BACKEND = os.environ.get("BUENA_TEST_BACKEND", "sqlite")
POSTGRES_ADMIN_URL = os.environ.get(
    "BUENA_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test"
)
REDIS_URL = os.environ.get("BUENA_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
ON_POSTGRES = BACKEND == "postgres"

if BACKEND not in {"sqlite", "postgres"}:
    raise RuntimeError(f"BUENA_TEST_BACKEND must be sqlite or postgres, not {BACKEND!r}")

# A module whose tests touch no database and no Redis (a rule's logic, the packaging): what it
# proves does not depend on the backend, so it runs once, in the SQLite pass.
SQLITE_PASS_ONLY = pytest.mark.skipif(
    ON_POSTGRES, reason="the same on every backend: runs once, in the SQLite pass"
)


def _admin_dsn() -> str:
    return make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql").render_as_string(False)


def _database_url(name: str) -> str:
    return make_url(POSTGRES_ADMIN_URL).set(database=name).render_as_string(False)


async def _admin(statement: str) -> None:
    conn = await asyncpg.connect(_admin_dsn(), timeout=10)
    try:
        await conn.execute(statement)
    finally:
        await conn.close()


async def create_postgres_database_async() -> str:
    """A new, empty database; returns its URL."""
    name = f"buena_test_{secrets.token_hex(6)}"
    await _admin(f'CREATE DATABASE "{name}"')
    return _database_url(name)


async def drop_postgres_database_async(url: str) -> None:
    name = make_url(url).database
    await _admin(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def create_postgres_database() -> str:
    return asyncio.run(create_postgres_database_async())


def drop_postgres_database(url: str) -> None:
    asyncio.run(drop_postgres_database_async(url))


@asynccontextmanager
async def fresh_database_async(sqlite_path: str) -> AsyncIterator[str]:
    """``fresh_database`` for code already running in an event loop."""
    if not ON_POSTGRES:
        yield f"sqlite:///{sqlite_path}"
        return
    url = await create_postgres_database_async()
    try:
        yield url
    finally:
        await drop_postgres_database_async(url)


@contextmanager
def fresh_database(sqlite_path: str) -> Iterator[str]:
    """An empty database of the backend under test (a SQLite file at ``sqlite_path``)."""
    if not ON_POSTGRES:
        yield f"sqlite:///{sqlite_path}"
        return
    url = create_postgres_database()
    try:
        yield url
    finally:
        drop_postgres_database(url)
