"""Every query on the api_keys table."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, select, tuple_, update

from buena_server.kit.cursor import Position
from buena_server.kit.driver import Connection
from buena_server.tables import UTCDateTime, api_keys


@dataclass(frozen=True, slots=True)
class ApiKeyRecord:
    id: str
    account_id: str
    name: str
    description: str | None
    key_preview: str
    permissions: list[str]
    is_active: bool
    created_at: datetime
    expires_at: datetime | None
    last_used: datetime | None


_COLUMNS = (
    api_keys.c.id,
    api_keys.c.account_id,
    api_keys.c.name,
    api_keys.c.description,
    api_keys.c.key_preview,
    api_keys.c.permissions,
    api_keys.c.is_active,
    api_keys.c.created_at,
    api_keys.c.expires_at,
    api_keys.c.last_used,
)


# Every authenticated request runs this one: built once (see leads/repository.py).
_BY_DIGEST = select(*_COLUMNS).where(api_keys.c.key_digest == bindparam("digest"))


def _record(row: Mapping[str, Any]) -> ApiKeyRecord:
    return ApiKeyRecord(**row)


class ApiKeyRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def find_by_digest(self, digest: str) -> ApiKeyRecord | None:
        result = await self.conn.execute(_BY_DIGEST, {"digest": digest})
        row = result.mappings().first()
        return _record(row) if row else None

    async def get(self, account_id: str, key_id: str) -> ApiKeyRecord | None:
        result = await self.conn.execute(
            select(*_COLUMNS).where(api_keys.c.account_id == account_id, api_keys.c.id == key_id)
        )
        row = result.mappings().first()
        return _record(row) if row else None

    async def find_by_id(self, key_id: str) -> ApiKeyRecord | None:
        """A key of any account (the operator's command line)."""
        result = await self.conn.execute(select(*_COLUMNS).where(api_keys.c.id == key_id))
        row = result.mappings().first()
        return _record(row) if row else None

    async def find_all(self, account_id: str | None = None) -> Sequence[ApiKeyRecord]:
        """Every key, of one account or of all, by account then newest first (the
        operator's command line)."""
        statement = select(*_COLUMNS)
        if account_id is not None:
            statement = statement.where(api_keys.c.account_id == account_id)
        result = await self.conn.execute(
            statement.order_by(
                api_keys.c.account_id, api_keys.c.created_at.desc(), api_keys.c.id.desc()
            )
        )
        return [_record(row) for row in result.mappings()]

    async def find_page(
        self, account_id: str, *, limit: int, offset: int, after: Position | None = None
    ) -> tuple[Sequence[ApiKeyRecord], int, bool]:
        """One page of the account's keys, newest first (ties broken by id), how many
        keys the account has in all, and whether more follow the page. ``after``: the page
        starts after that key (keyset, on the (account_id, created_at) index)."""
        statement = select(*_COLUMNS).where(api_keys.c.account_id == account_id)
        if after is not None:
            statement = statement.where(
                tuple_(api_keys.c.created_at, api_keys.c.id)
                < tuple_(bindparam("after_value", after.value, type_=UTCDateTime()), after.id)
            )
        result = await self.conn.execute(
            statement.order_by(api_keys.c.created_at.desc(), api_keys.c.id.desc())
            .limit(limit + 1)  # one more says whether another page follows
            .offset(offset)
        )
        rows = list(result.mappings())
        records = [_record(row) for row in rows[:limit]]
        total = await self.conn.execute(
            select(func.count()).select_from(api_keys).where(api_keys.c.account_id == account_id)
        )
        return records, int(total.scalar_one()), len(rows) > limit

    async def count_active(self, account_id: str, now: datetime) -> int:
        """Keys of the account neither revoked nor expired at ``now``."""
        result = await self.conn.execute(
            select(func.count())
            .select_from(api_keys)
            .where(
                api_keys.c.account_id == account_id,
                api_keys.c.is_active.is_(True),
                api_keys.c.expires_at.is_(None) | (api_keys.c.expires_at > now),
            )
        )
        return int(result.scalar_one())

    async def insert(self, record: ApiKeyRecord, *, digest: str) -> None:
        await self.conn.execute(
            api_keys.insert().values(
                id=record.id,
                account_id=record.account_id,
                name=record.name,
                description=record.description,
                key_digest=digest,
                key_preview=record.key_preview,
                permissions=record.permissions,
                is_active=record.is_active,
                created_at=record.created_at,
                expires_at=record.expires_at,
                last_used=record.last_used,
            )
        )

    async def revoke(self, account_id: str, key_id: str, when: datetime) -> bool:
        result = await self.conn.execute(
            update(api_keys)
            .where(api_keys.c.account_id == account_id, api_keys.c.id == key_id)
            .values(is_active=False, revoked_at=func.coalesce(api_keys.c.revoked_at, when))
        )
        return result.rowcount > 0

    async def record_last_used(self, usage: Mapping[str, datetime]) -> None:
        """Write the latest use of each key, never moving a timestamp backwards."""
        for key_id, when in usage.items():
            await self.conn.execute(
                update(api_keys)
                .where(
                    api_keys.c.id == key_id,
                    (api_keys.c.last_used.is_(None)) | (api_keys.c.last_used < when),
                )
                .values(last_used=when)
            )
