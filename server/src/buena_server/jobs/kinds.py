"""What a job does, by its type: a kind works through the job's items a chunk at a time.

A chunk runs in two steps. ``prepare`` does the work that needs no write (reads in its own
transactions, calls to outside services) and may take its time; ``apply`` then writes what
the chunk did in the chunk's one write transaction, which also records the job's progress,
its result lines and the queue job of the next chunk. A crash before that commit leaves
nothing written, and the chunk runs again; a chunk that was already written is never
applied twice (the job counts its chunks).

When the job ends (completed, failed or canceled), ``finish`` runs in the transaction that
ends it, once: a kind that took something up front (credits reserved) gives back there what
the job did not use.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any, Protocol

if TYPE_CHECKING:
    from buena_server.kit.driver import Connection, Database
    from buena_server.services import Services


@dataclass(frozen=True, slots=True)
class JobRecord:
    """A job as stored."""

    id: str
    account_id: str
    type: str
    status: str
    total: int
    processed: int
    succeeded: int
    failed: int
    chunks: int
    message: str | None
    params: dict[str, Any]
    state: dict[str, Any]
    created_at: datetime
    started_at: datetime | None
    finished_at: datetime | None
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class ChunkOutcome:
    """What one chunk did: one result line per item it processed, in order, and where the
    next chunk starts. ``failure`` ends the job as failed (with that message) after these
    lines; ``done`` ends it as completed (with ``message``, when given)."""

    lines: Sequence[dict[str, Any]]
    succeeded: int
    failed: int
    state: dict[str, Any] = field(default_factory=dict)
    done: bool = False
    failure: str | None = None
    message: str | None = None


class JobKind(Protocol):
    """A type of job (entry in ``JobKinds``)."""

    @property
    def type(self) -> str: ...

    async def prepare(self, database: Database, services: Services, job: JobRecord) -> Any:
        """The next chunk's work, done outside any write transaction."""
        ...

    async def apply(
        self, conn: Connection, services: Services, job: JobRecord, work: Any
    ) -> ChunkOutcome:
        """Write what ``work`` (``prepare``'s result) did, in the chunk's transaction."""
        ...

    async def finish(self, conn: Connection, services: Services, job: JobRecord) -> None:
        """The job has just ended (``job`` as it now is: its status, counts and state), in
        the transaction that ended it."""
        ...


class UnknownJobType(LookupError):
    pass


class JobKinds:
    """The kinds this process can run, by type."""

    async def ended(self, conn: Connection, services: Services, job: JobRecord) -> None:
        """Run the ended ``job``'s kind's ``finish`` (a job of a type this process does not
        know has none to run)."""
        kind = self.find(job.type)
        if kind is not None:
            await kind.finish(conn, services, job)

    def __init__(self, kinds: Sequence[JobKind] = ()) -> None:
        self._kinds: dict[str, JobKind] = {}
        for kind in kinds:
            self.register(kind)

    def register(self, kind: JobKind) -> None:
        if kind.type in self._kinds:
            raise ValueError(f"job type {kind.type!r} already has a kind")
        self._kinds[kind.type] = kind

    def find(self, job_type: str) -> JobKind | None:
        return self._kinds.get(job_type)

    def get(self, job_type: str) -> JobKind:
        found = self.find(job_type)
        if found is None:
            raise UnknownJobType(f"no kind for job type {job_type!r}")
        return found
