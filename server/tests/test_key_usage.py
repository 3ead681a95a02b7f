"""API key "last used" times (auth/usage.py): kept in memory, written in batches; a batch the
database cannot take stays pending and is written by the next flush, never lost and never
moved backwards."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from datetime import datetime
from typing import Any

import pytest
from sqlalchemy import select, update

from buena_server.errors import is_database_outage
from buena_server.kit.driver import Database
from buena_server.services import services_of
from buena_server.tables import api_keys

from server_testing import API, Account, InProcessClient

# How long a write waits for the lock the test holds before it fails: the test waits on that
# failure, never on a clock of its own.
TIMEOUT = 0.3


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"database_timeout_seconds": TIMEOUT}


@asynccontextmanager
async def api_keys_locked(database: Database) -> AsyncIterator[None]:
    """Another writer holds every API key row (PostgreSQL) or the write lock (SQLite): a write
    to api_keys waits for it, then fails with the database timeout."""
    holding, release = asyncio.Event(), asyncio.Event()

    async def hold() -> None:
        async with database.transaction(write=True) as conn:
            await conn.execute(update(api_keys).values(name=api_keys.c.name))
            holding.set()
            await release.wait()

    holder = asyncio.create_task(hold())
    await holding.wait()
    try:
        yield
    finally:
        release.set()
        await holder


async def stored_last_used(database: Database, key_id: str) -> datetime | None:
    async with database.transaction(write=False) as conn:
        result = await conn.execute(select(api_keys.c.last_used).where(api_keys.c.id == key_id))
        value: datetime | None = result.scalar_one()
        return value


async def use(client: InProcessClient, account: Account) -> datetime:
    """One request with the account's key; the time it was recorded as used."""
    assert (await client.get(f"{API}/leads", headers=account.headers())).status_code == 200
    when = services_of(client.app).key_usage.pending(account.key_id)
    assert when is not None
    return when


async def test_a_failed_flush_is_written_by_the_next(
    client: InProcessClient, account: Account, other_account: Account
) -> None:
    database, usage = services_of(client.app).database, services_of(client.app).key_usage
    first_use = await use(client, account)
    other_use = await use(client, other_account)

    async with api_keys_locked(database):
        flush = asyncio.create_task(usage.flush(database))
        await asyncio.sleep(0)  # the flush takes the batch, then waits for the lock
        assert usage.pending(account.key_id) is None
        # A request while the flush waits: its use is newer than the batch's.
        later_use = await use(client, account)
        assert later_use > first_use
        with pytest.raises(Exception) as failed:  # noqa: PT011 - checked just below
            await flush
        assert is_database_outage(failed.value), repr(failed.value)

    # The batch is back, except where a newer use came in meanwhile; nothing was written.
    assert usage.pending(account.key_id) == later_use
    assert usage.pending(other_account.key_id) == other_use
    assert await stored_last_used(database, account.key_id) is None

    await usage.flush(database)
    assert await stored_last_used(database, account.key_id) == later_use
    assert await stored_last_used(database, other_account.key_id) == other_use
    assert usage.pending(account.key_id) is None
    assert usage.pending(other_account.key_id) is None


async def test_a_flush_cancelled_midway_keeps_its_batch(
    client: InProcessClient, account: Account
) -> None:
    """Shutdown cancels the periodic flusher wherever it is, perhaps waiting on the database
    in the middle of a flush: the batch it held is still written by the last flush."""
    database, usage = services_of(client.app).database, services_of(client.app).key_usage
    used = await use(client, account)
    async with api_keys_locked(database):
        flush = asyncio.create_task(usage.flush(database))
        await asyncio.sleep(0)  # the flush takes the batch, then waits for the lock
        assert usage.pending(account.key_id) is None
        flush.cancel()
        with pytest.raises(asyncio.CancelledError):
            await flush
    assert usage.pending(account.key_id) == used
    await usage.flush(database)
    assert await stored_last_used(database, account.key_id) == used


class WarningsSeen(logging.Handler):
    """Counts the warnings of the auth logger; ``wait_for(n)`` returns once n were logged."""

    def __init__(self) -> None:
        super().__init__(logging.WARNING)
        self.messages: list[str] = []
        self._logged = asyncio.Condition()

    def emit(self, record: logging.LogRecord) -> None:
        self.messages.append(record.getMessage())
        asyncio.get_running_loop().create_task(self._notify())

    async def _notify(self) -> None:
        async with self._logged:
            self._logged.notify_all()

    async def wait_for(self, count: int) -> None:
        async with self._logged:
            await self._logged.wait_for(lambda: len(self.messages) >= count)


@pytest.fixture
def auth_warnings() -> Iterator[WarningsSeen]:
    handler = WarningsSeen()
    auth_logger = logging.getLogger("buena_server.auth")
    auth_logger.addHandler(handler)
    try:
        yield handler
    finally:
        auth_logger.removeHandler(handler)


async def test_the_periodic_flush_outlives_its_failures(
    client: InProcessClient, account: Account, auth_warnings: WarningsSeen
) -> None:
    """The server's flusher (``run``) says when a flush fails and tries again at its next
    turn, the usage still pending; stopping the server writes it."""
    database, usage = services_of(client.app).database, services_of(client.app).key_usage
    used = await use(client, account)
    flusher = asyncio.create_task(usage.run(database, interval=0.001))
    try:
        async with api_keys_locked(database):
            await auth_warnings.wait_for(2)  # two turns, two failures
            assert not flusher.done()
            assert usage.pending(account.key_id) == used
    finally:
        await usage.stop(database, flusher)
    assert all("could not record API key usage" in m for m in auth_warnings.messages)
    assert usage.pending(account.key_id) is None
    assert await stored_last_used(database, account.key_id) == used
