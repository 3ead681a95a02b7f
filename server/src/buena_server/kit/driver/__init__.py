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

The SQLAlchemy internals this relies on (the ones its own execution context uses) are all
in ``sqlalchemy_internals``, each tested by name (``test_sqlalchemy_internals.py``); the
supported SQLAlchemy versions are pinned in pyproject.toml, and the test suite runs every
query through this package on both databases.

The package, by concern: ``compiler`` (statements compiled once, on
``sqlalchemy_internals``), ``results``, ``base`` (the ``Connection`` and ``Database`` every
caller sees, driver errors as SQLAlchemy's), ``postgres`` with its ``pool`` and statement
``groups``, and ``sqlite``.
"""

from buena_server.kit.driver.base import Connection, Database, Listening, is_transaction_conflict
from buena_server.kit.driver.compiler import (
    HEAVY_OPTION,
    PLAN_PER_VALUE_OPTION,
    Prepared,
    StatementCompiler,
)
from buena_server.kit.driver.groups import StatementGroups
from buena_server.kit.driver.pool import ConnectionPool
from buena_server.kit.driver.postgres import PostgresConnection, PostgresDatabase
from buena_server.kit.driver.results import Mappings, Result, Scalars
from buena_server.kit.driver.sqlite import SqliteConnection, SqliteDatabase

__all__ = [
    "HEAVY_OPTION",
    "PLAN_PER_VALUE_OPTION",
    "Connection",
    "ConnectionPool",
    "Database",
    "Listening",
    "Mappings",
    "PostgresConnection",
    "PostgresDatabase",
    "Prepared",
    "Result",
    "Scalars",
    "SqliteConnection",
    "SqliteDatabase",
    "StatementCompiler",
    "StatementGroups",
    "is_transaction_conflict",
]
