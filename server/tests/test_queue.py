"""The durable queue (queue/): transactional enqueue, claims, leases, retries, dead jobs,
wake-ups and stopping, on the real database. Time moves through the project clock, never by
sleeping."""

from __future__ import annotations

import asyncio
import random
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import pytest
from sqlalchemy import func, select

from buena_server.config import Settings
from buena_server.kit.db import open_database
from buena_server.kit.driver import Database
from buena_server.queue import Job, JobContext, RetryLater, TaskRegistry, Worker, enqueue
from buena_server.queue.model import backoff_delay
from buena_server.queue.repository import JobRepository
from buena_server.services import Services, services_of
from buena_server.tables import jobs

from backends import ON_POSTGRES
from server_testing import InProcessClient, MovedClock

LEASE = 30.0


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"worker_in_serve": False}  # the tests run their own workers


@pytest.fixture
def services(client: InProcessClient) -> Services:
    return services_of(client.app)


class Recorder:
    """A handler that records the jobs it ran, and fails as told."""

    def __init__(self, failures: list[BaseException] | None = None) -> None:
        self.ran: list[Job] = []
        self.failures = list(failures or [])

    async def __call__(self, job: Job, context: JobContext) -> None:
        self.ran.append(job)
        await asyncio.sleep(0)  # let other jobs interleave
        if self.failures:
            raise self.failures.pop(0)


def worker_for(services: Services, registry: TaskRegistry, **options: Any) -> Worker:
    options.setdefault("lease_seconds", LEASE)
    return Worker(services.database, registry, services, rng=random.Random(7), **options)


def registry_with(task: str, handler: Callable[[Job, JobContext], Awaitable[None]]) -> TaskRegistry:
    registry = TaskRegistry()
    registry.register(task, handler)
    return registry


async def enqueue_committed(
    database: Database, task: str, payload: dict[str, Any], **kw: Any
) -> str:
    async with database.transaction(write=True) as conn:
        return await enqueue(conn, task, payload, **kw)


async def job_rows(database: Database) -> list[dict[str, Any]]:
    async with database.transaction(write=False) as conn:
        return (await conn.execute(select(jobs))).mappings().all()


class Boom(Exception):
    pass


async def test_a_job_enqueued_in_a_rolled_back_transaction_does_not_exist(
    services: Services,
) -> None:
    recorder = Recorder()

    async def enqueue_then_fail() -> None:
        async with services.database.transaction(write=True) as conn:
            await enqueue(conn, "test.record", {"n": 1})
            raise Boom

    with pytest.raises(Boom):
        await enqueue_then_fail()
    assert await job_rows(services.database) == []
    assert await worker_for(services, registry_with("test.record", recorder)).run_pending() == 0
    assert recorder.ran == []


async def test_a_committed_job_runs_once_and_is_deleted(services: Services) -> None:
    recorder = Recorder()
    job_id = await enqueue_committed(services.database, "test.record", {"lead_id": "lead_1"})
    worker = worker_for(services, registry_with("test.record", recorder))
    assert await worker.run_pending() == 1
    [job] = recorder.ran
    assert (job.id, job.task, job.payload, job.attempts, job.failures) == (
        job_id,
        "test.record",
        {"lead_id": "lead_1"},
        1,
        0,
    )
    assert await job_rows(services.database) == []
    assert await worker.run_pending() == 0


async def test_a_job_scheduled_for_later_waits_for_its_time(
    services: Services, moved_clock: MovedClock
) -> None:
    recorder = Recorder()
    worker = worker_for(services, registry_with("test.record", recorder))
    await enqueue_committed(
        services.database, "test.record", {}, run_at=moved_clock.now() + timedelta(seconds=60)
    )
    assert await worker.run_pending() == 0
    moved_clock.advance(61)
    assert await worker.run_pending() == 1


async def test_a_failing_job_is_retried_after_its_backoff(
    services: Services, moved_clock: MovedClock
) -> None:
    recorder = Recorder([RuntimeError("receiver down")])
    worker = worker_for(services, registry_with("test.record", recorder))
    await enqueue_committed(services.database, "test.record", {})
    assert await worker.run_pending() == 1
    [row] = await job_rows(services.database)
    assert (row["status"], row["failures"], row["locked_by"]) == ("queued", 1, None)
    assert row["last_error"] == "RuntimeError: receiver down"
    # Full jitter: the first retry is due within the backoff's first step (1 s).
    assert moved_clock.now() <= row["run_at"] <= moved_clock.now() + timedelta(seconds=1)
    moved_clock.advance(1.01)
    assert await worker.run_pending() == 1
    assert [(job.attempts, job.failures) for job in recorder.ran] == [(1, 0), (2, 1)]
    assert await job_rows(services.database) == []


