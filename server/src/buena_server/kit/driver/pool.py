"""The PostgreSQL connections of one process."""

from __future__ import annotations

import asyncio
import contextlib
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

    What asyncpg's pool would have done for us, done here:

    - A connection found closed is dropped and its place opened again on demand; one released
      inside a transaction (a failed rollback) is terminated. Connections carry no session
      state (settings come with the connect parameters), so nothing is reset between uses.
    - A connection idle for ``max_idle`` seconds is closed (asyncpg's
      ``max_inactive_connection_lifetime``): one that a NAT or a load balancer dropped
      silently is never found by a request, which would wait out the command timeout on it.
      Idle connections are a stack, the last released taken first, so under light load the
      few in use stay warm and the rest age out. One timer serves the whole pool.
    - :meth:`expire` closes every connection open now, the idle ones at once and the ones in
      use as they come back (asyncpg's ``expire_connections``): after a failover, say.

    Times are the event loop's, like every other deadline of the driver.
    """

    def __init__(
        self,
        connect: Callable[[], Awaitable[asyncpg.Connection]],
        max_size: int,
        timeout: float,
        *,
        max_idle: float = 300.0,
    ) -> None:
        self._connect = connect
        self.max_size = max_size
        self.timeout = timeout
        self.max_idle = max_idle
        # Idle connections with the loop time each came back, oldest first (a stack: taken
        # from the end, so the times only grow towards it).
        self._idle: list[tuple[asyncpg.Connection, float]] = []
        self._waiters: deque[asyncio.Future[asyncpg.Connection | None]] = deque()
        self._open: set[asyncpg.Connection] = set()
        self._expired: set[asyncpg.Connection] = set()  # in use when expire() was called
        self._retiring: asyncio.TimerHandle | None = None  # when the oldest idle one is due
        self.size = 0  # open connections, idle or in use, and places being opened
        self.closed = False

    async def acquire(self) -> asyncpg.Connection:
        """An open connection, within ``timeout`` seconds in all (waiting for a free place,
        then opening a connection in it, counts once)."""
        deadline: float | None = None
        while True:
            while self._idle:
                conn = self._idle.pop()[0]
                if not conn.is_closed():
                    return conn
                self._drop(conn)
            if self.closed:
                raise ConnectionError("the connection pool is closed")
            now = asyncio.get_running_loop().time()
            deadline = now + self.timeout if deadline is None else deadline
            if self.size < self.max_size:
                self.size += 1
                try:
                    # asyncio.timeout, not wait_for: on Python 3.11, wait_for loses a
                    # cancellation that comes as the connection opens (it returns the
                    # connection instead), and the cancelled task goes on: a shutdown that
                    # awaits it waits forever.
                    async with asyncio.timeout(max(deadline - now, 0)):
                        conn = await self._connect()
                except BaseException:
                    self.size -= 1
                    self._hand_over(None)
                    raise
                self._open.add(conn)
                return conn
            conn = await self._wait(deadline - now)
            if conn is not None:
                return conn
            # None: a connection closed; its place is free for this waiter to open.

    async def _wait(self, within: float) -> asyncpg.Connection | None:
        loop = asyncio.get_running_loop()
        waiter: asyncio.Future[asyncpg.Connection | None] = loop.create_future()
        self._waiters.append(waiter)
        timer = loop.call_later(within, _give_up, waiter, self.timeout)
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
        if (
            self.closed
            or conn.is_closed()
            or conn.is_in_transaction()
            or (self._expired and conn in self._expired)
        ):
            self._drop(conn)
            self._hand_over(None)
            return
        if not self._hand_over(conn):
            loop = asyncio.get_running_loop()
            self._idle.append((conn, loop.time()))
            if self._retiring is None:
                self._retire_later(loop)

    def expire(self) -> None:
        """Close every connection open now: the idle ones at once, those in use when they
        come back; the next requests open new ones."""
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            self._drop(conn)
        self._expired = set(self._open)

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

    def _drop(self, conn: asyncpg.Connection) -> None:
        """Close ``conn`` (at once: it is idle, or unusable) and free its place."""
        if not conn.is_closed():
            conn.terminate()
        self._open.discard(conn)
        self._expired.discard(conn)
        self.size -= 1

    def _retire_later(self, loop: asyncio.AbstractEventLoop) -> None:
        self._retiring = loop.call_at(self._idle[0][1] + self.max_idle, self._retire_idle)

    def _retire_idle(self) -> None:
        """Close the connections idle for ``max_idle`` seconds; wait for the next one due."""
        self._retiring = None
        loop = asyncio.get_running_loop()
        due = loop.time() - self.max_idle
        stale = 0
        while stale < len(self._idle) and self._idle[stale][1] <= due:
            stale += 1
        retired, self._idle[:stale] = self._idle[:stale], []
        for conn, _ in retired:
            self._drop(conn)
        if self._idle:
            self._retire_later(loop)

    async def close(self) -> None:
        self.closed = True
        if self._retiring is not None:
            self._retiring.cancel()
            self._retiring = None
        idle, self._idle = self._idle, []
        for conn, _ in idle:
            self._open.discard(conn)
            self.size -= 1
            # A goodbye a hung server never answers is given up on (asyncpg then aborts the
            # connection), so that closing goes on to the next one and ends.
            with contextlib.suppress(OSError, TimeoutError, asyncpg.PostgresError):
                await conn.close(timeout=self.timeout)
        while self._waiters:
            waiter = self._waiters.popleft()
            if not waiter.done():
                waiter.set_exception(ConnectionError("the connection pool is closed"))


def _give_up(waiter: asyncio.Future[Any], timeout: float) -> None:
    if not waiter.done():
        waiter.set_exception(TimeoutError(f"no database connection free within {timeout}s"))
