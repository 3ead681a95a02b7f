"""What a handler is given besides its job."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

from buena_server.queue.model import Clock, Job
from buena_server.queue.repository import JobRepository

if TYPE_CHECKING:
    from buena_server.kit.driver import Connection, Database
    from buena_server.services import Services


# The worker's hand: runs a job it already holds, with what its handler is given.
StartHeld = Callable[[Job, Any], None]


@dataclass(slots=True)
class JobContext:
    """The database, the app's services, the queue's clock, and the job's lease."""

    database: Database
    services: Services
    clock: Clock
    job: Job
    lease_token: str
    # Set once ``complete_in``'s transaction has committed: the worker has nothing to do.
    completed: bool = False
    # What the handler that wrote this job, leased, already knew for it (``hand_over``):
    # the handler may use it instead of reading it again. None for a claimed job.
    given: Any = None
    # The worker's lease length and its hand (None: no worker runs this handler).
    lease: timedelta = timedelta(seconds=30)
    start_held: StartHeld | None = None

    def lease_until(self) -> datetime:
        """The end of a lease taken now: what a job written already leased gets."""
        return self.clock.now() + self.lease

    def hand_over(self, job: Job, given: Any = None) -> None:
        """Run ``job`` in this worker as if it had claimed it: a job a statement of this
        handler wrote already leased to this worker (``lease_token``, ``lease_until``,
        attempts 1), once that statement has committed. ``given`` reaches its handler as
        ``JobContext.given``. Work that is written and run by the same worker skips the
        claim, the wake-ups and its handler's first read. Without a worker (a handler run
        alone) the job runs when its lease has run out and another claim takes it."""
        if self.start_held is not None:
            self.start_held(job, given)

    async def complete_in(self, conn: Connection) -> None:
        """Delete the job in the handler's own transaction, so that what the handler wrote
        and the job's completion commit together: a crash in between cannot run it twice."""
        await JobRepository(conn).complete(self.job, self.lease_token)
        self.completed_by(conn)

    def completed_by(self, conn: Connection) -> None:
        """The job was deleted by a statement of the handler's own in ``conn``'s transaction
        (one that also wrote what the handler did): once it commits, the worker has nothing
        left to do."""
        conn.after_commit.append(self._mark_completed)

    async def _mark_completed(self) -> None:
        self.completed = True
