"""The queue task that runs a job, one chunk per queue job ("jobs.run_chunk").

Each run: read the job; let its kind prepare the chunk (no write transaction held); then, in
one write transaction, apply the chunk, append its result lines, record the progress (only
if the job is still at this chunk and unfinished: a chunk that an earlier run already wrote,
or a job canceled meanwhile, writes nothing), and either queue the next chunk or finish the
job with its event. The queue job is completed in that same transaction, so a crash before
the commit runs the chunk again and a crash after it cannot.

A chunk whose preparation keeps failing is retried with the queue's backoff; at its last
attempt the job fails with the error, so that no job stays running forever.
"""

from __future__ import annotations

import dataclasses
import logging
from typing import Any

import msgspec

from buena_server.events.catalogue import JOB_COMPLETED, JOB_FAILED
from buena_server.events.service import record_event
from buena_server.jobs.kinds import ChunkOutcome, JobKinds, JobRecord, UnknownJobType
from buena_server.jobs.repository import BackgroundJobRepository
from buena_server.jobs.schemas import FINISHED
from buena_server.jobs.service import RUN_TASK, chunk_payload, encode_line, public
from buena_server.kit.driver import Connection
from buena_server.queue import Job, JobContext, TaskRegistry, enqueue

logger = logging.getLogger("buena_server.jobs")


class JobRunner:
    """The "jobs.run_chunk" handler, with the kinds it can run."""

    def __init__(self, kinds: JobKinds) -> None:
        self.kinds = kinds

    async def __call__(self, job: Job, context: JobContext) -> None:
        account_id = str(job.payload["account_id"])
        job_id = str(job.payload["job_id"])
        chunk = int(job.payload["chunk"])
        database = context.database
        async with database.transaction(write=False) as conn:
            record = await BackgroundJobRepository(conn).get(account_id, job_id)
        if record is None or record.status in FINISHED or record.chunks != chunk:
            # Gone, finished (canceled), or this chunk was written by an earlier run.
            async with database.transaction(write=True) as conn:
                await context.complete_in(conn)
            return
        try:
            kind = self.kinds.get(record.type)
            work = await kind.prepare(database, context.services, record)
        except Exception as exc:
            if job.attempts < job.max_attempts and not isinstance(exc, UnknownJobType):
                raise  # the queue retries it after its backoff
            logger.exception("job %s failed at chunk %d", job_id, chunk)
            async with database.transaction(write=True) as conn:
                await self._fail(conn, record, f"{type(exc).__name__}: {exc}", context)
                await context.complete_in(conn)
            return
        async with database.transaction(write=True) as conn:
            current = await BackgroundJobRepository(conn).get(account_id, job_id, for_update=True)
            if current is not None and current.status not in FINISHED and current.chunks == chunk:
                outcome = await kind.apply(conn, context.services, current, work)
                await self._record(conn, current, chunk, outcome, context)
            await context.complete_in(conn)

    async def _record(
        self,
        conn: Connection,
        record: JobRecord,
        chunk: int,
        outcome: ChunkOutcome,
        context: JobContext,
    ) -> None:
        ended = await _record(conn, record, chunk, outcome, context)
        if ended is not None:
            await self.kinds.ended(conn, context.services, ended)

    async def _fail(
        self, conn: Connection, record: JobRecord, message: str, context: JobContext
    ) -> None:
        failed = await BackgroundJobRepository(conn).finish(
            record.account_id, record.id, "failed", message, context.clock.now()
        )
        if failed is not None:
            await record_event(
                conn, record.account_id, JOB_FAILED, {"object": msgspec.to_builtins(public(failed))}
            )
            await self.kinds.ended(conn, context.services, failed)


async def _record(
    conn: Connection, record: JobRecord, chunk: int, outcome: ChunkOutcome, context: JobContext
) -> JobRecord | None:
    """Write the chunk's lines and progress: the job as it ended, when this chunk ended it."""
    repository = BackgroundJobRepository(conn)
    now = context.clock.now()
    processed = record.processed + len(outcome.lines)
    await repository.append_results(
        record.id, record.processed, [encode_line(line) for line in outcome.lines]
    )
    finished = outcome.done or outcome.failure is not None
    status = "running"
    if finished:
        status = "failed" if outcome.failure is not None else "completed"
    changes: dict[str, Any] = {
        "status": status,
        "processed": processed,
        "succeeded": record.succeeded + outcome.succeeded,
        "failed": record.failed + outcome.failed,
        "state": outcome.state,
        "message": outcome.failure or (outcome.message if outcome.done else None),
        "started_at": record.started_at or now,
        "finished_at": now if finished else None,
        "updated_at": now,
    }
    if not await repository.advance(record.id, chunk, changes):
        return None
    if not finished:
        await enqueue(conn, RUN_TASK, chunk_payload(record, chunk + 1))
        return None
    ended = dataclasses.replace(record, **changes, chunks=chunk + 1)
    event = JOB_FAILED if status == "failed" else JOB_COMPLETED
    await record_event(
        conn, record.account_id, event, {"object": msgspec.to_builtins(public(ended))}
    )
    return ended


def register_tasks(registry: TaskRegistry, kinds: JobKinds) -> None:
    registry.register(RUN_TASK, JobRunner(kinds))
