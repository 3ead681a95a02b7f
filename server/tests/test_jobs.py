"""Jobs (jobs/): long work run a chunk at a time on the durable queue, followed with
GET /jobs, its result streamed, canceled. The kinds here are the tests' own (squares of
numbers, and one whose preparation always fails); the enrichment kind is tested with
enrichment. The worker runs in the test (``run_pending``) and time moves through the
project clock."""

from __future__ import annotations

import asyncio
import json
import random
from datetime import timedelta
from typing import Any

import pytest

from buena_server.jobs.kinds import ChunkOutcome, JobKinds, JobRecord
from buena_server.jobs.repository import BackgroundJobRepository
from buena_server.jobs.retention import purge_expired
from buena_server.jobs.runner import JobRunner
from buena_server.jobs.service import RUN_TASK, submit_job
from buena_server.kit.clock import utcnow
from buena_server.kit.driver import Connection, Database
from buena_server.queue import SYSTEM_CLOCK, Job, JobContext, TaskRegistry, Worker
from buena_server.services import Services, services_of

from server_testing import API, Account, InProcessClient, MovedClock, assert_error


class Squares:
    """Squares each number; a negative number is that item's failure."""

    type = "test.squares"

    def __init__(self) -> None:
        self.prepared: list[int] = []  # the chunks prepared, by their first index
        self.barrier: asyncio.Barrier | None = None  # runs that prepare together wait here
        self.hang_at: int | None = None  # a chunk whose preparation never ends (a crash)
        self.hung = asyncio.Event()  # set once that chunk's preparation has begun
        self.finished: list[tuple[str, str, int]] = []  # (id, status, processed) at its end

    async def prepare(self, database: Database, services: Services, job: JobRecord) -> Any:
        start = int(job.state.get("next", 0))
        self.prepared.append(start)
        if self.barrier is not None:
            await self.barrier.wait()
        if start == self.hang_at:
            self.hung.set()
            await asyncio.Event().wait()
        numbers = job.params["numbers"][start : start + int(job.params["chunk"])]
        return start, numbers

    async def apply(
        self, conn: Connection, services: Services, job: JobRecord, work: Any
    ) -> ChunkOutcome:
        start, numbers = work
        lines = [
            {"n": n, "square": n * n} if n >= 0 else {"n": n, "error": "negative"} for n in numbers
        ]
        failed = sum(1 for n in numbers if n < 0)
        end = start + len(numbers)
        return ChunkOutcome(
            lines=lines,
            succeeded=len(numbers) - failed,
            failed=failed,
            state={"next": end},
            done=end >= len(job.params["numbers"]),
        )

    async def finish(self, conn: Connection, services: Services, job: JobRecord) -> None:
        self.finished.append((job.id, job.status, job.processed))


class Broken:
    """Its preparation always fails (an outside service that stays down)."""

    type = "test.broken"

    async def prepare(self, database: Database, services: Services, job: JobRecord) -> Any:
        raise ConnectionError("provider unreachable")

    async def apply(
        self, conn: Connection, services: Services, job: JobRecord, work: Any
    ) -> ChunkOutcome:
        raise AssertionError("never prepared")

    async def finish(self, conn: Connection, services: Services, job: JobRecord) -> None:
        BROKEN_ENDS.append((job.id, job.status))


BROKEN_ENDS: list[tuple[str, str]] = []


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"worker_in_serve": False}  # the test runs the worker


@pytest.fixture
def services(client: InProcessClient) -> Services:
    return services_of(client.app)


@pytest.fixture
def squares() -> Squares:
    return Squares()


@pytest.fixture
def runner(squares: Squares) -> JobRunner:
    return JobRunner(JobKinds([squares, Broken()]))


@pytest.fixture
def worker(services: Services, runner: JobRunner) -> Worker:
    registry = TaskRegistry()
    registry.register(RUN_TASK, runner)
    return Worker(services.database, registry, services, rng=random.Random(5))


async def submit(
    services: Services,
    account: Account,
    numbers: list[int],
    *,
    chunk: int = 2,
    kind: str = Squares.type,
) -> str:
    async with services.database.transaction(write=True) as conn:
        job = await submit_job(
            conn,
            account.id,
            kind,
            total=len(numbers),
            params={"numbers": numbers, "chunk": chunk},
        )
    assert (job.status, job.progress) == ("pending", 0)
    return job.id


async def get_job(account: Account, job_id: str) -> dict[str, Any]:
    response = await account.client.get(f"{API}/jobs/{job_id}", headers=account.headers())
    assert response.status_code == 200, response.text
    body: dict[str, Any] = response.json()
    return body


async def result(account: Account, job_id: str) -> list[dict[str, Any]]:
    response = await account.client.get(f"{API}/jobs/{job_id}/result", headers=account.headers())
    assert response.status_code == 200, response.text
    assert response.headers["content-type"].startswith("application/x-ndjson")
    return [json.loads(line) for line in response.text.splitlines()]


