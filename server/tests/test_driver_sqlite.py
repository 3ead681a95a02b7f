"""driver.sqlite: connections, reads and writes on a real SQLite file (the write lock's waits
are in test_sqlite_writers.py, the search plans in test_sqlite_search.py)."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import threading
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import column, func, insert, select, table, text

from buena_server.kit.db import create_engine, open_database
from buena_server.kit.driver import HEAVY_OPTION, SqliteConnection, SqliteDatabase
from buena_server.kit.driver.sqlite import PRAGMAS, SAFETY_PAGES
from buena_server.tables import UTCDateTime

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
            # A commit checkpoints only past the safety point (TestCheckpoints).
            checkpoint_at = (await conn.execute(text("PRAGMA wal_autocheckpoint"))).scalar()
            assert checkpoint_at == SAFETY_PAGES
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


class TestStatements:
    async def test_reads_run_outside_a_transaction_and_writes_inside_one(
        self, database: SqliteDatabase
    ) -> None:
        async with database.transaction(write=False) as conn:
            assert isinstance(conn, SqliteConnection)
            await conn.execute(text("SELECT 1"))
            assert not conn.raw.in_transaction
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, SqliteConnection)
            assert conn.raw.in_transaction  # BEGIN IMMEDIATE: the write lock taken up front

    async def test_execute_many_is_one_executemany_of_one_statement(
        self, database: SqliteDatabase
    ) -> None:
        pairs = table("pairs", column("a"), column("b"))
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, SqliteConnection)
            await conn.execute(text("CREATE TABLE pairs (a, b)"))
            calls: list[str] = []
            conn.raw.set_trace_callback(calls.append)
            written = await conn.execute_many(insert(pairs), [{"a": 1, "b": 2}, {"a": 3, "b": 4}])
            conn.raw.set_trace_callback(None)
            assert written == 2
            assert len(calls) == 2  # the statement's two runs, and nothing else
            # Sets that name other columns would make other SQL: refused, nothing written.
            with pytest.raises(ValueError, match="different SQL"):
                await conn.execute_many(insert(pairs), [{"a": 5, "b": 6}, {"a": 7}])
            rows = (await conn.execute(text("SELECT a, b FROM pairs ORDER BY a"))).all()
        assert rows == [(1, 2), (3, 4)]

    async def test_execute_many_stored_binds_the_rows_as_given_in_the_statements_order(
        self, database: SqliteDatabase
    ) -> None:
        """Rows as stored: no bind processor runs (a datetime column takes the text given),
        and values named in another order than the statement's go where their names say."""
        stamped = table("stamped", column("a"), column("at", UTCDateTime()), column("b"))
        async with database.transaction(write=True) as conn:
            assert isinstance(conn, SqliteConnection)
            await conn.execute(text("CREATE TABLE stamped (a, at, b)"))
            calls: list[str] = []
            conn.raw.set_trace_callback(calls.append)
            written = await conn.execute_many_stored(
                insert(stamped), ("b", "a", "at"), [(2, 1, "stored 1"), (4, 3, "stored 2")]
            )
            conn.raw.set_trace_callback(None)
            assert (written, len(calls)) == (2, 2)
            assert await conn.execute_many_stored(insert(stamped), ("a", "at", "b"), []) == 0
            rows = (await conn.execute(text("SELECT a, at, b FROM stamped ORDER BY a"))).all()
        assert rows == [(1, "stored 1", 2), (3, "stored 2", 4)]

    async def test_heavy_statements_run_in_a_worker_thread(self, database: SqliteDatabase) -> None:
        async with database.transaction(write=False) as conn:
            assert isinstance(conn, SqliteConnection)
            conn.raw.create_function("thread_id", 0, threading.get_ident)
            light = select(func.thread_id())
            heavy = light.execution_options(**{HEAVY_OPTION: True})
            assert (await conn.execute(light)).scalar() == threading.get_ident()
            assert (await conn.execute(heavy)).scalar() != threading.get_ident()

    async def test_connections_are_reused_up_to_the_pool_size(self, tmp_path: Path) -> None:
        database = open_database(f"sqlite:///{tmp_path / 'pool.db'}", pool_size=2)
        try:
            blocks = [database.transaction(write=False) for _ in range(4)]
            connections = [await block.__aenter__() for block in blocks]
            assert database.pool_usage() == (4, 0)
            for block in blocks:
                await block.__aexit__(None, None, None)
            assert database.pool_usage() == (0, 0)
            raws = [conn.raw for conn in connections if isinstance(conn, SqliteConnection)]
            assert [is_open(raw) for raw in raws] == [True, True, False, False]
            async with database.transaction(write=False) as conn:
                assert isinstance(conn, SqliteConnection)
                assert conn.raw in raws[:2]
        finally:
            await database.close()


