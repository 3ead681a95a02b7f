"""Every query on background_jobs and background_job_results."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import msgspec
from sqlalchemy import (
    ColumnElement,
    TextClause,
    bindparam,
    delete,
    func,
    or_,
    select,
    text,
    update,
)

from buena_server.jobs.kinds import JobRecord
from buena_server.kit.driver import Connection
from buena_server.tables import background_job_results, background_jobs

_COLUMNS = tuple(background_jobs.c[name] for name in JobRecord.__dataclass_fields__)
_UNFINISHED = or_(background_jobs.c.status == "pending", background_jobs.c.status == "running")
# A chunk's result lines in one statement: the lines travel as one array (PostgreSQL) or one
# JSON array (SQLite), numbered from :first_seq in their order.
_APPEND: Mapping[str, TextClause] = {
    "postgresql": text(
        "INSERT INTO background_job_results (job_id, seq, line) "
        "SELECT :job_id, :first_seq + given.ord - 1, given.line "
        "FROM unnest(CAST(:lines AS TEXT[])) WITH ORDINALITY AS given(line, ord)"
    ),
    "sqlite": text(
        "INSERT INTO background_job_results (job_id, seq, line) "
        "SELECT :job_id, :first_seq + given.key, given.value FROM json_each(:lines) AS given"
    ),
}


# Finished jobs past their retention, a few at a time (their result lines go with them:
# ON DELETE CASCADE), through the primary key: the purge runs rarely, so no index on
# finished_at is kept up for it.
_EXPIRED = (
    select(background_jobs.c.id)
    .where(background_jobs.c.finished_at < bindparam("cutoff"))
    .limit(bindparam("batch"))
)
_PURGE = delete(background_jobs).where(background_jobs.c.id.in_(_EXPIRED.scalar_subquery()))


@dataclass(frozen=True, slots=True)
class JobQuery:
    status: str | None
    type: str | None
    created_after: datetime | None
    created_before: datetime | None
    limit: int
    offset: int


def _record(row: Mapping[str, Any]) -> JobRecord:
    return JobRecord(**row)


class BackgroundJobRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def insert(self, record: JobRecord) -> None:
        await self.conn.execute(
            background_jobs.insert().values(
                {name: getattr(record, name) for name in JobRecord.__dataclass_fields__}
            )
        )

    async def get(
        self, account_id: str, job_id: str, *, for_update: bool = False
    ) -> JobRecord | None:
        statement = select(*_COLUMNS).where(
            background_jobs.c.id == job_id, background_jobs.c.account_id == account_id
        )
        if for_update:
            statement = statement.with_for_update()
        row = (await self.conn.execute(statement)).mappings().first()
        return None if row is None else _record(row)

    async def advance(self, job_id: str, chunk: int, changes: Mapping[str, Any]) -> bool:
        """Record chunk ``chunk``'s progress (``changes``), unless the job has moved on (the
        chunk was written by an earlier run) or finished (canceled): whether it did."""
        result = await self.conn.execute(
            update(background_jobs)
            .where(background_jobs.c.id == job_id, background_jobs.c.chunks == chunk, _UNFINISHED)
            .values(chunks=chunk + 1, **changes)
            .returning(background_jobs.c.id)
        )
        return result.first() is not None

    async def finish(
        self, account_id: str, job_id: str, status: str, message: str, at: datetime
    ) -> JobRecord | None:
        """End an unfinished job as ``status``: the job as it now is, or None (no such job,
        or already finished)."""
        result = await self.conn.execute(
            update(background_jobs)
            .where(
                background_jobs.c.id == job_id,
                background_jobs.c.account_id == account_id,
                _UNFINISHED,
            )
            .values(status=status, message=message, finished_at=at, updated_at=at)
            .returning(*_COLUMNS)
        )
        row = result.mappings().first()
        return None if row is None else _record(row)

    async def append_results(self, job_id: str, first_seq: int, lines: Sequence[str]) -> None:
        if not lines:
            return
        values: Any = list(lines)
        if self.conn.dialect.name == "sqlite":
            values = msgspec.json.encode(values).decode()
        await self.conn.execute(
            _APPEND[self.conn.dialect.name],
            {"job_id": job_id, "first_seq": first_seq, "lines": values},
        )

    async def purge(self, cutoff: datetime, batch: int) -> int:
        """Delete up to ``batch`` jobs finished before ``cutoff``, with their results."""
        return (await self.conn.execute(_PURGE, {"cutoff": cutoff, "batch": batch})).rowcount

    async def results_after(self, job_id: str, after: int, limit: int) -> Sequence[Any]:
        """Up to ``limit`` result lines numbered after ``after``, as (seq, line) rows."""
        result = await self.conn.execute(
            select(background_job_results.c.seq, background_job_results.c.line)
            .where(
                background_job_results.c.job_id == job_id,
                background_job_results.c.seq > bindparam("after"),
            )
            .order_by(background_job_results.c.seq)
            .limit(limit),
            {"after": after},
        )
        return result.all()

    async def find_page(self, account_id: str, query: JobQuery) -> tuple[list[JobRecord], int]:
        """One page of the account's jobs, newest first, and how many the filters select."""
        conditions = [*self._filters(account_id, query), *self._status(query.status)]
        rows = await self.conn.execute(
            select(*_COLUMNS)
            .where(*conditions)
            .order_by(background_jobs.c.created_at.desc(), background_jobs.c.id.desc())
            .limit(query.limit)
            .offset(query.offset)
        )
        total = await self.conn.execute(
            select(func.count()).select_from(background_jobs).where(*conditions)
        )
        return [_record(row) for row in rows.mappings()], int(total.scalar_one())

    async def count_by_status(self, account_id: str, query: JobQuery) -> dict[str, int]:
        """How many of the account's jobs the type and time filters select, by status."""
        rows = await self.conn.execute(
            select(background_jobs.c.status, func.count())
            .where(*self._filters(account_id, query))
            .group_by(background_jobs.c.status)
        )
        return {str(status): int(count) for status, count in rows.all()}

    @staticmethod
    def _filters(account_id: str, query: JobQuery) -> list[ColumnElement[bool]]:
        conditions: list[ColumnElement[bool]] = [background_jobs.c.account_id == account_id]
        if query.type is not None:
            conditions.append(background_jobs.c.type == query.type)
        if query.created_after is not None:
            conditions.append(background_jobs.c.created_at > query.created_after)
        if query.created_before is not None:
            conditions.append(background_jobs.c.created_at < query.created_before)
        return conditions

    @staticmethod
    def _status(status: str | None) -> list[ColumnElement[bool]]:
        return [] if status is None else [background_jobs.c.status == status]
