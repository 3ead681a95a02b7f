"""driver.ConnectionPool: bounded, waits in order, gives up after its timeout, replaces closed
connections, never loses a connection to a cancelled waiter, closes connections left idle
for ``max_idle`` seconds, and expires them all on demand."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Awaitable, Callable

import asyncpg
import pytest
from sqlalchemy.engine import make_url

from buena_server.app import create_app
from buena_server.config import Settings
from buena_server.kit.driver import ConnectionPool
from buena_server.services import services_of

from backends import ON_POSTGRES, POSTGRES_ADMIN_URL
from server_testing import ManualClockLoop, run_with_manual_clock


class FakeConnection:
    numbers = itertools.count(1)

    def __init__(self) -> None:
        self.number = next(self.numbers)
        self.closed = False
        self.in_transaction = False

    def is_closed(self) -> bool:
        return self.closed

    def is_in_transaction(self) -> bool:
        return self.in_transaction

    def terminate(self) -> None:
        self.closed = True

    async def close(self, timeout: float | None = None) -> None:  # noqa: ASYNC109 (asyncpg)
        self.closed = True


def pool(max_size: int = 2, timeout: float = 0.2) -> tuple[ConnectionPool, list[FakeConnection]]:
    opened: list[FakeConnection] = []

    async def connect() -> FakeConnection:
        opened.append(FakeConnection())
        return opened[-1]

    return ConnectionPool(connect, max_size, timeout), opened  # type: ignore[arg-type]


async def test_connections_are_reused_and_bounded() -> None:
    connections, opened = pool()
    first = await connections.acquire()
    connections.release(first)
    assert await connections.acquire() is first
    await connections.acquire()
    assert len(opened) == 2
    with pytest.raises(TimeoutError):
        await connections.acquire()


async def test_waiters_are_served_in_order() -> None:
    connections, _opened = pool(max_size=1, timeout=1)
    held = await connections.acquire()
    first = asyncio.create_task(connections.acquire())
    second = asyncio.create_task(connections.acquire())
    await asyncio.sleep(0)
    connections.release(held)
    assert await first is held
    assert not second.done()
    connections.release(held)
    assert await second is held


async def test_a_closed_or_dirty_connection_is_replaced() -> None:
    connections, opened = pool(max_size=1, timeout=1)
    broken = await connections.acquire()
    waiting = asyncio.create_task(connections.acquire())
    await asyncio.sleep(0)
    broken.in_transaction = True  # a rollback that failed
    connections.release(broken)
    replacement = await waiting
    assert broken.closed
    assert replacement is not broken
    assert len(opened) == 2
    assert connections.size == 1


async def test_a_cancelled_waiter_passes_its_connection_on() -> None:
    connections, _opened = pool(max_size=1, timeout=1)
    held = await connections.acquire()
    cancelled = asyncio.create_task(connections.acquire())
    after = asyncio.create_task(connections.acquire())
    await asyncio.sleep(0)
    connections.release(held)  # handed to `cancelled`...
    cancelled.cancel()  # ...which is cancelled before it runs
    with pytest.raises(asyncio.CancelledError):
        await cancelled
    assert await after is held


async def test_a_failed_connect_frees_its_place() -> None:
    attempts = 0

    async def connect() -> FakeConnection:
        nonlocal attempts
        attempts += 1
        if attempts == 1:
            raise ConnectionRefusedError("down")
        return FakeConnection()

    connections = ConnectionPool(connect, 1, 1)  # type: ignore[arg-type]
    with pytest.raises(ConnectionRefusedError):
        await connections.acquire()
    assert connections.size == 0
    assert isinstance(await connections.acquire(), FakeConnection)


async def test_a_task_cancelled_as_its_connection_opens_stops() -> None:
    """A task cancelled at the moment its connection has opened (the app's shutdown
    cancelling a background purge, say) stops: the cancellation is never lost. (asyncio's
    wait_for on Python 3.11 returned the connection instead, and the task went on to its next
    turn, hours away, with the shutdown awaiting it.)"""
    opened = asyncio.Event()

    async def connect() -> FakeConnection:
        opened.set()  # the test runs next: the moment the connection has opened
        return FakeConnection()

    connections = ConnectionPool(connect, 1, 1)  # type: ignore[arg-type]

    async def purge_forever() -> None:
        while True:
            conn = await connections.acquire()
            connections.release(conn)
            await asyncio.Event().wait()  # the next turn: never, unless cancelled

    purger = asyncio.create_task(purge_forever())
    await opened.wait()
    purger.cancel()
    for _ in range(5):  # a few passes of the loop: the cancellation arrives within them
        await asyncio.sleep(0)
    assert purger.cancelled()
    assert connections.in_use == 0


# -- idle connections retired, and expire(): real PostgreSQL connections, the loop's time
# moved by the test (ManualClockLoop) -------------------------------------------------------

postgres_only = pytest.mark.skipif(not ON_POSTGRES, reason="real PostgreSQL connections")


def postgres_pool(max_size: int = 2, max_idle: float = 300) -> ConnectionPool:
    dsn = make_url(POSTGRES_ADMIN_URL).set(drivername="postgresql").render_as_string(False)
    return ConnectionPool(lambda: asyncpg.connect(dsn), max_size, 5.0, max_idle=max_idle)


PoolScenario = Callable[[ConnectionPool, ManualClockLoop], Awaitable[None]]


def run_on_a_pool(scenario: PoolScenario) -> None:
    """``scenario`` with a pool (``max_idle`` 300 s) on a loop whose time the test moves."""

    async def run(clock: ManualClockLoop) -> None:
        connections = postgres_pool(max_idle=300)
        try:
            await scenario(connections, clock)
        finally:
            await connections.close()

    run_with_manual_clock(run)


@postgres_only
def test_a_connection_idle_for_max_idle_is_closed() -> None:
    async def scenario(connections: ConnectionPool, clock: ManualClockLoop) -> None:
        conn = await connections.acquire()
        connections.release(conn)
        await clock.advance(299.9)
        assert not conn.is_closed()
        assert connections.size == 1
        await clock.advance(0.1)
        assert conn.is_closed()
        assert connections.size == 0
        fresh = await connections.acquire()  # the place is open again
        assert fresh is not conn
        assert await fresh.fetchval("SELECT 1") == 1
        connections.release(fresh)

    run_on_a_pool(scenario)


@postgres_only
def test_each_connection_ages_from_its_own_last_use() -> None:
    async def scenario(connections: ConnectionPool, clock: ManualClockLoop) -> None:
        first, second = await connections.acquire(), await connections.acquire()
        connections.release(first)  # idle since 0
        await clock.advance(200)
        connections.release(second)  # idle since 200
        await clock.advance(100)  # 300
        assert first.is_closed()
        assert not second.is_closed()
        again = await connections.acquire()  # in use from 300
        assert again is second
        await clock.advance(150)  # 450
        connections.release(again)  # idle since 450, not 200
        await clock.advance(299)  # 749
        assert not second.is_closed()
        await clock.advance(1)  # 750
        assert second.is_closed()
        assert connections.size == 0

    run_on_a_pool(scenario)


@postgres_only
def test_a_connection_in_steady_use_is_never_retired() -> None:
    async def scenario(connections: ConnectionPool, clock: ManualClockLoop) -> None:
        conn = await connections.acquire()
        for _ in range(5):
            connections.release(conn)
            await clock.advance(250)
            assert await connections.acquire() is conn  # the last released goes first
        assert await conn.fetchval("SELECT 1") == 1
        connections.release(conn)

    run_on_a_pool(scenario)


@postgres_only
async def test_expire_closes_idle_connections_now_and_busy_ones_on_release() -> None:
    connections = postgres_pool(max_size=2)
    try:
        idle, busy = await connections.acquire(), await connections.acquire()
        pids = {idle.get_server_pid(), busy.get_server_pid()}
        connections.release(idle)
        connections.expire()
        assert idle.is_closed()
        assert await busy.fetchval("SELECT 1") == 1  # in use: left alone until it comes back
        connections.release(busy)
        assert busy.is_closed()
        assert connections.size == 0
        fresh = await connections.acquire()
        assert fresh.get_server_pid() not in pids
        connections.release(fresh)  # opened after expire(): kept
        assert await connections.acquire() is fresh
        connections.release(fresh)
    finally:
        await connections.close()


@postgres_only
async def test_an_expired_connection_coming_back_frees_its_place_for_a_waiter() -> None:
    connections = postgres_pool(max_size=1)
    try:
        busy = await connections.acquire()
        waiting = asyncio.create_task(connections.acquire())  # the pool is full
        await asyncio.sleep(0)
        connections.expire()
        connections.release(busy)
        fresh = await waiting
        assert busy.is_closed()
        assert fresh is not busy
        assert await fresh.fetchval("SELECT 1") == 1
        connections.release(fresh)
    finally:
        await connections.close()


def test_the_setting_reaches_the_pool(database_url: str) -> None:
    settings = Settings(database_url=database_url, env="test", database_max_idle_seconds=42)
    database = services_of(create_app(settings)).database
    if ON_POSTGRES:
        assert database.pool.max_idle == 42
    assert Settings(database_url=database_url).database_max_idle_seconds == 300