def is_open(raw: sqlite3.Connection) -> bool:
    try:
        raw.execute("SELECT 1")
    except sqlite3.ProgrammingError:  # closed
        return False
    return True


class TestChangeMarker:
    async def test_it_changes_when_another_connection_commits(
        self, database: SqliteDatabase, tmp_path: Path
    ) -> None:
        before = database.change_marker()
        assert before is not None
        await asyncio.sleep(0)  # the next pass of the event loop reads it again
        assert database.change_marker() == before
        other = sqlite3.connect(tmp_path / "driver.db", isolation_level=None)
        try:
            other.execute("CREATE TABLE t (x)")
        finally:
            other.close()
        assert database.change_marker() == before  # read once per pass of the loop
        await asyncio.sleep(0)
        assert database.change_marker() != before


class TestCheckpoints:
    """The WAL goes back into the database file in a worker thread once it holds
    ``checkpoint_bytes``, never in the commit that crosses that point."""

    @staticmethod
    def with_a_table(path: Path) -> SqliteDatabase:
        """The database at ``path``, its table ``t`` in the file itself (the last connection
        to close checkpoints what it wrote)."""
        with contextlib.closing(sqlite3.connect(path)) as db:
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("CREATE TABLE t (v TEXT)")
        database = open_database(f"sqlite:///{path}")
        assert isinstance(database, SqliteDatabase)
        return database

    @staticmethod
    def rows_in_the_file(path: Path) -> int:
        """The rows the database file itself holds (the WAL left unread): what checkpoints
        have copied back."""
        with sqlite3.connect(f"file:{path}?immutable=1", uri=True) as db:
            return int(db.execute("SELECT count(*) FROM t").fetchone()[0])

    async def test_a_commit_past_the_point_leaves_the_copy_to_a_worker_thread(
        self, tmp_path: Path
    ) -> None:
        path = tmp_path / "wal.db"
        database = self.with_a_table(path)
        database.checkpoint_bytes = 64 * 1024
        try:
            # Below the point: the rows stay in the WAL.
            async with database.transaction(write=True) as conn:
                await conn.execute(text("INSERT INTO t VALUES (:v)"), {"v": "x" * 1000})
            await asyncio.sleep(0)
            assert self.rows_in_the_file(path) == 0
            # Past it: the commit returns with the rows still in the WAL only, and a
            # worker thread copies them back.
            async with database.transaction(write=True) as conn:
                await conn.execute_many(
                    text("INSERT INTO t VALUES (:v)"), [{"v": "y" * 1000}] * 200
                )
            assert self.rows_in_the_file(path) == 0
            running = database._checkpointing
            assert running is not None
            await running
            assert self.rows_in_the_file(path) == 201
            assert database._checkpointing is None
        finally:
            await database.close()

    async def test_closing_waits_for_a_running_checkpoint(self, tmp_path: Path) -> None:
        path = tmp_path / "closing.db"
        database = self.with_a_table(path)
        database.checkpoint_bytes = 1
        async with database.transaction(write=True) as conn:
            await conn.execute(text("INSERT INTO t VALUES ('x')"))
        running = database._checkpointing
        assert running is not None
        await database.close()
        assert running.done()
        assert database._checkpointer is None  # its connection closed with it
        assert self.rows_in_the_file(path) == 1
