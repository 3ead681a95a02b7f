"""The worker: claims due jobs, runs their handlers, records each outcome.

- Claims: up to ``concurrency`` jobs run at a time, and as many more are claimed ahead to
  start as slots free (so that a claim under load brings many jobs, not one), each with a
  lease of ``lease_seconds`` (repository.py). The leases of held jobs are renewed every
  third of a lease, so a long handler keeps its job; a worker that dies stops renewing, and
  its jobs are claimed again once their leases run out.
- Outcomes: a handler that returns completes its job (deleted by the worker's next claim,
  in the same statement on PostgreSQL); ``RetryLater`` reschedules
  it as asked; any other exception is a failure, retried after an exponential backoff with
  full jitter until the job's ``max_attempts`` failures, then the job is dead (kept, and
  logged as an error).
- Wake-ups: when a transaction of this process that enqueued commits (``enqueue``), when
  PostgreSQL notifies that another process inserted jobs (``Database.listen``), when half
  its capacity frees while jobs may be waiting, when jobs finish (to delete them), and
  every ``poll_seconds`` (jobs scheduled for later, expired leases, a lost notification
  connection). Without a known backlog it lets a few milliseconds of wake-ups gather first.
- Stop: no new claims; running jobs get ``grace`` seconds to finish, then are cancelled and
  their leases released, so that another worker takes them at once.
"""

from __future__ import annotations

import asyncio
import collections
import contextlib
import logging
import random
from datetime import timedelta
from typing import TYPE_CHECKING

from buena_server.errors import is_database_outage
from buena_server.kit.driver import Database, Listening
from buena_server.kit.ids import new_id
from buena_server.queue.context import JobContext
from buena_server.queue.enqueue import listen_for_jobs, stop_listening_for_jobs
from buena_server.queue.model import NOTIFY_CHANNEL, SYSTEM_CLOCK, Clock, Job, RetryLater
from buena_server.queue.model import backoff_delay as default_backoff
from buena_server.queue.registry import TaskRegistry
from buena_server.queue.repository import JobRepository

if TYPE_CHECKING:
    from buena_server.services import Services

logger = logging.getLogger("buena_server.queue")

# After a wake-up with no backlog known, how long the worker lets more arrive before it
# claims: a commit wakes it twice (this process's after-commit hook, then PostgreSQL's
# notification), creates commit in quick succession under load, and jobs finish close
# together. Claiming what a few milliseconds gathered halves the claims (and their
# completions) under load, for a few milliseconds of latency (docs/decisions/queue.md).
# With a backlog (the last claim filled every free slot), it claims again as soon as half
# its capacity is free, without waiting.
SETTLE_SECONDS = 0.003
# Jobs held per running slot: claimed ahead, they start as soon as a slot frees.
CLAIM_AHEAD = 2


