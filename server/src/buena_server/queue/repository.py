"""Every query on the jobs table.

A claim is one statement on both databases: ``UPDATE jobs ... WHERE id IN (the due jobs,
oldest first, LIMIT n) RETURNING ...``. On PostgreSQL the inner select locks the rows it
picks with ``FOR UPDATE SKIP LOCKED``, so concurrent claims (other processes) take disjoint
jobs without waiting for each other; on SQLite the statement runs in a write transaction
(``BEGIN IMMEDIATE``), which no other writer shares. Either way the claimed rows get a lease
(``run_at`` moved to its end, ``locked_by`` the worker's token): a worker that dies leaves
its jobs due again when the lease runs out.

Every later write on a claimed job names the lease it holds (``locked_by`` and
``attempts``), so a worker whose lease ran out, and whose job another worker took, changes
nothing.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import (
    Select,
    String,
    TextClause,
    and_,
    any_,
    bindparam,
    case,
    delete,
    func,
    insert,
    literal_column,
    select,
    text,
    update,
)
from sqlalchemy.dialects import postgresql

from buena_server.kit.driver import Connection
from buena_server.queue.model import Job
from buena_server.tables import jobs

_JOB_COLUMNS = (
    jobs.c.id,
    jobs.c.task,
    jobs.c.payload,
    jobs.c.attempts,
    jobs.c.failures,
    jobs.c.max_attempts,
    jobs.c.created_at,
)
_INSERT = insert(jobs).values(
    id=bindparam("new_id"),
    task=bindparam("new_task"),
    payload=bindparam("new_payload"),
    status="queued",
    run_at=bindparam("new_run_at"),
    attempts=0,
    failures=0,
    max_attempts=bindparam("new_max_attempts"),
    created_at=bindparam("new_created_at"),
)
_DUE: Select[Any] = select(literal_column("1")).where(jobs.c.run_at <= bindparam("now")).limit(1)


def _claim(*, skip_locked: bool) -> Any:
    due = (
        select(jobs.c.id)
        .where(jobs.c.run_at <= bindparam("now"))
        .order_by(jobs.c.run_at)
        .limit(bindparam("batch"))
    )
    if skip_locked:
        due = due.with_for_update(skip_locked=True)
    return (
        update(jobs)
        .where(jobs.c.id.in_(due.scalar_subquery()))
        .values(
            status="running",
            run_at=bindparam("lease_until"),
            locked_by=bindparam("token"),
            attempts=jobs.c.attempts + 1,
            # A job still running when claimed lost its lease: its worker died (or stalled
            # past it), a failed run.
            failures=jobs.c.failures + case((jobs.c.status == "running", 1), else_=0),
        )
        .returning(*_JOB_COLUMNS)
    )


_CLAIM = {"postgresql": _claim(skip_locked=True), "sqlite": _claim(skip_locked=False)}
# PostgreSQL: the jobs this worker finished, deleted by its next claim's statement (one round
# trip for both). Jobs it still holds under its token; the deleted rows are leased, never
# due, so the claim (which sees the statement's snapshot) could not take them anyway.
_DONE = (
    delete(jobs)
    .where(
        jobs.c.id == any_(bindparam("done_ids", type_=postgresql.ARRAY(String(40)))),
        jobs.c.locked_by == bindparam("token"),
    )
    .returning(jobs.c.id)
    .cte("done")
)
_CLAIM_COMPLETING = _claim(skip_locked=True).add_cte(_DONE)
_HELD = and_(
    jobs.c.id == bindparam("job_id"),
    jobs.c.locked_by == bindparam("token"),
    jobs.c.attempts == bindparam("attempt"),
)
_COMPLETE = delete(jobs).where(_HELD)
# PostgreSQL: many completions in one statement, each row still matched to its lease.
_COMPLETE_MANY: TextClause = text(
    """DELETE FROM jobs
