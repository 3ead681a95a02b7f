"""driver.postgres: connections, statements without BEGIN where they may, JSON as SQLAlchemy
sends it, and connections that must not be used again dropped (plans are in
test_postgres_plans.py, statement groups in test_statement_groups.py, the pool in
test_connection_pool.py, whole outages in test_faults.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from driver_testing import START, seeded_database
from sqlalchemy import JSON, insert, literal, select, text, update
from sqlalchemy.exc import IntegrityError, OperationalError

from buena_server.kit.driver import Connection, PostgresConnection, PostgresDatabase
from buena_server.tables import accounts

from backends import ON_POSTGRES

pytestmark = pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's driver")


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[PostgresDatabase]:
    async with seeded_database(database_url, pool_size=1, timeout=0.5) as opened:
        assert isinstance(opened, PostgresDatabase)
        yield opened


def raw_of(conn: Connection) -> Any:
    assert isinstance(conn, PostgresConnection)
    return conn.raw


async def run(
    database: PostgresDatabase, statement: Any, used: list[Any], *, write: bool = False
) -> None:
    """``statement`` in a block of its own; the driver connection it runs on into ``used``."""
    async with database.transaction(write=write) as conn:
        assert isinstance(conn, PostgresConnection)
        used.append(await conn.driver_connection())
        await conn.execute(statement)


async def server_pid(database: PostgresDatabase) -> int:
    async with database.transaction(write=False) as conn:
        await conn.execute(text("SELECT 1"))
        pid: int = raw_of(conn).get_server_pid()
        return pid


async def test_reads_run_without_a_transaction_and_writes_in_one(
    database: PostgresDatabase,
) -> None:
    async with database.transaction(write=False) as conn:
        await conn.execute(select(accounts.c.id))
        assert not raw_of(conn).is_in_transaction()
        assert database.pool_usage() == (1, 0)
    async with database.transaction(write=True) as conn:
        assert raw_of(conn).is_in_transaction()
    assert database.pool_usage() == (0, 0)


async def test_a_single_write_block_refuses_a_second_write(database: PostgresDatabase) -> None:
    renamed = update(accounts).where(accounts.c.name == "alpha").values(name="zeta")
    in_transaction: list[bool] = []

    async def write_twice() -> None:
        async with database.transaction(write=True, single_write=True) as conn:
            await conn.execute(renamed)
            in_transaction.append(raw_of(conn).is_in_transaction())
            await conn.execute(renamed)

    with pytest.raises(RuntimeError, match="second write"):
        await write_twice()
    assert in_transaction == [False]  # the first statement committed on its own


async def test_json_travels_as_sqlalchemy_sends_it(database: PostgresDatabase) -> None:
    value = {"tags": ["a", "é"], "nested": {"n": 15, "none": None}}
    async with database.transaction(write=False) as conn:
        assert (await conn.execute(select(literal(value, JSON)))).scalar_one() == value
        # On the wire: the text SQLAlchemy's bind processor wrote, parsed by PostgreSQL.
        as_text = select(literal(value, JSON).cast(JSON)["nested"]["n"].as_integer())
        assert (await conn.execute(as_text)).scalar_one() == 15


async def test_an_error_the_server_ends_the_connection_with_drops_it(
    database: PostgresDatabase,
) -> None:
    before = await server_pid(database)
    shutdown = text("DO $$ BEGIN RAISE EXCEPTION 'bye' USING ERRCODE = '57P01'; END $$")
    used: list[Any] = []
    with pytest.raises(OperationalError):
        await run(database, shutdown, used)
    assert used[0].is_closed()
    assert database.pool.size == 0
    assert await server_pid(database) != before  # a new connection, and it works


async def test_an_ordinary_error_keeps_the_connection(database: PostgresDatabase) -> None:
    before = await server_pid(database)
    again = insert(accounts).values(id="acct_alpha", name="again", created_at=START)
    with pytest.raises(IntegrityError):
        await run(database, again, [], write=True)
    assert await server_pid(database) == before
    assert database.pool.size == 1


async def test_a_statement_past_the_timeout_drops_its_connection(
    database: PostgresDatabase,
) -> None:
    """Its answer may still come: the connection is closed, never used again."""
    used: list[Any] = []
    with pytest.raises(OperationalError):
        await run(database, text("SELECT pg_sleep(5)"), used)  # the timeout is 0.5 s
    assert used[0].is_closed()
    assert database.pool.size == 0
    await server_pid(database)


async def test_connections_set_datestyle_iso_themselves(database: PostgresDatabase) -> None:
    """An export reads times as text in ISO's form (leads/listing.py export_statement): the
    connections ask for it, whatever the database's or server's default."""
    async with database.transaction(write=False) as conn:
        found = await conn.execute(
            text("SELECT setting, source FROM pg_settings WHERE name = 'DateStyle'")
        )
        [(setting, source)] = found.all()
    assert setting.startswith("ISO,")
    assert source == "client"
