"""driver.sqlite: connections, reads and writes on a real SQLite file (the write lock's waits
are in test_sqlite_writers.py, the search plans in test_sqlite_search.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from buena_server.db import create_engine, open_database
from buena_server.driver import SqliteDatabase
from buena_server.driver.sqlite import PRAGMAS

from backends import ON_POSTGRES

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's own driver")

# What each pragma of driver.sqlite.PRAGMAS reads back as once set.
READ_BACK = {"journal_mode": "wal", "synchronous": 1, "foreign_keys": 1}


@pytest.fixture
async def database(tmp_path: Path) -> AsyncIterator[SqliteDatabase]:
    opened = open_database(f"sqlite:///{tmp_path / 'driver.db'}", timeout=2.5)
    assert isinstance(opened, SqliteDatabase)
    yield opened
    await opened.close()


class TestPragmas:
    """One list of pragmas (driver.sqlite.PRAGMAS) for every connection: the requests'
    and the migrations' engine's."""

    def test_every_pragma_is_known(self) -> None:
        assert {pragma.split()[1].split("=")[0] for pragma in PRAGMAS} == set(READ_BACK)

    async def test_the_request_connections_get_them(self, database: SqliteDatabase) -> None:
        async with database.transaction(write=False) as conn:
            for name, expected in READ_BACK.items():
                assert (await conn.execute(text(f"PRAGMA {name}"))).scalar() == expected, name
            # Never waits inside the driver, in the event loop (see SqliteDatabase).
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
        async with database.transaction(write=True) as conn:
            assert (await conn.execute(text("PRAGMA foreign_keys"))).scalar() == 1

    async def test_the_migration_engine_gets_them(self, tmp_path: Path) -> None:
        engine = create_engine(f"sqlite:///{tmp_path / 'engine.db'}", timeout=2.5)
        try:
            async with engine.connect() as conn:
                for name, expected in READ_BACK.items():
                    value = (await conn.exec_driver_sql(f"PRAGMA {name}")).scalar()
                    assert value == expected, name
                # Migrations may wait for a writer: up to the database timeout.
                assert (await conn.exec_driver_sql("PRAGMA busy_timeout")).scalar() == 2500
        finally:
            await engine.dispose()
