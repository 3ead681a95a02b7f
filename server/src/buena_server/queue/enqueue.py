"""Enqueue a job in the caller's transaction, and wake this process's workers once it
commits.

The job row is written on the request's own connection, so it commits or rolls back with
the change that caused it: no committed change lacks its job, no rolled-back one has one.
Once the transaction has committed (``Connection.after_commit``), the workers of this
process that serve the same database are woken at once; on PostgreSQL a trigger on ``jobs``
also notifies every other process's worker (migration 0008, ``queue.listener``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime
from typing import Any
from weakref import WeakKeyDictionary

from buena_server.kit import clock
from buena_server.kit.driver import Connection
from buena_server.kit.driver.compiler import StatementCompiler
from buena_server.kit.ids import new_id
from buena_server.queue.model import DEFAULT_MAX_ATTEMPTS
from buena_server.queue.repository import JobRepository

# This process's workers, by the database they serve (its compiler: one per Database,
# shared by its connections), each as the callable that wakes it.
_workers: WeakKeyDictionary[StatementCompiler, set[Callable[[], None]]] = WeakKeyDictionary()


def listen_for_jobs(compiler: StatementCompiler, wake: Callable[[], None]) -> None:
    """Call ``wake`` whenever a transaction on this database that enqueued commits."""
    _workers.setdefault(compiler, set()).add(wake)


def stop_listening_for_jobs(compiler: StatementCompiler, wake: Callable[[], None]) -> None:
    _workers.get(compiler, set()).discard(wake)


class _WakeWorkers:
    """The after-commit hook (one per transaction, however many jobs it enqueued)."""

    __slots__ = ("compiler",)

    def __init__(self, compiler: StatementCompiler) -> None:
        self.compiler = compiler

    async def __call__(self) -> None:
        for wake in list(_workers.get(self.compiler, ())):
            wake()


async def enqueue(
    conn: Connection,
    task: str,
    payload: dict[str, Any],
    *,
    run_at: datetime | None = None,
    max_attempts: int = DEFAULT_MAX_ATTEMPTS,
) -> str:
    """Insert a job (due at ``run_at``, or now) in ``conn``'s transaction; its id."""
    job_id = new_id("job")
    now = clock.utcnow()
    await JobRepository(conn).insert(
        job_id, task, payload, run_at=run_at or now, max_attempts=max_attempts, created_at=now
    )
    wake_after_commit(conn)
    return job_id


def wake_after_commit(conn: Connection) -> None:
    """Wake this process's workers once ``conn``'s transaction commits (for callers that
    insert jobs through a statement of their own)."""
    if not any(isinstance(hook, _WakeWorkers) for hook in conn.after_commit):
        conn.after_commit.append(_WakeWorkers(conn.compiler))