async def events_of(account: Account, event_type: str) -> list[dict[str, Any]]:
    response = await account.client.get(
        f"{API}/events", params={"type": event_type}, headers=account.headers()
    )
    assert response.status_code == 200, response.text
    data: list[dict[str, Any]] = response.json()["data"]
    return data


async def test_a_job_runs_chunk_by_chunk_to_completion(
    services: Services, account: Account, worker: Worker, squares: Squares
) -> None:
    job_id = await submit(services, account, [1, 2, 3, -4, 5])
    pending = await get_job(account, job_id)
    assert (pending["status"], pending["started_at"], pending["result_url"]) == (
        "pending", None, f"{API}/jobs/{job_id}/result",
    )  # fmt: skip
    assert await worker.run_pending() == 3  # three chunks, one queue job each
    assert squares.prepared == [0, 2, 4]
    assert squares.finished == [(job_id, "completed", 5)]  # its kind's end, once
    done = await get_job(account, job_id)
    counts = ("status", "progress", "total", "processed", "succeeded", "failed")
    assert {k: done[k] for k in counts} == {
        "status": "completed", "progress": 100, "total": 5, "processed": 5, "succeeded": 4,
        "failed": 1,
    }  # fmt: skip
    assert done["started_at"] is not None
    assert done["finished_at"] is not None
    assert await result(account, job_id) == [
        {"n": 1, "square": 1}, {"n": 2, "square": 4}, {"n": 3, "square": 9},
        {"n": -4, "error": "negative"}, {"n": 5, "square": 25},
    ]  # fmt: skip
    [event] = await events_of(account, "job.completed")
    assert event["data"]["object"] == done


async def test_a_long_result_streams_in_order(
    services: Services, account: Account, worker: Worker
) -> None:
    numbers = list(range(2_345))
    job_id = await submit(services, account, numbers, chunk=1000)
    await worker.run_pending()
    lines = await result(account, job_id)
    assert [line["n"] for line in lines] == numbers


async def test_a_chunk_run_twice_at_once_is_written_once(
    services: Services, account: Account, worker: Worker, runner: JobRunner, squares: Squares
) -> None:
    """Two runs of one chunk (a lease lost while the first still ran): both prepare, one
    writes; the job ends with each item once."""
    job_id = await submit(services, account, [1, 2, 3], chunk=2)
    job = Job(
        id="job_duplicate", task=RUN_TASK, created_at=utcnow(), attempts=1, failures=0,
        max_attempts=25, payload={"account_id": account.id, "job_id": job_id, "chunk": 0},
    )  # fmt: skip

    def context() -> JobContext:
        return JobContext(services.database, services, SYSTEM_CLOCK, job, "wkr_test")

    squares.barrier = asyncio.Barrier(2)
    await asyncio.gather(runner(job, context()), runner(job, context()))
    squares.barrier = None
    assert squares.prepared == [0, 0]
    await worker.run_pending()  # the queued chunk 0 (skipped), then chunk 1
    assert [line["n"] for line in await result(account, job_id)] == [1, 2, 3]
    assert (await get_job(account, job_id))["processed"] == 3
    assert squares.finished == [(job_id, "completed", 3)]


async def test_a_job_whose_worker_died_mid_chunk_resumes_there(
    services: Services,
    account: Account,
    runner: JobRunner,
    squares: Squares,
    moved_clock: MovedClock,
) -> None:
    """A worker stopped in the middle of chunk 1 (its process killed: nothing it held is
    released); once the lease runs out, another process's worker runs chunk 1 and the rest.
    The result holds each item once."""
    job_id = await submit(services, account, [1, 2, 3, 4, 5])

    def new_worker() -> Worker:
        registry = TaskRegistry()
        registry.register(RUN_TASK, runner)
        return Worker(services.database, registry, services, lease_seconds=30)

    squares.hang_at = 2
    dying = asyncio.create_task(new_worker().run_pending())
    await squares.hung.wait()
    assert squares.prepared == [0, 2]
    dying.cancel()  # the process is gone: no lease released, nothing more written
    with pytest.raises(asyncio.CancelledError):
        await dying
    squares.hang_at = None
    assert (await get_job(account, job_id))["processed"] == 2
    survivor = new_worker()
    assert await survivor.run_pending() == 0  # chunk 1 is still leased
    moved_clock.advance(31)
    assert await survivor.run_pending() == 2  # chunk 1 again, then chunk 2
    assert [line["n"] for line in await result(account, job_id)] == [1, 2, 3, 4, 5]
    assert (await get_job(account, job_id))["status"] == "completed"


async def test_cancel_stops_a_job_and_a_finished_job_cannot_be(
    services: Services, account: Account, worker: Worker, squares: Squares
) -> None:
    job_id = await submit(services, account, [1, 2, 3, 4])
    response = await account.client.post(f"{API}/jobs/{job_id}/cancel", headers=account.headers())
    assert response.status_code == 200, response.text
    canceled = response.json()
    assert (canceled["status"], canceled["message"]) == ("canceled", "Canceled by request")
    assert canceled["finished_at"] is not None
    await worker.run_pending()
    assert squares.prepared == []  # its queued chunk did nothing
    assert await get_job(account, job_id) == canceled
    again = await account.client.post(f"{API}/jobs/{job_id}/cancel", headers=account.headers())
    body = assert_error(again, 409, "JOB_ALREADY_FINISHED")
    assert body["details"] == {"job_id": job_id, "status": "canceled"}