USING unnest(CAST(:job_ids AS TEXT[]), CAST(:attempts AS INTEGER[])) AS done(id, attempt)
WHERE jobs.id = done.id AND jobs.attempts = done.attempt AND jobs.locked_by = :token
RETURNING jobs.id"""
)
_RESCHEDULE = (
    update(jobs)
    .where(_HELD)
    .values(
        status="queued",
        run_at=bindparam("again_at"),
        locked_by=None,
        failures=jobs.c.failures + bindparam("failed"),
        last_error=bindparam("error"),
    )
)
_BURY = (
    update(jobs)
    .where(_HELD)
    .values(
        status="dead",
        run_at=None,
        locked_by=None,
        failures=jobs.c.failures + bindparam("failed"),
        last_error=bindparam("error"),
    )
)
# Still running after the worker stopped waiting for it: due again at once, this run not
# counted (it was interrupted, not failed).
_RELEASE = (
    update(jobs)
    .where(_HELD)
    .values(status="queued", run_at=bindparam("now"), locked_by=None, attempts=jobs.c.attempts - 1)
)
# The rows another statement holds are skipped, never waited for: those are being completed
# or rescheduled (grouped statements delete many of a worker's jobs at once; waiting for
# them, in whatever order, could close a cycle: a deadlock). A row skipped because that
# statement then rolled back is renewed by the next renewal, well within its lease.
_HELD_BY_TOKEN = (
    select(jobs.c.id)
    .where(jobs.c.locked_by == bindparam("token"), jobs.c.status == "running")
    .with_for_update(skip_locked=True)
)
_EXTEND = {
    "postgresql": update(jobs)
    .where(jobs.c.id.in_(_HELD_BY_TOKEN.scalar_subquery()))
    .values(run_at=bindparam("lease_until")),
    # SQLite: one writer at a time; nothing to skip.
    "sqlite": update(jobs)
    .where(jobs.c.locked_by == bindparam("token"), jobs.c.status == "running")
    .values(run_at=bindparam("lease_until")),
}
_COUNTS = select(jobs.c.status, func.count()).group_by(jobs.c.status)


def _held(job: Job, token: str) -> dict[str, Any]:
    return {"job_id": job.id, "token": token, "attempt": job.attempts}


# Errors are kept short: a traceback's worth of text in every failed row is not useful.
MAX_ERROR_CHARS = 2000


class JobRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def insert(
        self,
        job_id: str,
        task: str,
        payload: dict[str, Any],
        *,
        run_at: datetime,
        max_attempts: int,
        created_at: datetime,
    ) -> None:
        await self.conn.execute(
            _INSERT,
            {
                "new_id": job_id,
                "new_task": task,
                "new_payload": payload,
                "new_run_at": run_at,
                "new_max_attempts": max_attempts,
                "new_created_at": created_at,
            },
        )

    async def any_due(self, now: datetime) -> bool:
        """Whether a job is due (a read: cheaper than a claim that finds nothing)."""
        return (await self.conn.execute(_DUE, {"now": now})).first() is not None

    async def claim(
        self,
        *,
        now: datetime,
        lease_until: datetime,
        token: str,
        batch: int,
        done: list[Job] | None = None,
    ) -> list[Job]:
        """Up to ``batch`` due jobs, oldest first, leased to ``token`` until ``lease_until``;
        first, the jobs of ``done`` (finished under ``token``) are deleted, in the same
        statement on PostgreSQL."""
        values = {"now": now, "lease_until": lease_until, "token": token, "batch": batch}
        statement = _CLAIM[self.conn.dialect.name]
        if done and self.conn.dialect.name == "postgresql":
            statement = _CLAIM_COMPLETING
            values["done_ids"] = [job.id for job in done]
        elif done:
            await self.complete_many(done, token)
        result = await self.conn.execute(statement, values)
        claimed = [Job(*row) for row in result.all()]
        return sorted(claimed, key=lambda job: job.created_at)

    async def complete(self, job: Job, token: str) -> bool:
        """Delete the job; False when its lease is no longer ``token``'s."""
        return (await self.conn.execute(_COMPLETE, _held(job, token))).rowcount == 1

    async def complete_many(self, done: list[Job], token: str) -> int:
        """Delete every job of ``done`` whose lease is still ``token``'s; how many."""
        if self.conn.dialect.name == "postgresql":
            values = {
                "job_ids": [job.id for job in done],
                "attempts": [job.attempts for job in done],
                "token": token,
            }
            # A text statement's rows are what it returns (its row count is not read).
            return len((await self.conn.execute(_COMPLETE_MANY, values)).all())
        completed = 0
        for job in done:
            completed += (await self.conn.execute(_COMPLETE, _held(job, token))).rowcount
        return completed

    async def reschedule(
        self, job: Job, token: str, *, again_at: datetime, failed: bool, error: str | None
    ) -> bool:
        values = {
            **_held(job, token),
            "again_at": again_at,
            "failed": int(failed),
            "error": _short(error),
        }
        return (await self.conn.execute(_RESCHEDULE, values)).rowcount == 1

    async def bury(self, job: Job, token: str, *, failed: bool, error: str | None) -> bool:
        """Mark the job dead: never claimed again, kept for inspection."""
        values = {**_held(job, token), "failed": int(failed), "error": _short(error)}
        return (await self.conn.execute(_BURY, values)).rowcount == 1

    async def release(self, job: Job, token: str, *, now: datetime) -> bool:
        return (await self.conn.execute(_RELEASE, {**_held(job, token), "now": now})).rowcount == 1

    async def extend(self, token: str, *, lease_until: datetime) -> int:
        """Move the lease of every job ``token`` is running; how many."""
        result = await self.conn.execute(
            _EXTEND[self.conn.dialect.name], {"token": token, "lease_until": lease_until}
        )
        return result.rowcount

    async def counts(self) -> dict[str, int]:
        """Jobs by status (queued, running, dead)."""
        return {status: int(count) for status, count in (await self.conn.execute(_COUNTS)).all()}


def _short(error: str | None) -> str | None:
    return None if error is None else error[:MAX_ERROR_CHARS]
