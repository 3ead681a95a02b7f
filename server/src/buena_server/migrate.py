"""Apply the Alembic migrations up to head, safely when several processes start at once."""

from __future__ import annotations

from pathlib import Path

from alembic import command
from alembic.config import Config
from sqlalchemy import text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from buena_server.kit.db import write_transaction
from buena_server.kit.driver import Connection as DriverConnection

MIGRATIONS = Path(__file__).parent / "migrations"
# Any constant shared by every Buena process: the key of the PostgreSQL advisory lock.
_SETUP_LOCK_KEY = 0x6275656E61  # "buena"


def alembic_config(connection: Connection | None = None) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


async def migrate(engine: AsyncEngine) -> None:
    """Upgrade to head in one transaction that holds a lock for its whole length.

    Replicas of a rolling deploy start together: the first takes the lock and migrates, the
    others wait for it and then find nothing to do. PostgreSQL: a transaction-scoped
    advisory lock. SQLite: the write lock that BEGIN IMMEDIATE takes.
    """

    def upgrade(connection: Connection) -> None:
        command.upgrade(alembic_config(connection), "head")

    async with write_transaction(engine) as conn:
        await hold_setup_lock(conn)
        await conn.run_sync(upgrade)


async def hold_setup_lock(conn: AsyncConnection | DriverConnection) -> None:
    """Serialise start-up work (migrations, bootstrap) across processes until the current
    transaction ends. On SQLite the write transaction's BEGIN IMMEDIATE already does."""
    if conn.dialect.name == "postgresql":
        await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _SETUP_LOCK_KEY})