async def test_a_job_failing_past_its_retries_fails_with_its_event(
    services: Services, account: Account, worker: Worker, moved_clock: MovedClock
) -> None:
    job_id = await submit(services, account, [1], kind=Broken.type)
    for _ in range(30):  # the queue's backoff between tries, an hour at most
        await worker.run_pending()
        moved_clock.advance(timedelta(hours=1).total_seconds())
    failed = await get_job(account, job_id)
    assert failed["status"] == "failed"
    assert failed["message"] == "ConnectionError: provider unreachable"
    assert BROKEN_ENDS.count((job_id, "failed")) == 1
    [event] = await events_of(account, "job.failed")
    assert event["data"]["object"]["id"] == job_id


async def test_a_job_of_an_unknown_type_fails_at_once(
    services: Services, account: Account, worker: Worker
) -> None:
    job_id = await submit(services, account, [1], kind="test.unknown")
    assert await worker.run_pending() == 1
    failed = await get_job(account, job_id)
    assert (failed["status"], failed["message"]) == (
        "failed", "UnknownJobType: no kind for job type 'test.unknown'",
    )  # fmt: skip


async def test_list_filters_and_statistics(
    services: Services, account: Account, other_account: Account, worker: Worker
) -> None:
    done = await submit(services, account, [1])
    await worker.run_pending()
    failed = await submit(services, account, [1], kind="test.unknown")
    await worker.run_pending()
    pending = await submit(services, account, [1, 2])
    await submit(services, other_account, [1])

    async def listed(**params: str) -> dict[str, Any]:
        response = await account.client.get(f"{API}/jobs", params=params, headers=account.headers())
        assert response.status_code == 200, response.text
        body: dict[str, Any] = response.json()
        return body

    everything = await listed()
    assert [job["id"] for job in everything["data"]] == [pending, failed, done]
    assert everything["statistics"] == {
        "total": 3, "pending": 1, "running": 0, "completed": 1, "failed": 1, "canceled": 0,
        "success_rate": 0.5,
    }  # fmt: skip
    only_pending = await listed(status="pending")
    assert ([j["id"] for j in only_pending["data"]], only_pending["total"]) == ([pending], 1)
    assert only_pending["statistics"]["total"] == 3  # statistics ignore the status filter
    squares_only = await listed(type=Squares.type)
    assert (squares_only["statistics"]["failed"], squares_only["total"]) == (0, 2)
    assert (await listed(limit="1", offset="1"))["data"][0]["id"] == failed
    for refused, field in (({"status": "done"}, "status"), ({"type": "t" * 51}, "type")):
        bad = await account.client.get(f"{API}/jobs", params=refused, headers=account.headers())
        body = assert_error(bad, 422, "VALIDATION_ERROR")
        assert body["details"]["errors"][0]["field"] == field


async def test_another_accounts_job_is_not_found(
    services: Services, account: Account, other_account: Account
) -> None:
    job_id = await submit(services, other_account, [1])
    for method, path in (
        ("GET", f"/jobs/{job_id}"), ("GET", f"/jobs/{job_id}/result"),
        ("POST", f"/jobs/{job_id}/cancel"), ("GET", "/jobs/job_nope"),
    ):  # fmt: skip
        response = await account.client.request(method, f"{API}{path}", headers=account.headers())
        body = assert_error(response, 404, "JOB_NOT_FOUND")
        assert body["details"]["job_id"] == path.split("/")[2]


async def test_finished_jobs_are_purged_after_their_retention(
    services: Services, account: Account, moved_clock: MovedClock
) -> None:
    """No worker runs here: the jobs finish by being canceled."""

    async def cancel(job_id: str) -> None:
        response = await account.client.post(
            f"{API}/jobs/{job_id}/cancel", headers=account.headers()
        )
        assert response.status_code == 200, response.text

    old = await submit(services, account, [1, 2, 3])
    async with services.database.transaction(write=True) as conn:
        await BackgroundJobRepository(conn).append_results(old, 0, ['{"n": 1}', '{"n": 2}'])
    await cancel(old)
    unfinished = await submit(services, account, [1])  # pending, however old it gets
    moved_clock.advance(timedelta(days=30).total_seconds() + 1)
    recent = await submit(services, account, [4])
    await cancel(recent)
    assert await purge_expired(services.database, retention_days=30) == 1
    response = await account.client.get(f"{API}/jobs/{old}", headers=account.headers())
    assert_error(response, 404, "JOB_NOT_FOUND")
    async with services.database.transaction(write=False) as conn:
        lines = await BackgroundJobRepository(conn).results_after(old, -1, 10)
    assert lines == []  # its result went with it
    for kept in (unfinished, recent):
        assert (await get_job(account, kept))["id"] == kept