async def test_retry_later_reschedules_without_counting_a_failure(
    services: Services, moved_clock: MovedClock
) -> None:
    recorder = Recorder([RetryLater(60, error="not yet"), RetryLater(60)])
    worker = worker_for(services, registry_with("test.record", recorder))
    await enqueue_committed(services.database, "test.record", {}, max_attempts=1)
    assert await worker.run_pending() == 1
    [row] = await job_rows(services.database)
    assert (row["status"], row["failures"], row["last_error"]) == ("queued", 0, "not yet")
    moved_clock.advance(59)
    assert await worker.run_pending() == 0
    moved_clock.advance(2)
    assert await worker.run_pending() == 1  # RetryLater again: still within max_attempts=1
    moved_clock.advance(61)
    assert await worker.run_pending() == 1
    assert [job.failures for job in recorder.ran] == [0, 0, 0]
    assert await job_rows(services.database) == []


async def test_a_job_failing_max_attempts_times_is_dead_and_kept(
    services: Services, moved_clock: MovedClock
) -> None:
    recorder = Recorder([RuntimeError(f"failure {n}") for n in range(1, 10)])
    worker = worker_for(services, registry_with("test.record", recorder))
    await enqueue_committed(services.database, "test.record", {}, max_attempts=3)
    for _attempt in range(3):
        assert await worker.run_pending() == 1
        moved_clock.advance(3600)
    [row] = await job_rows(services.database)
    assert (row["status"], row["run_at"], row["attempts"], row["failures"]) == ("dead", None, 3, 3)
    assert row["last_error"] == "RuntimeError: failure 3"
    moved_clock.advance(86_400)
    assert await worker.run_pending() == 0
    assert len(recorder.ran) == 3


async def test_a_job_without_a_handler_fails_like_any_other(
    services: Services, moved_clock: MovedClock
) -> None:
    await enqueue_committed(services.database, "test.nobody", {}, max_attempts=1)
    assert await worker_for(services, TaskRegistry()).run_pending() == 1
    [row] = await job_rows(services.database)
    assert row["status"] == "dead"
    assert "no handler for task 'test.nobody'" in row["last_error"]


async def test_a_job_whose_worker_died_is_claimed_again_after_its_lease(
    services: Services, moved_clock: MovedClock
) -> None:
    await enqueue_committed(services.database, "test.record", {"n": 1})
    # A worker claims the job, then dies: it never records an outcome.
    async with services.database.transaction(write=True) as conn:
        [lost] = await JobRepository(conn).claim(
            now=moved_clock.now(),
            lease_until=moved_clock.now() + timedelta(seconds=LEASE),
            token="wkr_dead",
            batch=10,
        )
    recorder = Recorder()
    worker = worker_for(services, registry_with("test.record", recorder))
    assert await worker.run_pending() == 0  # leased
    moved_clock.advance(LEASE - 1)
    assert await worker.run_pending() == 0
    moved_clock.advance(2)
    assert await worker.run_pending() == 1
    [job] = recorder.ran
    assert (job.payload, job.attempts, job.failures) == ({"n": 1}, 2, 1)
    # The dead worker's late word changes nothing.
    async with services.database.transaction(write=True) as conn:
        assert not await JobRepository(conn).complete(lost, "wkr_dead")


async def test_a_lost_lease_on_the_last_attempt_makes_the_job_dead(
    services: Services, moved_clock: MovedClock
) -> None:
    await enqueue_committed(services.database, "test.record", {}, max_attempts=1)
    async with services.database.transaction(write=True) as conn:
        await JobRepository(conn).claim(
            now=moved_clock.now(), lease_until=moved_clock.now(), token="wkr_dead", batch=1
        )
    moved_clock.advance(1)
    recorder = Recorder()
    assert await worker_for(services, registry_with("test.record", recorder)).run_pending() == 1
    assert recorder.ran == []
    [row] = await job_rows(services.database)
    assert (row["status"], row["failures"]) == ("dead", 1)


async def test_a_handler_may_complete_its_job_in_its_own_transaction(services: Services) -> None:
    completed: list[bool] = []

    async def handler(job: Job, context: JobContext) -> None:
        async with context.database.transaction(write=True) as conn:
            await context.complete_in(conn)
            completed.append(await JobRepository(conn).any_due(context.clock.now()))

    await enqueue_committed(services.database, "test.own", {})
    assert await worker_for(services, registry_with("test.own", handler)).run_pending() == 1
    assert completed == [False]  # deleted inside the handler's transaction
    assert await job_rows(services.database) == []


