"""What a handler is given besides its job."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from buena_server.queue.model import Clock, Job
from buena_server.queue.repository import JobRepository

if TYPE_CHECKING:
    from buena_server.kit.driver import Connection, Database
    from buena_server.services import Services


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
