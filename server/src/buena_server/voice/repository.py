"""Every query on voice_clones and voice_samples."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, insert, select, update

from buena_server.kit.driver import Connection
from buena_server.tables import accounts, voice_clones, voice_samples

_C = voice_clones.c
_S = voice_samples.c
_CLONE = (
    _C.id, _C.account_id, _C.name, _C.description, _C.status, _C.failure_reason,
    _C.sample_count, _C.settings, _C.labels, _C.profile, _C.created_at, _C.updated_at,
)  # fmt: skip
_SAMPLE = (
    _S.id, _S.clone_id, _S.position, _S.filename, _S.format, _S.size_bytes,
    _S.duration_ms, _S.sample_rate, _S.channels, _S.blob_key,
)  # fmt: skip


@dataclass(frozen=True, slots=True)
class CloneRecord:
    id: str
    account_id: str
    name: str
    description: str | None
    status: str
    failure_reason: str | None
    sample_count: int
    settings: dict[str, Any]
    labels: dict[str, str]
    profile: dict[str, Any] | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class SampleRecord:
    id: str
    clone_id: str
    position: int
    filename: str
    format: str
    size_bytes: int
    duration_seconds: float
    sample_rate: int
    channels: int
    blob_key: str


def _sample(row: Sequence[Any]) -> SampleRecord:
    values = list(row)
    values[6] = values[6] / 1000  # duration_ms
    return SampleRecord(*values)


class VoiceCloneRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def lock_account(self, account_id: str) -> None:
        """Take the account's row lock (PostgreSQL) for the rest of the transaction, so
        that creates of one account count its clones one at a time. SQLite has one writer
        at a time already."""
        await self.conn.execute(
            select(accounts.c.id).where(accounts.c.id == account_id).with_for_update()
        )

    async def count(self, account_id: str) -> int:
        result = await self.conn.execute(
            select(func.count()).select_from(voice_clones).where(_C.account_id == account_id)
        )
        return int(result.scalar_one())

    async def insert(self, record: CloneRecord, samples: Sequence[SampleRecord]) -> None:
        await self.conn.execute(
            insert(voice_clones).values(
                {column.key: getattr(record, column.key) for column in _CLONE}
            )
        )
        await self.conn.execute_many(
            insert(voice_samples),
            [
                {"id": sample.id, "account_id": record.account_id, "clone_id": sample.clone_id,
                 "position": sample.position, "filename": sample.filename,
                 "format": sample.format, "size_bytes": sample.size_bytes,
                 "duration_ms": round(sample.duration_seconds * 1000),
                 "sample_rate": sample.sample_rate, "channels": sample.channels,
                 "blob_key": sample.blob_key}
                for sample in samples
            ],
        )  # fmt: skip

    async def get(
        self, account_id: str, clone_id: str, *, lock: str | None = None
    ) -> CloneRecord | None:
        """The clone; ``lock`` "update" (to change or delete it) or "share" (to refer to
        it) also takes its row lock on PostgreSQL."""
        statement = select(*_CLONE).where(_C.account_id == account_id, _C.id == clone_id)
        if lock is not None:
            statement = statement.with_for_update(read=lock == "share")
        row = (await self.conn.execute(statement)).first()
        return None if row is None else CloneRecord(*row)

    async def samples(self, clone_ids: Sequence[str]) -> dict[str, list[SampleRecord]]:
        """The samples of each clone, in upload order."""
        found: dict[str, list[SampleRecord]] = {clone_id: [] for clone_id in clone_ids}
        if not clone_ids:
            return found
        rows = await self.conn.execute(
            select(*_SAMPLE).where(_S.clone_id.in_(clone_ids)).order_by(_S.clone_id, _S.position)
        )
        for row in rows.all():
            sample = _sample(row)
            found[sample.clone_id].append(sample)
        return found

    async def find_page(
        self, account_id: str, status: str | None, limit: int, offset: int
    ) -> tuple[list[CloneRecord], int]:
        """The account's clones (with ``status``, if given), newest first."""
        conditions = [_C.account_id == account_id]
        if status is not None:
            conditions.append(_C.status == status)
        rows = await self.conn.execute(
            select(*_CLONE)
            .where(*conditions)
            .order_by(_C.created_at.desc(), _C.id.desc())
            .limit(limit)
            .offset(offset)
        )
        total = await self.conn.execute(
            select(func.count()).select_from(voice_clones).where(*conditions)
        )
        return [CloneRecord(*row) for row in rows.all()], int(total.scalar_one())

    async def update(
        self, account_id: str, clone_id: str, *, only_status: str | None = None, **values: Any
    ) -> CloneRecord | None:
        """Write ``values``; the clone as it now is, or None (gone, or not in
        ``only_status``)."""
        conditions = [_C.account_id == account_id, _C.id == clone_id]
        if only_status is not None:
            conditions.append(_C.status == only_status)
        result = await self.conn.execute(
            update(voice_clones).where(*conditions).values(**values).returning(*_CLONE)
        )
        row = result.first()
        return None if row is None else CloneRecord(*row)

    async def delete(self, account_id: str, clone_id: str) -> bool:
        await self.conn.execute(
            delete(voice_samples).where(_S.account_id == account_id, _S.clone_id == clone_id)
        )
        result = await self.conn.execute(
            delete(voice_clones).where(_C.account_id == account_id, _C.id == clone_id)
        )
        return result.rowcount > 0