@pytest.fixture
async def second_database(settings: Settings) -> AsyncIterator[Database]:
    """Another pool on the same database: a second server process, as far as the database
    can tell."""
    database = open_database(settings.database_url, pool_size=4)
    yield database
    await database.close()


async def test_two_workers_run_each_job_exactly_once(
    services: Services, second_database: Database
) -> None:
    async with services.database.transaction(write=True) as conn:
        for n in range(200):
            await enqueue(conn, "test.record", {"n": n})
    recorder = Recorder()
    registry = registry_with("test.record", recorder)
    first = worker_for(services, registry, concurrency=4)
    second = Worker(second_database, registry, services, concurrency=4, lease_seconds=LEASE)
    ran = await asyncio.gather(first.run_pending(), second.run_pending())
    counts = Counter(job.payload["n"] for job in recorder.ran)
    assert sum(ran) == 200
    assert counts == Counter(range(200))
    assert await job_rows(services.database) == []
    if ON_POSTGRES:
        assert all(ran), "both workers claimed jobs side by side (SKIP LOCKED)"


@asynccontextmanager
async def woken_only(services: Services, task: str) -> AsyncIterator[asyncio.Event]:
    """A worker polling once an hour, past its first look (so only a wake-up can start a
    job in time); the event is set when it runs a job of ``task``."""
    done = asyncio.Event()

    async def handler(job: Job, context: JobContext) -> None:
        done.set()

    worker = worker_for(services, registry_with(task, handler), poll_seconds=3600)
    await worker.start()
    try:
        await asyncio.wait_for(worker.looked.wait(), 5)
        yield done
        await asyncio.wait_for(done.wait(), 5)
    finally:
        await worker.stop(grace=5)


async def test_a_commit_wakes_the_local_worker_at_once(services: Services) -> None:
    async with woken_only(services, "test.wake"):
        await enqueue_committed(services.database, "test.wake", {})
    assert await job_rows(services.database) == []


@pytest.mark.skipif(not ON_POSTGRES, reason="notifications between processes: PostgreSQL")
async def test_a_job_enqueued_by_another_process_wakes_the_worker(
    services: Services, second_database: Database
) -> None:
    async with woken_only(services, "test.wake"):
        # Enqueued on the other pool: no local wake-up, only PostgreSQL's notification.
        await enqueue_committed(second_database, "test.wake", {})


async def test_stopping_lets_running_jobs_finish(services: Services) -> None:
    started, release = asyncio.Event(), asyncio.Event()

    async def handler(job: Job, context: JobContext) -> None:
        started.set()
        await release.wait()

    worker = worker_for(services, registry_with("test.slow", handler))
    await worker.start()
    await enqueue_committed(services.database, "test.slow", {})
    await asyncio.wait_for(started.wait(), 5)
    stopping = asyncio.create_task(worker.stop(grace=30))
    await asyncio.sleep(0)
    release.set()
    await stopping
    assert await job_rows(services.database) == []


async def test_stopping_releases_the_lease_of_jobs_that_do_not_finish(
    services: Services, moved_clock: MovedClock
) -> None:
    started = asyncio.Event()

    async def handler(job: Job, context: JobContext) -> None:
        started.set()
        await asyncio.Event().wait()  # never finishes

    worker = worker_for(services, registry_with("test.stuck", handler))
    await worker.start()
    await enqueue_committed(services.database, "test.stuck", {})
    await asyncio.wait_for(started.wait(), 5)
    await worker.stop(grace=0)
    [row] = await job_rows(services.database)
    assert (row["status"], row["locked_by"], row["attempts"], row["failures"]) == (
        "queued",
        None,
        0,
        0,
    )
    # Due at once for another worker, without waiting for the lease.
    recorder = Recorder()
    assert await worker_for(services, registry_with("test.stuck", recorder)).run_pending() == 1


def test_backoff_is_exponential_with_full_jitter() -> None:
    rng = random.Random(3)
    for failures, ceiling in ((1, 1), (2, 2), (3, 4), (10, 512), (13, 3600), (40, 3600)):
        delays = [backoff_delay(failures, rng=rng) for _ in range(200)]
        assert all(0 <= delay <= ceiling for delay in delays)
        assert max(delays) > ceiling * 0.9  # spread over the whole range
        assert min(delays) < ceiling * 0.1


async def test_counts_by_status(services: Services) -> None:
    await enqueue_committed(services.database, "test.a", {})
    await enqueue_committed(services.database, "test.b", {}, max_attempts=1)
    await worker_for(services, TaskRegistry()).run_pending()
    async with services.database.transaction(write=False) as conn:
        counts = await JobRepository(conn).counts()
        total = (await conn.execute(select(func.count()).select_from(jobs))).scalar_one()
    assert counts == {"queued": 1, "dead": 1}
    assert total == 2


