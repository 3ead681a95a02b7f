"""PostgreSQL: statements that concurrent single-write blocks run as one."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from sqlalchemy import exc as sa_exc
from sqlalchemy.sql import ClauseElement

from buena_server.kit.driver.results import Result


class StatementGroups:
    """Statements that concurrent blocks run as one (``Connection.execute_together``).

    Each block's values wait until the end of the current pass of the event loop, then the
    blocks that asked for the same statement run it once, with each name bound to the array
    of their values (up to ``max_rows`` blocks a statement). At most ``max_running`` groups
    run at a time (one, by default: measured best, see docs/design.md): while one runs,
    newcomers gather into the next, so the busier the server, the larger the groups and the
    fewer the statements PostgreSQL plans, runs and commits. A lone request waits for nothing
    but the end of its pass. A group still running after ``stall_after`` seconds (waiting
    for a row another transaction holds, say) stops counting against ``max_running``, so
    that it holds up only its own blocks; at most ``max_groups`` run in all.

    A group's statement succeeds or fails as a whole. When it fails for what it was given (a
    value, a constraint), each of its blocks runs the statement again on its own, so that
    each gets its own outcome: one block's bad value is never another block's error. When
    it fails because the database is not answering as it should (``OperationalError``: a
    lost connection, a timeout, a deadlock), every block gets that error at once: alone, each
    would most likely fail the same way, after a timeout of its own.

    A block whose group has not started within ``wait_timeout`` seconds (every running group
    stalled on a database that does not answer) fails with ``OperationalError``, its
    statement never sent; once started, its connection and statement are bounded by the
    database's own timeouts.
    """

    def __init__(
        self,
        execute: Callable[[ClauseElement, Mapping[str, Any]], Awaitable[Result]],
        *,
        wait_timeout: float = 5.0,
        max_rows: int = 64,
        max_running: int = 1,
        stall_after: float = 0.1,
        max_groups: int = 8,
    ) -> None:
        self._execute = execute
        self.wait_timeout = wait_timeout
        self.max_rows = max_rows
        self.max_running = max_running
        self.stall_after = stall_after
        self.max_groups = max_groups
        # By statement identity: (the statement, its waiting blocks' values and futures).
        self._waiting: dict[int, tuple[ClauseElement, list[_Ask]]] = {}
        # Each running group's task, and the loop time it started.
        self._running: dict[asyncio.Task[None], float] = {}
        self._scheduled = False
        # When blocks are left waiting: a call of _start when the oldest has waited too long.
        self._watchdog: asyncio.TimerHandle | None = None

    async def execute(self, statement: ClauseElement, parameters: Mapping[str, Any]) -> Result:
        loop = asyncio.get_running_loop()
        future: asyncio.Future[Result] = loop.create_future()
        waiting = self._waiting.get(id(statement))
        if waiting is None or waiting[0] is not statement:
            waiting = self._waiting[id(statement)] = (statement, [])
        waiting[1].append((parameters, future, loop.time()))
        if not self._scheduled:
            self._scheduled = True
            loop.call_soon(self._start)
        return await future

    def _may_start(self, now: float) -> bool:
        if len(self._running) >= self.max_groups:
            return False
        moving = sum(1 for started in self._running.values() if now - started < self.stall_after)
        return moving < self.max_running

    def _start(self) -> None:
        self._scheduled = False
        loop = asyncio.get_running_loop()
        while self._waiting and self._may_start(loop.time()):
            key = next(iter(self._waiting))
            statement, asks = self._waiting[key]
            if len(asks) > self.max_rows:
                self._waiting[key] = (statement, asks[self.max_rows :])
                asks = asks[: self.max_rows]
            else:
                del self._waiting[key]
            asks = [ask for ask in asks if not ask[1].done()]  # cancelled or expired meanwhile
            if asks:
                task = loop.create_task(self._run(statement, asks))
                self._running[task] = loop.time()
                task.add_done_callback(self._finished)
                loop.call_later(self.stall_after, self._start)  # if it stalls
        if self._waiting:
            self._give_up_waiting(loop)

    def _give_up_waiting(self, loop: asyncio.AbstractEventLoop) -> None:
        """Fail the blocks that have waited ``wait_timeout`` to start, and make sure this
        runs again when the oldest of the others will have (blocks ask in time order, so
        each statement's first block is its oldest)."""
        now = loop.time()
        oldest: float | None = None
        for key, (statement, asks) in list(self._waiting.items()):
            if now - asks[0][2] >= self.wait_timeout:
                for _, future, asked in asks:
                    if not future.done() and now - asked >= self.wait_timeout:
                        future.set_exception(_waited_too_long(self.wait_timeout))
                asks = [ask for ask in asks if not ask[1].done()]
                if not asks:
                    del self._waiting[key]
                    continue
                self._waiting[key] = (statement, asks)
            oldest = asks[0][2] if oldest is None else min(oldest, asks[0][2])
        if oldest is not None and self._watchdog is None:
            self._watchdog = loop.call_at(oldest + self.wait_timeout, self._watch)

    def _watch(self) -> None:
        self._watchdog = None
        self._start()

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        self._start()

    async def _run(self, statement: ClauseElement, asks: list[_Ask]) -> None:
        names = asks[0][0].keys()
        try:
            result = await self._execute(
                statement, {name: [values[name] for values, _, _ in asks] for name in names}
            )
        except asyncio.CancelledError:  # shutting down: its blocks are not left waiting
            for _, future, _ in asks:
                future.cancel()
            raise
        except Exception as exc:
            if len(asks) > 1 and not isinstance(exc, sa_exc.OperationalError):
                # Each block still waiting alone: its own outcome (see the class docstring).
                alone = [ask for ask in asks if not ask[1].done()]
                await asyncio.gather(*(self._run(statement, [ask]) for ask in alone))
                return
            for _, future, _ in asks:
                if not future.done():
                    future.set_exception(exc)
            return
        for _, future, _ in asks:
            if not future.done():
                future.set_result(result)

    async def drain(self) -> None:
        """Wait until every group asked for so far has run."""
        while self._running or self._waiting:
            if self._running:
                await asyncio.wait(set(self._running))
            else:
                await asyncio.sleep(0)


# A block's values, the future its result arrives on, and the loop time it asked.
_Ask = tuple[Mapping[str, Any], "asyncio.Future[Result]", float]


def _waited_too_long(timeout: float) -> sa_exc.OperationalError:
    reason = TimeoutError(f"no statement group free within {timeout}s")
    return sa_exc.OperationalError("statement group", None, reason)
