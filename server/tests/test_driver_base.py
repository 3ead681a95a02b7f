"""driver.base: what every caller sees whatever the database (transactions, savepoints,
after-commit hooks, driver errors as SQLAlchemy's), on the database under test."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import timedelta
from typing import Any

import pytest
from driver_testing import NAMES, START, seeded_database
from sqlalchemy import bindparam, func, insert, select, text, update
from sqlalchemy.exc import DatabaseError, IntegrityError, OperationalError

from buena_server.kit.driver import Connection, Database, is_transaction_conflict
from buena_server.tables import accounts

from backends import ON_POSTGRES


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with seeded_database(database_url) as opened:
        yield opened


def rename(name: str, to: str) -> Any:
    return update(accounts).where(accounts.c.name == name).values(name=to)


async def stored_names(database: Database) -> list[str]:
    async with database.transaction(write=False) as conn:
        result = await conn.execute(select(accounts.c.name).order_by(accounts.c.name))
        return list(result.scalars())


class Boom(Exception):
    pass


async def failing_write(
    database: Database, statement: Any = None, hook: Callable[[], Awaitable[None]] | None = None
) -> None:
    """A write block that runs ``statement`` (after-commit ``hook`` added), then raises."""
    async with database.transaction(write=True) as conn:
        if hook is not None:
            conn.after_commit.append(hook)
        if statement is not None:
            await conn.execute(statement)
        raise Boom


async def failing_savepoint(conn: Connection, statement: Any) -> None:
    async with conn.begin_nested():
        await conn.execute(statement)
        raise Boom


class TestTransactions:
    async def test_a_write_block_commits_when_it_ends(self, database: Database) -> None:
        async with database.transaction(write=True) as conn:
            await conn.execute(rename("alpha", "zeta"))
            await conn.execute(rename("beta", "eta"))
        assert await stored_names(database) == ["delta", "eta", "gamma", "zeta"]

    async def test_a_write_block_that_raises_leaves_nothing(self, database: Database) -> None:
        with pytest.raises(Boom):
            await failing_write(database, rename("alpha", "zeta"))
        assert await stored_names(database) == sorted(NAMES)

    async def test_a_single_write_commits_its_statement(self, database: Database) -> None:
        async with database.transaction(write=True, single_write=True) as conn:
            await conn.execute(rename("gamma", "omega"))
        assert "omega" in await stored_names(database)

    async def test_after_commit_hooks_run_after_a_commit_only(self, database: Database) -> None:
        seen: list[list[str]] = []

        async def look() -> None:
            seen.append(await stored_names(database))  # another connection sees the commit

        async with database.transaction(write=True) as conn:
            conn.after_commit.append(look)
            await conn.execute(rename("alpha", "zeta"))
            assert seen == []
        assert seen == [["beta", "delta", "gamma", "zeta"]]
        with pytest.raises(Boom):
            await failing_write(database, hook=look)
        assert len(seen) == 1

    async def test_a_savepoint_rolls_back_alone(self, database: Database) -> None:
        async with database.transaction(write=True) as conn:
            await conn.execute(rename("alpha", "zeta"))
            with pytest.raises(Boom):
                await failing_savepoint(conn, rename("beta", "eta"))
            async with conn.begin_nested():
                await conn.execute(rename("gamma", "omega"))
        assert await stored_names(database) == ["beta", "delta", "omega", "zeta"]

    async def test_ping(self, database: Database) -> None:
        await database.ping()

    async def test_no_statement_runs_together_outside_a_postgres_single_write(
        self, database: Database
    ) -> None:
        async with database.transaction(write=True) as conn:
            assert not conn.runs_together
            with pytest.raises(NotImplementedError):
                await conn.execute_together(select(accounts.c.id), {})


class TestExecuteMany:
    """One write run once per set of values, in order, its changed rows summed (SQLite: one
    ``executemany``), with the values bound as ``execute`` binds them."""

    async def test_each_set_runs_in_order(self, database: Database) -> None:
        renamed = (
            update(accounts)
            .where(accounts.c.name == bindparam("was"))
            .values(name=bindparam("now"), created_at=bindparam("at"))
        )
        later = START + timedelta(days=30)
        async with database.transaction(write=True) as conn:
            changed = await conn.execute_many(
                renamed,
                [
                    {"was": "alpha", "now": "omega", "at": later},
                    {"was": "omega", "now": "psi", "at": later},  # sees the first's change
                    {"was": "nobody", "now": "x", "at": later},
                ],
            )
            assert await conn.execute_many(renamed, []) == 0
        assert changed == 2
        assert await stored_names(database) == ["beta", "delta", "gamma", "psi"]
        async with database.transaction(write=False) as conn:
            got = await conn.execute(select(accounts.c.created_at).where(accounts.c.name == "psi"))
            assert got.scalar_one() == later

    async def test_a_constraint_is_an_integrity_error_and_undoes_the_block(
        self, database: Database
    ) -> None:
        new = insert(accounts)
        with pytest.raises(IntegrityError):
            async with database.transaction(write=True) as conn:
                await conn.execute_many(
                    new,
                    [
                        {"id": "acct_new", "name": "new", "created_at": START},
                        {"id": "acct_alpha", "name": "again", "created_at": START},
                    ],
                )
        assert await stored_names(database) == sorted(NAMES)


class TestErrors:
    """Driver errors arrive as SQLAlchemy's exception types, the driver's error as ``orig``."""

    async def insert_again(self, conn: Connection) -> None:
        await conn.execute(insert(accounts).values(id="acct_alpha", name="x", created_at=START))

    async def test_a_constraint_is_an_integrity_error(self, database: Database) -> None:
        with pytest.raises(IntegrityError) as raised:
            async with database.transaction(write=True) as conn:
                await self.insert_again(conn)
        assert raised.value.orig is not None
        assert raised.value.statement is not None
        assert "INSERT INTO accounts" in raised.value.statement
        assert not is_transaction_conflict(raised.value)

    async def test_a_constraint_inside_a_savepoint_spares_the_transaction(
        self, database: Database
    ) -> None:
        async with database.transaction(write=True) as conn:
            with pytest.raises(IntegrityError):
                async with conn.begin_nested():
                    await self.insert_again(conn)
            await conn.execute(rename("alpha", "zeta"))
        assert "zeta" in await stored_names(database)

    async def test_sql_the_database_refuses_is_a_database_error(self, database: Database) -> None:
        with pytest.raises(DatabaseError) as raised:
            async with database.transaction(write=False) as conn:
                await conn.execute(select(func.no_such_function()))
        # sqlite3 itself calls this an OperationalError (so does SQLAlchemy's engine);
        # PostgreSQL's class 42 is no outage: a 500, not a 503.
        assert isinstance(raised.value, OperationalError) is not ON_POSTGRES

    @pytest.mark.skipif(not ON_POSTGRES, reason="PostgreSQL's SQLSTATE classes")
    @pytest.mark.parametrize(
        ("sqlstate", "conflict"),
        [("40001", True), ("40P01", True), ("53300", False), ("57014", False)],
    )
    async def test_postgres_classes_40_53_57_are_operational(
        self, database: Database, sqlstate: str, conflict: bool
    ) -> None:
        """Serialization failures and deadlocks (40: run again), too many connections (53)
        and a cancelled statement (57014): OperationalError, hence 503, never a 500."""
        raise_it = text(
            f"DO $$ BEGIN RAISE EXCEPTION 'raised' USING ERRCODE = '{sqlstate}'; END $$"
        )
        with pytest.raises(OperationalError) as raised:
            async with database.transaction(write=True) as conn:
                await conn.execute(raise_it)
        assert is_transaction_conflict(raised.value) is conflict
