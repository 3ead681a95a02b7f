"""The database under test opened through the driver alone, with a few accounts: for the
tests of the driver's parts (test_driver_*.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta

from sqlalchemy import insert

from buena_server.kit.db import open_database
from buena_server.kit.driver import Database
from buena_server.tables import accounts

START = datetime(2030, 1, 1, tzinfo=UTC)
# One account per name, created one day apart from START, with id "acct_<name>".
NAMES = ["alpha", "beta", "gamma", "delta"]


@asynccontextmanager
async def seeded_database(database_url: str, **options: float) -> AsyncIterator[Database]:
    database = open_database(database_url, **options)  # type: ignore[arg-type]
    try:
        async with database.transaction(write=True) as conn:
            for day, name in enumerate(NAMES):
                await conn.execute(
                    insert(accounts).values(
                        id=f"acct_{name}", name=name, created_at=START + timedelta(days=day)
                    )
                )
        yield database
    finally:
        await database.close()
