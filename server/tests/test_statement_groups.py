"""Creates that arrive together on PostgreSQL: one statement for many requests
(driver.StatementGroups, LeadRepository._insert_counted), with each request's own outcome."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import asyncpg
import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError, OperationalError

from buena_server.kit.db import open_database
from buena_server.kit.driver import Database, PostgresDatabase, StatementGroups
from buena_server.services import services_of

from backends import ON_POSTGRES
from server_testing import API, Account, InProcessClient, assert_error

postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="statements run together on PostgreSQL")

# Each block's value, and how many rows the statement that served it saw.
_SEEN = text("SELECT v, count(*) OVER () FROM unnest(CAST(:v AS INT[])) AS given(v)")
_DIVIDE = text("SELECT 10 / v FROM unnest(CAST(:v AS INT[])) AS given(v)")
_DROPPED = text(
    "SELECT v, pg_terminate_backend(pg_backend_pid()) FROM unnest(CAST(:v AS INT[])) AS given(v)"
)


@pytest.fixture
async def database(database_url: str) -> AsyncIterator[PostgresDatabase]:
    opened = open_database(database_url, pool_size=1)  # at most 2 connections
    assert isinstance(opened, PostgresDatabase)
    yield opened
    await opened.close()


async def _together(database: Database, statement: Any, value: int) -> list[tuple[Any, ...]]:
    async with database.transaction(write=True, single_write=True) as conn:
        assert conn.runs_together
        return (await conn.execute_together(statement, {"v": value})).all()


@postgres_only
class TestStatementGroups:
    async def test_blocks_of_one_pass_share_one_statement(self, database: Database) -> None:
        results = await asyncio.gather(*(_together(database, _SEEN, v) for v in range(10)))
        for v, rows in enumerate(results):
            assert (v, 10) in rows  # its own value, in a statement that had all ten
            assert sorted(rows) == [(n, 10) for n in range(10)]

    async def test_read_blocks_run_statements_together_too(self, database: Database) -> None:
        """A read block may run several grouped statements (none of them is a write)."""

        async def read(v: int) -> list[list[tuple[Any, ...]]]:
            async with database.transaction(write=False) as conn:
                assert conn.runs_together
                first = (await conn.execute_together(_SEEN, {"v": v})).all()
                second = (await conn.execute_together(_SEEN, {"v": v + 100})).all()
                return [first, second]

        results = await asyncio.gather(*(read(v) for v in range(5)))
        for v, (first, second) in enumerate(results):
            assert sorted(first) == [(n, 5) for n in range(5)]
            assert (v + 100, 5) in second

    async def test_groups_hold_at_most_max_rows(self, database: PostgresDatabase) -> None:
        database.together.max_rows = 4
        results = await asyncio.gather(*(_together(database, _SEEN, v) for v in range(10)))
        assert sorted(len(rows) for rows in results) == [2] * 2 + [4] * 8
        assert all(v in {row[0] for row in rows} for v, rows in enumerate(results))

    async def test_waiting_blocks_hold_no_connection(self, database: PostgresDatabase) -> None:
        # 50 blocks, a pool of 2: had each held a connection while it waited, the group
        # could never have had one (a timeout, not an answer).
        results = await asyncio.gather(*(_together(database, _SEEN, v) for v in range(50)))
        assert all(any(row[0] == v for row in rows) for v, rows in enumerate(results))
        assert database.pool.size <= 2
        async with database.transaction(write=True, single_write=True):
            pass
        assert database.pool.size <= 2

    async def test_a_single_write_takes_a_connection_only_to_run_a_statement(
        self, database: PostgresDatabase
    ) -> None:
        async with database.transaction(write=True, single_write=True):
            pass
        assert database.pool.size == 0
        async with database.transaction(write=True, single_write=True) as conn:
            await conn.execute(text("SELECT 1"))
        assert database.pool.size == 1

    async def test_a_failing_group_gives_each_block_its_own_outcome(
        self, database: Database
    ) -> None:
        outcomes = await asyncio.gather(
            *(_together(database, _DIVIDE, v) for v in (1, 2, 0, 5)), return_exceptions=True
        )
        assert outcomes[0] == [(10,)]
        assert outcomes[1] == [(5,)]
        assert isinstance(outcomes[2], DBAPIError)
        assert "division by zero" in str(outcomes[2])
        assert outcomes[3] == [(2,)]

    async def test_a_group_the_database_drops_fails_every_block_at_once(
        self, database: PostgresDatabase
    ) -> None:
        # The statement ends its own connection: an OperationalError, which the blocks would
        # meet again each alone (a dead or hanging database), so none runs again.
        runs = []

        async def execute(statement: Any, parameters: Any) -> Any:
            runs.append(parameters["v"])
            return await database._execute_group(statement, parameters)

        database.together = StatementGroups(execute)
        outcomes = await asyncio.gather(
            *(_together(database, _DROPPED, v) for v in range(4)), return_exceptions=True
        )
        assert runs == [[0, 1, 2, 3]]
        assert all(isinstance(outcome, OperationalError) for outcome in outcomes), outcomes
        assert await _together(database, _SEEN, 5) == [(5, 1)]  # the pool opens another

    async def test_a_block_cancelled_while_its_group_ran_is_not_run_again(
        self, database: PostgresDatabase
    ) -> None:
        runs: list[list[int]] = []
        tasks: list[asyncio.Task[Any]] = []

        async def execute(statement: Any, parameters: Any) -> Any:
            runs.append(parameters["v"])
            if len(runs) == 1:
                tasks[1].cancel()  # its caller gives up while the group runs
            return await database._execute_group(statement, parameters)

        database.together = StatementGroups(execute)
        tasks.extend(asyncio.create_task(_together(database, _DIVIDE, v)) for v in (1, 2, 0))
        outcomes = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(outcomes[1], asyncio.CancelledError)
        assert sorted(runs) == [[0], [1], [1, 2, 0]]  # the group, then 1 and 0 alone

    async def test_a_block_cancelled_while_waiting_is_left_out(self, database: Database) -> None:
        tasks = [asyncio.create_task(_together(database, _SEEN, v)) for v in range(4)]
        await asyncio.sleep(0)  # every block has asked; the group starts on the next pass
        tasks[1].cancel()
        results = await asyncio.gather(*tasks, return_exceptions=True)
        assert isinstance(results[1], asyncio.CancelledError)
        for v in (0, 2, 3):
            assert sorted(results[v]) == [(0, 3), (2, 3), (3, 3)]  # type: ignore[arg-type]

    async def test_it_is_the_blocks_one_write(self, database: Database) -> None:
        async with database.transaction(write=True, single_write=True) as conn:
            await conn.execute_together(_SEEN, {"v": 1})
            with pytest.raises(RuntimeError, match="second write"):
                await conn.execute_together(_SEEN, {"v": 2})

    async def test_not_in_a_transaction(self, database: Database) -> None:
        async with database.transaction(write=True) as conn:
            assert not conn.runs_together
            with pytest.raises(NotImplementedError):
                await conn.execute_together(_SEEN, {"v": 1})

    async def test_closing_waits_for_groups_asked_for(self, database_url: str) -> None:
        database = open_database(database_url)
        assert isinstance(database, PostgresDatabase)
        task = asyncio.create_task(_together(database, _SEEN, 7))
        await asyncio.sleep(0)
        await database.close()
        assert await task == [(7, 1)]


async def test_sqlite_blocks_do_not_run_together(database_url: str) -> None:
    if ON_POSTGRES:
        pytest.skip("the SQLite side")
    database = open_database(database_url)
    try:
        async with database.transaction(write=True, single_write=True) as conn:
            assert not conn.runs_together
    finally:
        await database.close()


# -- creates ------------------------------------------------------------------------------


async def _create(client: InProcessClient, account: Account, email: str) -> Any:
    body = {"first_name": "Ann", "last_name": "Lee", "email": email}
    return await client.post(f"{API}/leads", json=body, headers=account.headers())


async def _total(client: InProcessClient, account: Account) -> int:
    response = await client.get(f"{API}/leads?limit=1", headers=account.headers())
    total: int = response.json()["total"]
    return total


async def test_creates_that_arrive_together_are_each_created_and_counted(
    client: InProcessClient, account: Account, other_account: Account
) -> None:
    responses = await asyncio.gather(
        *(
            _create(client, owner, f"lead{n}@example.com")
            for n in range(30)
            for owner in (account, other_account)
        )
    )
    assert [r.status_code for r in responses] == [201] * 60
    ids = {r.json()["id"] for r in responses}
    assert len(ids) == 60
    for owner in (account, other_account):
        assert await _total(client, owner) == 30
        listed = await client.get(f"{API}/leads?limit=100", headers=owner.headers())
        assert len(listed.json()["data"]) == 30
    # Each answer is the stored lead.
    for response in responses[:6]:
        lead = response.json()
        owner = account if responses.index(response) % 2 == 0 else other_account
        again = await client.get(f"{API}/leads/{lead['id']}", headers=owner.headers())
        assert again.json() == lead


async def test_one_email_created_together_gives_one_lead(
    client: InProcessClient, account: Account
) -> None:
    emails = [f"{'SAME' if n % 2 else 'same'}@example.com" for n in range(12)]
    responses = await asyncio.gather(*(_create(client, account, email) for email in emails))
    created = [r for r in responses if r.status_code == 201]
    assert len(created) == 1
    lead_id = created[0].json()["id"]
    for response in responses:
        if response.status_code != 201:
            body = assert_error(response, 409, "LEAD_EMAIL_EXISTS")
            assert body["details"]["existing_id"] == lead_id
    assert await _total(client, account) == 1


@postgres_only
async def test_a_group_whose_answer_is_lost_after_its_commit_answers_created(
    client: InProcessClient, account: Account
) -> None:
    """The connection drops after PostgreSQL committed the group: each create finds its own
    lead behind its email and answers 201 (not a 409 against itself from the fallback)."""
    database: PostgresDatabase = services_of(client.app).database
    run = database.together._execute

    async def commits_then_loses_the_answer(statement: Any, parameters: Any) -> Any:
        await run(statement, parameters)
        raise OperationalError("the group", None, ConnectionResetError("connection lost"))

    database.together._execute = commits_then_loses_the_answer
    try:
        responses = await asyncio.gather(
            *(_create(client, account, f"lost{n}@example.com") for n in range(4))
        )
    finally:
        database.together._execute = run
    assert [r.status_code for r in responses] == [201] * 4, [r.text for r in responses]
    assert await _total(client, account) == 4
    for response in responses:
        lead = response.json()
        again = await client.get(f"{API}/leads/{lead['id']}", headers=account.headers())
        assert again.json() == lead


@postgres_only
async def test_a_group_waiting_for_a_row_holds_up_only_its_own_creates(
    client: InProcessClient, account: Account, other_account: Account, database_url: str
) -> None:
    """Another transaction holds an uncommitted lead with an email a create asks for: that
    create's group waits for it, and creates after it run in groups of their own."""
    database: PostgresDatabase = services_of(client.app).database
    run = database.together._execute
    groups: list[list[str]] = []  # each group's emails, as it starts
    held_group_running = asyncio.Event()

    async def recorded(statement: Any, parameters: Any) -> Any:
        groups.append(list(parameters["email"]))
        if "held@example.com" in parameters["email"]:
            held_group_running.set()
        return await run(statement, parameters)

    database.together._execute = recorded
    blocker = await asyncpg.connect(database_url)
    try:
        holding = blocker.transaction()
        await holding.start()
        await blocker.execute(
            "INSERT INTO leads (id, account_id, first_name, last_name, email, tags,"
            " custom_fields, status, created_at, updated_at, email_lower, first_name_lower,"
            " last_name_lower, full_name_lower) VALUES ('lead_held', $1, 'H', 'Eld',"
            " 'held@example.com', '[]', '{}', 'active', now(), now(), 'held@example.com',"
            " 'h', 'eld', 'h eld')",
            account.id,
        )
        waiting = asyncio.create_task(_create(client, account, "held@example.com"))
        await held_group_running.wait()  # its statement is out, waiting for the held row
        # These can only finish while the row is held if they run in groups of their own
        # (the bound is a backstop against a hang, not a race: the row stays held).
        others = await asyncio.wait_for(
            asyncio.gather(
                *(_create(client, other_account, f"free{n}@example.com") for n in range(5))
            ),
            timeout=60,
        )
        assert [r.status_code for r in others] == [201] * 5
        assert not waiting.done()
        assert groups[0] == ["held@example.com"]
        assert all("held@example.com" not in emails for emails in groups[1:])
        await holding.rollback()
        assert (await waiting).status_code == 201
    finally:
        database.together._execute = run
        await blocker.close()


async def test_a_block_whose_group_cannot_start_gives_up() -> None:
    """Every group stalled (a database that does not answer): a block still waiting to start
    fails with OperationalError (a 503) after ``wait_timeout``, its statement never sent."""
    answer = asyncio.Event()  # never set while the block waits: nothing races the timeout
    running = asyncio.Event()
    runs: list[list[int]] = []

    async def execute(statement: Any, parameters: Any) -> Any:
        runs.append(parameters["v"])
        running.set()
        await answer.wait()
        return None

    groups = StatementGroups(execute, wait_timeout=0.05, max_groups=1)
    stalled = asyncio.create_task(groups.execute(_SEEN, {"v": 1}))
    await running.wait()
    async with asyncio.timeout(60):  # only against hanging
        with pytest.raises(OperationalError, match="no statement group free"):
            await groups.execute(_SEEN, {"v": 2})
    assert runs == [[1]]
    answer.set()
    await stalled
    await groups.drain()
