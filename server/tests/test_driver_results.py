"""driver.results: the part of SQLAlchemy's Result the repositories use, from real statements
on the database under test."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from driver_testing import NAMES, seeded_database
from sqlalchemy import select, text, update
from sqlalchemy.exc import MultipleResultsFound, NoResultFound

from buena_server.kit.driver import Database, Result
from buena_server.tables import accounts


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[Database]:
    async with seeded_database(database_url) as opened:
        yield opened


async def run(database: Database, statement: Any, *, write: bool = False) -> Result:
    async with database.transaction(write=write) as conn:
        return await conn.execute(statement)


ordered = select(accounts.c.id, accounts.c.name).order_by(accounts.c.name)
none = ordered.where(accounts.c.name == "nobody")
alpha = ordered.where(accounts.c.name == "alpha")


async def test_rows(database: Database) -> None:
    rows = (await run(database, ordered)).all()
    assert rows == [(f"acct_{name}", name) for name in sorted(NAMES)]
    assert (await run(database, ordered)).first() == ("acct_alpha", "alpha")
    assert (await run(database, none)).first() is None
    assert (await run(database, none)).all() == []


async def test_mappings(database: Database) -> None:
    mappings = (await run(database, ordered)).mappings()
    assert mappings.all()[0] == {"id": "acct_alpha", "name": "alpha"}
    assert [row["name"] for row in (await run(database, ordered)).mappings()] == sorted(NAMES)
    assert (await run(database, alpha)).mappings().first() == {
        "id": "acct_alpha",
        "name": "alpha",
    }
    assert (await run(database, none)).mappings().first() is None


async def test_a_textual_select_is_keyed_by_what_the_driver_says(database: Database) -> None:
    statement = text("SELECT name AS label, id FROM accounts WHERE name = 'beta'")
    assert (await run(database, statement)).mappings().all() == [
        {"label": "beta", "id": "acct_beta"}
    ]


async def test_scalars(database: Database) -> None:
    names = select(accounts.c.name).order_by(accounts.c.name)
    assert (await run(database, names)).scalars().all() == sorted(NAMES)
    assert list((await run(database, names)).scalars()) == sorted(NAMES)
    assert (await run(database, names)).scalar() == "alpha"
    assert (await run(database, none)).scalar() is None


async def test_scalar_one_wants_exactly_one_row(database: Database) -> None:
    assert (await run(database, alpha)).scalar_one() == "acct_alpha"
    with pytest.raises(NoResultFound):
        (await run(database, none)).scalar_one()
    with pytest.raises(MultipleResultsFound):
        (await run(database, ordered)).scalar_one()


async def test_scalar_one_or_none_wants_at_most_one_row(database: Database) -> None:
    assert (await run(database, alpha)).scalar_one_or_none() == "acct_alpha"
    assert (await run(database, none)).scalar_one_or_none() is None
    with pytest.raises(MultipleResultsFound):
        (await run(database, ordered)).scalar_one_or_none()


async def test_rowcount_of_a_write(database: Database) -> None:
    renamed = update(accounts).where(accounts.c.name.in_(["alpha", "beta"])).values(name="x")
    assert (await run(database, renamed, write=True)).rowcount == 2
    nothing = update(accounts).where(accounts.c.name == "nobody").values(name="y")
    assert (await run(database, nothing, write=True)).rowcount == 0


def test_row_starting_finds_the_first_row_by_its_leading_columns() -> None:
    result = Result(["id", "account", "n"], [("a", "x", 1), ("b", "x", 2), ("a", "y", 3)], 3)
    assert result.row_starting("a") == ("a", "x", 1)
    assert result.row_starting("a", "y") == ("a", "y", 3)
    assert result.row_starting("b", "y") is None
    assert result.row_starting("c") is None
    assert Result(["id"], [], 0).row_starting("a") is None


def test_rows_starting_finds_every_row_by_its_leading_columns_in_order() -> None:
    rows = [("a", "x", 1), ("b", "x", 2), ("a", "y", 3), ("a", "x", 4)]
    result = Result(["id", "account", "n"], rows, 4)
    assert result.rows_starting("a") == [("a", "x", 1), ("a", "y", 3), ("a", "x", 4)]
    assert result.rows_starting("a", "x") == [("a", "x", 1), ("a", "x", 4)]
    assert result.rows_starting("b", "y") == []
    assert result.row_starting("a", "x") == ("a", "x", 1)
    assert Result(["id"], [], 0).rows_starting("a") == []