async def test_completions_in_a_batch_skip_jobs_whose_lease_was_lost(
    services: Services, moved_clock: MovedClock
) -> None:
    for n in range(3):
        await enqueue_committed(services.database, "test.record", {"n": n})
    now = moved_clock.now()
    async with services.database.transaction(write=True) as conn:
        first = await JobRepository(conn).claim(
            now=now, lease_until=now + timedelta(seconds=LEASE), token="wkr_slow", batch=3
        )
    moved_clock.advance(LEASE + 1)
    later = moved_clock.now()
    async with services.database.transaction(write=True) as conn:
        [retaken] = await JobRepository(conn).claim(
            now=later, lease_until=later + timedelta(seconds=LEASE), token="wkr_other", batch=1
        )
        # The slow worker renews what it still holds: not the retaken job.
        renewed = await JobRepository(conn).extend(
            "wkr_slow", lease_until=later + timedelta(seconds=LEASE)
        )
    assert renewed == 2
    async with services.database.transaction(write=True) as conn:
        assert await JobRepository(conn).complete_many(first, "wkr_slow") == 2
    [row] = await job_rows(services.database)
    assert (row["id"], row["locked_by"], row["attempts"]) == (retaken.id, "wkr_other", 2)


async def test_a_running_job_keeps_its_lease_while_renewed(
    services: Services, moved_clock: MovedClock
) -> None:
    await enqueue_committed(services.database, "test.record", {})
    now = moved_clock.now()
    async with services.database.transaction(write=True) as conn:
        await JobRepository(conn).claim(
            now=now, lease_until=now + timedelta(seconds=LEASE), token="wkr_busy", batch=1
        )
    for _ in range(5):  # renewed every third of a lease, for well past one lease
        moved_clock.advance(LEASE / 3)
        async with services.database.transaction(write=True) as conn:
            renewed = await JobRepository(conn).extend(
                "wkr_busy", lease_until=moved_clock.now() + timedelta(seconds=LEASE)
            )
        assert renewed == 1
        recorder = Recorder()
        assert await worker_for(services, registry_with("test.record", recorder)).run_pending() == 0


@pytest.mark.skipif(not ON_POSTGRES, reason="row locks between transactions: PostgreSQL")
async def test_a_renewal_skips_the_jobs_another_statement_holds(
    services: Services, second_database: Database, moved_clock: MovedClock
) -> None:
    """A renewal never waits for a row (waiting, in whatever order, for rows a grouped
    statement deletes could close a deadlock): the held job is left to its statement."""
    for _ in range(3):
        await enqueue_committed(services.database, "test.record", {})
    now = moved_clock.now()
    async with services.database.transaction(write=True) as conn:
        claimed = await JobRepository(conn).claim(
            now=now, lease_until=now + timedelta(seconds=LEASE), token="wkr_busy", batch=3
        )
    async with second_database.transaction(write=True) as other:
        await other.execute(select(jobs.c.id).where(jobs.c.id == claimed[0].id).with_for_update())
        async with services.database.transaction(write=True) as conn:
            renewed = await asyncio.wait_for(
                JobRepository(conn).extend("wkr_busy", lease_until=now + timedelta(hours=1)),
                timeout=5,
            )
    assert renewed == 2


@pytest.mark.skipif(not ON_POSTGRES, reason="notifications: PostgreSQL")
async def test_only_a_statement_that_inserted_jobs_notifies(
    services: Services, second_database: Database
) -> None:
    """An event nobody subscribes to inserts no job: its statement must wake no worker."""
    heard: list[None] = []
    listening = await services.database.listen("buena_jobs", lambda: heard.append(None))
    assert listening is not None
    try:
        async with second_database.transaction(write=True) as conn:
            await conn.execute(
                jobs.insert().from_select(
                    [jobs.c.id, jobs.c.task, jobs.c.payload, jobs.c.status, jobs.c.run_at],
                    select(
                        jobs.c.id, jobs.c.task, jobs.c.payload, jobs.c.status, jobs.c.run_at
                    ).where(jobs.c.id == "job_none"),
                )
            )
        # Then a statement that inserts one: notifications arrive in commit order, so had the
        # first notified, two would be heard.
        await enqueue_committed(second_database, "test.wake", {})
        for _ in range(250):
            if heard:
                break
            await asyncio.sleep(0.02)
        await services.database.ping()  # a round trip more: anything queued has arrived
        assert len(heard) == 1
    finally:
        await listening.close()
