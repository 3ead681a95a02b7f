"""SQLite runs in the event loop (driver/sqlite.py): a writer in another process is waited for
without stalling the loop, and a writer that never lets go gives 503, never a hang."""

from __future__ import annotations

import asyncio
import sqlite3
from typing import Literal

import pytest
from sqlalchemy import text

from buena_server.kit.db import open_database
from buena_server.kit.driver import SqliteDatabase
from buena_server.services import services_of

from backends import ON_POSTGRES
from server_testing import API, Account, InProcessClient, assert_error

pytestmark = pytest.mark.skipif(ON_POSTGRES, reason="SQLite's write lock")


def _hold_write_lock(database_url: str) -> sqlite3.Connection:
    other = sqlite3.connect(database_url.removeprefix("sqlite:///"), isolation_level=None)
    other.execute("BEGIN IMMEDIATE")
    return other


# Long enough that the writer cannot give up before the test lets go of the lock: the test
# waits on events, never on this.
@pytest.mark.parametrize("settings_overrides", [{"database_timeout_seconds": 60.0}])
async def test_a_writer_waits_for_another_process_without_stalling_reads(
    client: InProcessClient, account: Account, database_url: str
) -> None:
    database: SqliteDatabase = services_of(client.app).database
    waiting = asyncio.Event()
    begin_immediate = database._begin_immediate

    async def begin_immediate_seen(raw: sqlite3.Connection, deadline: float) -> None:
        waiting.set()  # the create has the process's write turn and asks SQLite for the lock
        await begin_immediate(raw, deadline)

    database._begin_immediate = begin_immediate_seen  # type: ignore[method-assign]
    other = _hold_write_lock(database_url)
    try:
        body = {"first_name": "Wait", "last_name": "Turn", "email": "wait@example.com"}
        create = asyncio.create_task(
            client.post(f"{API}/leads", json=body, headers=account.headers())
        )
        # Whichever comes first: a create that ends before asking for the lock is a failure,
        # not a hang.
        asked = asyncio.create_task(waiting.wait())
        await asyncio.wait({create, asked}, return_when=asyncio.FIRST_COMPLETED)
        assert waiting.is_set(), create.result().text
        # The loop answers reads while the writer waits: this read completes while the lock
        # is still held, so before the create can.
        listed = await client.get(f"{API}/leads", headers=account.headers())
        assert listed.status_code == 200
        assert listed.json()["total"] == 0
        assert not create.done()
        # And the wait is the loop's, not SQLite's: a busy database answers at once inside
        # SQLite (busy_timeout 0), so no statement ever holds the loop while it waits.
        async with database.transaction(write=False) as conn:
            assert (await conn.execute(text("PRAGMA busy_timeout"))).scalar() == 0
        assert not create.done()
    finally:
        other.rollback()
        other.close()
    created = await create
    assert created.status_code == 201, created.text


@pytest.mark.parametrize("settings_overrides", [{"database_timeout_seconds": 0.5}])
async def test_a_writer_that_never_lets_go_gives_503(
    client: InProcessClient, account: Account, database_url: str
) -> None:
    other = _hold_write_lock(database_url)
    try:
        body = {"first_name": "Never", "last_name": "Mind", "email": "never@example.com"}
        response = await client.post(f"{API}/leads", json=body, headers=account.headers())
        assert_error(response, 503, "SERVICE_UNAVAILABLE")
        assert response.headers["retry-after"] == "1"
    finally:
        other.rollback()
        other.close()
    listed = (await client.get(f"{API}/leads", headers=account.headers())).json()
    assert listed["total"] == 0


async def test_a_writer_cancelled_as_its_write_turn_comes_stops(database_url: str) -> None:
    """A writer cancelled at the moment this process's write turn comes to it ends cancelled,
    its transaction rolled back and the turn passed on (asyncio's wait_for on Python 3.11
    lost such a cancellation: the writer went on, and whatever awaited it waited on)."""
    database = open_database(database_url, timeout=60.0)
    assert isinstance(database, SqliteDatabase)
    granted = asyncio.Event()

    class ToldLock(asyncio.Lock):
        async def acquire(self) -> Literal[True]:
            await super().acquire()
            granted.set()  # the test runs next: the moment the turn is this writer's
            return True

    database._write_lock = database._write_turn.lock = ToldLock()
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with database.transaction(write=True):
            holding.set()
            await release.wait()

    async def write_forever() -> None:
        async with database.transaction(write=True):
            await asyncio.Event().wait()  # never ends, unless cancelled

    holder = asyncio.create_task(hold())
    await holding.wait()
    granted.clear()
    writer = asyncio.create_task(write_forever())
    await asyncio.sleep(0)  # the writer runs up to its wait for the turn
    assert database._write_turn.waiting == 1
    release.set()
    await granted.wait()
    writer.cancel()
    for _ in range(5):  # a few passes of the loop: the cancellation arrives within them
        await asyncio.sleep(0)
    try:
        assert writer.cancelled()
        assert not database._write_lock.locked()
        assert database.pool_usage() == (0, 0)
    finally:
        await holder
        await database.close()
