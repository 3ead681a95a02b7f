"""driver.compiler: statements compiled once per shape, values bound with the dialect's own
processors, expanding (IN) parameters finished per execution; on the database under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta, timezone
from typing import Any

import pytest
from driver_testing import NAMES, START, seeded_database
from sqlalchemy import Float, bindparam, func, insert, literal, select, tuple_
from sqlalchemy.exc import DBAPIError, InvalidRequestError

from buena_server.kit.driver import Database
from buena_server.tables import accounts

from backends import ON_POSTGRES


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with seeded_database(database_url) as opened:
        yield opened


async def names(database: Database, statement: object) -> list[str]:
    async with database.transaction(write=False) as conn:
        result = await conn.execute(statement)  # type: ignore[arg-type]
        return sorted(result.scalars().all())


by_name = select(accounts.c.name)


class TestCompiledOncePerShape:
    def test_statements_differing_only_in_values_share_a_compiled_form(
        self, database: Database
    ) -> None:
        compiler = database.compiler
        first, first_values = compiler.bind(by_name.where(accounts.c.name == "alpha"))
        second, second_values = compiler.bind(by_name.where(accounts.c.name == "beta"))
        assert second is first
        assert (first_values, second_values) == (["alpha"], ["beta"])
        other, _ = compiler.bind(by_name.where(accounts.c.id == "acct_alpha"))
        assert other is not first

    async def test_each_statement_gets_its_own_values(self, database: Database) -> None:
        for name in NAMES:
            assert await names(database, by_name.where(accounts.c.name == name)) == [name]

    async def test_a_statement_built_once_takes_its_values_by_name(
        self, database: Database
    ) -> None:
        statement = by_name.where(accounts.c.id == bindparam("id"))
        async with database.transaction(write=False) as conn:
            for name in NAMES:
                result = await conn.execute(statement, {"id": f"acct_{name}"})
                assert result.scalar_one() == name
            with pytest.raises(InvalidRequestError, match="id"):
                await conn.execute(statement, {"other": "x"})

    async def test_an_insert_names_the_columns_given_apart(self, database: Database) -> None:
        created = START + timedelta(days=9)
        async with database.transaction(write=True) as conn:
            await conn.execute(
                insert(accounts), {"id": "acct_x", "name": "x", "created_at": created}
            )
        statement = select(accounts.c.created_at).where(accounts.c.id == "acct_x")
        async with database.transaction(write=False) as conn:
            assert (await conn.execute(statement)).scalar_one() == created

    @pytest.mark.parametrize(
        ("statement", "names"),
        [
            (insert(accounts), ("id", "name", "created_at")),  # the columns from the names
            (
                insert(accounts).values(
                    id=bindparam("i"), name=bindparam("n"), created_at=bindparam("c")
                ),
                ("i", "n", "c"),
            ),
            (insert(accounts).values(name="fixed"), ("id", "created_at")),  # and a literal
        ],
        ids=["columns by name", "bindparams", "a literal"],
    )
    def test_several_sets_bind_as_each_would_alone(
        self, database: Database, statement: Any, names: tuple[str, ...]
    ) -> None:
        sets = []
        for n in range(4):
            stamp = START + timedelta(days=n, microseconds=n)
            by_name = {"id": f"acct_{n}", "name": f"name {n}", "created_at": stamp}
            by_name |= {"i": by_name["id"], "n": by_name["name"], "c": stamp}
            sets.append({name: by_name[name] for name in names})
        prepared, rows = database.compiler.bind_many(statement, sets)
        alone = [database.compiler.bind(statement, values) for values in sets]
        assert all(each.sql == prepared.sql for each, _ in alone)
        assert rows == [values for _, values in alone]
        assert len({tuple(map(str, row)) for row in rows}) == 4  # each set's own values

    def test_a_set_with_other_names_is_bound_alone_and_must_make_the_same_sql(
        self, database: Database
    ) -> None:
        sets = [
            {"id": "acct_a", "name": "a", "created_at": START},
            {"id": "acct_b", "name": "b"},
        ]
        with pytest.raises(ValueError, match="different SQL"):
            database.compiler.bind_many(insert(accounts), sets)
        # The same names in another order make the same SQL.
        reordered = [sets[0], {"created_at": START, "name": "c", "id": "acct_c"}]
        _prepared, rows = database.compiler.bind_many(insert(accounts), reordered)
        assert rows[1] == database.compiler.bind(insert(accounts), reordered[1])[1]

    async def test_result_values_come_through_the_column_types(self, database: Database) -> None:
        # UTCDateTime: aware UTC datetimes on both databases (SQLite stores naive text).
        statement = select(accounts.c.created_at).where(accounts.c.name == "beta")
        async with database.transaction(write=False) as conn:
            stamp = (await conn.execute(statement)).scalar_one()
        assert stamp == START + timedelta(days=1)
        assert stamp.tzinfo is not None


async def test_a_result_type_that_needs_the_drivers_column_type_is_refused_by_name(
    database: Database,
) -> None:
    statement = select(literal(1.5, Float).label("ratio"))
    async with database.transaction(write=False) as conn:
        if not ON_POSTGRES:  # sqlite's Float converts whatever the column's declared type
            assert (await conn.execute(statement)).scalar() == 1.5
            return
        with pytest.raises(NotImplementedError, match=r"'ratio'.*Float"):
            await conn.execute(statement)


class TestExpandingParameters:
    async def test_in_a_list(self, database: Database) -> None:
        assert await names(database, by_name.where(accounts.c.name.in_(["beta", "delta"]))) == [
            "beta",
            "delta",
        ]

    async def test_the_same_shape_with_other_values_and_lengths(self, database: Database) -> None:
        # One compiled form per shape (cached), finished for each list.
        for chosen in (["alpha"], ["alpha", "gamma", "delta"], ["beta", "nobody"], NAMES):
            statement = by_name.where(accounts.c.name.in_(chosen))
            assert await names(database, statement) == sorted(set(chosen) & set(NAMES))

    async def test_an_empty_list_is_false_and_not_in_it_is_true(self, database: Database) -> None:
        assert await names(database, by_name.where(accounts.c.name.in_([]))) == []
        assert await names(database, by_name.where(accounts.c.name.not_in([]))) == sorted(NAMES)

    async def test_not_in(self, database: Database) -> None:
        statement = by_name.where(accounts.c.name.not_in(["alpha", "beta"]))
        assert await names(database, statement) == ["delta", "gamma"]

    async def test_each_element_goes_through_the_bind_processor(self, database: Database) -> None:
        # UTCDateTime stores naive UTC text on SQLite: an aware value in another zone must be
        # converted, element by element, to match.
        later = [START.astimezone(timezone(timedelta(hours=5))), START + timedelta(days=2)]
        statement = by_name.where(accounts.c.created_at.in_(later))
        assert await names(database, statement) == ["alpha", "gamma"]

    async def test_beside_other_parameters_in_any_order(self, database: Database) -> None:
        statement = by_name.where(
            accounts.c.name.in_(["alpha", "beta", "gamma"]),
            accounts.c.created_at >= START + timedelta(days=1),
            accounts.c.name != "gamma",
        )
        assert await names(database, statement) == ["beta"]

    async def test_a_statement_built_once_with_an_expanding_bindparam(
        self, database: Database
    ) -> None:
        statement = by_name.where(
            accounts.c.created_at >= bindparam("since"),
            accounts.c.name.in_(bindparam("chosen", expanding=True)),
        )
        async with database.transaction(write=False) as conn:
            for chosen, since, expected in (
                (["alpha", "delta"], START, ["alpha", "delta"]),
                (["alpha", "delta"], START + timedelta(days=1), ["delta"]),
                ([], START, []),
                (NAMES, START + timedelta(days=2), ["delta", "gamma"]),
            ):
                result = await conn.execute(statement, {"chosen": chosen, "since": since})
                assert sorted(result.scalars().all()) == expected

    async def test_a_tuple_in(self, database: Database) -> None:
        pairs = [("acct_alpha", "alpha"), ("acct_beta", "gamma")]
        statement = by_name.where(tuple_(accounts.c.id, accounts.c.name).in_(pairs))
        assert await names(database, statement) == ["alpha"]

    async def test_a_failing_statement_reports_the_sql_it_ran(self, database: Database) -> None:
        statement = select(func.no_such_function(accounts.c.name)).where(
            accounts.c.name.in_(["alpha", "beta"])
        )
        async with database.transaction(write=False) as conn:
            with pytest.raises(DBAPIError) as raised:
                await conn.execute(statement)
        assert raised.value.statement is not None
        assert "POSTCOMPILE" not in raised.value.statement
        assert raised.value.params == ["alpha", "beta"]