class Worker:
    def __init__(
        self,
        database: Database,
        registry: TaskRegistry,
        services: Services,
        *,
        concurrency: int = 8,
        lease_seconds: float = 30.0,
        poll_seconds: float = 1.0,
        clock: Clock = SYSTEM_CLOCK,
        rng: random.Random | None = None,
        settle_seconds: float = SETTLE_SECONDS,
    ) -> None:
        self.database = database
        self.registry = registry
        self.services = services
        self.concurrency = concurrency
        self.lease = timedelta(seconds=lease_seconds)
        self.poll_seconds = poll_seconds
        self.settle_seconds = settle_seconds
        self.clock = clock
        self.rng = rng or random.Random()
        # Every lease this worker takes carries its token.
        self.token = new_id("wkr")
        # Every job this worker holds (running, or claimed ahead and waiting for a slot).
        self._running: dict[asyncio.Task[None], Job] = {}
        # Jobs running now, and the claimed-ahead jobs' waits for a slot, first come first
        # served. (asyncio.Semaphore rescans its waiters on every acquire and release: with
        # a hundred jobs claimed ahead and a group's worth finishing at once, ~10 % of a
        # delivery's CPU; docs/decisions/queue.md.)
        self._active = 0
        self._slot_waiters: collections.deque[asyncio.Future[None]] = collections.deque()
        self.capacity = concurrency * CLAIM_AHEAD
        self._wake = asyncio.Event()
        self._saturated = False  # the last claim filled every free slot: more may wait
        self._stopping = False
        self._loop_task: asyncio.Task[None] | None = None
        self._listening: Listening | None = None
        self._outage_reported = False
        self.looked = asyncio.Event()  # set once the loop has looked for jobs (and listens)
        # Runs by outcome since start (completed, retried, dead), for the metrics.
        self.outcomes: dict[str, int] = {"completed": 0, "retried": 0, "dead": 0}
        # Jobs whose handlers returned, deleted by the next claim (the same statement on
        # PostgreSQL), so that under load a round trip both completes and claims many jobs.
        self._to_complete: list[Job] = []

    # -- lifecycle ----------------------------------------------------------------------

    async def start(self) -> None:
        """Start working in the background (``stop`` ends it)."""
        listen_for_jobs(self.database.compiler, self.wake)
        self._loop_task = asyncio.create_task(self._work(), name=f"queue worker {self.token}")

    async def stop(self, grace: float) -> None:
        """Stop claiming; give running jobs ``grace`` seconds, then release their leases."""
        self._stopping = True
        self._wake.set()
        stop_listening_for_jobs(self.database.compiler, self.wake)
        if self._loop_task is not None:
            await self._loop_task
        if self._running:
            _done, unfinished = await asyncio.wait(set(self._running), timeout=grace)
            await self._release(unfinished)
        await self._completions_written()
        if self._listening is not None:
            await self._listening.close()
            self._listening = None

    def wake(self) -> None:
        """Look for due jobs now."""
        self._wake.set()

    @property
    def running(self) -> int:
        """Jobs held: running, or claimed and about to start."""
        return len(self._running)

    # -- one pass, for the loop and for tests ------------------------------------------

    async def run_pending(self) -> int:
        """Claim and run every job due now, waiting for each to end; how many ran."""
        ran = 0
        while True:
            started = await self._claim_and_start(self.capacity)
            if not started:
                return ran
            ran += len(started)
            await asyncio.gather(*started)
            await self._completions_written()

    # -- the loop -----------------------------------------------------------------------

    async def _work(self) -> None:
        loop = asyncio.get_running_loop()
        renewed = loop.time()
        renew_every = self.lease.total_seconds() / 3
        self._wake.set()  # look at once: jobs may have waited while no worker ran
        while not self._stopped():
            timeout = self.poll_seconds
            if self._running:
                timeout = max(0.0, min(timeout, renewed + renew_every - loop.time()))
            woken = False
            # asyncio.timeout, not wait_for, which can lose a cancellation (driver/pool.py).
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(timeout):
                    await self._wake.wait()
                woken = True
            if woken and not self._saturated and self.settle_seconds and not self._stopped():
                await asyncio.sleep(self.settle_seconds)
            if self._stopped():
                return
            self._wake.clear()
            try:
                if self._running and loop.time() - renewed >= renew_every:
                    renewed = loop.time()
                    await self._renew_leases()
                await self._keep_listening()
                free = self.capacity - len(self._running)
                started = []
                if free > 0 or self._to_complete:
                    started = await self._claim_and_start(max(free, 0))
                self._saturated = free <= 0 or len(started) == free
                self._outage_reported = False
            except Exception as exc:
                self._report(exc)
            self.looked.set()

    def _stopped(self) -> bool:
        return self._stopping

    def _report(self, exc: Exception) -> None:
        if not is_database_outage(exc):
            logger.exception("queue worker: unexpected error; going on")
        elif not self._outage_reported:
            self._outage_reported = True
            logger.warning("queue worker: cannot reach the database (%r); retrying", exc)

    async def _keep_listening(self) -> None:
        """LISTEN for other processes' jobs (PostgreSQL), again if the connection was lost."""
        if self._listening is not None and self._listening.is_alive():
            return
        if self._listening is not None:
            await self._listening.close()
        self._listening = await self.database.listen(NOTIFY_CHANNEL, self.wake)

    async def _renew_leases(self) -> None:
        async with self.database.transaction(write=True, single_write=True) as conn:
            await JobRepository(conn).extend(self.token, lease_until=self.clock.now() + self.lease)

    async def _claim_and_start(self, batch: int) -> list[asyncio.Task[None]]:
        """Complete the jobs finished so far and claim up to ``batch`` more; their tasks."""
        now = self.clock.now()
        done, self._to_complete = self._to_complete, []
        try:
            if not done and self.database.dialect.name == "sqlite":
                # A read first: a claim that finds nothing would still take the write lock.
                async with self.database.transaction(write=False) as conn:
                    if not await JobRepository(conn).any_due(now):
                        return []
            async with self.database.transaction(write=True, single_write=True) as conn:
                claimed = await JobRepository(conn).claim(
                    now=now, lease_until=now + self.lease, token=self.token, batch=batch, done=done
                )
        except BaseException:
            self._to_complete[:0] = done  # still to write (their leases hold them meanwhile)
            raise
        started = []
        for job in claimed:
            task = asyncio.create_task(self._run(job), name=f"job {job.id} ({job.task})")
            self._running[task] = job
            task.add_done_callback(self._finished)
            started.append(task)
        return started

    def _finished(self, task: asyncio.Task[None]) -> None:
        self._running.pop(task, None)
        # More jobs are waiting: claim again once half the capacity is free (a claim brings
        # many jobs, not one per finished job), or at once when nothing is left running.
        if self._saturated and (len(self._running) <= self.capacity // 2 or not self._running):
            self._wake.set()

    # -- one job ------------------------------------------------------------------------

    async def _run(self, job: Job) -> None:
        await self._take_slot()
        try:
            await self._run_now(job)
        finally:
            self._free_slot()

    async def _take_slot(self) -> None:
        if self._active < self.concurrency and not self._slot_waiters:
            self._active += 1
            return
        waiter = asyncio.get_running_loop().create_future()
        self._slot_waiters.append(waiter)
        try:
            await waiter
        except asyncio.CancelledError:
            if waiter.done() and not waiter.cancelled():
                self._free_slot()  # handed a slot, then cancelled before it ran: pass it on
            raise

    def _free_slot(self) -> None:
        """Hand the slot to the job waiting longest, or free it."""
        while self._slot_waiters:
            waiter = self._slot_waiters.popleft()
            if not waiter.done():
                waiter.set_result(None)
                return
        self._active -= 1

    async def _run_now(self, job: Job) -> None:
        if job.failures >= job.max_attempts:  # its last allowed run lost its lease
            logger.error("job %s (%s) lost its lease on its last attempt, dead", job.id, job.task)
            self.outcomes["dead"] += 1
            await self._record(job, "bury", failed=False, error="lease lost on the last attempt")
            return
        context = JobContext(self.database, self.services, self.clock, job, self.token)
        try:
            handler = self.registry.handler(job.task)
            await handler(job, context)
        except RetryLater as later:
            self.outcomes["retried"] += 1
            await self._record(
                job, "later", failed=False, error=later.error, after=later.after_seconds
            )
        except Exception as exc:
            error = f"{type(exc).__name__}: {exc}"
            if job.failures + 1 >= job.max_attempts:
                logger.error(
                    "job %s (%s) failed %d times, dead: %s",
                    job.id,
                    job.task,
                    job.failures + 1,
                    error,
                )
                self.outcomes["dead"] += 1
                await self._record(job, "bury", failed=True, error=error)
            else:
                self.outcomes["retried"] += 1
                delay = default_backoff(job.failures + 1, rng=self.rng)
                logger.warning(
                    "job %s (%s) failed (%s); retrying in %.1f s", job.id, job.task, error, delay
                )
                await self._record(job, "later", failed=True, error=error, after=delay)
        else:
            self.outcomes["completed"] += 1
            if not context.completed:
                self._complete_soon(job)

    def _complete_soon(self, job: Job) -> None:
        """Delete the job with the worker's next claim (woken now). Until then its lease
        holds it: a crash in between, and it runs again."""
        self._to_complete.append(job)
        self._wake.set()

    async def _completions_written(self) -> None:
        """Delete the jobs finished and not yet deleted (no claim follows)."""
        while self._to_complete:
            done, self._to_complete = self._to_complete, []
            try:
                async with self.database.transaction(write=True, single_write=True) as conn:
                    completed = await JobRepository(conn).complete_many(done, self.token)
            except Exception as exc:  # their leases run out: they run again
                logger.warning("could not record %d completed jobs: %r", len(done), exc)
                return
            if completed < len(done):
                logger.warning(
                    "%d jobs ran past their lease; other runs took them", len(done) - completed
                )

    async def _record(
        self,
        job: Job,
        outcome: str,
        *,
        failed: bool = False,
        error: str | None = None,
        after: float = 0.0,
    ) -> None:
        """Write the outcome of a run. If that fails (the database is away), the lease runs
        out and the job runs again: at least once."""
        try:
            async with self.database.transaction(write=True, single_write=True) as conn:
                jobs = JobRepository(conn)
                if outcome == "bury":
                    held = await jobs.bury(job, self.token, failed=failed, error=error)
                else:
                    again_at = self.clock.now() + timedelta(seconds=after)
                    held = await jobs.reschedule(
                        job, self.token, again_at=again_at, failed=failed, error=error
                    )
        except Exception as exc:
            logger.warning("job %s (%s): could not record its outcome: %r", job.id, job.task, exc)
            return
        if not held:
            logger.warning("job %s (%s) ran past its lease; another run took it", job.id, job.task)

    async def _release(self, unfinished: set[asyncio.Task[None]]) -> None:
        jobs = [self._running[task] for task in unfinished if task in self._running]
        for task in unfinished:
            task.cancel()
        await asyncio.gather(*unfinished, return_exceptions=True)
        if not jobs:
            return
        try:
            async with self.database.transaction(write=True) as conn:
                repository = JobRepository(conn)
                for job in jobs:
                    await repository.release(job, self.token, now=self.clock.now())
        except Exception as exc:  # their leases run out instead
            logger.warning("could not release %d unfinished jobs: %r", len(jobs), exc)
        else:
            logger.info("released %d unfinished jobs for another worker", len(jobs))
