"""Submitting jobs (for the domains whose work is long), listing, reading, canceling them
and streaming their results."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TYPE_CHECKING, Any

import msgspec

from buena_server.errors import JobFinished, JobNotFound
from buena_server.jobs.kinds import JobKinds, JobRecord
from buena_server.jobs.repository import BackgroundJobRepository, JobQuery
from buena_server.jobs.schemas import Job, JobStatistics, ListJobsResponse
from buena_server.kit import clock
from buena_server.kit.driver import Connection, Database
from buena_server.kit.ids import is_plausible_id, new_id
from buena_server.kit.openapi_docs import BASE_PATH
from buena_server.queue import enqueue

if TYPE_CHECKING:
    from buena_server.services import Services

RUN_TASK = "jobs.run_chunk"
CANCELED_MESSAGE = "Canceled by request"


def public(record: JobRecord) -> Job:
    if record.status == "completed":
        progress = 100
    else:
        progress = min(100, record.processed * 100 // record.total) if record.total else 0
    return Job(
        id=record.id,
        type=record.type,
        status=record.status,  # type: ignore[arg-type]  # one of JOB_STATUSES, as written
        progress=progress,
        total=record.total,
        processed=record.processed,
        succeeded=record.succeeded,
        failed=record.failed,
        message=record.message,
        result_url=f"{BASE_PATH}/jobs/{record.id}/result",
        created_at=record.created_at,
        started_at=record.started_at,
        finished_at=record.finished_at,
        updated_at=record.updated_at,
    )


async def submit_job(
    conn: Connection,
    account_id: str,
    job_type: str,
    *,
    total: int,
    params: dict[str, Any],
    state: dict[str, Any] | None = None,
) -> Job:
    """Write a pending job and the queue job of its first chunk in ``conn``'s transaction:
    they commit with the request that asked for the work, or neither does."""
    now = clock.utcnow()
    record = JobRecord(
        id=new_id("job"),
        account_id=account_id,
        type=job_type,
        status="pending",
        total=total,
        processed=0,
        succeeded=0,
        failed=0,
        chunks=0,
        message=None,
        params=params,
        state=state or {},
        created_at=now,
        started_at=None,
        finished_at=None,
        updated_at=now,
    )
    await BackgroundJobRepository(conn).insert(record)
    await enqueue(conn, RUN_TASK, chunk_payload(record, 0))
    return public(record)


def chunk_payload(record: JobRecord, chunk: int) -> dict[str, Any]:
    return {"account_id": record.account_id, "job_id": record.id, "chunk": chunk}


def job_finished(job_id: str, status: str) -> JobFinished:
    return JobFinished(
        f"Job {job_id!r} has already finished ({status})",
        details={"job_id": job_id, "status": status},
    )


def job_not_found(job_id: str) -> JobNotFound:
    return JobNotFound(f"Job {job_id!r} not found", details={"job_id": job_id})


class JobService:
    def __init__(self, services: Services, kinds: JobKinds) -> None:
        self.services = services
        self.database: Database = services.database
        self.kinds = kinds

    async def list(self, account_id: str, query: JobQuery) -> ListJobsResponse:
        async with self.database.transaction(write=False) as conn:
            repository = BackgroundJobRepository(conn)
            records, total = await repository.find_page(account_id, query)
            counts = await repository.count_by_status(account_id, query)
        finished = counts.get("completed", 0) + counts.get("failed", 0)
        statistics = JobStatistics(
            total=sum(counts.values()),
            pending=counts.get("pending", 0),
            running=counts.get("running", 0),
            completed=counts.get("completed", 0),
            failed=counts.get("failed", 0),
            canceled=counts.get("canceled", 0),
            success_rate=round(counts.get("completed", 0) / finished, 4) if finished else None,
        )
        return ListJobsResponse(
            data=[public(record) for record in records],
            total=total,
            limit=query.limit,
            offset=query.offset,
            statistics=statistics,
        )

    async def get(self, account_id: str, job_id: str) -> Job:
        async with self.database.transaction(write=False) as conn:
            return public(await self._find(conn, account_id, job_id))

    async def cancel(self, account_id: str, job_id: str) -> Job:
        """Cancel a pending or running job at once: its chunk in progress, if any, is
        discarded (what earlier chunks did stays done). 409 once it has finished."""
        async with self.database.transaction(write=True) as conn:
            repository = BackgroundJobRepository(conn)
            canceled = await repository.finish(
                account_id, job_id, "canceled", CANCELED_MESSAGE, clock.utcnow()
            )
            if canceled is not None:
                await self.kinds.ended(conn, self.services, canceled)
                return public(canceled)
            current = await self._find(conn, account_id, job_id)
        raise job_finished(job_id, current.status)

    async def result_lines(
        self, account_id: str, job_id: str, chunk_size: int
    ) -> AsyncIterator[bytes]:
        """The job's result as NDJSON, read ``chunk_size`` lines at a time (a transaction
        each, so a long download holds no snapshot); 404 before the first byte."""
        async with self.database.transaction(write=False) as conn:
            await self._find(conn, account_id, job_id)
        return self._stream(job_id, chunk_size)

    async def _stream(self, job_id: str, chunk_size: int) -> AsyncIterator[bytes]:
        after = -1
        while True:
            async with self.database.transaction(write=False) as conn:
                rows = await BackgroundJobRepository(conn).results_after(job_id, after, chunk_size)
            if not rows:
                return
            after = int(rows[-1][0])
            yield "".join(f"{row[1]}\n" for row in rows).encode("utf-8")
            if len(rows) < chunk_size:
                return

    @staticmethod
    async def _find(conn: Connection, account_id: str, job_id: str) -> JobRecord:
        record = (
            await BackgroundJobRepository(conn).get(account_id, job_id)
            if is_plausible_id(job_id)
            else None
        )
        if record is None:
            raise job_not_found(job_id)
        return record


def encode_line(line: dict[str, Any]) -> str:
    return msgspec.json.encode(line).decode("utf-8")
