"""Every query on the webhooks and webhook_deliveries tables."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import delete, func, select, update

from buena_server.kit.driver import Connection
from buena_server.tables import webhook_deliveries, webhooks


@dataclass(frozen=True, slots=True)
class WebhookRecord:
    id: str
    account_id: str
    url: str
    events: list[str]
    description: str | None
    is_active: bool
    secret: str
    previous_secret: str | None
    previous_secret_expires_at: datetime | None
    failing_since: datetime | None
    disabled_reason: str | None
    disabled_at: datetime | None
    created_at: datetime
    updated_at: datetime


@dataclass(frozen=True, slots=True)
class DeliveryRecord:
    id: str
    account_id: str
    webhook_id: str
    event_id: str
    event_type: str
    status: str
    attempts: int
    last_status_code: int | None
    last_error: str | None
    next_attempt_at: datetime | None
    delivered_at: datetime | None
    created_at: datetime
    job_id: str | None


_WEBHOOK_COLUMNS = tuple(webhooks.c[name] for name in WebhookRecord.__dataclass_fields__)
_DELIVERY_COLUMNS = tuple(
    webhook_deliveries.c[name] for name in DeliveryRecord.__dataclass_fields__
)


def _webhook(row: Mapping[str, Any]) -> WebhookRecord:
    return WebhookRecord(**row)


def _delivery(row: Mapping[str, Any]) -> DeliveryRecord:
    return DeliveryRecord(**row)


class WebhookRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(
        self, account_id: str, webhook_id: str, *, for_update: bool = False
    ) -> WebhookRecord | None:
        statement = select(*_WEBHOOK_COLUMNS).where(
            webhooks.c.account_id == account_id, webhooks.c.id == webhook_id
        )
        if for_update:
            statement = statement.with_for_update()
        row = (await self.conn.execute(statement)).mappings().first()
        return _webhook(row) if row else None

    async def find_page(
        self, account_id: str, *, limit: int, offset: int
    ) -> tuple[Sequence[WebhookRecord], int]:
        """One page of the account's webhooks, newest first (ties broken by id), and how many
        it has in all."""
        result = await self.conn.execute(
            select(*_WEBHOOK_COLUMNS)
            .where(webhooks.c.account_id == account_id)
            .order_by(webhooks.c.created_at.desc(), webhooks.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        records = [_webhook(row) for row in result.mappings()]
        return records, await self.count(account_id)

    async def count(self, account_id: str) -> int:
        result = await self.conn.execute(
            select(func.count()).select_from(webhooks).where(webhooks.c.account_id == account_id)
        )
        return int(result.scalar_one())

    async def find_active(self, account_id: str) -> Sequence[WebhookRecord]:
        """The account's active webhooks (at most ``BUENA_MAX_WEBHOOKS_PER_ACCOUNT``)."""
        result = await self.conn.execute(
            select(*_WEBHOOK_COLUMNS)
            .where(webhooks.c.account_id == account_id, webhooks.c.is_active.is_(True))
            .order_by(webhooks.c.created_at, webhooks.c.id)
        )
        return [_webhook(row) for row in result.mappings()]

    async def insert(self, record: WebhookRecord) -> None:
        await self.conn.execute(
            webhooks.insert().values(
                {name: getattr(record, name) for name in WebhookRecord.__dataclass_fields__}
            )
        )

    async def update(self, account_id: str, webhook_id: str, **values: Any) -> None:
        await self.conn.execute(
            update(webhooks)
            .where(webhooks.c.account_id == account_id, webhooks.c.id == webhook_id)
            .values(**values)
        )

    async def clear_failing(self, account_id: str, webhook_id: str) -> None:
        """A success ends the webhook's failing streak (written only when there is one)."""
        await self.conn.execute(
            update(webhooks)
            .where(
                webhooks.c.account_id == account_id,
                webhooks.c.id == webhook_id,
                webhooks.c.failing_since.is_not(None),
            )
            .values(failing_since=None)
        )

    async def delete(self, account_id: str, webhook_id: str) -> bool:
        # Its deliveries first: SQLite enforces the cascade only where foreign keys are on.
        await self.conn.execute(
            delete(webhook_deliveries).where(
                webhook_deliveries.c.account_id == account_id,
                webhook_deliveries.c.webhook_id == webhook_id,
            )
        )
        result = await self.conn.execute(
            delete(webhooks).where(webhooks.c.account_id == account_id, webhooks.c.id == webhook_id)
        )
        return result.rowcount > 0


class DeliveryRepository:
    def __init__(self, conn: Connection) -> None:
        self.conn = conn

    async def get(
        self,
        account_id: str,
        delivery_id: str,
        *,
        webhook_id: str | None = None,
        for_update: bool = False,
    ) -> DeliveryRecord | None:
        conditions = [
            webhook_deliveries.c.account_id == account_id,
            webhook_deliveries.c.id == delivery_id,
        ]
        if webhook_id is not None:
            conditions.append(webhook_deliveries.c.webhook_id == webhook_id)
        statement = select(*_DELIVERY_COLUMNS).where(*conditions)
        if for_update:
            statement = statement.with_for_update()
        result = await self.conn.execute(statement)
        row = result.mappings().first()
        return _delivery(row) if row else None

    async def find_page(
        self,
        account_id: str,
        webhook_id: str,
        *,
        status: str | None,
        limit: int,
        offset: int,
    ) -> tuple[Sequence[DeliveryRecord], int]:
        """One page of a webhook's deliveries, newest first (ties broken by id), and how many
        match in all."""
        conditions = [
            webhook_deliveries.c.account_id == account_id,
            webhook_deliveries.c.webhook_id == webhook_id,
        ]
        if status is not None:
            conditions.append(webhook_deliveries.c.status == status)
        result = await self.conn.execute(
            select(*_DELIVERY_COLUMNS)
            .where(*conditions)
            .order_by(webhook_deliveries.c.created_at.desc(), webhook_deliveries.c.id.desc())
            .limit(limit)
            .offset(offset)
        )
        records = [_delivery(row) for row in result.mappings()]
        total = await self.conn.execute(
            select(func.count()).select_from(webhook_deliveries).where(*conditions)
        )
        return records, int(total.scalar_one())

    async def insert(self, record: DeliveryRecord) -> None:
        await self.conn.execute(
            webhook_deliveries.insert().values(
                {name: getattr(record, name) for name in DeliveryRecord.__dataclass_fields__}
            )
        )

    async def update(self, account_id: str, delivery_id: str, **values: Any) -> None:
        await self.conn.execute(
            update(webhook_deliveries)
            .where(
                webhook_deliveries.c.account_id == account_id,
                webhook_deliveries.c.id == delivery_id,
            )
            .values(**values)
        )
