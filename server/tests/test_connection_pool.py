"""driver.ConnectionPool: bounded, waits in order, gives up after its timeout, replaces closed
connections, and never loses a connection to a cancelled waiter."""

from __future__ import annotations

import asyncio
import itertools

import pytest

from buena_server.driver import ConnectionPool


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
