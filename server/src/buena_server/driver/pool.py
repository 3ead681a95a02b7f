"""The PostgreSQL connections of one process."""

from __future__ import annotations

import asyncio
from collections import deque
from collections.abc import Awaitable, Callable
from typing import Any

import asyncpg


class ConnectionPool:
    """asyncpg connections for one process: up to ``max_size``, opened when first needed.

    Kept over asyncpg's own pool by measurement (docs/decisions/connection-pool.md): with it,
    ``GET /leads/{id}`` cost 475k instead of 324k instructions and 0.78 of the throughput (a
    proxy per connection, a task per release, timers); this one is a list of idle
    connections and a queue of waiters.
    A connection found closed is dropped and its place opened again on demand; one released
    inside a transaction (a failed rollback) is terminated. Connections carry no session
    state (settings come with the connect parameters), so nothing is reset between uses.
    """

    def __init__(
        self, connect: Callable[[], Awaitable[asyncpg.Connection]], max_size: int, timeout: float
    ) -> None:
        self._connect = connect
        self.max_size = max_size
        self.timeout = timeout
        self._idle: list[asyncpg.Connection] = []
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self.size = 0  # open connections, idle or in use
        self.closed = False

    async def acquire(self) -> asyncpg.Connection:
        """An open connection, within ``timeout`` seconds in all (waiting for a free place,
        then opening a connection in it, counts once)."""
        deadline: float | None = None
        while True:
            while self._idle:
                conn = self._idle.pop()
                if not conn.is_closed():
                    return conn
                self.size -= 1
            if self.closed:
                raise ConnectionError("the connection pool is closed")
            now = asyncio.get_running_loop().time()
            deadline = now + self.timeout if deadline is None else deadline
            if self.size < self.max_size:
                self.size += 1
                try:
                    return await asyncio.wait_for(self._connect(), max(deadline - now, 0))
                except BaseException:
                    self.size -= 1
                    self._hand_over(None)
                    raise
            conn = await self._wait(deadline - now)
            if conn is not None:
                return conn
            # None: a connection closed; its place is free for this waiter to open.

    async def _wait(self, within: float) -> asyncpg.Connection | None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[asyncpg.Connection | None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(within, _expire, waiter, self.timeout)
        try:
            return await waiter
        except BaseException:
            # Cancelled after a connection was handed over: pass it on.
            if waiter.done() and not waiter.cancelled() and waiter.exception() is None:
                handed = waiter.result()
                if handed is not None:
                    self.release(handed)
                else:
                    self._hand_over(None)
            raise
        finally:
            timer.cancel()

    def release(self, conn: asyncpg.Connection) -> None:
        if self.closed or conn.is_closed() or conn.is_in_transaction():
            if not conn.is_closed():
                conn.terminate()
            self.size -= 1
            self._hand_over(None)
            return
        if not self._hand_over(conn):
            self._idle.append(conn)

    @property
    def in_use(self) -> int:
        return self.size - len(self._idle)

    @property
    def waiting(self) -> int:
        # A copy first: the metrics listener's thread may read this while the loop appends.
        return sum(1 for waiter in tuple(self._waiters) if not waiter.done())

    def _hand_over(self, conn: asyncpg.Connection | None) -> bool:
        """Give ``conn`` (or, as None, a free place) to the first waiter still waiting."""
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_result(conn)
                return True
        return False

    async def close(self) -> None:
        self.closed = True
        idle, self._idle = self._idle, []
        for conn in idle:
            self.size -= 1
            await conn.close(timeout=self.timeout)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("the connection pool is closed"))


def _expire(waiter: asyncio.Future[Any], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no database connection free within {timeout}s"))
